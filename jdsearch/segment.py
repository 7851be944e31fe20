"""Cleaning and splitting: document text -> sections, headings and typed duty clauses.

Every non-space character of the input lands in exactly one :class:`Piece` (boilerplate,
the posting's title line, section title, heading, numbering marker, markup, page number or
clause), which is what makes the split auditable: ``tests/test_segment.py`` checks that the
pieces tile the input.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from jdsearch.kinds import KindModel, type_clauses
from jdsearch.markup import markdown_spans, mask
from jdsearch.normalize import EN, HANS, Normalizer, default_normalizer, detect_lang, normalize

DUTY, REQUIREMENT, OTHER = "duty", "requirement", "other"
KINDS = (DUTY, REQUIREMENT, OTHER)

_TERMINAL = tuple("。.!！?？;；")
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_WORDY = re.compile(r"[^\W_]")
_HAN_CHAR = re.compile(r"[\u4e00-\u9fff]")
_EN_WORD = re.compile(r"[A-Za-z]+")
_DIGITS = re.compile(r"\d+")
_CORRUPT_BULLETS = "某?\ufffd\uf0b7\uf06c\uf0d8\uf0a7\uf076"


# --------------------------------------------------------------------------- data types
@dataclass
class Piece:
    """A typed span ``text[start:end]`` of the document."""

    kind: str  # boilerplate|title|section|heading|marker|markup|page|clause|noise
    start: int
    end: int


@dataclass
class RawClause:
    """One duty item (or paragraph) as found, before ids are given."""

    spans: list[tuple[int, int]]
    text: str
    number: int | None = None
    style: str = ""
    section: str = ""
    heading: str = ""
    context: str = ""  # duty / requirement / other / "" from the nearest categorised heading
    kind: str = OTHER
    lang: str = HANS
    joiner: str = ""  # how hard-wrapped continuation lines were joined
    norm: str = ""  # the matching form (see jdsearch.normalize)
    fragment: bool = False  # cannot stand alone (a lone word, half a sentence): not themed


@dataclass
class Segmentation:
    pieces: list[Piece] = field(default_factory=list)
    clauses: list[RawClause] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    title: str = ""  # the job title line found at the top of the text (detect_title), if any


# --------------------------------------------------------------------------- boilerplate
def load_boilerplate(extra: Iterable[str] = ()) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The packaged boilerplate patterns plus user patterns, as two alternations.

    Patterns anchored with ``^`` are tried once at the start of a line; the others are searched
    through it. One regex each keeps a clean line at two regex calls.
    """
    text = resources.files("jdsearch.data").joinpath("boilerplate.txt").read_text("utf-8")
    lines = [*text.splitlines(), *extra]
    patterns = [p.strip() for p in lines if p.strip() and not p.lstrip().startswith("#")]
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            from jdsearch.store import JdsearchError

            raise JdsearchError(f"bad boilerplate pattern {p!r}: {exc}") from None
    anchored = [p for p in patterns if p.startswith("^")]
    floating = [p for p in patterns if not p.startswith("^")] or ["(?!x)x"]
    return (
        re.compile("|".join(f"(?:{p})" for p in anchored) or "(?!x)x", re.I),
        re.compile("|".join(f"(?:{p})" for p in floating), re.I),
    )


def _boilerplate_spans(
    line: str, patterns: tuple[re.Pattern[str], re.Pattern[str]]
) -> list[tuple[int, int]]:
    anchored, floating = patterns
    spans = []
    m = anchored.match(line)
    start = 0
    if m and m.end() > 0:
        spans.append((0, m.end()))
        start = m.end()
    spans += [(x.start(), x.end()) for x in floating.finditer(line, start) if x.end() > x.start()]
    return spans


# --------------------------------------------------------------------------- markers
@dataclass(frozen=True)
class Marker:
    style: str
    number: int | None
    end: int  # index in the line where the body starts
    level: tuple[int, ...] = ()  # "2.1" -> (2, 1) for multi-level numbering


# Multi-level numbers need what a decimal never has: a third level, or a separator or space
# after the second ("2.1 负责", "3.1、公司"). A bare "2.2年…" is left to _ambiguous_marker.
_MARKER_RES: list[tuple[str, re.Pattern[str]]] = [
    (
        "multi",
        re.compile(
            r"\d{1,2}(?:[.．]\d{1,2}){2,}[.．、]?\s*(?=\D)|\d{1,2}[.．]\d{1,2}(?:[.．、]\s*|\s+)(?=\D)"
        ),
    ),
    ("broken", re.compile(r"(\d)\s(\d)\s*[.,，、．]\s*")),
    ("paren", re.compile(r"[（(]\s*(\d{1,2})\s*[)）]\s*")),
    ("cnparen", re.compile(r"[（(]\s*([一二三四五六七八九十]{1,3})\s*[)）]\s*")),
    ("circled", re.compile(r"([\u2460-\u2473\u2776-\u277f])\s*")),
    ("arabic", re.compile(r"(\d{1,3})\s*(?:[.．、。:：]|[,，](?=\s*\D))\s*(?!\d)")),
    ("arabic_paren", re.compile(r"(\d{1,2})[)）]\s*")),
    ("cn", re.compile(r"([一二三四五六七八九十]{1,3})\s*[、.．。,，]\s*")),
    ("roman", re.compile(r"(i{1,3}|iv|vi{0,3}|ix|x|I{1,3}|IV|VI{0,3}|IX|X)\.\s+")),
    ("letter", re.compile(r"([a-h])[.)]\s*(?=[^\sa-z])")),
    (
        "word",
        re.compile(
            r"(First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth|"
            r"One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten)[,.]\s+"
        ),
    ),
    ("mt", re.compile(r"Verb \(abbreviation of verb\)\s*")),  # machine translation of 五、
    ("resp", re.compile(r"Responsibilit(?:y|ies)\s+(\d{1,2})\s*$", re.I)),
    ("bullet", re.compile(r"[•·●○◆◇■□▪▶►➢✓✔\-–—*+]\s*(?:\[[ xX]\]\s*)?")),  # "- [ ] " too
]
_WORD_NUMS = {
    w: i + 1
    for i, w in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
} | {
    w: i + 1
    for i, w in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
        ]
    )
}
_ROMAN = {
    "i": 1,
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "v": 5,
    "vi": 6,
    "vii": 7,
    "viii": 8,
    "ix": 9,
    "x": 10,
}
_SUFFIX_MARKER = re.compile(r"\s+of intransitive verbs\s*$")  # machine translation of 六、


