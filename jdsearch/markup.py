"""Markdown left in postings: the characters that are syntax, not text.

JDs pasted from Markdown editors, READMEs and chat tools keep ``## 岗位职责``,
``**Responsibilities:**``, ``*About us:**``, ``> `` quotes, ``---`` rules (also drawn in
front of an item: ``-----2、…``) and ``[text](url)`` links. :func:`markdown_spans` finds the
syntax characters so the segmenter can set them apart as ``markup`` pieces: the words stay in
their heading or clause, the syntax never becomes clause text. Only unambiguous forms are
taken: a lone ``*`` bullet, ``>5年`` ("more than five years") or ``5*8小时`` stay as they are.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Each form: its regex (groups named after the syntax it marks) and the substrings one of which
# any match contains, so a posting without them costs a few ``in`` tests, not a regex scan.
_PATTERNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "atx": (r"^[ \t]{0,3}(?P<atx>#{1,6})(?=[ \t])", ("#",)),
    "quote": (r"^[ \t]{0,3}(?P<quote>>(?:[ \t]*>)*)(?=[ \t])", (">",)),
    "rule": (
        r"^[ \t]*(?P<rule>(?P<rc>[-*_=])(?:[ \t]*(?P=rc)){2,})[ \t]*$",
        ("---", "***", "___", "===", "- -", "* *", "_ _", "= ="),
    ),
    # a rule drawn before an item or around a title: "-----2、公司提供住宿…", "———任职资格———"
    "deco": (
        r"^[ \t]*(?P<deco>[-–—=_~*]{3,}(?:[ \t]+[-–—=_~*]{3,})*)(?=[ \t]*[^-–—=_~*\s])"
        r"|(?<=[^-–—=_~*\s])[ \t]*(?P<deco_r>[-–—=_~*]{3,})[ \t]*$",
        ("---", "———", "–––", "===", "___", "~~~", "***"),
    ),
    # a whole line wrapped in emphasis: **Responsibilities:**, *About us:**, __Benefits__
    "wrap": (
        r"^[ \t]*(?P<wrap_l>\*{1,3}|_{2,3})(?=[^\s*_])[^*\n]*?[^\s*_](?P<wrap_r>\*{1,3}|_{2,3})"
        r"[ \t]*$",
        ("*", "__"),
    ),
    # strong emphasis inside a line, not glued to digits (5**2 is arithmetic)
    "strong": (
        r"(?<![\d*])(?P<strong_l>\*\*|__)(?=[^\s*_])[^*\n]*?[^\s*_](?P<strong_r>\*\*|__)"
        r"(?![\d*])",
        ("**", "__"),
    ),
    # [text](url) and ![alt](url): the brackets and the target are syntax, the text is not
    "link": (r"(?P<link_l>!?\[)(?=[^\]\n]*\S)[^\]\n]+(?P<link_r>\]\([^)\s]*\))", ("](",)),
}


@lru_cache(maxsize=128)
def _combined(forms: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{_PATTERNS[f][0]})" for f in forms), re.M)


_SYNTAX_GROUPS = (
    "atx",
    "quote",
    "rule",
    "deco",
    "deco_r",
    "wrap_l",
    "wrap_r",
    "strong_l",
    "strong_r",
    "link_l",
    "link_r",
)
_CLOSING_HASHES = re.compile(r"[ \t]+(#+)[ \t]*$")


def markdown_spans(text: str) -> list[tuple[int, int]]:
    """Sorted, disjoint (start, end) spans of Markdown syntax in ``text``."""
    forms = tuple(f for f, (_, hints) in _PATTERNS.items() if any(h in text for h in hints))
    if not forms:
        return []
    groups = [g for g in _SYNTAX_GROUPS if g.split("_")[0] in forms]
    spans: list[tuple[int, int]] = []
    for m in _combined(forms).finditer(text):
        for group in groups:
            if m.group(group) is not None:
                spans.append(m.span(group))
        if "atx" in forms and m.group("atx") is not None:  # "## 岗位职责 ##": closing hashes
            line_end = text.find("\n", m.end())
            line = text[m.end() : len(text) if line_end < 0 else line_end]
            close = _CLOSING_HASHES.search(line)
            if close:
                spans.append((m.end() + close.start(1), m.end() + close.end(1)))
    return sorted(set(spans))


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the syntax replaced by spaces: every offset stays where it was."""
    if not spans:
        return text
    chars = list(text)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)
