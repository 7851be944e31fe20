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

# One pass finds every candidate; each alternative's groups are the spans that are syntax.
_PATTERNS: list[tuple[str, str]] = [
    ("atx", r"^[ \t]{0,3}(?P<atx>#{1,6})(?=[ \t])"),
    ("quote", r"^[ \t]{0,3}(?P<quote>>(?:[ \t]*>)*)(?=[ \t])"),
    ("rule", r"^[ \t]*(?P<rule>(?P<rc>[-*_=])(?:[ \t]*(?P=rc)){2,})[ \t]*$"),
    # a rule drawn in front of an item: "---------2、公司提供住宿…"
    ("deco", r"^[ \t]*(?P<deco>[-–—=_~*]{3,}(?:[ \t]+[-–—=_~*]{3,})*)(?=[ \t]*[^-–—=_~*\s])"),
    # a whole line wrapped in emphasis: **Responsibilities:**, *About us:**, __Benefits__
    (
        "wrap",
        r"^[ \t]*(?P<wrap_l>\*{1,3}|_{2,3})(?=[^\s*_])[^*\n]*?[^\s*_](?P<wrap_r>\*{1,3}|_{2,3})"
        r"[ \t]*$",
    ),
    # strong emphasis inside a line, not glued to digits (5**2 is arithmetic)
    (
        "strong",
        r"(?<![\d*])(?P<strong_l>\*\*|__)(?=[^\s*_])[^*\n]*?[^\s*_](?P<strong_r>\*\*|__)"
        r"(?![\d*])",
    ),
    # [text](url) and ![alt](url): the brackets and the target are syntax, the text is not
    ("link", r"(?P<link_l>!?\[)(?=[^\]\n]*\S)[^\]\n]+(?P<link_r>\]\([^)\s]*\))"),
]
_ANY = re.compile("|".join(f"(?:{p})" for _, p in _PATTERNS), re.M)
_SYNTAX_GROUPS = (
    "atx",
    "quote",
    "rule",
    "deco",
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
    if not _ANY.search(text):
        return []
    spans: list[tuple[int, int]] = []
    for m in _ANY.finditer(text):
        for group in _SYNTAX_GROUPS:
            if m.group(group) is not None:
                spans.append(m.span(group))
        if m.group("atx") is not None:  # "## 岗位职责 ##": the closing hashes too
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