def _cn_number(s: str) -> int:
    if len(s) == 1:
        return _CN_DIGITS.get(s, 0)
    if s.startswith("十"):
        return 10 + _CN_DIGITS.get(s[1:], 0)
    tens, _, ones = s.partition("十")
    return _CN_DIGITS.get(tens, 0) * 10 + _CN_DIGITS.get(ones, 0)


def _marker_number(style: str, m: re.Match[str]) -> int | None:
    g = m.group(1) if m.groups() else None
    if style == "multi":
        return None
    if style in ("arabic", "paren", "arabic_paren", "resp"):
        return int(g)  # type: ignore[arg-type]
    if style == "broken":
        return int(m.group(1) + m.group(2))
    if style in ("cn", "cnparen"):
        return _cn_number(g or "")
    if style == "circled":
        c = ord(g or "①")
        return c - 0x2460 + 1 if c < 0x2776 else c - 0x2776 + 1
    if style == "roman":
        return _ROMAN.get((g or "").lower())
    if style == "word":
        return _WORD_NUMS.get((g or "").lower())
    if style == "letter":
        return ord(g or "a") - ord("a") + 1
    if style == "mt":
        return 5
    return None


_ANY_MARKER = re.compile(
    "|".join(
        f"(?P<{style}>{'(?i:' + pat.pattern + ')' if pat.flags & re.I else pat.pattern})"
        for style, pat in _MARKER_RES
    )
)
_STYLE_ORDER = [style for style, _ in _MARKER_RES]


def match_marker(line: str, corrupt_bullet: str | None = None) -> Marker | None:
    """The numbering or bullet at the start of ``line``, if any.

    One combined regex rejects the (many) unmarked lines in a single call; the first style that
    matches is then re-matched on its own to read its number.
    """
    if corrupt_bullet and line.startswith(corrupt_bullet):
        return Marker("bullet", None, len(corrupt_bullet))
    first = _ANY_MARKER.match(line)
    if first is None:
        return None
    for style, pat in _MARKER_RES[_STYLE_ORDER.index(first.lastgroup or "multi") :]:
        m = pat.match(line)
        if m and (style == "resp" or m.end() < len(line) or style in ("arabic", "cn")):
            if style == "broken" and m.group(1) == "0":
                continue
            level = tuple(map(int, _DIGITS.findall(m.group(0)))) if style == "multi" else ()
            return Marker(style, _marker_number(style, m), m.end(), level)
    return None


# --------------------------------------------------------------------------- numbering sequence
# "2.2年以上…", "1.18-30岁", "4、1年以上", "1.5-2.5万/月": a number glued to the digits after it.
# Only the document's numbering decides whether "A." (or "A.B") is a marker: see _resolve_markers.
_AMBIGUOUS = re.compile(r"(\d{1,3})\s*([.．、,，。])(\d+)")
_LEAD_TOP = re.compile(r"(\d{1,3})\s*[.．、,，。]")
_LEAD_MULTI = re.compile(r"(\d{1,2})[.．](\d{1,2})(?!\d)")
# what follows a number that is a quantity, never a list item: years, ages, money, ranges
_QUANTITY_AFTER = re.compile(
    r"\s*(?:年(?![龄齡级級度终終底薪会會轻輕])|个月|個月|月(?![薪底度份])|岁|歲|周岁|週歲|歳|万|萬"
    r"|千|百|元|块|塊|[kKwW](?![A-Za-z])|%|％|小时|小時|天(?![猫貓津下空])|倍|[-~～—–至到]\s*\d)"
)
# "1.5-2.5万": a range whose other end is a decimal is made of decimals
_DECIMAL_RANGE = re.compile(r"\s*[-~～—–至到]\s*\d+[.．]\d")
# "一、二线城市", "三，四级": tiers and grades, not an outline number
_CN_TIERS = re.compile(r"[一二三四五六七八九十](?:线|線|级|級|类|類|星|本|甲)")
_INLINE_TWO = re.compile(r"[。；;！!？?]\s*2\s*[、.．]\D|\s2\s*[、．]")  # "…男女不限。 2、对…"
_LOOKAHEAD = 8  # lines searched for the next item of a list that an ambiguous line would start


@dataclass
class _Numbering:
    """The last list numbers seen: ``top`` for 1. 2. 3., ``multi`` for 2.1 2.2."""

    top: int | None = None
    multi: tuple[int, ...] | None = None
    line: int = -2  # index of the last numbered line

    def update(self, marker: Marker | None, i: int) -> None:
        if marker is None:
            return
        self.line = i
        if marker.style == "arabic":
            self.top = marker.number
        elif marker.style == "multi" and marker.level:
            self.multi = marker.level[:2]
            self.top = marker.level[0]


