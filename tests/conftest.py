"""Shared fixtures: the sample corpus and an index built from it once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from jdsearch import Corpus

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


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
