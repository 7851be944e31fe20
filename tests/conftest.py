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
