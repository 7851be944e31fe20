"""The canonical duty taxonomy and its exports: area -> theme -> canonical duty -> variants.

In the spirit of O*NET's Generalized -> Intermediate -> Detailed Work Activity -> task levels:
areas group themes; a theme holds canonical duties (duplicate groups, or single clauses); each
canonical duty lists its variants (clauses) in every script and language. Every themed clause
appears exactly once.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import opencc
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS, XSD

from jdsearch.store import Clause
from jdsearch.themes import Area, Theme

EXPORT_FORMATS = {
    "json": ("application/json", "json"),
    "csv": ("text/csv", "csv"),
    "md": ("text/markdown", "md"),
    "skos": ("text/turtle", "ttl"),
}
BASE = "urn:jdsearch:"
JDS = Namespace(BASE + "vocab#")
_SKOS_LANG = {"en": "en", "zh-Hans": "zh-Hans", "zh-Hant": "zh-Hant"}


def build_taxonomy(
    clauses: Sequence[Clause],
    themes: Sequence[Theme],
    areas: Sequence[Area],
    group_rows: Iterable[tuple[object, ...]],
    templates: dict[str, str] | None = None,
) -> dict[str, object]:
    """The nested taxonomy (the JSON export and the web app's theme map).

    ``group_rows``: (clause, group, canonical, similarity, relation, rank[, value]) rows;
    ``templates``: group -> its requirement with the values as slots (相关工作经验{N}年以上), so
    a canonical requirement is shown with the values its variants state.
    """
    by_id = {c.clause_id: c for c in clauses}
    group_of: dict[str, tuple[str, str, float, str, str]] = {}
    for row in group_rows:
        cid, gid, canon, sim, rel = (str(x) if i != 3 else x for i, x in enumerate(row[:5]))
        group_of[cid] = (gid, canon, float(sim), rel, str(row[6]) if len(row) > 6 else "")  # type: ignore[arg-type]
    templates = templates or {}
    theme_by_id = {t.theme_id: t for t in themes}
    out_areas = []
    for a in areas:
        a_themes = [
            _theme_node(theme_by_id[tid], by_id, group_of, templates)
            for tid in a.theme_ids
            if tid in theme_by_id
        ]
        out_areas.append(
            {
                "area_id": a.area_id,
                "kind": a.kind,
                "label_en": a.label_en,
                "label_zh": a.label_zh,
                "size": sum(t["size"] for t in a_themes),
                "themes": a_themes,
            }
        )
    n_clauses = sum(t.size for t in themes)
    return {
        "scheme": {
            "title": "jdsearch duty taxonomy",
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "areas": len(out_areas),
            "themes": len(themes),
            "clauses": n_clauses,
        },
        "areas": out_areas,
    }


def _theme_node(
    t: Theme,
    by_id: dict[str, Clause],
    group_of: dict[str, tuple[str, str, float, str, str]],
    templates: dict[str, str],
) -> dict[str, object]:
    duties: dict[str, dict[str, object]] = {}
    for cid in t.members:
        c = by_id.get(cid)
        if c is None:  # gone since the themes were computed (they are then marked stale)
            continue
        gid, canon, sim, rel, value = group_of.get(cid, ("c" + cid, cid, 100.0, "canonical", ""))
        if canon not in by_id:
            gid, canon, sim, rel, value = "c" + cid, cid, 100.0, "canonical", ""
        node = duties.get(gid)
        if node is None:
            cc = by_id[canon]
            node = {
                "group_id": gid,
                "canonical": {"clause_id": cc.clause_id, "text": cc.text, "lang": cc.lang},
                "template": templates.get(gid, ""),
                "values": {},
                "variants": [],
            }
            duties[gid] = node
        if node["template"] and value:
            counts: dict[str, int] = node["values"]  # type: ignore[assignment]
            counts[value] = counts.get(value, 0) + 1
        node["variants"].append(
            {  # type: ignore[union-attr]
                "clause_id": c.clause_id,
                "lang": c.lang,
                "source": c.source,
                "text": c.text,
                "relation": rel,
                "similarity": sim,
                "value": value,
            }
        )
    groups = sorted(duties.values(), key=lambda g: (-len(g["variants"]), g["group_id"]))  # type: ignore[arg-type]
    return {
        "theme_id": t.theme_id,
        "kind": t.kind,
        "label_en": t.label_en,
        "label_zh": t.label_zh,
        "terms": t.terms,
        "size": t.size,
        "langs": t.langs,
        "documents": t.documents,
        "canonical": {
            "clause_id": t.canonical_id,
            "text": t.canonical_text,
            "lang": by_id[t.canonical_id].lang if t.canonical_id in by_id else "",
        },
        "groups": groups,
    }


# --------------------------------------------------------------------------- exporters
def rows(taxonomy: dict[str, object]) -> Iterable[dict[str, object]]:
    """One flat row per clause (the CSV export)."""
    for a in taxonomy["areas"]:  # type: ignore[attr-defined]
        for t in a["themes"]:
            for g in t["groups"]:
                for v in g["variants"]:
                    yield {
                        "clause_id": v["clause_id"],
                        "lang": v["lang"],
                        "source": v["source"],
                        "text": v["text"],
                        "relation": v["relation"],
                        "similarity": v["similarity"],
                        "value": v.get("value", ""),
                        "group_id": g["group_id"],
                        "group_template": g.get("template", ""),
                        "canonical_id": g["canonical"]["clause_id"],
                        "canonical_text": g["canonical"]["text"],
                        "theme_id": t["theme_id"],
                        "theme_label_en": t["label_en"],
                        "theme_label_zh": t["label_zh"],
                        "area_id": a["area_id"],
                        "area_label_en": a["label_en"],
                        "area_label_zh": a["label_zh"],
                        "kind": t["kind"],
                    }


def to_json(taxonomy: dict[str, object]) -> str:
    return json.dumps(taxonomy, ensure_ascii=False, indent=2) + "\n"


def to_csv(taxonomy: dict[str, object]) -> str:
    buf = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for row in rows(taxonomy):
        if writer is None:
            writer = csv.DictWriter(buf, fieldnames=list(row), lineterminator="\n")
            writer.writeheader()
        writer.writerow(row)
    return buf.getvalue()


def to_markdown(taxonomy: dict[str, object]) -> str:
    s = taxonomy["scheme"]
    lines = [
        f"# {s['title']}",
        "",  # type: ignore[index]
        f"{s['areas']} areas, {s['themes']} themes, {s['clauses']} clauses "  # type: ignore[index]
        f"(generated {s['created']}).",
        "",
    ]  # type: ignore[index]
    for a in taxonomy["areas"]:  # type: ignore[attr-defined]
        lines += [
            f"## {a['area_id']} {a['label_en']} · {a['label_zh']} ({a['kind']}, "
            f"{a['size']} clauses)",
            "",
        ]
        for t in a["themes"]:
            lines += [
                f"### {t['theme_id']} {t['label_en']} · {t['label_zh']}",
                "",
                f"- size: {t['size']} clauses in {t['documents']} documents; languages: "
                + ", ".join(f"{k} {v}" for k, v in t["langs"].items()),
                f"- top terms: {', '.join(t['terms'])}",
                f"- canonical duty: {_md(t['canonical']['text'])}",
                "",
            ]
            for g in t["groups"]:
                values = g.get("values") or {}
                shown = (
                    f" — {_md(g['template'])}: "
                    + ", ".join(
                        f"{_md(v)} ×{n}" for v, n in sorted(values.items(), key=lambda kv: -kv[1])
                    )
                    if g.get("template") and len(values) > 1
                    else ""
                )
                lines.append(
                    f"1. **{_md(g['canonical']['text'])}** ({len(g['variants'])} variants){shown}"
                )
                lines += [
                    f"   - [{v['lang']}] {_md(v['text'])} — `{v['clause_id']}`"
                    for v in g["variants"]
                ]
            lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    """Markdown-escape untrusted clause text (it is scraped from the web)."""
    out = text.replace("\\", "\\\\")
    for ch in "`*_[]<>#|":
        out = out.replace(ch, "\\" + ch)
    return out


def to_skos(taxonomy: dict[str, object], base_iri: str = BASE) -> str:
    """SKOS in Turtle as ESCO publishes it: a ConceptScheme; a Concept per area, theme and
    canonical duty, each with one ``prefLabel`` per language it has (en, zh-Hans, zh-Hant: the
    script pair through OpenCC, English from a cross-lingual member), other wordings as
    ``altLabel``, same-wording surface forms (the canonical in another punctuation, width or
    script) as ``hiddenLabel``; each variant clause linked with ``jds:clause``. Concepts a
    person curated carry ``skos:editorialNote`` and ``dct:modified``. ``base_iri`` prefixes
    every IRI (default ``urn:jdsearch:``)."""
    base = base_iri
    vocab = Namespace(base + "vocab#")
    g = Graph()
    g.bind("skos", SKOS)
    g.bind("dct", DCTERMS)
    g.bind("jds", vocab)
    scheme = URIRef(base + "scheme")
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, DCTERMS.title, Literal(taxonomy["scheme"]["title"], lang="en")))  # type: ignore[index]
    for a in taxonomy["areas"]:  # type: ignore[attr-defined]
        area = URIRef(f"{base}area:{a['area_id']}")
        _concept(g, area, scheme, a["area_id"], a["label_en"], a["label_zh"])
        g.add((area, SKOS.topConceptOf, scheme))
        g.add((scheme, SKOS.hasTopConcept, area))
        for t in a["themes"]:
            theme = URIRef(f"{base}theme:{t['theme_id']}")
            curated = t.get("curated") or {}
            labels = curated.get("labels", {})
            _concept(
                g, theme, scheme, t["theme_id"], t["label_en"], t["label_zh"], labels.get("zh-Hant")
            )
            if curated:
                _curated(g, theme, curated)
            _link(g, area, theme)
            canon_t = t["canonical"]
            lang = _SKOS_LANG.get(str(canon_t.get("lang", "")))
            g.add((theme, SKOS.definition, Literal(canon_t["text"], lang=lang)))
            for grp in t["groups"]:
                duty = URIRef(f"{base}duty:{grp['group_id']}")
                g.add((duty, RDF.type, SKOS.Concept))
                g.add((duty, SKOS.inScheme, scheme))
                g.add((duty, SKOS.notation, Literal(grp["group_id"])))
                for prop, text, tag in duty_labels(grp):
                    g.add((duty, prop, Literal(text, lang=tag)))
                _link(g, theme, duty)
                for v in grp["variants"]:
                    g.add((duty, vocab.clause, URIRef(f"{base}clause:{v['clause_id']}")))
    return g.serialize(format="turtle")


_SAME_WORDING = ("canonical", "exact", "cross-script")


def duty_labels(grp: dict[str, Any]) -> list[tuple[URIRef, str, str]]:
    """(property, text, language) of a canonical duty: one prefLabel per language — the
    canonical in its own, else the closest member in that language, else (Chinese) the other
    script's prefLabel through OpenCC; members that state the prefLabel's wording in another
    surface form are hiddenLabels, other wordings altLabels. No text is given twice in one
    language (SKOS: pref, alt and hidden labels are disjoint)."""
    canon = grp["canonical"]
    variants = sorted(grp["variants"], key=lambda v: -float(v.get("similarity", 0)))
    pref: dict[str, str] = {_SKOS_LANG[canon["lang"]]: canon["text"]}
    for v in variants:
        pref.setdefault(_SKOS_LANG[v["lang"]], v["text"])
    if "zh-Hans" in pref and "zh-Hant" not in pref:
        pref["zh-Hant"] = _s2t(pref["zh-Hans"])
    if "zh-Hant" in pref and "zh-Hans" not in pref:
        pref["zh-Hans"] = _t2s(pref["zh-Hant"])
    out = [(SKOS.prefLabel, text, tag) for tag, text in sorted(pref.items())]
    seen = {(text, tag) for _, text, tag in out}
    for v in variants:
        key = (v["text"], _SKOS_LANG[v["lang"]])
        if key in seen:
            continue
        seen.add(key)
        prop = SKOS.hiddenLabel if v.get("relation") in _SAME_WORDING else SKOS.altLabel
        out.append((prop, *key))
    return out


def _curated(g: Graph, node: URIRef, curated: dict[str, Any]) -> None:
    ids = ", ".join(curated.get("decisions", []))
    g.add((node, SKOS.editorialNote, Literal(f"curated by people: decisions {ids}", lang="en")))
    if curated.get("modified"):
        g.add((node, DCTERMS.modified, Literal(curated["modified"], datatype=XSD.dateTime)))


def _concept(
    g: Graph,
    node: URIRef,
    scheme: URIRef,
    notation: str,
    en: str,
    zh: str,
    zh_hant: str | None = None,
) -> None:
    """A labelled concept: a prefLabel per language that has one (an empty label is omitted,
    never a placeholder); zh-Hant is the zh-Hans label through OpenCC s2t unless a person gave
    one; the notation stands in when no label exists, since every SKOS concept needs a
    prefLabel."""
    g.add((node, RDF.type, SKOS.Concept))
    g.add((node, SKOS.inScheme, scheme))
    g.add((node, SKOS.notation, Literal(notation)))
    if en:
        g.add((node, SKOS.prefLabel, Literal(en, lang="en")))
    if zh:
        g.add((node, SKOS.prefLabel, Literal(zh, lang="zh-Hans")))
        g.add((node, SKOS.prefLabel, Literal(zh_hant or _s2t(zh), lang="zh-Hant")))
    if not en and not zh:
        g.add((node, SKOS.prefLabel, Literal(notation, lang="en")))


@lru_cache(maxsize=1)
def _s2t_converter() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def _s2t(text: str) -> str:
    return str(_s2t_converter().convert(text))


@lru_cache(maxsize=1)
def _t2s_converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _t2s(text: str) -> str:
    return str(_t2s_converter().convert(text))


def _link(g: Graph, broader: URIRef, narrower: URIRef) -> None:
    g.add((narrower, SKOS.broader, broader))
    g.add((broader, SKOS.narrower, narrower))


def export(taxonomy: dict[str, object], fmt: str, base_iri: str | None = None) -> str:
    """The taxonomy in ``fmt``; ``base_iri`` (SKOS only) prefixes every IRI."""
    if fmt == "skos" and base_iri:
        return to_skos(taxonomy, base_iri)
    writers = {"json": to_json, "csv": to_csv, "md": to_markdown, "skos": to_skos}
    if fmt not in writers:
        from jdsearch.store import JdsearchError

        raise JdsearchError(f"unknown export format {fmt!r} (choose from {', '.join(writers)})")
    return writers[fmt](taxonomy)
