"""The pages in a real browser: Playwright drives Debian's chromium against a real server
(``jdsearch serve``, the CLI) on 127.0.0.1 over the sample corpus plus the Taiwan-wording fixture
JD of ``test_web``. The XSS fixture JD gets a server of its own, so the README's screenshots
show real corpus clauses rather than the payloads.

Needs the ``chromium`` and ``fonts-noto-cjk`` packages: installed with apt-get when missing and
running as root; otherwise the tests skip with a one-line reason, and in CI (``CI=true``) that is
a failure. Every test saves a screenshot named after it in ``artifacts/screens/`` (whether it
passed or not); the named shots of the pages also go to ``docs/screens/`` for the README with
``JDSEARCH_UPDATE_SCREENS=1``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from rdflib import RDF, Graph
from rdflib.namespace import SKOS

from jdsearch import Corpus
from tests.conftest import ROOT
from tests.test_web import build_web_index

CHROMIUM = Path("/usr/bin/chromium")
PACKAGES = {"chromium": "chromium", "fonts": "fonts-noto-cjk"}
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENS = ROOT / "artifacts" / "screens"
README_SCREENS = ROOT / "docs" / "screens"
IN_CI = os.environ.get("CI", "").lower() == "true"
TIMEOUT_MS = 30_000  # actions and navigation
EXPECT_TIMEOUT_MS = 15_000  # assertions retry this long: a loaded CI machine is slow, not wrong
PHONE = {"width": 390, "height": 844}


# --------------------------------------------------------------------------- environment
def unavailable(reason: str) -> None:
    """Skip with a one-line reason; in CI a browser test that cannot run is a failure."""
    if IN_CI:
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def has_cjk_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return "Noto Sans CJK" in out.stdout


def missing_packages() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append(PACKAGES["chromium"])
    if not has_cjk_font():
        missing.append(PACKAGES["fonts"])
    return missing


def ensure_browser() -> Path:
    """Debian's chromium and the Noto CJK fonts, installed when missing (as root only)."""
    missing = missing_packages()
    if not missing:
        return CHROMIUM
    install = f"apt-get install -y {' '.join(missing)}"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        unavailable(f"needs {', '.join(missing)}: run `{install}` as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)
        if r.returncode != 0:
            last = (r.stderr.strip().splitlines() or ["failed"])[-1]
            unavailable(f"`{' '.join(cmd)}` failed: {last}")
    if missing_packages():
        unavailable(f"{', '.join(missing_packages())} still missing after `{install}`")
    return CHROMIUM


# --------------------------------------------------------------------------- the server
@dataclass
class Server:
    base: str
    index: Path
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text('utf-8')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server not healthy after {timeout}s: {log.read_text('utf-8')[-2000:]}")


@contextmanager
def running_server(idx: Path, log: Path) -> Iterator[Server]:
    """``jdsearch serve`` (the real CLI) on a free loopback port, stopped at the end. It
    computes groups and themes and warms up before it answers, so health means ready."""
    port = free_port()
    cmd = [sys.executable, "-m", "jdsearch.cli", "serve", "--index", str(idx), "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, log, timeout=120)
        yield Server(base, idx, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server over the sample corpus and the Taiwan-wording JD."""
    root = tmp_path_factory.mktemp("browser")
    with running_server(build_web_index(root, ["tw_jd.txt"]), root / "server.log") as s:
        yield s


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server over the sample corpus and the XSS JD (its payloads duplicate corpus duties)."""
    root = tmp_path_factory.mktemp("browser-xss")
    with running_server(build_web_index(root, ["xss_jd.txt"]), root / "server.log") as s:
        yield s


# --------------------------------------------------------------------------- the browser
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = ensure_browser()
    try:
        from playwright.sync_api import expect as pw_expect
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    pw_expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(executable), args=LAUNCH_ARGS)
        yield b
        b.close()


@dataclass
class Watch:
    """What a page did that it must not: dialogs (XSS), script errors, off-host requests."""

    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def watch() -> Watch:
    return Watch()


@contextmanager
def open_page(browser: Any, server: Server, watch: Watch, name: str) -> Iterator[Any]:
    """A fresh 1280-px page on ``server`` that records what it must not do, and leaves a
    screenshot ``artifacts/screens/<name>.png`` of how it ended (also when the test failed)."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=server.base, accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)

    def route(r: Any) -> None:
        watch.requests.append(r.request.url)
        if r.request.url.startswith(server.base + "/"):
            r.continue_()
        else:
            watch.problems.append(f"request outside the server: {r.request.url}")
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.on("dialog", lambda d: (watch.problems.append(f"dialog: {d.message}"), d.dismiss()))
    pg.on("pageerror", lambda e: watch.problems.append(f"page error: {e}"))
    pg.on(
        "console",
        lambda m: watch.problems.append(f"console: {m.text}") if m.type == "error" else None,
    )
    try:
        yield pg
    finally:
        SCREENS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SCREENS / f"{name}.png"))
        context.close()
    assert watch.problems == []


@pytest.fixture
def page(
    browser: Any, server: Server, watch: Watch, request: pytest.FixtureRequest
) -> Iterator[Any]:
    with open_page(browser, server, watch, request.node.name) as pg:
        yield pg


@pytest.fixture
def xss_page(
    browser: Any, xss_server: Server, watch: Watch, request: pytest.FixtureRequest
) -> Iterator[Any]:
    with open_page(browser, xss_server, watch, request.node.name) as pg:
        yield pg


def shoot(pg: Any, name: str, *, full_page: bool = False) -> Path:
    """Screenshot into artifacts/screens (and docs/screens with JDSEARCH_UPDATE_SCREENS=1)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("JDSEARCH_UPDATE_SCREENS") == "1":
        README_SCREENS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, README_SCREENS / path.name)
    assert path.stat().st_size > 5000
    return path


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(target)


def platform_fonts(pg: Any, selector: str) -> list[str]:
    """The fonts Chromium actually drew the node's text with (DevTools protocol)."""
    cdp = pg.context.new_cdp_session(pg)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return [f["familyName"] for f in fonts]


def no_horizontal_scroll(pg: Any) -> bool:
    return bool(pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def query_of(pg: Any) -> dict[str, list[str]]:
    return parse_qs(urlparse(pg.url).query)


def api(pg: Any, path: str, **params: object) -> Any:
    r = pg.request.get(path, params=params)
    assert r.ok, r.text()
    return r.json()


# --------------------------------------------------------------------------- search
def test_search_finds_simplified_with_traditional_query(page: Any):
    page.goto("/")
    box = page.get_by_label("Search duties and requirements")
    expect(box).to_be_focused()
    page.keyboard.type("客戶檔案", delay=40)  # typed: the debounced instant search, no Enter
    hit = page.locator("li.hit", has_text="对客户档案、交易记录等进行分析")
    expect(hit).to_be_visible()
    expect(hit.locator("mark")).to_have_text(["客户档案"])
    expect(hit.locator(".badge-lang")).to_have_text("简体")
    expect(hit.locator(".badge-kind")).to_have_text("duty")
    expect(hit.locator(".badge-source")).to_have_text("001_5cde199c0bf3f5da.txt")
    assert query_of(page)["q"] == ["客戶檔案"]
    fonts = platform_fonts(page, "li.hit .clause-text")
    assert any("CJK" in f for f in fonts), f"Chinese drawn with {fonts}"
    shoot(page, "search")


def test_facets_url_and_back_button(page: Any):
    page.goto("/?q=" + "客户")
    expect(page.locator("li.hit").first).to_be_visible()
    page.locator(".facet", has_text="繁體").click()
    expect(page.locator("li.hit .badge-lang").first).to_have_text("繁體")
    expect(page.locator("li.hit .badge-lang", has_text="简体")).to_have_count(0)
    assert query_of(page)["lang"] == ["zh-Hant"]
    expect(page.locator(".chip")).to_have_text("Language: zh-Hant ×")
    page.go_back()
    expect(page.locator("li.hit .badge-lang", has_text="简体").first).to_be_visible()
    assert "lang" not in query_of(page)
    expect(page.get_by_label("Search duties and requirements")).to_have_value("客户")
    page.go_forward()
    expect(page.locator("li.hit .badge-lang", has_text="简体")).to_have_count(0)
    # a shared URL restores the same search
    page.goto(page.url)
    expect(page.locator(".facet[aria-pressed=true]")).to_contain_text("繁體")


def test_paging(page: Any):
    page.goto("/?q=" + "客户")
    first = page.locator("li.hit").first.inner_text()
    page.get_by_role("button", name="Next →").click()
    expect(page.locator(".page-of")).to_contain_text("Page 2")
    assert query_of(page)["page"] == ["2"]
    assert page.locator("li.hit").first.inner_text() != first
    page.go_back()
    expect(page.locator(".page-of")).to_contain_text("Page 1")


def test_keyboard_only(page: Any):
    page.goto("/")
    page.keyboard.type("客户", delay=40)
    expect(page.locator("li.hit").first).to_be_visible()
    for _ in range(40):  # Tab from the search box to the first facet filter
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('facet')"):
            break
    else:
        pytest.fail("no facet filter reachable with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focused controls show a focus ring"
    label = page.evaluate("document.activeElement.title")
    page.keyboard.press("Enter")
    expect(page.locator(".facet[aria-pressed=true]")).to_have_count(1)
    assert label in {v for vals in query_of(page).values() for v in vals}
    page.get_by_label("Collapse near-duplicates into one hit").focus()
    page.keyboard.press("Space")
    expect(page.get_by_label("Collapse near-duplicates into one hit")).to_be_checked()
    assert query_of(page)["collapse"] == ["1"]


def test_collapse_expands_variants(page: Any):
    page.goto("/?q=" + "准确掌握当地市场销售信息" + "&collapse=1")
    button = page.locator("button.expander").first
    expect(button).to_have_text(re.compile(r"^\+1 variant"))
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    panel = page.locator("ul.variants").first
    expect(panel.locator("li")).to_have_count(1)
    expect(panel).to_contain_text("准确掌握当地市场销售信息")
    expect(panel.locator(".badge-relation")).to_have_text(re.compile("canonical|exact|near"))
    shoot(page, "search-collapsed")


# --------------------------------------------------------------------------- duplicates
def test_group_shows_traditional_simplified_and_english(page: Any):
    page.goto("/?q=" + "市场信息的收集和竞争对手的分析" + "&lang=zh-Hans")
    hit = page.locator("li.hit", has_text="负责市场信息的收集和竞争对手的分析")
    hit.get_by_role("link", name="Open duplicate group").click()
    expect(page).to_have_url(re.compile(r"/dupes\?clause="))
    cards = page.locator(".variant-card")
    for lang in ("zh-Hant", "zh-Hans", "en"):
        expect(cards.and_(page.locator(f"[data-lang='{lang}']")).first).to_be_visible()
    expect(page.locator(".variant-card.canonical")).to_have_count(1)
    for card in cards.all():
        if "canonical" not in (card.get_attribute("class") or ""):
            expect(card.locator(".badge-relation")).to_have_text(
                re.compile("exact|near|cross-script|cross-lingual")
            )
            expect(card.locator(".similarity")).to_have_text(re.compile(r"\d+\.\d%"))
    english = page.locator(".variant-card[data-lang='en']").first
    expect(english).to_contain_text("competitor")
    expect(english.locator(".badge-relation")).to_have_text("cross-lingual")
    scripts = page.locator(".variant-card:not(.canonical) mark.diff-script")
    expect(scripts.first).to_be_visible()  # 資訊/信息, 負責/负责 marked as script differences
    shoot(page, "dupes")
    page.set_viewport_size(PHONE)
    assert no_horizontal_scroll(page)
    shoot(page, "dupes-phone", full_page=True)


def test_group_list(page: Any):
    page.goto("/dupes")
    expect(page.locator(".group-list li").first).to_be_visible()
    page.get_by_label("Relation").select_option("cross-script")
    page.get_by_role("button", name="Apply").click()
    assert query_of(page)["relation"] == ["cross-script"]
    expect(
        page.locator(".group-list li .badge-relation", has_text="cross-script").first
    ).to_be_visible()
    page.locator(".group-list li").first.get_by_role("link", name="Compare variants").click()
    expect(page.locator(".variant-card").first).to_be_visible()
    page.go_back()
    expect(page.locator(".group-list li").first).to_be_visible()


# --------------------------------------------------------------------------- themes
def _slice_center(page: Any, node_id: str) -> tuple[float, float]:
    box = page.evaluate(
        """(id) => {
          for (const g of document.querySelectorAll('#map g.slice')) {
            if (g.__data__ && g.__data__.data && g.__data__.data.id === id) {
              const r = g.getBoundingClientRect();
              return [r.x + r.width / 2, r.y + r.height / 2];
            }
          }
          return null;
        }""",
        node_id,
    )
    assert box, f"{node_id} is not drawn"
    return box[0], box[1]


def test_theme_map_click_lists_members(page: Any):
    tree = api(page, "/api/themes", groups=0)
    area = max(tree["areas"], key=lambda a: a["size"])
    theme = max(area["themes"], key=lambda t: t["size"])
    detail = api(page, f"/api/themes/{theme['theme_id']}", limit=50)
    page.goto("/themes")
    expect(page.locator("#map g.slice").first).to_be_visible()
    shoot(page, "themes")
    x, y = _slice_center(page, f"t:{theme['theme_id']}")
    page.mouse.click(x, y)  # a real click on the theme's rectangle
    panel = page.locator("#detail")
    expect(panel).to_be_visible()
    expect(panel.locator(".canonical-duty")).to_have_text(detail["theme"]["canonical"]["text"])
    expect(panel.locator(".terms li")).to_have_text(detail["theme"]["terms"])
    expect(panel.locator("#members li")).to_have_count(len(detail["members"]))
    expect(panel.locator("#members li").first).to_contain_text(detail["members"][0]["text"])
    assert query_of(page)["theme"] == [theme["theme_id"]]
    page.mouse.move(0, 0)
    page.wait_for_timeout(1000)  # let the zoom animation settle before the screenshot
    shoot(page, "themes-detail", full_page=True)
    # labels switch to Chinese
    page.get_by_label("中文").check()
    zh = area["label_zh"]
    titles = page.locator("#theme-list .area-title")
    expect(titles.filter(has_text=re.compile(re.escape(zh) if not zh.startswith("(") else "."))).not_to_have_count(0)
    assert query_of(page)["labels"] == ["zh"]
    shoot(page, "themes-zh")
    page.get_by_label("Sunburst").check()
    expect(page.locator("#map g.slice").first).to_be_visible()
    assert query_of(page)["chart"] == ["sunburst"]


def test_theme_list_by_keyboard(page: Any):
    page.goto("/themes")
    button = page.locator(".theme-button").nth(1)
    theme_id = button.get_attribute("data-theme")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#detail h2")).to_be_focused()
    expect(button).to_have_attribute("aria-current", "true")
    assert query_of(page)["theme"] == [theme_id]
    page.go_back()
    assert "theme" not in query_of(page)


def test_theme_map_at_phone_width(page: Any):
    page.set_viewport_size(PHONE)
    page.goto("/themes")
    expect(page.locator("#map g.slice").first).to_be_visible()
    assert no_horizontal_scroll(page)
    shoot(page, "themes-phone")


# --------------------------------------------------------------------------- downloads
def test_downloads_in_every_format(page: Any, tmp_path: Path):
    page.goto("/downloads")
    shoot(page, "downloads")
    files = {}
    for name, filename in [
        ("Download SKOS", "jdsearch-taxonomy.ttl"),
        ("Download JSON", "jdsearch-taxonomy.json"),
        ("Download CSV", "jdsearch-taxonomy.csv"),
        ("Download Markdown", "jdsearch-taxonomy.md"),
    ]:
        with page.expect_download() as info:
            page.get_by_role("link", name=name).click()
        download = info.value
        assert download.suggested_filename == filename
        files[filename] = tmp_path / filename
        download.save_as(files[filename])
    g = Graph().parse(files["jdsearch-taxonomy.ttl"], format="turtle")
    assert list(g.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(list(g.subjects(RDF.type, SKOS.Concept))) > 10
    assert files["jdsearch-taxonomy.csv"].read_text("utf-8").startswith("clause_id,")
    assert files["jdsearch-taxonomy.md"].read_text("utf-8").startswith("# ")


def test_api_reference_page(page: Any):
    page.goto("/docs")
    expect(page.locator(".endpoint h2", has_text="/api/search")).to_be_visible()
    expect(page.locator(".endpoint h2", has_text="/api/decisions").first).to_be_visible()
    expect(page.locator(".endpoint")).to_have_count(9)  # GET and POST /api/decisions included
    shoot(page, "api-docs")


# --------------------------------------------------------------------------- security
def test_xss_clauses_render_as_text(xss_page: Any, xss_server: Server, watch: Watch):
    page = xss_page
    source = next(
        c.source for c in Corpus(xss_server.index).clauses() if c.source.endswith("xss_jd.txt")
    )
    texts = [h["text"] for h in api(page, "/api/search", source=source, limit=100)["hits"]]
    assert any("<script>" in t for t in texts) and any("onerror=" in t for t in texts)
    page.goto("/")
    page.get_by_label("Search duties and requirements").fill(f'source:"{source}"')
    page.keyboard.press("Enter")
    results = page.locator("#results")
    expect(results.locator("li.hit")).to_have_count(len(texts))
    shown = results.locator(".clause-text").all_inner_texts()
    assert sorted(shown) == sorted(texts)  # the markup is visible, character for character
    assert results.locator("script, img, b, iframe").count() == 0
    results.locator(".clause-text", has_text="onmouseover").hover()
    shoot(page, "xss")
    # the payload has a group: the duplicate viewer shows it as text too
    hit = results.locator("li.hit", has_text="<script>").first
    hit.get_by_role("link", name="Open duplicate group").click()
    expect(page.locator(".variant-card").first).to_contain_text("<script>")
    assert page.locator("#variants script, #variants img").count() == 0
    page.wait_for_timeout(500)  # a payload that ran would have opened a dialog by now
    assert not [p for p in watch.problems if p.startswith("dialog")]


def test_search_page_at_phone_width(page: Any):
    page.set_viewport_size(PHONE)
    page.goto("/?q=" + "客戶檔案")
    expect(page.locator("li.hit").first).to_be_visible()
    assert no_horizontal_scroll(page)
    expect(page.locator("#facets-box")).not_to_have_attribute("open", "")
    shoot(page, "search-phone", full_page=True)
