"""The CLI contract: JSON shapes, tables, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS, corpus_file

JDSEARCH = [sys.executable, "-m", "jdsearch.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [*JDSEARCH, *args], capture_output=True, text=True, env=full_env, timeout=300
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    idx = tmp_path_factory.mktemp("cli") / "index"
    r = run("ingest", str(CORPUS), "--index", str(idx))
    assert r.returncode == 0, r.stderr
    assert "5 documents" in r.stdout and "by kind:" in r.stdout and "by lang:" in r.stdout
    return idx


def test_clauses_json_contract(index: Path):
    r = run("clauses", "--index", str(index), "--kind", "duty", "--lang", "zh-Hant", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert rows and isinstance(rows, list)
    for key in ("clause_id", "doc_id", "source", "section", "position", "kind", "lang", "text"):
        assert key in rows[0]
    assert {row["kind"] for row in rows} == {"duty"}
    assert {row["lang"] for row in rows} == {"zh-Hant"}
    assert rows[0]["source"] == f"corpus/{corpus_file('004').name}"  # stable: not as typed


def test_clauses_table(index: Path):
    r = run("clauses", "--index", str(index), "--kind", "requirement")
    assert r.returncode == 0
    assert "clause_id" in r.stdout and "requirement" in r.stdout
    assert "clauses" in r.stdout.splitlines()[-1]


def test_index_from_environment(index: Path):
    r = run("clauses", "--json", env={"JDSEARCH_INDEX": str(index)})
    assert r.returncode == 0 and json.loads(r.stdout)


def test_ingest_json_summary_and_skips(tmp_path: Path):
    bad = tmp_path / "bad.bin.txt"
    bad.write_bytes(b"\x00\x01\x02" * 100)
    r = run("ingest", str(corpus_file("002")), str(bad), "--index", str(tmp_path / "i"), "--json")
    assert r.returncode == 0
    summary = json.loads(r.stdout)
    assert summary["added"] == 1 and summary["clauses"] > 50
    source = str(bad)  # a skip is named as the user wrote the path
    assert summary["skipped"] == [{"source": source, "reason": "binary file"}]
    assert f"skipped {source}: binary file" in r.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (("clauses", "--index", "/nonexistent/idx"), "no index"),
        (("clauses", "--kind", "bogus"), "Invalid value"),
        (("ingest",), "Missing argument"),
        (("frobnicate",), "No such command"),
    ],
)
def test_user_errors_are_one_line_exit_1(args: tuple[str, ...], message: str):
    r = run(*args)
    assert r.returncode == 1
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_corrupt_index_is_a_clear_error(tmp_path: Path):
    (tmp_path / "clauses.sqlite").write_bytes(b"this is not a database" * 100)
    r = run("clauses", "--index", str(tmp_path))
    assert r.returncode == 1 and "corrupt index" in r.stderr and "Traceback" not in r.stderr


def test_help_explains():
    r = run("--help")
    assert r.returncode == 0 and "ingest" in r.stdout and "clauses" in r.stdout
    r = run("ingest", "--help")
    assert "--index" in r.stdout and "skipped" in r.stdout


def test_dupes_of_unknown_clause_id_is_an_error(index: Path):
    r = run("dupes", "--index", str(index), "--of", "0123456789abcdef")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "no clause with id 0123456789abcdef" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_dupes_of_text_finds_its_translation(index: Path):
    args = ["dupes", "--index", str(index), "--of", "负责公司产品的销售和推广;", "--json"]
    rows = json.loads(run(*args).stdout)
    assert not any(m["relation"] == "cross-lingual" for m in rows)  # off unless asked
    r = run(*args, "--cross-lingual")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    hit = next(m for m in rows if m["text"].startswith("Responsible for the regional sales"))
    assert hit["relation"] == "cross-lingual" and hit["similarity"] >= 60.0


def test_cross_lingual_threshold_option(index: Path):
    r = run("dupes", "--help")
    assert "--cross-lingual-threshold" in r.stdout and "60" in r.stdout
    r = run("dupes", "--index", str(index), "--cross-lingual-threshold", "0", "--json")
    assert r.returncode == 1 and "Traceback" not in r.stderr


def test_csv_export_file_has_bom_stdout_does_not(index: Path, tmp_path: Path):
    target = tmp_path / "taxonomy.csv"
    r = run("export", "--index", str(index), "--format", "csv", "-o", str(target))
    assert r.returncode == 0, r.stderr
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "负责" in raw.decode("utf-8-sig")
    r = run("export", "--index", str(index), "--format", "csv")
    assert r.returncode == 0 and not r.stdout.startswith("\ufeff")
    assert r.stdout == raw.decode("utf-8-sig")
    r = run("export", "--help")
    assert "byte-order mark" in r.stdout
