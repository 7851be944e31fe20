"""jdsearch on Spark (local[2]) gives what the local pipeline gives on the sample corpus: the same
clause table, the same duplicate groups and themes, and a loaded index that searches."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from jdsearch import Corpus
from jdsearch import spark as S
from jdsearch.serialize import clause_json, group_json
from tests.conftest import CORPUS

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'jdsearch[spark]')")
_NO_JAVA = S.java_problem()
if _NO_JAVA:
    pytest.skip(f"{_NO_JAVA} (make test installs it where apt-get works)", allow_module_level=True)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning")


@pytest.fixture(scope="module")
def spark():  # type: ignore[no-untyped-def]
    """One local[2] session for the module (a JVM start costs ~20 s on a loaded machine); the
    CLI run in-process below reuses it. Few shuffle partitions: the sample corpus is small."""
    session = S.session("local[2]")
    session.conf.set("spark.sql.shuffle.partitions", "4")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def work(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A user's folder holding ./corpus (the sample corpus and two postings whose duties meet
    across scripts); the tests below run from it, as users do."""
    root = tmp_path_factory.mktemp("spark")
    shutil.copytree(CORPUS, root / "corpus")
    (root / "corpus" / "hans.txt").write_text(
        "销售代表\n岗位职责：\n1. 负责维护客户档案，定期回访重点客户\n2. 完成部门销售目标\n",
        "utf-8",
    )
    (root / "corpus" / "hant.txt").write_text(
        "業務代表\n工作內容：\n1. 負責維護客戶檔案，定期回訪重點客戶\n2. 配合主管安排出差\n",
        "utf-8",
    )
    before = os.getcwd()
    os.chdir(root)
    yield root
    os.chdir(before)


@pytest.fixture(scope="module")
def ran(spark, work):  # type: ignore[no-untyped-def]
    """The `jdsearch spark` and `jdsearch load` --help examples, run in this process (so on the
    module's session): ingest, dupes, themes into ./spark-out, then load into ./spark-index."""
    import re

    from click.testing import CliRunner

    from jdsearch.cli import main
    from tests.test_cli_contract import examples

    results = {}
    for line in examples("spark") + examples("load"):
        args = [a.strip("'") for a in re.findall(r"'[^']*'|\S+", line)][1:]
        r = CliRunner().invoke(main, args)
        results[line] = (r.exit_code, f"{r.output[-2000:]} {r.exception!r}")
    return results


@pytest.fixture(scope="module")
def out(ran, work):  # type: ignore[no-untyped-def]
    assert all(code == 0 for code, _ in ran.values()), ran
    return work / "spark-out"


@pytest.fixture(scope="module")
def local(work) -> Corpus:  # type: ignore[no-untyped-def]
    corpus = Corpus(work / "local-index")
    corpus.ingest([Path("corpus/")])
    return corpus


def _key(obj: dict) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def test_clause_table_equals_local(spark, out, local) -> None:  # type: ignore[no-untyped-def]
    docs = {d.doc_id: d for d in local.documents()}
    want = sorted(_key(clause_json(c, docs[c.doc_id])) for c in local.clauses())
    got = sorted(_key(r) for r in S.clause_rows(spark, str(out)))
    assert len(got) > 500
    assert got == want


def test_groups_equal_local(spark, out, local) -> None:  # type: ignore[no-untyped-def]
    by_id = {c.clause_id: c for c in local.clauses()}
    want = sorted(_key(group_json(g, by_id)) for g in local.dupes())
    got = sorted(_key(g) for g in S.read_groups(spark, str(out)))
    assert len(got) > 20
    assert got == want
    relations = {m["relation"] for g in S.read_groups(spark, str(out)) for m in g["members"]}
    assert {"exact", "near", "variant", "cross-script"} <= relations
    sources = {c.clause_id: c.source for c in local.clauses()}
    assert any(  # the two scripts' copies of one duty meet, as locally
        {"hans.txt", "hant.txt"} <= {Path(sources[m["clause_id"]]).name for m in g["members"]}
        for g in S.read_groups(spark, str(out))
    )


def test_components_by_label_propagation(spark) -> None:  # type: ignore[no-untyped-def]
    nodes = spark.createDataFrame([(i,) for i in range(1, 10)], "id long")
    edges = spark.createDataFrame([(9, 5), (5, 7), (7, 3), (2, 4), (8, 6)], "a long, b long")
    labels = dict(S.components(spark, nodes, edges).collect())
    assert labels == {1: 1, 2: 2, 3: 3, 4: 2, 5: 3, 6: 6, 7: 3, 8: 6, 9: 3}


