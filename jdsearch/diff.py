"""Where a duplicate differs from its group's canonical wording, for the duplicate viewer.

Differences are found on the matching form (the shared normaliser), so a traditional variant of a
simplified clause is not "all different": characters that differ only in script or width are
reported apart (``script``) from real wording changes (``changed``). Spans are offsets into the
variant's original text, like search highlights, so the page marks the user's own characters.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from jdsearch.normalize import EN, default_normalizer

Spans = list[list[int]]
_UNIT = re.compile(r"[0-9a-z\u00c0-\u024f]+|\s+|.", re.DOTALL)


def char_diff(canonical: str, variant: str, langs: tuple[str, str]) -> dict[str, object] | None:
    """``{"changed": spans, "script": spans, "missing": n}`` for ``variant`` against
    ``canonical``; None for a translation (English against Chinese), where characters cannot
    be compared."""
    if (langs[0] == EN) != (langs[1] == EN):
        return None
    norm = default_normalizer()
    canon_n, canon_origin = norm.normalize_with_map(canonical)
    var_n, var_origin = norm.normalize_with_map(variant)
    canon_units, var_units = _units(canon_n), _units(var_n)
    sm = SequenceMatcher(None, [u for u, _ in canon_units], [u for u, _ in var_units], False)
    changed: set[int] = set()
    script: set[int] = set()
    missing = 0
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            for (_, ci), (_, vi) in zip(canon_units[i1:i2], var_units[j1:j2], strict=True):
                script |= _script_changes(canonical, variant, canon_origin, var_origin, ci, vi)
            continue
        missing += sum(len(u) for u, _ in canon_units[i1:i2] if not u.isspace())
        for unit, start in var_units[j1:j2]:
            if not unit.isspace():
                changed.update(var_origin[start : start + len(unit)])
    return {"changed": _spans(changed), "script": _spans(script - changed), "missing": missing}


def _units(norm: str) -> list[tuple[str, int]]:
    """Comparison units: a Latin word or number whole, every other character alone."""
    return [(m.group(0), m.start()) for m in _UNIT.finditer(norm)]


def _script_changes(
    canonical: str,
    variant: str,
    canon_origin: list[int],
    var_origin: list[int],
    ci: int,
    vi: int,
) -> set[int]:
    """Original characters that differ although their matching forms are equal (檔/档, Ａ/A)."""
    a, b = canon_origin[ci], var_origin[vi]
    if canonical[a] == variant[b] or canonical[a].lower() == variant[b].lower():
        return set()
    return {b}


def _spans(positions: set[int]) -> Spans:
    """Sorted positions merged into [start, end) runs."""
    out: Spans = []
    for p in sorted(positions):
        if out and out[-1][1] == p:
            out[-1][1] = p + 1
        else:
            out.append([p, p + 1])
    return out
