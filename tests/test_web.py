"""The HTTP API: every endpoint, each error case, the shared serialiser, security and assets."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import RDF, Graph
from rdflib.namespace import SKOS

from jdsearch import Corpus
from jdsearch.serialize import clause_json, group_json, hit_json, theme_json
from jdsearch.store import JdsearchError
from jdsearch.web import app as web_app
from jdsearch.web.app import build_query, create_app, exact_total, is_loopback
from jdsearch.web.diff import char_diff
from jdsearch.web.shapes import theme_map_json
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

def write_fixture_jds(folder: Path) -> Path:
    """The extra JD files, in a folder whose name needs quoting in a source: filter."""
    extra = folder / "extra jds"
    extra.mkdir(parents=True, exist_ok=True)
    (extra / "xss_jd.txt").write_text(XSS_JD, "utf-8")
    (extra / "tw_jd.txt").write_text(TW_JD, "utf-8")
    return extra


def build_web_index(root: Path) -> Path:
    """The sample corpus plus the fixture JDs, ingested into ``root/index``."""
    idx = root / "index"
    Corpus(idx).ingest([CORPUS, write_fixture_jds(root)])
    return idx


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_web_index(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def client(index_dir: Path) -> TestClient:
    return TestClient(create_app(index_dir), raise_server_exceptions=False)


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
    c = TestClient(create_app(tmp_path / "nothing"), raise_server_exceptions=False)
    for url in ("/api/health", "/api/search?q=x", "/api/dupes", "/api/themes", "/api/export"):
        assert "no index" in assert_error(c.get(url), 503)
    assert c.get("/").status_code == 200  # the page still loads and shows the error


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
    assert set(data["facets"]) == {"kind", "lang", "theme", "source"}
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


def test_exact_total_prefers_the_kind_facet():
    assert exact_total(13, {"kind": {"duty": 5, "other": 1}}, collapse=False) == 6
    assert exact_total(13, {"kind": {"duty": 5}}, collapse=True) == 13
    assert exact_total(13, {}, collapse=False) == 13


# --------------------------------------------------------------------------- clauses and dupes
def test_unknown_clause_is_404(client: TestClient):
    assert "unknown clause" in assert_error(client.get("/api/clauses/0000000000000000"), 404)
    assert_error(client.get("/api/clauses/" + "a" * 65), 400)


def test_clause_with_group_and_theme(client: TestClient, index_dir: Path):
    corpus = Corpus(index_dir)
    groups = corpus.dupes()
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
    grouped = {m.clause_id for g in corpus.dupes() for m in g.members}
    single = next(c for c in corpus.clauses() if c.clause_id not in grouped)
    data = client.get(f"/api/clauses/{single.clause_id}").json()
    assert data["clause"]["text"] == single.text
    assert data["group"] is None and data["diffs"] == {}


def test_dupes_list_is_the_cli_groups(client: TestClient, index_dir: Path):
    corpus = Corpus(index_dir)
    by_id = {c.clause_id: c for c in corpus.clauses()}
    groups = corpus.dupes()
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
    }
    for path in paths.values():
        assert "422" not in path["get"]["responses"]  # bad parameters are 400 here
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
    assert "<script>" not in r.text  # no inline scripts: the CSP forbids them


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
    r = client.get(
        "/api/search", params={"q": "客户", "limit": 50}, headers={"Accept-Encoding": "gzip"}
    )
    assert r.headers["content-encoding"] == "gzip"
    raw = client.get(
        "/api/search", params={"q": "客户", "limit": 50}, headers={"Accept-Encoding": ""}
    )
    assert len(gzip.compress(raw.content)) < len(raw.content)


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/..%2fapp.py",
        "/static/%2e%2e%2fstate.py",
        "/static/..%2f..%2fstore.py",
        "/static/search.html",
        "/static/missing.js",
        "/static//etc/passwd",
    ],
)
def test_static_serves_nothing_outside_the_package(client: TestClient, path: str):
    r = client.get(path)
    assert r.status_code == 404
    assert "import" not in r.text and "root:" not in r.text


def test_cors_is_off_unless_configured(index_dir: Path, client: TestClient):
    origin = {"Origin": "https://elsewhere.example"}
    r = client.get("/api/health", headers=origin)
    assert "access-control-allow-origin" not in r.headers
    allowed = TestClient(create_app(index_dir, cors_origins=["https://elsewhere.example"]))
    r = allowed.get("/api/health", headers=origin)
    assert r.headers["access-control-allow-origin"] == "https://elsewhere.example"


def test_trusted_hosts(index_dir: Path):
    c = TestClient(create_app(index_dir, allowed_hosts=["127.0.0.1", "localhost"]))
    assert c.get("/api/health", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert c.get("/api/health", headers={"Host": "rebound.example"}).status_code == 400


# --------------------------------------------------------------------------- serve()
def test_serve_warns_off_loopback(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    import uvicorn

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    web_app.serve(index_dir, host="127.0.0.1", port=8123)
    assert capsys.readouterr().err == ""
    web_app.serve(index_dir, host="0.0.0.0", port=8124)
    assert "warning: serving on 0.0.0.0" in capsys.readouterr().err
    assert [(c["host"], c["port"]) for c in calls] == [("127.0.0.1", 8123), ("0.0.0.0", 8124)]


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
