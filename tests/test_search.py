"""Search over the sample corpus: scripts, wording, phrases, filters, typos, highlights, updates."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jdsearch import Corpus, JdsearchError
from jdsearch.normalize import normalize
from jdsearch.search import QuerySyntaxError, parse_query
from tests.conftest import CORPUS, corpus_file


def texts(corpus: Corpus, query: str, **kw) -> list[str]:
    return [h.text for h in corpus.search(query, limit=50, **kw).hits]


def test_traditional_query_finds_simplified_and_back(engine_index: Corpus):
    hits = engine_index.search("客戶檔案", limit=50).hits
    langs = {h.lang for h in hits}
    assert {"zh-Hans", "zh-Hant"} <= langs
    assert any("客户档案" in h.text for h in hits)
    simplified = engine_index.search("客户档案", limit=50).hits
    assert {h.clause_id for h in hits} == {h.clause_id for h in simplified}
    assert any("客戶檔案" in h.text for h in simplified)


def test_taiwan_wording_meets_mainland(engine_index: Corpus):
    found = texts(engine_index, "資訊")
    assert any("市場資訊收集" in t for t in found)  # Taiwan wording itself
    assert any("信息" in t and "資訊" not in t for t in found)  # mainland 信息 clauses too


def test_domain_terms_are_whole(engine_index: Corpus):
    found = texts(engine_index, "窜货")
    assert found and all("窜货" in t or "竄貨" in t for t in found)
    assert any("进销存" in t for t in texts(engine_index, "进销存"))


def test_compound_query_also_matches_its_parts(engine_index: Corpus):
    # coarse word OR its sub-words: 客户管理 as a unit is rare, its parts are common
    found = texts(engine_index, "客户管理")
    assert any("客户" in t and "管理" in t for t in found)


def test_english_stemming_and_typos(engine_index: Corpus):
    assert any("competitors" in t for t in texts(engine_index, "competitor"))
    typo = texts(engine_index, "competiter")
    assert any("competitor" in t.lower() for t in typo)
    assert len(typo) <= len(texts(engine_index, "competitor")) + 20  # no flood


def test_iso_and_kpi_are_findable(engine_index: Corpus):
    assert any("ISO" in t for t in texts(engine_index, "iso"))
    assert any("KPI" in t for t in texts(engine_index, "kpi"))


def test_phrases(engine_index: Corpus):
    found = texts(engine_index, '"customer files"')
    assert found and all("customer files" in t.lower() for t in found)
    assert texts(engine_index, '"files customer"') == []


def test_all_terms_then_any_term_fallback(engine_index: Corpus):
    r = engine_index.search("回款 经销商")
    assert r.mode == "all"
    assert all(("回款" in h.text) and ("经销商" in h.text) for h in r.hits)
    r = engine_index.search("回款 zzzyyyxxx")
    assert r.mode == "any" and r.hits


def test_filters(engine_index: Corpus):
    hant = engine_index.search("客户", lang="zh-Hant", limit=50).hits
    assert hant and {h.lang for h in hant} == {"zh-Hant"}
    req = engine_index.search("经验 kind:requirement", limit=50).hits
    assert req and {h.kind for h in req} == {"requirement"}
    sec = engine_index.search("客戶 section:城市經理", limit=50).hits
    assert sec and all("城市經理" in h.section for h in sec)
    doc = sec[0].doc_id
    assert {h.doc_id for h in engine_index.search(f"客戶 doc:{doc}", limit=50).hits} == {doc}
    excluded = texts(engine_index, "客户 -档案")
    assert excluded and not any("档案" in t or "檔案" in t for t in excluded)


def test_highlight_marks_original_script(engine_index: Corpus):
    hits = engine_index.search("客户档案", limit=50).hits
    trad = next(h for h in hits if "客戶檔案" in h.text)
    assert "<mark>客戶檔案</mark>" in trad.highlight
    assert any(trad.text[s:e] == "客戶檔案" for s, e in trad.spans)


def test_collapse_folds_identical_clauses(engine_index: Corpus):
    plain = engine_index.search("窜货", limit=50).hits
    folded = engine_index.search("窜货", limit=50, collapse=True).hits
    assert len(folded) < len(plain)
    top = folded[0]
    assert top.variants >= 2 and top.documents >= 2


def test_bad_queries_are_clear_errors(engine_index: Corpus):
    for q, msg in [
        ("", "empty"),
        ("   ", "empty"),
        ('"unbalanced', "quote"),
        ("lang:xx 客户", "lang:"),
        ("kind:boss", "kind:"),
        ("x" * 600, "too long"),
        ("section: ", "needs a value"),
        ("。，、", "no searchable"),
    ]:
        with pytest.raises(QuerySyntaxError, match=msg):
            engine_index.search(q)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(
        st.characters(codec=None, exclude_categories=())  # lone surrogates and controls too
        | st.sampled_from('"-:客户檔案lang:kind:title: -培训'),
        max_size=80,
    )
)
def test_no_query_crashes(engine_index: Corpus, q: str):
    """Any string a user, a script or a fuzzer sends: results or the package's own error."""
    with contextlib.suppress(JdsearchError):
        engine_index.search(q, limit=5, facets=True)


