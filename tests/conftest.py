"""Shared fixtures: the sample corpus and an index built from it once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jdsearch import Corpus

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def data_dir() -> Path:
    """The real postings: $JDSEARCH_DATA, else ../shared/data beside the repository, else
    /work/shared/data (tests that need them skip, with a reason, when they are absent)."""
    env = os.environ.get("JDSEARCH_DATA")
    if env:
        return Path(env)
    beside = ROOT.parent / "shared" / "data"
    return beside if beside.is_dir() else Path("/work/shared/data")


def corpus_file(prefix: str) -> Path:
    return next(CORPUS.glob(f"{prefix}_*.txt"))


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The five sample documents ingested into a fresh index."""
    corpus = Corpus(tmp_path_factory.mktemp("index"))
    corpus.ingest([CORPUS])
    return corpus


@pytest.fixture(scope="session", params=["whoosh", "tantivy"])
def engine_index(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Corpus:
    """The sample corpus indexed by each search engine: the search tests run on both."""
    if request.param == "tantivy":
        pytest.importorskip("tantivy", reason="the tantivy extra is not installed")
    corpus = Corpus(tmp_path_factory.mktemp(f"index-{request.param}"))
    corpus.ingest([CORPUS], engine=request.param)
    return corpus
