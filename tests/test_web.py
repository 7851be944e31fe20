"""The HTTP API: every endpoint, each error case, the shared serialiser, security and assets."""

from __future__ import annotations

import asyncio
import gzip
import http.client
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from rdflib import RDF, Graph
from rdflib.namespace import SKOS

from jdsearch import Corpus
from jdsearch.diff import char_diff
from jdsearch.serialize import clause_json, group_json, hit_json, theme_json, theme_map_json
from jdsearch.store import ClauseStore, JdsearchError
from jdsearch.web import app as web_app
from jdsearch.web.app import build_query, create_app, host_name, is_loopback
from jdsearch.web.state import IndexState
from tests.conftest import CORPUS

STATIC = Path(web_app.__file__).parent / "static"

# Clause text is scraped from the web: these must always render as text.
XSS_JD = (
    "岗位职责\n"
    "1、<script>alert(1)</script>负责客户档案管理。\n"
    "2、<img src=x onerror=alert(1)>收集竞争对手信息。\n"
    "3、负责渠道管理<b onmouseover=alert(document.cookie)>经销商</b>开发。\n"
)
# A Taiwan-wording copy of a duty of 001 篇九 (which 000 "regional manager 5" translates), so the
# sample gains a group spanning traditional, simplified and English.
TW_JD = "區域經理崗位職責\n1、負責市場資訊的收集和競爭對手的分析；\n2、負責公司產品的銷售和推廣；\n"
FIXTURE_JDS = {"xss_jd.txt": XSS_JD, "tw_jd.txt": TW_JD}


def write_fixture_jds(folder: Path, names: Sequence[str] = tuple(FIXTURE_JDS)) -> Path:
    """The extra JD files, in a folder whose name needs quoting in a source: filter."""
    extra = folder / "extra jds"
    extra.mkdir(parents=True, exist_ok=True)
    for name in names:
        (extra / name).write_text(FIXTURE_JDS[name], "utf-8")
    return extra