def test_lone_surrogates_and_controls_are_the_packages_errors(engine_index: Corpus):
    from jdsearch.search import QuerySyntaxError

    with pytest.raises(QuerySyntaxError, match="invalid characters"):
        engine_index.search("客户\ud800")
    assert engine_index.search("客户\x00\x1b[31m").total == engine_index.search("客户 31m").total


@given(st.text(alphabet='"-: abc客户lang:kind', max_size=40))
def test_parser_only_raises_syntax_errors(q: str):
    with contextlib.suppress(QuerySyntaxError):
        parse_query(q)


def test_missing_search_index_is_an_error(tmp_path: Path):
    with pytest.raises(JdsearchError, match="no index"):
        Corpus(tmp_path).search("客户")


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_incremental_update(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str):
    if engine == "tantivy":
        pytest.importorskip("tantivy", reason="the tantivy extra is not installed")
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    corpus = Corpus(tmp_path / "idx")
    corpus.ingest([docs], engine=engine)
    # from here on a changed file updates the index in place: a rebuild would be a failure
    from jdsearch import index as search_index

    def no_rebuild(*a, **kw):
        raise AssertionError("full rebuild on an incremental ingest")

    monkeypatch.setattr(search_index, "rebuild", no_rebuild)
    assert texts(corpus, "组织召开区域经销商会议")
    target = docs / corpus_file("003").name
    target.write_text(
        target.read_text("utf-8").replace("组织召开区域经销商会议。", "组织召开区域代理商年会。"),
        "utf-8",
    )
    corpus.ingest([docs])
    assert not any("组织召开区域经销商会议" in t for t in texts(corpus, "召开 经销商 会议"))
    assert any("组织召开区域代理商年会" in t for t in texts(corpus, "代理商年会"))
    target.unlink()
    corpus.ingest([docs])
    assert not any(h.source.endswith(target.name) for h in corpus.search("代理商", limit=200).hits)
    monkeypatch.undo()
    n = corpus.reindex()
    assert n == len(corpus.clauses())


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_pending_changes_survive_a_crash_before_the_index_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str
):
    """SQLite committed, the index update never ran: a read repairs it (no writer at work),
    or — while a writer holds the lock — says the results are stale; never silently wrong."""
    from jdsearch import index as search_index
    from jdsearch.lock import WriteLock

    if engine == "tantivy":
        pytest.importorskip("tantivy", reason="the tantivy extra is not installed")
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    corpus = Corpus(tmp_path / "idx")
    corpus.ingest([docs], engine=engine)
    target = docs / corpus_file("003").name
    target.write_text(
        target.read_text("utf-8").replace("组织召开区域经销商会议。", "组织召开区域代理商年会。"),
        "utf-8",
    )

    def crash(*a, **kw):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(search_index, "sync", crash)
        with pytest.raises(KeyboardInterrupt):
            corpus.ingest([docs])
    with WriteLock(tmp_path / "idx", "test"):  # a writer at work: the read cannot repair
        r = corpus.search("代理商年会")
        assert r.stale and "behind" in r.warning
    r = corpus.search("代理商年会")  # the lock is free: the read applies the queued change
    assert not r.stale and any("组织召开区域代理商年会" in h.text for h in r.hits)
    (docs / "new.txt").write_text("1、负责组织年度代理商大会。\n", "utf-8")
    corpus.ingest([docs])
    assert any("代理商大会" in t for t in texts(corpus, "代理商大会"))
    assert not any("组织召开区域经销商会议" in t for t in texts(corpus, "召开 经销商 会议"))