def test_components_match_scipy_on_long_chains_and_a_random_graph(spark) -> None:  # type: ignore[no-untyped-def]
    """Shortcutting must not merge or split components: a 300-node path with ids in a shuffled
    order (the worst case for plain propagation) and a sparse random graph, against scipy."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(7)
    n = 900
    path = rng.permutation(np.arange(300))
    chain = list(zip(path[:-1].tolist(), path[1:].tolist(), strict=True))
    rand = rng.integers(300, n, size=(500, 2)).tolist()
    pairs = [(int(a), int(b)) for a, b in chain + rand if a != b]
    nodes = spark.createDataFrame([(i,) for i in range(n)], "id long")
    labels = dict(S.components(spark, nodes, spark.createDataFrame(pairs, "a long, b long"))
                  .collect())
    a, b = np.array(pairs).T
    _, comp = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)),
                                   directed=False)
    want = {i: int(np.flatnonzero(comp == comp[i]).min()) for i in range(n)}
    assert labels == want


def test_themes_equal_local_and_load_searches(out, local, work) -> None:  # type: ignore[no-untyped-def]
    want = {(t.theme_id, t.label_en, t.label_zh, t.canonical_id, t.size) for t in local.themes()}
    model = json.loads((out / "themes.json").read_text("utf-8"))
    got = {(t["theme_id"], t["label_en"], t["label_zh"], t["canonical_id"], t["size"])
           for t in model["themes"]}
    assert got == want
    assert (out / "taxonomy.ttl").read_text("utf-8").count("skos:Concept") > 5
    loaded = Corpus(work / "spark-index")  # written by the `jdsearch load` example
    assert loaded.stats()["clauses"] == local.stats()["clauses"]
    from jdsearch import stages

    store = loaded.store()  # loaded, not recomputed on first use
    assert stages.is_current(store, "dupes") and stages.is_current(store, "themes")
    hits = [h.clause_id for h in loaded.search("客戶檔案", limit=5).hits]
    assert hits == [h.clause_id for h in local.search("客戶檔案", limit=5).hits] and hits
    assert {g.group_id for g in loaded.dupes()} == {g.group_id for g in local.dupes()}
    assert {t.theme_id: t.size for t in loaded.themes()} == {t.theme_id: t.size
                                                             for t in local.themes()}


def test_missing_input_is_a_one_line_error(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from jdsearch.store import JdsearchError

    with pytest.raises(JdsearchError, match="nothing to ingest"):
        S.ingest(spark, [str(tmp_path / "nope")], str(tmp_path / "o"))


def test_help_examples_run(ran) -> None:  # type: ignore[no-untyped-def]
    """Every `spark` and `load` example ran and exited 0 (the other tests check what they
    wrote)."""
    assert len(ran) == 4, list(ran)
    assert [line.split()[1:3] for line in ran] == [
        ["spark", "ingest"], ["spark", "dupes"], ["spark", "themes"], ["load", "spark-out"]
    ]
    assert all(code == 0 for code, _ in ran.values()), ran


def test_missing_table_folder_is_a_one_line_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_cli_contract import one_line_error, run

    err = one_line_error(run("spark", "dupes", str(tmp_path / "none"), text=True))
    assert "no Spark clauses table" in err


def test_themes_on_a_sample_assign_the_rest(spark, out, local, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Fitted on 4 of the 7 documents, the other documents' duties and requirements are
    assigned in parallel, each to a theme of its own kind (or left unthemed when no theme is
    near: the fit's own pruning rule). Which 4 are drawn follows the doc ids, which follow the
    folder the test runs in; the draw is read back from the ``theme_sample`` table, not inferred
    from the themed clauses (a drawn document may have none). Every one of 12 seeded draws
    assigned 44–147 clauses in parallel (checked once by hand), so ``rest`` is never empty."""
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    info = S.themes(spark, str(copy), sample_docs=4)
    assert info["sampled"]
    sampled_docs = {r[0] for r in spark.read.parquet(str(copy / S.SAMPLE)).collect()}
    clauses = local.clauses()
    assert len(sampled_docs) == 4 and sampled_docs < {c.doc_id for c in clauses}
    first = dict(spark.read.parquet(str(copy / "theme_assignment")).collect())
    rest = dict(spark.read.parquet(str(copy / "theme_assignment_rest")).collect())
    doc_of = {c.clause_id: c.doc_id for c in clauses}
    assert first and {doc_of[c] for c in first} <= sampled_docs
    themed = {c.clause_id for c in clauses if c.kind in ("duty", "requirement")}
    outside = {c.clause_id for c in clauses
               if c.clause_id in themed and c.doc_id not in sampled_docs}
    assert rest and set(rest) <= outside and info["assigned_in_parallel"] == len(rest)
    model = json.loads((copy / "themes.json").read_text("utf-8"))
    ids = {t["theme_id"]: t["kind"] for t in model["themes"]}
    kinds = {c.clause_id: c.kind for c in clauses}
    assert all(ids[t] == kinds[c] for c, t in rest.items())  # a duty goes to a duty theme


def test_parquet_postings_parse_as_json_lines_do(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Postings stored as Parquet (read by Spark itself) give the clauses, kinds and posting
    fields that the same rows give as a JSON-lines file in a local ingest."""
    rows = [
        {"title": "销售代表", "city": "上海",
         "description": "岗位职责：\n1. 负责维护客户档案\n2. 完成销售目标\n任职要求：\n1. 大专以上学历"},
        {"title": "Data Analyst", "city": "Taipei",
         "description": "Responsibilities:\n- Build weekly sales reports\nRequirements:\n"
                        "- 2+ years of SQL"},
    ]
    spark.createDataFrame(rows, "title string, city string, description string").coalesce(1)\
        .write.parquet(str(tmp_path / "jds.parquet"))
    (tmp_path / "jds.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8"
    )
    S.ingest(spark, [str(tmp_path / "jds.parquet")], str(tmp_path / "out"))
    local = Corpus(tmp_path / "idx")
    local.ingest([tmp_path / "jds.jsonl"])
    docs = {d.doc_id: d for d in local.documents()}

    def shape(r: dict) -> tuple:
        return tuple(r[k] for k in ("title", "city", "position", "section", "heading", "text",
                                    "kind", "lang", "fragment"))

    want = sorted(shape(clause_json(c, docs[c.doc_id])) for c in local.clauses())
    got = sorted(shape(r) for r in S.clause_rows(spark, str(tmp_path / "out")))
    assert len(want) >= 5 and got == want
