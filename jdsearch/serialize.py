"""One serialiser for every JSON the CLI prints and the HTTP API returns (never two copies)."""

from __future__ import annotations

from collections.abc import Mapping

from jdsearch.dupes import Group
from jdsearch.search import Hit
from jdsearch.store import Clause
from jdsearch.themes import Theme

CLAUSE_FIELDS = (
    "clause_id",
    "doc_id",
    "source",
    "section",
    "heading",
    "position",
    "kind",
    "lang",
    "text",
)


def clause_json(c: Clause) -> dict[str, object]:
    """The ``jdsearch clauses --json`` object (the matching form ``norm`` stays internal)."""
    return {k: getattr(c, k) for k in CLAUSE_FIELDS}


def hit_json(h: Hit) -> dict[str, object]:
    return h.to_json()


def member_json(c: Clause, similarity: float, relation: str) -> dict[str, object]:
    return {
        "clause_id": c.clause_id,
        "doc_id": c.doc_id,
        "source": c.source,
        "lang": c.lang,
        "text": c.text,
        "similarity": similarity,
        "relation": relation,
    }


def group_json(g: Group, by_id: Mapping[str, Clause]) -> dict[str, object]:
    """The ``jdsearch dupes --json`` group object."""
    return {
        "group_id": g.group_id,
        "canonical_id": g.canonical_id,
        "members": [member_json(by_id[m.clause_id], m.similarity, m.relation) for m in g.members],
    }


def theme_json(t: Theme) -> dict[str, object]:
    """The ``jdsearch themes --json`` object."""
    return {
        "theme_id": t.theme_id,
        "label": {"en": t.label_en, "zh": t.label_zh},
        "area_id": t.area_id,
        "kind": t.kind,
        "terms": t.terms,
        "size": t.size,
        "langs": t.langs,
        "documents": t.documents,
        "canonical": {"clause_id": t.canonical_id, "text": t.canonical_text},
        "members": t.members,
    }
