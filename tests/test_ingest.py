"""Ingest into the clause table: ids, incremental re-ingest, crash safety, encodings, bad files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from jdsearch import Corpus, JdsearchError
from jdsearch.ingest import Parser
from tests.conftest import CORPUS, corpus_file

CITY_MANAGER = corpus_file("004").read_text("utf-8").split("二、辦事處主管")[0]


def test_sample_corpus_ingests(sample_index: Corpus):
    stats = sample_index.stats()
    assert stats["files"] == 5
    assert stats["documents"] == 5
    assert stats["sections"] >= 35
    by_lang = stats["by_lang"]
    assert set(by_lang) == {"en", "zh-Hans", "zh-Hant"}
    assert by_lang["zh-Hant"] >= 90
    assert stats["by_kind"]["duty"] > 300
    clauses = sample_index.clauses()
    assert len({c.clause_id for c in clauses}) == len(clauses)
    assert all(c.text.strip() and c.norm for c in clauses)


def test_filters_and_fields(sample_index: Corpus):
    hant = sample_index.clauses(kind="requirement", lang="zh-Hant")
    assert hant and all(c.kind == "requirement" and c.lang == "zh-Hant" for c in hant)
    c = hant[0]
    assert c.source.endswith("004_7bab9b33e0ee1a3a.txt")
    assert c.section
    with pytest.raises(JdsearchError):
        sample_index.clauses(kind="nonsense")


def test_clause_offsets_point_into_the_document(sample_index: Corpus):
    text = corpus_file("003").read_text("utf-8")
    for c in sample_index.clauses():
        if c.source.endswith(corpus_file("003").name):
            assert text[c.start : c.end].startswith(c.text[:5])


def test_missing_index_is_a_clear_error(tmp_path: Path):
    with pytest.raises(JdsearchError, match="no index"):
        Corpus(tmp_path / "nowhere").clauses()


def _copy_corpus(tmp_path: Path) -> Path:
    dst = tmp_path / "docs"
    shutil.copytree(CORPUS, dst)
    return dst


def test_reingest_is_incremental_and_never_duplicates(tmp_path: Path):
    docs = _copy_corpus(tmp_path)
    corpus = Corpus(tmp_path / "idx")
    first = corpus.ingest([docs])
    assert first.added == 5 and first.clauses_written > 0
    ids_before = {c.clause_id for c in corpus.clauses()}

    again = corpus.ingest([docs])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)
    assert again.clauses_written == 0
    assert {c.clause_id for c in corpus.clauses()} == ids_before

    # same content, new mtime: hashed, not re-parsed
    target = next(docs.glob("003_*.txt"))
    os.utime(target, ns=(1, 1))
    assert corpus.ingest([docs]).unchanged == 5

    # a changed file replaces its clauses
    target.write_text(
        target.read_text("utf-8").replace("组织召开区域经销商会议。", "组织召开区域代理商年会。"),
        "utf-8",
    )
    changed = corpus.ingest([docs])
    assert changed.updated == 1
    texts = [c.text for c in corpus.clauses()]
    assert "组织召开区域代理商年会。" in texts
    assert "组织召开区域经销商会议。" not in texts
    assert len(texts) == len(ids_before)

    # a removed file's clauses are gone
    target.unlink()
    removed = corpus.ingest([docs])
    assert removed.removed == 1
    assert not any(c.source.endswith(target.name) for c in corpus.clauses())

    # the same folder given another way is the same files
    rel = os.path.relpath(docs)
    assert Corpus(tmp_path / "idx").ingest([rel]).unchanged == 4


def test_interrupted_ingest_leaves_previous_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    docs = _copy_corpus(tmp_path)
    corpus = Corpus(tmp_path / "idx")
    corpus.ingest([docs])
    before = [c.clause_id for c in corpus.clauses()]
    for f in docs.glob("*.txt"):
        f.write_text(f.read_text("utf-8") + "\n99、新增一条职责。\n", "utf-8")

    calls = {"n": 0}
    real = Parser.parse_file

    def crash_on_third(self, path, source, key):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, path, source, key)

    monkeypatch.setattr(Parser, "parse_file", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        corpus.ingest([docs])
    assert [c.clause_id for c in corpus.clauses()] == before


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "big5", "utf-16"])
def test_same_jd_in_any_encoding_gives_same_clauses(tmp_path: Path, encoding: str):
    ref_dir, enc_dir = tmp_path / "ref", tmp_path / "enc"
    ref_dir.mkdir()
    enc_dir.mkdir()
    (ref_dir / "jd.txt").write_text(CITY_MANAGER, "utf-8")
    (enc_dir / "jd.txt").write_bytes(CITY_MANAGER.encode(encoding))
    ref = Corpus(tmp_path / "i1")
    ref.ingest([ref_dir])
    enc = Corpus(tmp_path / "i2")
    enc.ingest([enc_dir])
    a = [(c.text, c.kind, c.lang) for c in ref.clauses()]
    b = [(c.text, c.kind, c.lang) for c in enc.clauses()]
    assert a == b and len(a) > 20
    assert enc.documents()[0].encoding == encoding


def test_simplified_jd_in_gb18030(tmp_path: Path):
    text = corpus_file("003").read_text("utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "jd.txt").write_bytes(text.encode("gb18030"))
    c = Corpus(tmp_path / "i")
    c.ingest([tmp_path / "a"])
    ref = Corpus(tmp_path / "j")
    ref.ingest([corpus_file("003")])
    assert [x.text for x in c.clauses()] == [x.text for x in ref.clauses()]
    assert c.documents()[0].encoding == "gb18030"


def test_bad_files_are_skipped_and_named(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(corpus_file("003"), docs / "good.txt")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (docs / "empty.txt").write_bytes(b"")
    (docs / "notes.xyz").write_text("岗位职责\n1、负责销售。", "utf-8")
    os.mkfifo(docs / "pipe.txt")  # reading it would block forever
    report = Corpus(tmp_path / "idx").ingest([docs, tmp_path / "missing.txt"])
    reasons = {Path(s).name: r for s, r in report.skipped}
    assert set(reasons) == {"binary.txt", "empty.txt", "notes.xyz", "missing.txt", "pipe.txt"}
    assert reasons["pipe.txt"] == "not a regular file: a named pipe (FIFO)"
    assert "binary" in reasons["binary.txt"]
    assert "empty" in reasons["empty.txt"]
    assert ".xyz" in reasons["notes.xyz"]
    assert "no such file" in reasons["missing.txt"]
    assert report.added == 1
    assert report.totals["clauses"] > 50


def test_nothing_to_ingest_is_an_error(tmp_path: Path):
    with pytest.raises(JdsearchError, match="nothing to ingest"):
        Corpus(tmp_path / "idx").ingest([tmp_path / "typo"])


def test_table_rows_are_documents(tmp_path: Path):
    csv_path = tmp_path / "jds.csv"
    csv_path.write_text(
        "title,description\n"
        '区域经理,"岗位职责\n1、负责区域销售。\n2、建立客户档案。"\n'
        'City manager,"Responsibilities:\n1. Visit key customers.\n2. Collect competitor information."\n',
        "utf-8",
    )
    corpus = Corpus(tmp_path / "idx")
    corpus.ingest([csv_path])
    docs = corpus.documents()
    assert [d.metadata["title"] for d in docs] == ["区域经理", "City manager"]
    assert [c.text for c in corpus.clauses()] == [
        "负责区域销售。",
        "建立客户档案。",
        "Visit key customers.",
        "Collect competitor information.",
    ]
    assert {c.source.split("#")[-1] for c in corpus.clauses()} == {"0", "1"}