def _resolve_markers(lines: list[_Line], corrupt_bullet: str | None) -> list[Marker | None]:
    """The marker of every line, read with the document's numbering sequence.

    A marker regex alone cannot tell "2.2年以上" (a quantity) from item 2 or sub-item 2.2; the
    items before and after can, so digits glued to a number become a marker only where the
    sequence calls for one and otherwise stay in the text.
    """
    seq = _Numbering()
    out: list[Marker | None] = []
    for i, line in enumerate(lines):
        text = line.text
        m = match_marker(text, corrupt_bullet)
        if m is None:
            if text[:1].isdigit():
                m = _ambiguous_marker(text, lines, i, seq)
        elif m.style == "multi" and _QUANTITY_AFTER.match(text, m.end):
            m = _ambiguous_marker(text, lines, i, seq)  # "1.5 万/月"
        elif m.style == "cn" and _CN_TIERS.match(text, m.end):
            m = None
        if m is not None:
            seq.update(m, i)
        out.append(m)
    return out


def _ambiguous_marker(text: str, lines: list[_Line], i: int, seq: _Numbering) -> Marker | None:
    """Read "A.B…" as sub-item A.B, as item A with text "B…", or as plain text, by sequence."""
    m = _AMBIGUOUS.match(text)
    if not m:
        return None
    a, sep, b = int(m.group(1)), m.group(2), m.group(3)
    dot = sep in ".．"
    if dot and _DECIMAL_RANGE.match(text, m.end()):
        return None
    decimal = dot and _QUANTITY_AFTER.match(text, m.end()) is not None  # "2.5年", "4.5K"
    if dot and len(b) <= 2 and not decimal:
        level = (a, int(b))
        if seq.multi == (a, level[1] - 1) or (
            level[1] == 1 and _next_number(lines, i, parent=a) == 2
        ):
            return Marker("multi", None, m.end(), level)
    previous = seq.top if seq.top is not None else (seq.multi[0] if seq.multi else None)
    # a decimal-looking number continues a list only right after its previous item
    if (previous == a - 1 and (not decimal or seq.line == i - 1)) or (
        a == 1 and (_INLINE_TWO.search(text, m.end()) or _next_number(lines, i) == 2)
    ):
        return Marker("arabic", a, m.start(3))
    return None


def _next_number(lines: list[_Line], i: int, parent: int | None = None) -> int | None:
    """The number of the next numbered line (its sub-number under ``parent``), None if none."""
    for line in lines[i + 1 : i + 1 + _LOOKAHEAD]:
        top = _LEAD_TOP.match(line.text)
        if top is None:
            continue
        if parent is None:
            return int(top.group(1))
        sub = _LEAD_MULTI.match(line.text)
        return int(sub.group(2)) if sub and int(sub.group(1)) == parent else None
    return None


# --------------------------------------------------------------------------- inline numbering
_INLINE = re.compile(r"(?P<num>\d{1,3})\s*、|[（(](?P<pnum>\d{1,2})[)）]")
_PAGE_HEAD = re.compile(r"^\d{1,2}(?=[\u4e00-\u9fff])")
_KNOWN_HEADINGS = (
    r"(?:岗位职责|崗位職責|工作内容|工作內容|任职要求|任職要求|任职资格|任職資格|岗位要求|崗位要求|"
    r"能力要求|职位要求|職位要求|主要职责|主要職責|工作职责|工作職責|岗位概述|崗位概述)"
)
# before a list that restarts at 1 ("…办公软件态度1、良好的…"), the last words are its heading
_KNOWN_HEADING_TAIL = re.compile(
    r"(?:" + _KNOWN_HEADINGS + r"|工作态度|態度|态度|职业素养|職業素養|素质要求|素質要求"
    r"|职业技能|職業技能)+"
    r"\s*[:：]?$"
)

# "岗位职责：1、负责…", "任职要求：工作认真…", "【岗位职责】负责…": a list heading glued to
# the first item on its line is split off, so the item gets its marker and the heading's context.
_LIST_HEADINGS = (
    r"岗位职责|崗位職責|工作职责|工作職責|职位职责|職位職責|主要职责|主要職責|职责描述|職責描述|职位描述|"
    r"職位描述|岗位描述|崗位描述|工作描述|工作内容|工作內容|岗位概述|崗位概述|任职要求|任職要求|任职资格|"
    r"任職資格|任职条件|任職條件|岗位要求|崗位要求|职位要求|職位要求|工作要求|招聘要求|应聘要求|應聘要求|"
    r"应聘条件|應聘條件|招聘条件|入职要求|岗位条件|基本要求|能力要求|"
    r"(?i:responsibilities|duties|requirements|qualifications|minimum qualifications|"
    r"preferred qualifications|what you(?:'ll| will) do|what we(?:'re| are) looking for)"
)
_LIST_HEADING_LINE = re.compile(_LIST_HEADINGS)
# the characters a glued list heading can start with: most lines are rejected by one set lookup
_LEAD_FIRST = frozenset(
    "一二三四五六七八九十（(【[岗崗工职職主任招应應入基能福薪员員公其rRdDqQmMpPwWbB"
)
_BENEFIT_HEADINGS = (
    r"福利待遇|薪资待遇|薪資待遇|薪资福利|薪資福利|薪酬福利|薪酬待遇|公司福利|员工福利|員工福利|工资待遇|"
    r"岗位待遇|职位待遇|其他福利|(?i:benefits|what we offer)"
)
_LEAD_HEADING = re.compile(
    r"(?:[一二三四五六七八九十]{1,3}\s*[、.．]\s*|[（(][一二三四五六七八九十]{1,2}[)）]\s*)?"
    r"(?P<open>[【\[]\s*)?"
    r"(?:(?P<list>" + _LIST_HEADINGS + r")|(?P<benefit>" + _BENEFIT_HEADINGS + r"))"
    r"(?(open)\s*[】\]]\s*[:：]?|(?:\s*[:：]|\s{2,}|\s(?=\S*[\u4e00-\u9fff])))\s*(?=[^\s:：])"
)
# glued behind an item's full stop, or (the "概述" overview words, never prose) anywhere
_KNOWN_HEADING_INSIDE = re.compile(
    r"(?:(?<=[。;；!！?？])\s*(?P<page>\d{1,2})?(?P<head>" + _KNOWN_HEADINGS + r"+"
    r"|(?:工作地址|工作地點|工作地点|联系方式|聯繫方式|福利待遇|薪资待遇|薪資待遇)[:：])"
    r"|(?P<overview>岗位概述|崗位概述|职位概述|職位概述|工作概述))"
)