def build_web_index(root: Path, names: Sequence[str] = tuple(FIXTURE_JDS)) -> Path:
    """The sample corpus plus (some of) the fixture JDs, ingested into ``root/index``."""
    idx = root / "index"
    corpus = Corpus(idx)
    corpus.ingest([CORPUS, write_fixture_jds(root, names)])
    corpus.dupes(cross_lingual=True)  # the groups the web shows keep the user's parameters
    return idx


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_web_index(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def client(index_dir: Path) -> Iterator[TestClient]:
    """The app with its start-up (lifespan) run: groups and themes computed, engines open."""
    with TestClient(create_app(index_dir), raise_server_exceptions=False) as c:
        yield c


def assert_error(response, status: int) -> str:  # type: ignore[no-untyped-def]
    """An error is ``{"error": one line}`` with the status, and never a traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"] and "\n" not in body["error"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body["error"]


# --------------------------------------------------------------------------- health
def test_health(client: TestClient, index_dir: Path):
    r = client.get("/api/health")
    assert r.status_code == 200
    stats = Corpus(index_dir).stats()
    assert r.json() == {
        "status": "ok",
        "documents": stats["documents"],
        "clauses": stats["clauses"],
    }


def test_missing_index_is_503(tmp_path: Path):
    with TestClient(create_app(tmp_path / "nothing"), raise_server_exceptions=False) as c:
        for url in ("/api/health", "/api/search?q=x", "/api/dupes", "/api/themes", "/api/export"):
            assert "no index" in assert_error(c.get(url), 503)
        assert c.get("/").status_code == 200  # the page still loads and shows the error


@pytest.mark.parametrize("path", ["/api/health", "/", "/dupes", "/themes", "/static/app.css"])
def test_head(client: TestClient, path: str):
    """Monitors and link checkers probe with HEAD: same status and headers, no body."""
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.content == b""


# --------------------------------------------------------------------------- search
def test_search_crosses_scripts_with_spans_in_original_text(client: TestClient):
    r = client.get("/api/search", params={"q": "客戶檔案", "limit": 50})
    assert r.status_code == 200
    data = r.json()
    assert set(data) >= {"total", "hits", "facets"}
    simplified = [h for h in data["hits"] if "客户档案" in h["text"] and h["lang"] == "zh-Hans"]
    assert simplified, "traditional query must find simplified clauses"
    for hit in simplified:
        marked = {hit["text"][s:e] for s, e in hit["spans"]}
        assert "客户档案" in marked


def test_search_hits_are_the_cli_objects(client: TestClient, index_dir: Path):
    """One serialiser: the API returns exactly what ``search --json`` prints."""
    api_hits = client.get("/api/search", params={"q": "回款", "limit": 5}).json()["hits"]
    lib = Corpus(index_dir).search("回款", limit=5)
    assert api_hits == [hit_json(h) for h in lib.hits]


def test_search_facets_count_every_match(client: TestClient):
    data = client.get("/api/search", params={"q": "客户", "limit": 100}).json()
    assert set(data["facets"]) == {"kind", "lang", "theme", "source", "title", "company", "city"}
    assert sum(data["facets"]["kind"].values()) == data["total"]
    assert sum(data["facets"]["lang"].values()) == data["total"]
    assert len(data["hits"]) == min(100, data["total"])


def test_search_paging_is_exact(client: TestClient):
    """Pages join up to the total, with no empty page past the end and no repeats."""
    total = client.get("/api/search", params={"q": "客戶檔案"}).json()["total"]
    seen: list[str] = []
    offset = 0
    while offset < total:
        page = client.get("/api/search", params={"q": "客戶檔案", "limit": 4, "offset": offset})
        hits = page.json()["hits"]
        assert hits, f"empty page at offset {offset} of {total}"
        seen += [h["clause_id"] for h in hits]
        offset += 4
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize(
    ("param", "value", "field"),
    [("lang", "zh-Hant", "lang"), ("kind", "duty", "kind"), ("lang", "en", "lang")],
)
def test_search_filters(client: TestClient, param: str, value: str, field: str):
    data = client.get("/api/search", params={"q": "客户 customer", param: value}).json()
    assert data["hits"]
    assert {h[field] for h in data["hits"]} == {value}


def test_source_filter_with_spaces_and_no_words(client: TestClient, index_dir: Path):
    source = next(c.source for c in Corpus(index_dir).clauses() if c.source.endswith("xss_jd.txt"))
    assert " " in source
    data = client.get("/api/search", params={"source": source, "limit": 100}).json()
    assert data["total"] == len(data["hits"]) > 0
    assert {h["source"] for h in data["hits"]} == {source}
    assert data["query"] == f'source:"{source}"'


def test_collapse_folds_variants(client: TestClient):
    plain = client.get("/api/search", params={"q": "客户档案", "limit": 100}).json()
    folded = client.get(
        "/api/search", params={"q": "客户档案", "limit": 100, "collapse": "true"}
    ).json()
    assert len(folded["hits"]) < len(plain["hits"])
    assert any(h["variants"] > 1 for h in folded["hits"])
    assert sum(h["variants"] for h in folded["hits"]) == plain["total"]


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"q": '"unbalanced'}, "quote"),
        ({"q": ""}, "empty"),
        ({"q": "   "}, "empty"),
        ({"q": "x" * 501}, "q"),
        ({"q": "lang:"}, "value"),
        ({"q": "客户", "limit": 0}, "limit"),
        ({"q": "客户", "limit": 101}, "limit"),
        ({"q": "客户", "limit": "ten"}, "limit"),
        ({"q": "客户", "offset": -1}, "offset"),
        ({"q": "客户", "offset": 10_001}, "offset"),
        ({"q": "客户", "lang": "fr"}, "lang"),
        ({"q": "客户", "kind": "task"}, "kind"),
        ({"q": "客户", "source": 'a"b'}, "quote"),
        ({"q": "客户", "collapse": "perhaps"}, "collapse"),
        ({"q": "客" * 490, "source": "a-long-file-name.txt"}, "too long"),
    ],
)
def test_search_errors_are_400(client: TestClient, params: dict[str, object], needle: str):
    message = assert_error(client.get("/api/search", params=params), 400)
    assert needle in message


def test_build_query_quotes_filter_values():
    assert build_query(" 客户 ", {"lang": "zh-Hans", "source": "a b.txt", "theme": ""}) == (
        '客户 lang:"zh-Hans" source:"a b.txt"'
    )
    assert build_query("", {"theme": "D1"}) == 'theme:"D1"'
    with pytest.raises(JdsearchError):
        build_query("x", {"source": 'say "hi"'})


def test_unknown_clause_is_404(client: TestClient):
    assert "unknown clause" in assert_error(client.get("/api/clauses/0000000000000000"), 404)
    assert_error(client.get("/api/clauses/" + "a" * 65), 400)


def test_clause_with_group_and_theme(client: TestClient, index_dir: Path):
    corpus = Corpus(index_dir)
    groups = corpus.dupes(cross_lingual=True)
    by_id = {c.clause_id: c for c in corpus.clauses()}
    group = next(g for g in groups if any(m.relation == "cross-script" for m in g.members))
    member = next(m for m in group.members if m.relation == "cross-script")
    data = client.get(f"/api/clauses/{member.clause_id}").json()
    assert data["clause"] == clause_json(by_id[member.clause_id])
    assert data["group"] == group_json(group, by_id)
    for m in data["group"]["members"]:
        assert {"relation", "similarity", "lang", "text"} <= set(m)
    diff = data["diffs"][member.clause_id]
    assert diff["script"], "a cross-script twin differs in script only"
    assert diff["changed"] == []
    theme = next(t for t in corpus.themes() if member.clause_id in t.members)
    assert data["theme"] == theme_json(theme)


def test_clause_without_group(client: TestClient, index_dir: Path):
    corpus = Corpus(index_dir)
    grouped = {m.clause_id for g in corpus.dupes(cross_lingual=True) for m in g.members}
    single = next(c for c in corpus.clauses() if c.clause_id not in grouped)
    data = client.get(f"/api/clauses/{single.clause_id}").json()
    assert data["clause"]["text"] == single.text
    assert data["group"] is None and data["diffs"] == {}


def test_dupes_list_is_the_cli_groups(client: TestClient, index_dir: Path):
    corpus = Corpus(index_dir)
    by_id = {c.clause_id: c for c in corpus.clauses()}
    groups = corpus.dupes(cross_lingual=True)
    data = client.get("/api/dupes", params={"limit": 5}).json()
    assert data["total"] == len(groups)
    assert data["groups"] == [group_json(g, by_id) for g in groups[:5]]
    page2 = client.get("/api/dupes", params={"limit": 5, "offset": 5}).json()["groups"]
    assert page2 == [group_json(g, by_id) for g in groups[5:10]]


@pytest.mark.parametrize("relation", ["exact", "near", "cross-script", "cross-lingual"])
def test_dupes_relation_filter(client: TestClient, relation: str):
    data = client.get("/api/dupes", params={"relation": relation, "limit": 100}).json()
    assert data["groups"], f"the sample corpus and fixtures have {relation} duplicates"
    for g in data["groups"]:
        assert any(m["relation"] == relation for m in g["members"])


def test_dupes_min_size(client: TestClient):
    data = client.get("/api/dupes", params={"min_size": 3, "limit": 100}).json()
    assert data["groups"] and all(len(g["members"]) >= 3 for g in data["groups"])


@pytest.mark.parametrize(
    "params",
    [{"relation": "similar"}, {"min_size": 1}, {"limit": 500}, {"offset": -3}],
)
def test_dupes_errors_are_400(client: TestClient, params: dict[str, object]):
    assert_error(client.get("/api/dupes", params=params), 400)


# --------------------------------------------------------------------------- themes and export
def test_theme_hierarchy(client: TestClient, index_dir: Path):
    data = client.get("/api/themes", params={"groups": 3}).json()
    corpus = Corpus(index_dir)
    assert {t["theme_id"] for a in data["areas"] for t in a["themes"]} == {
        t.theme_id for t in corpus.themes()
    }
    for area in data["areas"]:
        assert {"area_id", "label_en", "label_zh", "size", "themes"} <= set(area)
        for t in area["themes"]:
            assert len(t["groups"]) <= 3
            assert sum(g["size"] for g in t["groups"]) + t["other_size"] == t["size"]
            assert t["groups_total"] >= len(t["groups"])


def test_one_theme_with_members(client: TestClient, index_dir: Path):
    corpus = Corpus(index_dir)
    theme = max(corpus.themes(), key=lambda t: t.size)
    data = client.get(f"/api/themes/{theme.theme_id}", params={"limit": 5}).json()
    assert data["theme"] == theme_json(theme)
    assert data["total"] == len(theme.members)
    assert [m["clause_id"] for m in data["members"]] == theme.members[:5]
    nxt = client.get(f"/api/themes/{theme.theme_id}", params={"limit": 5, "offset": 5}).json()
    assert [m["clause_id"] for m in nxt["members"]] == theme.members[5:10]


def test_theme_errors(client: TestClient):
    assert_error(client.get("/api/themes", params={"groups": -1}), 400)
    assert_error(client.get("/api/themes/T1", params={"limit": 0}), 400)
    assert_error(client.get("/api/themes/" + "t" * 65), 400)


def test_unknown_theme_is_404(client: TestClient):
    assert "unknown theme" in assert_error(client.get("/api/themes/nope"), 404)


@pytest.mark.parametrize(
    ("fmt", "media", "ext"),
    [
        ("json", "application/json", "json"),
        ("csv", "text/csv", "csv"),
        ("md", "text/markdown", "md"),
        ("skos", "text/turtle", "ttl"),
    ],
)
def test_export_downloads(client: TestClient, fmt: str, media: str, ext: str):
    r = client.get("/api/export", params={"format": fmt})
    assert r.status_code == 200
    assert r.headers["content-type"] == f"{media}; charset=utf-8"
    assert r.headers["content-disposition"] == f'attachment; filename="jdsearch-taxonomy.{ext}"'
    body = r.content.decode("utf-8")
    if fmt == "json":
        assert json.loads(body)["areas"]
    elif fmt == "csv":
        assert body.splitlines()[0].startswith("clause_id,")
    elif fmt == "md":
        assert body.startswith("# ")
    else:
        g = Graph().parse(data=body, format="turtle")
        assert list(g.subjects(RDF.type, SKOS.ConceptScheme))


def test_export_bad_format_is_400(client: TestClient):
    assert "unknown export format" in assert_error(
        client.get("/api/export", params={"format": "xlsx"}), 400
    )


# --------------------------------------------------------------------------- failures
def test_internal_error_hides_the_traceback(index_dir: Path, monkeypatch: pytest.MonkeyPatch):
    app = create_app(index_dir)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(app.state.index, "search", boom)
    r = TestClient(app, raise_server_exceptions=False).get("/api/search", params={"q": "x"})
    assert assert_error(r, 500) == "internal server error"
    assert "secret" not in r.text


def test_unknown_route_and_method(client: TestClient):
    assert_error(client.get("/api/nothing"), 404)
    assert_error(client.post("/api/search"), 405)


# --------------------------------------------------------------------------- index changes
def test_new_clauses_are_searchable_without_restart(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("岗位职责\n1、负责客户档案管理。\n", "utf-8")
    idx = tmp_path / "index"
    Corpus(idx).ingest([docs])
    c = TestClient(create_app(idx))
    first = c.get("/api/search", params={"q": "回款"})
    assert first.json()["total"] == 0 and first.headers["x-cache"] == "miss"
    again = c.get("/api/search", params={"q": "回款"})
    assert again.headers["x-cache"] == "hit" and again.content == first.content
    (docs / "b.txt").write_text("岗位职责\n1、负责销售回款跟进。\n", "utf-8")
    Corpus(idx).ingest([docs])
    after = c.get("/api/search", params={"q": "回款"})
    assert after.headers["x-cache"] == "miss"  # a new index version: the cached answer is gone
    assert [h["text"] for h in after.json()["hits"]] == ["负责销售回款跟进。"]
    assert c.get("/api/health").json()["clauses"] == 2


SMALL_JDS = {
    "a.txt": "岗位职责\n1、负责客户档案管理。\n2、负责销售回款跟进。\n3、完成上级交办的其他工作。\n",
    "b.txt": "岗位职责\n1、負責客戶檔案管理。\n2、负责市场调研与分析。\n3、负责渠道开发与维护。\n",
    "c.txt": "Responsibilities\n1. Maintain customer files.\n2. Follow up on payments.\n",
}


def small_index(root: Path, names: Sequence[str] = ("a.txt", "b.txt")) -> Path:
    """A few JDs ingested only: no duplicate groups or themes computed yet."""
    docs = root / "docs"
    docs.mkdir(exist_ok=True)
    for name in names:
        (docs / name).write_text(SMALL_JDS[name], "utf-8")
    idx = root / "index"
    Corpus(idx).ingest([docs])
    return idx


def stages_of(idx: Path) -> dict[str, tuple[int, str]]:
    """stage -> (generation, parameters) as stored in the index."""
    store = ClauseStore(idx)
    try:
        return {
            name: (st.generation, st.params)
            for name in ("dupes", "themes")
            if (st := store.stage(name)) is not None
        }
    finally:
        store.close()


def test_gets_never_compute_missing_groups_or_themes(tmp_path: Path):
    """A GET only reads. Groups or themes never computed are a 503 naming the command that
    computes them, and nothing is written."""
    idx = small_index(tmp_path)
    assert stages_of(idx) == {}
    c = TestClient(create_app(idx), raise_server_exceptions=False)  # no start-up run
    clause_id = Corpus(idx).clauses()[0].clause_id
    for url in ("/api/dupes", f"/api/clauses/{clause_id}"):
        assert f"run: jdsearch dupes --index {idx}" in assert_error(c.get(url), 503)
    Corpus(idx).dupes()
    assert c.get(f"/api/clauses/{clause_id}").status_code == 503  # still no themes
    for url in ("/api/themes", "/api/themes/D01", "/api/export", f"/api/clauses/{clause_id}"):
        assert f"run: jdsearch themes --index {idx}" in assert_error(c.get(url), 503)
    assert c.get("/api/search", params={"q": "客户"}).status_code == 200
    assert c.get("/api/health").status_code == 200
    assert "themes" not in stages_of(idx)  # no request computed them
    # running the command the message names is enough: no restart
    Corpus(idx).themes()
    for url in ("/api/dupes", "/api/themes", "/api/export", f"/api/clauses/{clause_id}"):
        assert c.get(url).status_code == 200, url
    after = (IndexState(idx).require(), stages_of(idx))
    for url in ("/api/dupes", "/api/themes", "/api/themes/D01", "/api/export", "/api/health"):
        c.get(url)
    assert (IndexState(idx).require(), stages_of(idx)) == after


def test_startup_computes_what_is_missing_and_warms_every_search_thread(tmp_path: Path):
    idx = small_index(tmp_path)
    app = create_app(idx, search_threads=3)
    st: IndexState = app.state.index
    with TestClient(app) as c:
        assert set(stages_of(idx)) == {"dupes", "themes"}
        assert st.engines() == 3  # one engine per search thread, each has run a query
        assert c.get("/api/themes").status_code == 200
        assert c.get("/api/search", params={"q": "客户"}).json()["total"] > 0
    assert st.engines() == 0  # closed at shutdown


def test_startup_recomputes_stale_themes_with_the_users_k(tmp_path: Path):
    idx = small_index(tmp_path)
    Corpus(idx).themes(k=2)
    docs = tmp_path / "docs"
    (docs / "c.txt").write_text(SMALL_JDS["c.txt"], "utf-8")
    Corpus(idx).ingest([docs], update_stages=False)  # a new JD: themes out of date
    assert not Corpus(idx).status()["themes"]["current"]  # type: ignore[index]
    with TestClient(create_app(idx, search_threads=2)):
        generation, params = stages_of(idx)["themes"]
    assert json.loads(params)["k"] == 2 and generation == Corpus(idx).status()["generation"]
    assert Corpus(idx).themes(k=2)  # current for k=2: the CLI does not recompute them
    assert stages_of(idx)["themes"][0] == generation


def test_each_search_thread_has_its_own_engine(index_dir: Path):
    """No lock serialises searches: concurrent ones run on per-thread engines."""
    st = IndexState(index_dir)
    expected = [h.clause_id for h in st.search("客户", limit=20, facets=True).hits]
    barrier = threading.Barrier(4)

    def run(_: int) -> tuple[int, list[str]]:
        barrier.wait()  # all four search at once
        result = st.search("客户", limit=20, facets=True)
        return id(st.engine()), [h.clause_id for h in result.hits]

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(run, range(4)))
    assert len({engine for engine, _ in answers}) == 4
    assert all(hits == expected for _, hits in answers)
    assert st.engines() == 5  # this thread's and the four workers'
    st.close()
    assert st.engines() == 0


def test_an_engine_is_reopened_when_the_index_changes(tmp_path: Path):
    idx = small_index(tmp_path, ("a.txt",))
    st = IndexState(idx)
    first = st.engine()
    assert st.search("市场调研").total == 0
    small_index(tmp_path, ("a.txt", "b.txt"))
    assert st.search("市场调研").total == 1
    assert st.engine() is not first and st.engines() == 1  # the stale one was closed
    st.close()


def test_search_cache_can_be_off(index_dir: Path):
    c = TestClient(create_app(index_dir, search_cache=0))
    for _ in range(2):
        assert c.get("/api/search", params={"q": "回款"}).headers["x-cache"] == "miss"


def test_response_cache_is_bounded():
    from jdsearch.web.state import ResponseCache

    cache = ResponseCache(2)
    for k in "abc":
        cache.put(k, k.encode())
    assert cache.get("a") is None and cache.get("b") == b"b" and cache.get("c") == b"c"
    cache.get("b")
    cache.put("d", b"d")  # "c" was the least recently used
    assert cache.get("c") is None and cache.get("b") == b"b"


# --------------------------------------------------------------------------- docs, pages, assets
def test_openapi_lists_every_endpoint(client: TestClient):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths) == {
        "/api/health",
        "/api/search",
        "/api/clauses/{clause_id}",
        "/api/dupes",
        "/api/themes",
        "/api/themes/{theme_id}",
        "/api/export",
        "/api/decisions",
    }
    for path in paths.values():
        for op in path.values():
            assert "422" not in op["responses"]  # bad parameters are 400 here
    params = {p["name"] for p in paths["/api/search"]["get"]["parameters"]}
    assert params >= {"q", "kind", "lang", "source", "theme", "collapse", "limit", "offset"}
    docs = client.get("/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]


@pytest.mark.parametrize("path", ["/", "/dupes", "/themes", "/downloads", "/docs"])
def test_pages_and_security_headers(client: TestClient, path: str):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    # no inline scripts (the CSP forbids them): every <script> tag loads a file
    for tag in re.findall(r"<script\b[^>]*>", r.text, flags=re.IGNORECASE):
        assert re.search(r"\ssrc=", tag), f"inline script {tag}"
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", r.text, flags=re.IGNORECASE)  # nor handlers


def test_no_asset_is_fetched_from_elsewhere():
    """No CDN: pages and scripts reference only this server."""
    for f in STATIC.iterdir():
        text = f.read_text("utf-8")
        for needle in ('src="http', 'href="http', "url(http", 'import("http', 'from "http'):
            assert needle not in text, f"{f.name} loads {needle}…"


def test_plotly_comes_from_the_plotly_package(client: TestClient):
    import plotly

    bundled = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    assert not (STATIC / "plotly.min.js").exists()  # served from the package, not copied
    r = client.get("/static/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.content == bundled  # httpx decodes the gzip body
    assert int(r.headers["content-length"]) < len(bundled) / 2
    again = client.get("/static/plotly.min.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("name", ["app.css", "common.js", "search.js", "themes.js"])
def test_text_assets_are_compressed(client: TestClient, name: str):
    r = client.get(f"/static/{name}", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.content == (STATIC / name).read_bytes()


def test_json_is_compressed(client: TestClient):
    """The bytes on the wire are gzip (httpx would decode them silently: read them raw)."""
    params = {"q": "客户", "limit": 50}
    with client.stream(
        "GET", "/api/search", params=params, headers={"Accept-Encoding": "gzip"}
    ) as r:
        wire = b"".join(r.iter_raw())
        assert r.headers["content-encoding"] == "gzip"
        assert r.headers["vary"] == "Accept-Encoding"
    plain = client.get("/api/search", params=params, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert len(plain.content) > 10_000
    assert gzip.decompress(wire) == plain.content
    assert len(wire) < len(plain.content) / 3


def raw_get(app: Any, raw_path: str) -> tuple[int, bytes]:
    """GET ``raw_path`` exactly as a client wrote it, in the ASGI scope uvicorn builds from it
    (``path`` percent-decoded, dot segments kept). An HTTP client library would remove the
    dot segments before sending, so the test would never reach the server with them."""
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("ascii"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, body


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/../../store.py",
        "/static/..",
        "/static/%2e%2e",
        "/static/..%2fapp.py",
        "/static/%2e%2e/app.py",
        "/static/%2e%2e%2fstate.py",
        "/static/..%2f..%2fstore.py",
        "/static/..%5capp.py",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/search.html",
        "/static/missing.js",
    ],
)
def test_static_serves_nothing_outside_the_package(client: TestClient, path: str):
    status, body = raw_get(client.app, path)
    assert status == 404
    assert set(json.loads(body)) == {"error"}
    assert b"import" not in body and b"root:" not in body


def test_cors_is_off_unless_configured(index_dir: Path, client: TestClient):
    origin = {"Origin": "https://elsewhere.example"}
    r = client.get("/api/health", headers=origin)
    assert "access-control-allow-origin" not in r.headers
    allowed = TestClient(create_app(index_dir, cors_origins=["https://elsewhere.example"]))
    r = allowed.get("/api/health", headers=origin)
    assert r.headers["access-control-allow-origin"] == "https://elsewhere.example"


# --------------------------------------------------------------------------- serve()
def served(index_dir: Path, host: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str, int]:
    """The app ``serve()`` builds and the address it bound (uvicorn itself is not started)."""
    calls: list[tuple[Any, str, int]] = []

    def run(app: Any, sock: socket.socket, *, access_log: bool = True) -> None:
        calls.append((app, *sock.getsockname()[:2]))

    monkeypatch.setattr(web_app, "run_uvicorn", run)
    web_app.serve(index_dir, host=host, port=0)
    assert len(calls) == 1
    return calls[0]


def test_serve_on_loopback_refuses_other_hosts_with_json(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    """The Host list serve() wires for loopback defeats DNS rebinding, answering a JSON 400."""
    app, host, port = served(index_dir, "127.0.0.1", monkeypatch)
    assert host == "127.0.0.1" and port > 0
    c = TestClient(app)
    for ok in (f"127.0.0.1:{port}", "127.0.0.1", f"localhost:{port}", "LocalHost", f"[::1]:{port}"):
        assert c.get("/api/health", headers={"Host": ok}).status_code == 200, ok
    for bad in ("rebound.example", f"rebound.example:{port}", "127.0.0.1.nip.io", "[::2]:80"):
        r = c.get("/api/health", headers={"Host": bad})
        assert "invalid Host header" in assert_error(r, 400)
        assert r.headers["x-content-type-options"] == "nosniff"  # security headers still set


def test_serve_off_loopback_warns_and_takes_any_host(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    served(index_dir, "127.0.0.1", monkeypatch)
    assert capsys.readouterr().err == ""
    app, host, _ = served(index_dir, "0.0.0.0", monkeypatch)
    assert host == "0.0.0.0"
    assert "warning: serving on 0.0.0.0" in capsys.readouterr().err
    r = TestClient(app).get("/api/health", headers={"Host": "jd-server.lan:8000"})
    assert r.status_code == 200


def raw_request(
    base: tuple[str, int], method: str, path: str, host: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request sent as written: http.client neither normalises the path nor decodes."""
    conn = http.client.HTTPConnection(*base, timeout=30)
    try:
        conn.request(method, path, headers={"Host": host} if host else {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_real_server_over_the_wire(index_dir: Path, client: TestClient):
    """``jdsearch serve`` itself (uvicorn, the Host list serve() wires) answering requests a
    browser never sends: raw dot segments, HEAD, a rebinding Host header."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "jdsearch.cli", "serve", "--index", str(index_dir)]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = ("127.0.0.1", port)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if raw_request(base, "GET", "/api/health")[0] == 200:
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        for path in ("/static/../app.py", "/static/%2e%2e/state.py", "/static/..%2fstore.py"):
            status, _, body = raw_request(base, "GET", path)
            assert status == 404 and b"import" not in body, path
        for path in ("/", "/api/health", "/static/app.css"):
            status, headers, body = raw_request(base, "HEAD", path)
            assert status == 200 and body == b"" and int(headers["content-length"]) > 0, path
        status, headers, body = raw_request(base, "GET", "/api/health", host="rebound.example")
        assert status == 400 and headers["content-type"] == "application/json"
        assert "invalid Host header" in json.loads(body)["error"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        assert proc.stderr is not None
        proc.stderr.close()


def test_host_name():
    assert host_name("LocalHost:8000") == "localhost"
    assert host_name("[::1]:8000") == "[::1]"
    assert host_name("[::1]") == "[::1]"
    assert host_name("[::1") == ""
    assert host_name("") == ""


def test_serve_on_a_busy_port_exits_1_with_one_line(index_dir: Path):
    """Through the real CLI: the port is checked before the (slow) warm-up and uvicorn."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cmd = [sys.executable, "-m", "jdsearch.cli", "serve", "--index", str(index_dir)]
        r = subprocess.run(
            [*cmd, "--port", str(port)], capture_output=True, text=True, timeout=120, check=False
        )
    assert r.returncode == 1, r.stderr
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: cannot listen on 127.0.0.1:")
    assert f":{port}: address already in use" in lines[0]
    assert "Traceback" not in r.stderr


def test_serve_without_index_fails_fast(tmp_path: Path):
    with pytest.raises(JdsearchError, match="no index"):
        web_app.serve(tmp_path / "none")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("192.168.1.4", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool):
    assert is_loopback(host) is loopback


# --------------------------------------------------------------------------- helpers
def test_char_diff_separates_script_from_wording():
    d = char_diff("负责客户档案管理。", "負責客戶檔案的管理工作。", ("zh-Hans", "zh-Hant"))
    assert d == {"changed": [[6, 7], [9, 11]], "script": [[0, 2], [3, 5]], "missing": 0}
    assert char_diff("负责客户档案管理", "Manage customer files", ("zh-Hans", "en")) is None
    en = char_diff("Collect market information.", "Collect market data.", ("en", "en"))
    assert en is not None
    assert en["changed"] == [[15, 19]] and en["missing"] == len("information")


def test_theme_map_keeps_the_largest_groups():
    def group(gid: str, n: int) -> dict[str, object]:
        return {
            "group_id": gid,
            "canonical": {"clause_id": gid, "text": gid, "lang": "en"},
            "variants": [{}] * n,
        }

    tax = {
        "scheme": {"title": "t"},
        "areas": [
            {
                "area_id": "A",
                "label_en": "a",
                "label_zh": "甲",
                "size": 6,
                "themes": [
                    {
                        "theme_id": "T",
                        "label_en": "x",
                        "label_zh": "乙",
                        "size": 6,
                        "groups": [group("g1", 3), group("g2", 2), group("g3", 1)],
                    }
                ],
            }
        ],
    }
    out = theme_map_json(tax, max_groups=2)
    theme = out["areas"][0]["themes"][0]  # type: ignore[index]
    assert [g["size"] for g in theme["groups"]] == [3, 2]
    assert theme["groups_total"] == 3 and theme["other_size"] == 1
    assert out["areas"][0]["label_zh"] == "甲"  # type: ignore[index]


def test_highlight_is_escaped_html(tmp_path: Path):
    """Clause text is data: the API's highlight carries it escaped, with only our <mark>."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "x.txt").write_text(
        '岗位职责\n1、负责客户<img src=x onerror="alert(`x`)">档案与<script>x()</script>回款管理。\n',
        "utf-8",
    )
    idx = tmp_path / "index"
    Corpus(idx).ingest([docs])
    c = TestClient(create_app(idx))
    hit = c.get("/api/search", params={"q": "回款"}).json()["hits"][0]
    assert "<img" in hit["text"]  # the text itself is returned as written
    marked = hit["highlight"]
    assert "<img" not in marked and "<script" not in marked
    assert "&lt;img src=x onerror=&quot;alert(`x`)&quot;&gt;" in marked
    assert re.sub(r"</?mark>", "", marked).count("<") == 0
    assert "<mark>回款</mark>" in marked


ENDPOINTS = [
    "/api/health",
    "/api/search?q=客户",
    "/api/dupes",
    "/api/themes",
    "/api/export?format=csv",
    "/api/export?format=skos",
    "/",
    "/themes",
    "/dupes",
]


def test_a_routine_re_ingest_never_breaks_the_running_app(tmp_path: Path):
    """With the server running: one line added to one file and `jdsearch ingest` run. Every
    endpoint keeps answering (200), stale while the ingest is under way, current after."""
    idx = small_index(tmp_path)
    docs = tmp_path / "docs"
    with TestClient(create_app(idx, search_threads=2)) as c:
        clause_id = Corpus(idx).clauses()[0].clause_id
        theme = c.get("/api/themes").json()["areas"][0]["themes"][0]["theme_id"]
        urls = [*ENDPOINTS, f"/api/clauses/{clause_id}", f"/api/themes/{theme}"]
        for url in urls:
            assert c.get(url).status_code == 200, url
        with (docs / "a.txt").open("a", encoding="utf-8") as fh:
            fh.write("4、负责新门店的开业筹备。\n")
        # the middle of an ingest: clauses changed, groups and themes not yet brought up to date
        Corpus(idx).ingest([docs], update_stages=False)
        for url in urls:
            r = c.get(url)
            assert r.status_code == 200, (url, r.text[:200])
        assert c.get("/api/dupes").json()["stale"] is True
        assert c.get("/api/themes").json()["stale"] is True
        Corpus(idx).ingest([docs])  # what the user runs: every stage current again
        # the themes may have been refitted (a line is a large change to two postings): a
        # theme of the new fit answers; the old id answers only if the refit kept it
        theme = c.get("/api/themes").json()["areas"][0]["themes"][0]["theme_id"]
        for url in [*urls[:-1], f"/api/themes/{theme}"]:
            assert c.get(url).status_code == 200, url
        assert c.get("/api/dupes").json()["stale"] is False
        assert c.get("/api/themes").json()["stale"] is False
        hits = c.get("/api/search", params={"q": "开业筹备"}).json()["hits"]
        assert [h["text"] for h in hits] == ["负责新门店的开业筹备。"]