def test_totals_are_exact_and_arguments_narrow_typed_filters(engine_index: Corpus):
    for q in ("客户档案", "销售 计划", "customer", "区域经理"):
        r = engine_index.search(q, limit=1000)
        assert r.total == len(r.hits)
        collapsed = engine_index.search(q, limit=1000, collapse=True)
        assert collapsed.total == len(collapsed.hits) <= r.total
    r = engine_index.search("客户", facets=True)
    assert sum(r.facets["lang"].values()) == r.total == sum(r.facets["kind"].values())
    assert engine_index.search("lang:zh-Hans 客户", lang="en").total == 0
    both = engine_index.search("lang:zh-Hans lang:en 客户").total
    assert both == sum(engine_index.search("客户", lang=x).total for x in ("zh-Hans", "en"))


def test_unspaced_chinese_falls_back_to_any_word(engine_index: Corpus):
    r = engine_index.search("客户档案回款", limit=50)
    assert r.mode == "any" and r.total > 0
    assert r.total == engine_index.search("客户档案 回款", limit=50).total


def test_stopword_only_query_is_an_error(engine_index: Corpus):
    for q in ("the", "a", "的"):
        with pytest.raises(QuerySyntaxError, match="no searchable words"):
            engine_index.search(q)


def test_chinese_phrase_in_both_scripts(engine_index: Corpus):
    found = texts(engine_index, '"建立客户档案"')
    assert any("建立客户档案" in t for t in found)
    # a phrase is the characters in a row, in either script: every hit holds it
    assert all("建立客户档案" in normalize(t) for t in found)
    assert texts(engine_index, '"建立客戶檔案"') == found
    assert not any("客户档案" in t and "建立" not in t for t in found)


@pytest.mark.parametrize("victim", ["toc", "seg"])
def test_corrupt_search_index_is_a_clear_error(tmp_path: Path, victim: str):
    import subprocess
    import sys

    idx = tmp_path / "idx"
    Corpus(idx).ingest([corpus_file("001")])
    files = [p for p in (idx / "search").rglob("*") if p.suffix == f".{victim}"]
    assert files
    for p in files:
        p.write_bytes(b"\x13\x37garbage" * 64)
    # in a subprocess: Whoosh leaks the handles of files it failed to parse
    r = subprocess.run(
        [sys.executable, "-m", "jdsearch.cli", "search", "客户", "--index", str(idx)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 1
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert "corrupt search index" in r.stderr and "jdsearch reindex" in r.stderr


JUDGED = [
    "客戶檔案",
    "客户档案",
    "回款",
    "竄貨",
    "竞争对手",
    "經銷商",
    "市場資訊",
    "培训",
    "促销活动",
    "绩效考核",
    "进销存",
    "終端",
    "行銷",
    "招聘",
    "费用预算",
    "售后服务",
    "客户关系",
    "competitor",
    '"customer files"',
    "training",
    "sales target",
    "payment collection",
    "iso",
    "competiter",
    "看板",
    "客户 -档案",
    '"客户 档案"',
    "经验 kind:requirement",
    "客戶 section:城市經理",
]


def test_both_engines_find_the_same_clauses(tmp_path_factory: pytest.TempPathFactory):
    """Same documents, same analysed queries: the engines may rank differently, but they
    must match the same clauses and count them the same."""
    pytest.importorskip("tantivy", reason="the tantivy extra is not installed")
    corpora = {}
    for engine in ("whoosh", "tantivy"):
        corpora[engine] = Corpus(tmp_path_factory.mktemp(f"same-{engine}"))
        corpora[engine].ingest([CORPUS], engine=engine)
    for q in JUDGED:
        w, t = (corpora[e].search(q, limit=1000) for e in ("whoosh", "tantivy"))
        assert w.total == t.total, q
        assert {h.clause_id for h in w.hits} == {h.clause_id for h in t.hits}, q
        assert w.mode == t.mode, q


def test_users_wording_table_is_recorded_and_applied(tmp_path: Path):
    """A TSV of the user's own wording pairs, given once at ingest, is kept by the index: later
    ingests and every query use it; changing it re-parses the files."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("岗位职责\n1、负责拓展区域代理商渠道。\n", "utf-8")
    (docs / "b.txt").write_text("岗位职责\n1、负责维护重点经销商关系。\n", "utf-8")
    corpus = Corpus(tmp_path / "idx")
    corpus.ingest([docs])
    assert corpus.search("经销商").total == 1
    report = corpus.ingest([docs], variants={"代理商": "经销商"})
    assert report.updated == 2  # the table changed what the files parse to
    hits = corpus.search("经销商").hits
    assert len(hits) == 2 and any("代理商" in h.text for h in hits)
    (docs / "c.txt").write_text("岗位职责\n1、负责代理商培训。\n", "utf-8")
    corpus.ingest([docs])  # no table given: the recorded one still applies
    assert Corpus(tmp_path / "idx").search("经销商").total == 3
