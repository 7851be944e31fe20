"""One serialiser for every JSON the CLI prints and the HTTP API returns (never two copies).

The CLI's ``--json`` objects (clause, hit, group, theme) are built here, and so is every body
the web API sends, including its wrappers (paging totals, the clause detail, the theme map) and
its error object: an endpoint only picks what to show, never how it is shaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jdsearch.store import DOC_FIELDS, Clause, Document

if TYPE_CHECKING:
    from jdsearch.dupes import Group
    from jdsearch.search import Hit, SearchResult
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
MAX_ERROR = 500


# --------------------------------------------------------------------------- CLI --json objects
def clause_json(c: Clause, doc: Document | None = None) -> dict[str, object]:
    """The ``jdsearch clauses --json`` object (the matching form ``norm`` stays internal), with
    its posting's fields (title, company, city, date) when the document is given."""
    out: dict[str, object] = {k: getattr(c, k) for k in CLAUSE_FIELDS}
    out["fragment"] = c.fragment
    if doc is not None:
        out.update({f: doc.field(f) for f in DOC_FIELDS})
    return out


def hit_json(h: Hit) -> dict[str, object]:
    """The ``jdsearch search --json`` hit object."""
    return h.to_json()


def member_json(c: Clause, similarity: float, relation: str, value: str = "") -> dict[str, object]:
    """A duplicate group member (``jdsearch dupes --of ID --json`` row); ``value``: the
    values it states (``3年+ | 本科``), what tells variants of one requirement apart."""
    return {
        "clause_id": c.clause_id,
        "doc_id": c.doc_id,
        "source": c.source,
        "lang": c.lang,
        "text": c.text,
        "similarity": similarity,
        "relation": relation,
        "value": value,
    }


def group_json(g: Group, by_id: Mapping[str, Clause]) -> dict[str, object]:
    """The ``jdsearch dupes --json`` group object (members no longer in the index, while the
    groups are behind an ingest, are left out)."""
    return {
        "group_id": g.group_id,
        "canonical_id": g.canonical_id,
        "template": g.template,
        "values": dict(g.value_counts().most_common()) if g.template else {},
        "members": [
            member_json(by_id[m.clause_id], m.similarity, m.relation, m.value)
            for m in g.members
            if m.clause_id in by_id
        ],
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


# --------------------------------------------------------------------------- HTTP API bodies
def error_json(message: str) -> dict[str, str]:
    """Every API error body: one line, so no traceback or multi-line detail can leak."""
    return {"error": " ".join(message.split())[:MAX_ERROR]}


def health_json(counts: Mapping[str, object]) -> dict[str, object]:
    """``GET /api/health``: liveness plus the totals a monitor wants to watch."""
    return {"status": "ok", "documents": counts["documents"], "clauses": counts["clauses"]}


def search_json(
    query: str, result: SearchResult, *, total: int, limit: int, offset: int
) -> dict[str, object]:
    """``GET /api/search``: the ``search --json`` hits wrapped with what paging needs."""
    return {
        "query": query,
        "total": total,
        "mode": result.mode,
        "limit": limit,
        "offset": offset,
        "hits": [hit_json(h) for h in result.hits],
        "facets": result.facets,
        "stale": result.stale,
        "warning": result.warning,
    }


def groups_page_json(
    total: int, groups: Sequence[Group], by_id: Mapping[str, Clause], *, stale: bool = False
) -> dict[str, object]:
    """``GET /api/dupes``: one page of ``dupes --json`` groups and how many there are
    (``stale``: the groups are behind the clauses while an ingest brings them up to date)."""
    return {"total": total, "groups": [group_json(g, by_id) for g in groups], "stale": stale}


def group_diffs_json(g: Group, by_id: Mapping[str, Clause]) -> dict[str, object]:
    """Where each member differs from the canonical (see :func:`jdsearch.diff.char_diff`);
    a translation maps to None, since its characters cannot be compared."""
    from jdsearch.diff import char_diff

    canon = by_id.get(g.canonical_id)
    if canon is None:
        return {}
    variants = [
        by_id[m.clause_id]
        for m in g.members
        if m.clause_id != g.canonical_id and m.clause_id in by_id
    ]
    return {v.clause_id: char_diff(canon.text, v.text, (canon.lang, v.lang)) for v in variants}


def clause_detail_json(
    c: Clause, group: Group | None, by_id: Mapping[str, Clause], theme: Theme | None
) -> dict[str, object]:
    """``GET /api/clauses/{id}``: the clause, its group with the differences the duplicate
    viewer marks, and its theme (``group``/``theme`` null when it has none)."""
    return {
        "clause": clause_json(c),
        "group": group_json(group, by_id) if group is not None else None,
        "diffs": group_diffs_json(group, by_id) if group is not None else {},
        "theme": theme_json(theme) if theme is not None else None,
    }


def theme_page_json(t: Theme, members: Sequence[Clause]) -> dict[str, object]:
    """``GET /api/themes/{id}``: the ``themes --json`` object and one page of its clauses."""
    return {
        "theme": theme_json(t),
        "total": len(t.members),
        "members": [clause_json(c) for c in members],
    }


def theme_map_json(taxonomy: Mapping[str, Any], max_groups: int = 20) -> dict[str, object]:
    """``GET /api/themes``: the taxonomy trimmed for the theme map, areas -> themes -> the
    largest ``max_groups`` canonical duties with their sizes (variants are counted, not listed,
    so a 100k-clause corpus still makes a map a browser can draw)."""
    return {
        "scheme": taxonomy["scheme"],
        "stale": bool(taxonomy.get("stale", False)),
        "areas": [
            {
                **{k: v for k, v in area.items() if k != "themes"},
                "themes": [_theme_map_node(t, max_groups) for t in area["themes"]],
            }
            for area in taxonomy["areas"]
        ],
    }


def _theme_map_node(theme: Mapping[str, Any], max_groups: int) -> dict[str, object]:
    groups = theme["groups"]
    shown = [
        {"group_id": g["group_id"], "canonical": g["canonical"], "size": len(g["variants"])}
        for g in groups[:max_groups]
    ]
    return {
        **{k: v for k, v in theme.items() if k != "groups"},
        "groups": shown,
        "groups_total": len(groups),
        "other_size": sum(len(g["variants"]) for g in groups[max_groups:]),
    }