@dataclass
class _Inline:
    start: int  # start of the marker (after any page number)
    end: int  # start of the body
    number: int
    page: tuple[int, int] | None  # glued page-number span


def _inline_markers(body: str, last: int | None) -> list[_Inline]:
    """Numbering hidden in run-on text ("…工作。2、参与…", "…措施。216、对…"), sequence-aware."""
    found: list[_Inline] = []
    for m in _INLINE.finditer(body):
        if m.start() == 0:
            continue
        raw = m.group("num") or m.group("pnum")
        n = int(raw)
        prev = body[m.start() - 1]
        if prev.isascii() and prev.isalnum():
            continue  # "html5、css3、javascript": part of a word
        after_stop = prev in '。.!！?？;；)）”"' or prev.isspace()
        if not after_stop and body[m.end() : m.end() + 1].isdigit():
            continue  # "具备1、2年经验": a list of numbers
        expected = (last or 0) + 1
        page = None
        if n == expected or n == 1 or (after_stop and expected < n <= expected + 2):
            pass
        elif (
            after_stop
            and m.group("num")
            and len(raw) > len(str(expected))
            and raw.endswith(str(expected))
        ):
            cut = m.start() + len(raw) - len(str(expected))
            page = (m.start(), cut)
            n = expected
        else:
            continue
        start = page[1] if page else m.start()
        found.append(_Inline(start, m.end(), n, page))
        last = n
    return found


# --------------------------------------------------------------------------- sections & headings
_SECTION_RES = [
    re.compile(r"^.{0,40}?篇[一二三四五六七八九十百零〇\d]{1,3}\s*$"),
    re.compile(r"^篇[一二三四五六七八九十\d]{1,3}\s*[:：、.．]\s*\S.{0,40}$"),
    re.compile(r"^[一二三四五六七八九十]{1,3}\s*[、.．]\s*\S{1,16}\s*(?:岗位职责|崗位職責)$"),
]
_EN_SECTION = re.compile(
    r"^(?P<title>(?:Responsibilities|Duties) of (?:the )?[A-Za-z ]{3,50}?"
    r"|[A-Z][A-Za-z ]{2,50}? Job (?:Responsibilities|Duties|Description))"
    r"(?:[:.]?\s*(?P<num>\d{1,2})(?=\s|$)|\.(?=\s)|\s*$)",
    re.I,
)

_HEADING_CATEGORIES: list[tuple[str, re.Pattern[str]]] = [
    (
        REQUIREMENT,
        re.compile(
            r"(任职|要求|资格|素质|能力|职业技能|技能|学历|工作经验|培训经历|态度|qualification|"
            r"requirement|skill|competenc|education|experience)",
            re.I,
        ),
    ),
    (
        OTHER,
        re.compile(
            r"(权限|基本信息|工作关系|职业发展|晋升|薪|待遇|福利|authority|evaluation|"
            r"working relationship|vocational|conditions of use|salary|benefit|overview|"
            r"职称|方法|如何|优点|缺点|概述)",
            re.I,
        ),
    ),
    (
        DUTY,
        re.compile(
            r"(职责|职务|工作内容|工作项目|主要工作|责任|任务|duties|duty|responsibilit|task|"
            r"work content|job description)",
            re.I,
        ),
    ),
]


@lru_cache(maxsize=8192)  # headings repeat across postings ("岗位职责："); normalising is costly
def heading_category(title: str) -> str:
    """duty / requirement / other for a heading or section title, '' when it says nothing.

    The category whose word comes last wins: glued headings end with the most specific one
    (责任与权限责任 -> duty, 城市经理岗位素质标准及要求 -> requirement).
    """
    norm = normalize(title)
    best, best_pos = "", -1
    for cat, pat in _HEADING_CATEGORIES:
        for m in pat.finditer(norm):
            if m.end() > best_pos:
                best, best_pos = cat, m.end()
    return best


def _is_short(text: str) -> bool:
    if len(text) > 40:
        return False
    if len(text) <= 16:
        return True
    han = len(_HAN_CHAR.findall(text))
    words = len(_EN_WORD.findall(text))
    return han <= 16 and words <= 6 and len(text) <= 40


def _ends_terminal(text: str) -> bool:
    return text.rstrip().endswith(_TERMINAL)


_TITLE_MAX = 40  # Han characters
_FIELD_KEY = re.compile(r"^[^（(\[【：:]{1,16}[:：]")
_NOT_TITLE = re.compile(
    r"\d{7,}|^(?:当你|當你|如果|若您|您|你们|你們|我们|我們|我司|我公司|本公司|本岗|本崗|该|該)"
    r"|经验|經驗|熟练|熟練|掌握|必须|必須|务必|務必|须有|須有|要求|[=＝]"
)
_ENCLOSED = re.compile(r"【[^】]*】|\[[^\]]*\]")
_BRACKETED = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
_NOT_A_JOB = re.compile(
    r"(?:的)?(?:" + _LIST_HEADINGS + "|" + _BENEFIT_HEADINGS + r"|说明书|說明書|job description)",
    re.I,
)


