"""JSON shapes the web pages need that the CLI has no equivalent for.

Pending a home in :mod:`jdsearch.serialize` (one serialiser for everything): when
``jdsearch.serialize.theme_map_json`` exists it is used instead of this copy, and this module
goes away.
"""

from __future__ import annotations

from typing import Any


def theme_map_json(taxonomy: dict[str, Any], max_groups: int = 20) -> dict[str, object]:
    """The taxonomy trimmed for the theme map: areas -> themes -> the largest ``max_groups``
    canonical duties with their sizes (variants are counted, not listed, so a 100k-clause
    corpus still makes a map a browser can draw)."""
    return {
        "scheme": taxonomy["scheme"],
        "areas": [
            {
                **{k: v for k, v in area.items() if k != "themes"},
                "themes": [_theme(t, max_groups) for t in area["themes"]],
            }
            for area in taxonomy["areas"]
        ],
    }


def _theme(theme: dict[str, Any], max_groups: int) -> dict[str, object]:
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
