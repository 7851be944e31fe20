"""jdsearch: search, near-duplicates and duty taxonomies for job-description corpora."""

from jdsearch.corpus import Corpus
from jdsearch.readers import ReadBudget
from jdsearch.store import Clause, Document, JdsearchError

__all__ = ["Clause", "Corpus", "Document", "JdsearchError", "ReadBudget"]
__version__ = "0.1.0"