@lru_cache(maxsize=1)
def _job_nouns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(Chinese substrings, English whole words) from data/job_nouns.txt."""
    text = resources.files("jdsearch.data").joinpath("job_nouns.txt").read_text("utf-8")
    lines = [ln.strip() for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    patterns = [ln[3:] for ln in lines if ln.startswith("re:")]
    words = {w for ln in lines if not ln.startswith("re:") for w in ln.split()}
    cjk = sorted((w for w in words if _HAN_CHAR.search(w)), key=len, reverse=True)
    en = sorted((w for w in words if not _HAN_CHAR.search(w)), key=len, reverse=True)
    return (
        re.compile("|".join([*patterns, *map(re.escape, cjk)])),
        re.compile(r"\b(?:" + "|".join(map(re.escape, en)) + r")s?\b", re.I),
    )


def looks_like_title(text: str) -> bool:
    """A job title line ("数据分析师（上海·徐汇）", "Senior Data Engineer - Shanghai").

    Short, not a sentence, list item, section title or "key: value" field, and it names a job
    once heading words are set aside ("区域经理岗位职责" names one, "岗位职责" does not).
    """
    if len(_HAN_CHAR.findall(text)) > _TITLE_MAX or len(_EN_WORD.findall(text)) > 14:
        return False
    if _ends_terminal(text) or text.endswith((":", "：")) or _INNER_STOP.search(text):
        return False
    if _FIELD_KEY.match(text) or match_marker(text) or _AMBIGUOUS.match(text):
        return False
    if any(p.match(text) for p in _SECTION_RES) or _EN_SECTION.match(text):
        return False
    if _NOT_TITLE.search(text) or _ENCLOSED.fullmatch(text):
        return False  # a phone number, a sentence opening, "【招聘岗位】"
    bare = _BRACKETED.sub("", text)
    if len(bare) > 20 and ("，" in bare or ("," in bare and _HAN_CHAR.search(bare))):
        return False  # "我公司主要经营…，负责…": a sentence (commas in brackets are details)
    if len(text) < 2 or text.endswith(("，", ",", "、")):
        return False
    name = _NOT_A_JOB.sub(" ", text)
    cjk, en = _job_nouns()
    return bool(cjk.search(name) or en.search(name))


def _is_field(text: str) -> bool:
    """A 'key: value' line from a JD form (岗位名称:城市经理, Job Title: Regional Sales Manager)."""
    m = re.match(r"^([^:：,，。;；]{1,24})[:：]\s*(.*)$", text)
    if not m or len(m.group(2)) > 60:
        return False
    key = m.group(1)
    return len(re.findall(r"[A-Za-z]+", key)) <= 4 and len(re.findall(r"[\u4e00-\u9fff]", key)) <= 8


# --------------------------------------------------------------------------- the segmenter
@dataclass
class _Line:
    start: int  # offset of the stripped body in the document
    text: str


class Segmenter:
    """Splits one document into pieces and clauses; ``boilerplate`` is the pattern list."""

    def __init__(
        self,
        boilerplate: tuple[re.Pattern[str], re.Pattern[str]] | None = None,
        normalizer: Normalizer | None = None,
    ) -> None:
        self.boilerplate = load_boilerplate() if boilerplate is None else boilerplate
        self.normalizer = normalizer or default_normalizer()

    # ---- public
    def segment(self, text: str, title: str = "", detect_title: bool = False) -> Segmentation:
        """Pieces and clauses of ``text``; ``title`` (from the reader) is the first section.

        ``detect_title``: for a whole file (.txt/.docx/.pdf) whose reader gave no title, a job
        title on the first line becomes a ``title`` piece and ``Segmentation.title``. Rows of a
        table never ask for it: their first line is body text.
        """
        markup = markdown_spans(text)
        work = mask(text, markup)  # markup blanked out: offsets unchanged
        state = _State(text=work, seg=Segmentation(), section=title)
        lines = list(self._split_lead_headings(self._content_lines(work, state)))
        if detect_title and not title and len(lines) > 1 and looks_like_title(lines[0].text):
            first = lines.pop(0)
            state.add(Piece("title", first.start, first.start + len(first.text)))
            state.seg.title = state.section = first.text
        state.corrupt_bullet = _corrupt_bullet(lines)
        markers = _resolve_markers(lines, state.corrupt_bullet)
        for i, line in enumerate(lines):
            if i + 1 < len(lines):
                self._line(state, line, markers[i], lines[i + 1], markers[i + 1])
            else:
                self._line(state, line, markers[i], None, None)
        state.finish()
        cut = _cut_markup(state.seg, text, markup) if markup else []
        self._normalize(text, state.seg.clauses)
        for c in cut:
            c.norm = self.normalizer.normalize(c.text)
        _type_clauses(state.seg.clauses, detect_lang(text, HANS))
        return state.seg

    def _normalize(self, text: str, clauses: list[RawClause]) -> None:
        """Matching forms for all clauses from one folding of the whole document."""
        folded = self.normalizer.fold(text)
        for c in clauses:
            if folded is None:
                c.norm = self.normalizer.normalize(c.text)
            else:
                joined = c.joiner.join(folded[s:e] for s, e in c.spans)
                c.norm = self.normalizer.variants_only(joined)

    # ---- lines
    def _content_lines(self, text: str, state: _State) -> Iterator[_Line]:
        """Lines with boilerplate cut out and recorded; empty lines dropped."""
        pos = 0
        for raw in text.split("\n"):
            spans = _boilerplate_spans(raw, self.boilerplate)
            cursor = 0
            for s, e in [*spans, (len(raw), len(raw))]:
                chunk = raw[cursor:s]
                if chunk.strip():
                    lead = len(chunk) - len(chunk.lstrip())
                    yield _Line(pos + cursor + lead, chunk.strip())
                if e > s:
                    state.add(Piece("boilerplate", pos + s, pos + e))
                cursor = e
            pos += len(raw) + 1

    def _split_lead_headings(self, lines: Iterable[_Line]) -> Iterator[_Line]:
        """A list heading and the text after it on one line become two lines."""
        for line in lines:
            m = _LEAD_HEADING.match(line.text) if line.text[:1] in _LEAD_FIRST else None
            rest = line.text[m.end() :] if m else ""
            if m and (m.group("list") or _introduces_items(rest)):
                yield _Line(line.start, line.text[: m.end()].rstrip())
                yield _Line(line.start + m.end(), rest)
            else:
                yield line

    def _line(
        self,
        st: _State,
        line: _Line,
        marker: Marker | None,
        nxt: _Line | None,
        nxt_marker: Marker | None,
    ) -> None:
        if self._section(st, line, nxt, nxt_marker):
            return
        text, base = line.text, line.start
        if marker and marker.style == "resp":  # "Responsibility 2" alone: numbers the next line
            st.close_clause()
            st.pending = (base, base + len(text), marker)
            return
        body_start = marker.end if marker else 0
        body = text[body_start:]
        if marker:
            st.close_clause()
            st.add(Piece("marker", base, base + body_start))
        elif st.pending:
            s, e, marker = st.pending
            st.add(Piece("marker", s, e))
        st.pending = None
        suffix = _SUFFIX_MARKER.search(body)
        if suffix:
            st.add(
                Piece("marker", base + body_start + suffix.start(), base + body_start + len(body))
            )
            body = body[: suffix.start()]
        if not body.strip():
            if marker:
                st.pending = (base, base, marker)
            return
        if self._heading(st, body, base + body_start, marker, nxt, nxt_marker):
            return
        self._items(st, body, base + body_start, marker, line)

    def _section(
        self, st: _State, line: _Line, nxt: _Line | None, nxt_marker: Marker | None
    ) -> bool:
        text = line.text
        for pat in _SECTION_RES:
            if pat.match(text):
                st.new_section(text, line.start, line.start + len(text))
                return True
        m = _EN_SECTION.match(text)
        if not m:
            return False
        title_end = m.end("num") if m.group("num") else m.end("title")
        st.new_section(text[:title_end].strip(), line.start, line.start + m.end())
        rest = text[m.end() :]
        if rest.strip():
            lead = len(rest) - len(rest.lstrip())
            rest = rest.strip()
            marker = match_marker(rest, st.corrupt_bullet)
            self._line(st, _Line(line.start + m.end() + lead, rest), marker, nxt, nxt_marker)
        return True

    def _heading(
        self,
        st: _State,
        body: str,
        start: int,
        marker: Marker | None,
        nxt: _Line | None,
        nxt_marker: Marker | None,
    ) -> bool:
        """Short, unpunctuated lines introducing what follows become context, not clauses."""
        stripped = body.rstrip(" :：")
        if not _is_short(body):
            return False
        if _ends_terminal(body):
            # "Second, market and investment promotion." before "4. Provide …"
            outline = marker is not None and marker.style in ("word", "roman", "cn", "mt")
            if not (
                outline
                and body.rstrip().endswith(".")
                and nxt_marker
                and nxt_marker.style != marker.style
            ):
                return False
        category = heading_category(stripped)
        ends_colon = body.rstrip(" 】]").endswith((":", "："))  # "岗位要求：", "【岗位要求：】"
        if _is_field(body) and not ends_colon:
            return False
        if _states_content(stripped) or (
            st.headed and marker is None and nxt_marker is not None and not (category or ends_colon)
        ):
            # "…2000元。 +提成", "3年以上经验"; a plain line between a heading and a list is the
            # heading's content ("【岗位职责】负责销售\n一、任职要求")
            return False
        if nxt is None and not ends_colon:
            return False  # the last line introduces nothing ("…工作地址：\n<address>")
        introduces = nxt is None or (
            nxt_marker is None
            or marker is None
            or (nxt_marker.style != marker.style and not _other_parent(marker, nxt_marker))
            or (nxt_marker.number == 1 and marker.number != 0)
        )
        list_item = marker and marker.style in (
            "arabic",
            "paren",
            "bullet",
            "arabic_paren",
            "broken",
            "circled",
        )
        name = stripped.strip(" 【】[]:：")
        named = ends_colon and _LIST_HEADING_LINE.fullmatch(name) is not None
        # the next number of the open list ("4.参与代码维护" after 3., before "三、") is an item,
        # unless a sub-list starts under it ("3、代理商管理" before "1)…")
        sublist = (
            nxt_marker is not None
            and marker is not None
            and nxt_marker.style != marker.style
            and nxt_marker.number in (1, None)
        )
        continues = (
            marker is not None
            and marker.style == "arabic"
            and st.last_number is not None
            and marker.number == st.last_number + 1
            and not sublist
        )
        if list_item and not named and (
            continues
            or not (introduces and nxt_marker is not None and nxt_marker.style != marker.style)
        ):
            return False  # "5、工作职责：" is still a heading
        if not (ends_colon or category or introduces):
            return False
        # an unmarked short line before an unmarked one: a sub-heading only if the next is prose
        if (
            not category
            and not ends_colon
            and nxt is not None
            and nxt_marker is None
            and _is_short(nxt.text)
            and not _ends_terminal(nxt.text)
        ):
            return False
        st.new_heading(body, start, start + len(body), category)
        return True

    def _items(self, st: _State, body: str, start: int, marker: Marker | None, line: _Line) -> None:
        inline = _inline_markers(body, marker.number if marker else st.last_number)
        if st.continues(body, marker, inline):
            st.extend(body, start, inline)
            return
        if not inline:
            st.open_clause(body, start, marker)
            return
        first = body[: inline[0].start]
        if first.strip():
            self._lead_text(st, first, start, marker)
        for k, item in enumerate(inline):
            end = inline[k + 1].start if k + 1 < len(inline) else len(body)
            if item.page:
                st.add(Piece("page", start + item.page[0], start + item.page[1]))
            nxt_page = inline[k + 1].page if k + 1 < len(inline) else None
            if nxt_page:
                end = nxt_page[0]
            st.close_clause()
            st.add(Piece("marker", start + item.start, start + item.end))
            seg = body[item.end : end]
            self._run_on_item(
                st,
                seg,
                start + item.end,
                Marker("arabic", item.number, 0),
                restart_next=k + 1 < len(inline) and inline[k + 1].number == 1,
            )

    def _lead_text(self, st: _State, text: str, start: int, marker: Marker | None) -> None:
        """Run-on text before an inline list: a glued page number, prose, then maybe a heading."""
        page = _PAGE_HEAD.match(text) if marker is None else None
        if page and (len(text) > 40 or _is_short(text)):
            st.add(Piece("page", start, start + page.end()))
            text, start = text[page.end() :], start + page.end()
        known = _KNOWN_HEADING_TAIL.search(text)
        if known and known.start() == 0:
            known = None
        # a heading after prose ("…，竞争小 岗位职责："), not a titled one ("销售岗位职责")
        glued = known is not None and (
            not _is_short(text) or _BREAK.search(text[: known.start()].rstrip()) is not None
        )
        outline = marker is None or marker.style in ("cn", "cnparen")
        if outline and _is_short(text) and not _ends_terminal(text) and not glued:
            category = heading_category(text)
            if marker is None or category:  # "一、职位描述 1、学历…"
                st.new_heading(text, start, start + len(text), category)
                return
        if known is not None:
            st.open_clause(text[: known.start()], start, marker)
            st.new_heading(
                known.group(0),
                start + known.start(),
                start + len(text),
                heading_category(known.group(0)),
            )
            return
        st.open_clause(text, start, marker)

    def _run_on_item(
        self, st: _State, seg: str, start: int, marker: Marker, restart_next: bool
    ) -> None:
        """An inline item; when a new list restarts after it, its unpunctuated tail is a heading."""
        tail_start = len(seg)
        if restart_next:
            cut = max((seg.rfind(c) for c in "。;；!！?？"), default=-1) + 1
            tail = seg[cut:]
            if tail.strip() and cut > 0:
                tail_start = cut
        item = seg[:tail_start]
        known = _KNOWN_HEADING_INSIDE.search(item)
        if known:  # "…投诉的权利。5任职要求学历及专业…": a heading glued after the item
            st.open_clause(item[: known.start()], start, marker)
            if known.group("page"):
                st.add(Piece("page", start + known.start("page"), start + known.end("page")))
            group = "head" if known.group("head") else "overview"
            h = known.group(group)
            st.new_heading(
                h, start + known.start(group), start + known.end(group), heading_category(h)
            )
            rest = item[known.end() :]
            if rest.strip():
                lead = len(rest) - len(rest.lstrip())
                st.open_clause(rest.strip(), start + known.end() + lead, None)
        elif item.strip():
            st.open_clause(item, start, marker)
        tail = seg[tail_start:]
        if tail.strip():
            lead = len(tail) - len(tail.lstrip())
            self._lead_text(st, tail.strip(), start + tail_start + lead, None)


_INNER_STOP = re.compile(r"[。！？；!?;]\s*\S")
_BREAK = re.compile(r"[，,。；;！!？?\s]")
# an age or years of experience: a requirement, never the title of what follows
_QUANTITY_TEXT = re.compile(
    r"\d\s*(?:年(?:以上|及以上|或以上|以下|以内|左右)|年\S{0,6}经验|岁|歲|周岁|週歲)|经验\s*\d"
)


_ADDRESS = re.compile(r"\d+\s*(?:号|號|室|楼|樓|层|層|栋|棟|幢|座|弄)")


def _states_content(text: str) -> bool:
    """A sentence stop inside or a comma at the end, an address, or a stated quantity outside
    brackets ("【3年规划】" is a title)."""
    if _INNER_STOP.search(text) or _ADDRESS.search(text) or text.endswith(("，", ",", "、")):
        return True
    return bool(_QUANTITY_TEXT.search(text)) and not text.startswith(("【", "[", "（", "("))


def _introduces_items(rest: str) -> bool:
    """After a benefits heading: a numbered first item or a long text, not a short value."""
    return match_marker(rest) is not None or (
        len(rest) >= 30 and any(c in rest for c in "。；;，,")
    )


def _cut_markup(seg: Segmentation, text: str, markup: list[tuple[int, int]]) -> list[RawClause]:
    """Markup pieces, with every other piece and clause span cut around them.

    Returns the clauses whose text was rebuilt without the markup inside them ("负责**核心**业务"
    -> "负责核心业务"), whose matching form must be recomputed from their new text.
    """
    starts = [s for s, _ in markup]

    def outside(start: int, end: int) -> list[tuple[int, int]]:
        parts, pos = [], start
        for s, e in markup[max(0, bisect_right(starts, start) - 1) :]:
            if s >= end:
                break
            if e > pos:
                parts.append((pos, max(pos, s)))
                pos = max(pos, e)
        parts.append((pos, end))
        return [(s, e) for s, e in parts if text[s:e].strip()]

    pieces = [Piece(p.kind, s, e) for p in seg.pieces for s, e in outside(p.start, p.end)]
    seg.pieces = pieces + [Piece("markup", s, e) for s, e in markup]
    rebuilt = []
    for c in seg.clauses:
        parts = [outside(s, e) for s, e in c.spans]
        if all(p == [span] for p, span in zip(parts, c.spans, strict=True)):
            continue
        c.spans = [span for p in parts for span in p]
        c.text = c.joiner.join("".join(text[s:e] for s, e in p) for p in parts if p).strip()
        rebuilt.append(c)
    return rebuilt


def _other_parent(marker: Marker, nxt: Marker) -> bool:
    """Sub-item 2.1 after item 1: item 1 is not the heading of what follows."""
    return nxt.style == "multi" and bool(nxt.level) and nxt.level[0] != marker.number


def _corrupt_bullet(lines: list[_Line]) -> str | None:
    """A character that stands where a bullet was lost (001's 某), if >= 3 lines start with it."""
    for ch in _CORRUPT_BULLETS:
        if sum(1 for ln in lines if ln.text.startswith(ch)) >= 3:
            return ch
    return None


@dataclass
class _State:
    text: str
    seg: Segmentation
    section: str = ""
    heading: str = ""
    context: str = ""
    base_context: str = ""  # from the last duty/requirement heading: survives sub-headings
    section_context: str = ""
    corrupt_bullet: str | None = None
    pending: tuple[int, int, Marker] | None = None
    last_number: int | None = None
    open: RawClause | None = None
    last_line_len: int = 0
    headed: bool = False  # a heading came last: the next plain line is its content

    def add(self, piece: Piece) -> None:
        if piece.end > piece.start:
            self.seg.pieces.append(piece)

    def new_section(self, title: str, start: int, end: int) -> None:
        self.close_clause()
        self.add(Piece("section", start, end))
        self.section = title
        self.seg.sections.append(title)
        self.section_context = heading_category(title) or OTHER
        self.heading, self.context, self.base_context, self.last_number = "", "", "", None

    def new_heading(self, title: str, start: int, end: int, category: str) -> None:
        self.close_clause()
        self.add(Piece("heading", start, end))
        self.seg.headings.append(title)
        self.heading = title.rstrip(" :：")
        if category in (DUTY, REQUIREMENT):
            self.base_context = category
        self.context = category or self.base_context
        self.last_number = None
        self.headed = True

    def open_clause(self, text: str, start: int, marker: Marker | None) -> None:
        self.close_clause()
        self.headed = False
        lead = len(text) - len(text.lstrip())
        body = text.strip()
        self.open = RawClause(
            spans=[(start + lead, start + lead + len(body))],
            text=body,
            number=marker.number if marker else None,
            style=marker.style if marker else "",
            section=self.section,
            heading=self.heading,
            context=self.context or self.section_context,
        )
        if marker and marker.number is not None and marker.style in ("arabic", "paren", "broken"):
            self.last_number = marker.number
        self.last_line_len = len(body)

    def continues(self, body: str, marker: Marker | None, inline: list[_Inline]) -> bool:
        """A hard-wrapped line: no marker, and the open clause stopped mid-sentence."""
        if marker or self.open is None or (inline and inline[0].start == 0):
            return False
        if _ends_terminal(self.open.text) or self.open.text.endswith((":", "：")):
            return False
        if _is_field(self.open.text) or _is_field(body):
            return False
        if re.match(r"[A-Za-z]", body):  # English hard wraps continue in lower case
            return body[:1].islower()
        return self.last_line_len >= 20

    def extend(self, body: str, start: int, inline: list[_Inline]) -> None:
        assert self.open is not None
        joiner = " " if self.open.lang == EN or re.match(r"[A-Za-z]", body) else ""
        self.open.spans.append((start, start + len(body)))
        self.open.text += joiner + body
        self.open.joiner = joiner
        self.last_line_len = len(body)

    def close_clause(self) -> None:
        """Emit the open clause; one with no letter or digit at all ("；") is noise."""
        if self.open is not None:
            kind = "clause" if _WORDY.search(self.open.text) else "noise"
            if kind == "clause":
                self.seg.clauses.append(self.open)
            for s, e in self.open.spans:
                self.add(Piece(kind, s, e))
            self.open = None

    def finish(self) -> None:
        if self.pending:
            s, e, _ = self.pending
            self.add(Piece("marker", s, e))
        self.close_clause()


# --------------------------------------------------------------------------- typing
def classify(clause: RawClause) -> str:
    """duty / requirement / other for one clause: the learned model (jdsearch.kinds) reading
    its matching form, with the category of the heading above it as context.

    One clause at a time is for callers outside the segmenter; ``_type_clauses`` types a whole
    document in one batch.
    """
    norm = clause.norm or normalize(clause.text)
    return KindModel.load().predict([norm], [clause.lang], [model_context(clause)])[0]


def model_context(clause: RawClause) -> str:
    """The heading context as the kind model takes it (see jdsearch.kinds.CONTEXTS).

    ``duty`` when the heading right above the clause (or, without one, its section title)
    says so; ``~duty`` when the category comes from further up or is a section's default:
    an address under 工作地址 inherits 任职要求's category but is no requirement.
    """
    if not clause.context:
        return ""
    own = heading_category(clause.heading or clause.section)
    return clause.context if own == clause.context else "~" + clause.context


def _type_clauses(clauses: list[RawClause], doc_lang: str) -> None:
    """Language, implicit item numbers, then kinds (one model call) and the fragment flag."""
    for i, c in enumerate(clauses):
        c.lang = detect_lang(c.text, doc_lang)
        # an unnumbered first item followed by item 2 is item 1 ("…manager. Formulation … 2. Sales")
        nxt = clauses[i + 1] if i + 1 < len(clauses) else None
        if not c.style and nxt and nxt.number == 2 and nxt.section == c.section:
            c.style = "implicit"
    typed = type_clauses(
        [c.norm or normalize(c.text) for c in clauses],
        [c.lang for c in clauses],
        [model_context(c) for c in clauses],
    )
    for c, (kind, fragment) in zip(clauses, typed, strict=True):
        c.kind, c.fragment = kind, fragment
