"""Stages with their own state: recomputing duplicates or themes never touches the search index;
an ingest brings every computed stage up to date in the same call; stale stages say so."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from jdsearch import Corpus
from jdsearch.store import ClauseStore
from tests.conftest import CORPUS


def search_files(idx: Path) -> dict[str, str]:
    """Every file of the search index with a hash of its bytes."""
    return {
        str(p.relative_to(idx)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted((idx / "search").rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_recomputing_groups_and_themes_leaves_the_search_index_untouched(
    tmp_path: Path, engine: str
):
    if engine == "tantivy":
        pytest.importorskip("tantivy", reason="the tantivy extra is not installed")
    corpus = Corpus(tmp_path / "idx")
    corpus.ingest([CORPUS], engine=engine)
    before = search_files(tmp_path / "idx")
    assert before
    corpus.dupes(recompute=True)
    corpus.themes(recompute=True)
    corpus.themes(k=4)
    corpus.dupes(threshold=90.0)
    assert search_files(tmp_path / "idx") == before
    # and the labels are joined at query time: theme filters follow the new themes
    t = corpus.themes(k=4)[0]
    hits = corpus.search(f"theme:{t.theme_id}", limit=1000).hits
    assert {h.clause_id for h in hits} == set(t.members)


def test_an_ingest_brings_computed_stages_up_to_date(tmp_path: Path):
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    corpus = Corpus(tmp_path / "idx")
    corpus.ingest([docs])
    corpus.themes()
    (docs / "new.txt").write_text(
        "岗位职责\n1、负责区域经销商的开发与管理。\n2、负责区域经销商的开发与管理。\n", "utf-8"
    )
    report = corpus.ingest([docs])
    assert report.stages["dupes"] == "updated" and report.stages["themes"] == "updated"
    status = corpus.status()
    assert all(status[s]["current"] for s in ("search", "dupes", "themes"))  # type: ignore[index]
    # incremental groups equal a full run on the same clauses
    incremental = sorted(
        tuple(sorted(m.clause_id for m in g.members)) for g in corpus.group_view().groups
    )
    full = Corpus(tmp_path / "idx")
    assert incremental == sorted(
        tuple(sorted(m.clause_id for m in g.members)) for g in full.dupes(recompute=True)
    )
    new = {c.clause_id for c in corpus.clauses() if c.source.endswith("new.txt")}
    assert any(new <= {m.clause_id for m in g.members} for g in corpus.group_view().groups)


def test_stale_stages_are_reported_not_served_silently(tmp_path: Path):
    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    corpus = Corpus(tmp_path / "idx")
    corpus.ingest([docs])
    corpus.themes()
    (docs / "new.txt").write_text("岗位职责\n1、负责仓储物流的调度。\n", "utf-8")
    corpus.ingest([docs], update_stages=False)
    assert corpus.group_view().stale and corpus.theme_view().stale
    assert corpus.taxonomy(compute=False)["stale"] is True
    status = corpus.status()
    assert not status["dupes"]["current"] and not status["themes"]["current"]  # type: ignore[index]
    corpus.themes()  # the CLI's `themes`: brings groups and themes up to date
    assert not corpus.group_view().stale and not corpus.theme_view().stale


def test_schema_is_migrated_from_the_first_version(tmp_path: Path):
    """An index written by jdsearch 0.1 (schema 1) opens after a writer migrates it."""
    import sqlite3

    from jdsearch.store import MIGRATIONS

    idx = tmp_path / "old"
    idx.mkdir()
    db = sqlite3.connect(idx / "clauses.sqlite")
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute(
        "INSERT INTO clauses VALUES ('c1', 'd1', 'a.txt', '', '', 0, 'duty', 'zh-Hans', "
        "'负责客户档案管理。', '负责客户档案管理。', 0, 9)"
    )
    db.commit()
    db.close()
    with pytest.raises(Exception, match="older jdsearch"):
        ClauseStore(idx)  # a reader does not write: it says what to do
    Corpus(idx).reindex()  # a writer migrates, then rebuilds the search index
    assert [c.clause_id for c in Corpus(idx).clauses()] == ["c1"]
    assert Corpus(idx).search("客户档案").total == 1


def test_light_modules_mirror_the_dupes_defaults():
    """cli and corpus repeat two constants so importing them stays light: they must agree."""
    from jdsearch import cli, corpus, dupes

    assert corpus.CROSS_LINGUAL_THRESHOLD == cli.CROSS_LINGUAL_THRESHOLD == dupes.CROSS_LINGUAL_THRESHOLD
    assert corpus.CROSS_LINGUAL_DEFAULT == dupes.CROSS_LINGUAL_DEFAULT


def test_ingest_options_default_to_the_read_budget():
    """The CLI's --max-file-mb/--max-doc-chars/--max-seconds defaults are ReadBudget's."""
    from click.testing import CliRunner

    from jdsearch import cli
    from jdsearch.readers import DEFAULT_BUDGET

    defaults = {p.name: p.default for p in cli.ingest.params}
    assert defaults["max_file_mb"] == DEFAULT_BUDGET.max_file_mb
    assert defaults["max_doc_chars"] == DEFAULT_BUDGET.max_doc_chars
    assert defaults["max_seconds"] == DEFAULT_BUDGET.max_seconds
    assert "--follow-links" in CliRunner().invoke(cli.main, ["ingest", "--help"]).output
