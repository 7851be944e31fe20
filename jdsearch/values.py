"""The values a clause states, so near-duplicates can be told from variants.

A character ratio of 90+ cannot see that 2年 and 3年 of experience, 本科 and 硕士, 五险一金 and
五险,
or 本岗以外 and 本岗以内 are different requirements; a reader can. :func:`values_of` pulls out what
a reader would check, in order of appearance:

- quantities: numbers with their unit and direction (``3年+`` for 3年以上 / 至少3年 / at least
  3 years, ``18-26岁`` for 18-26周岁, ``2-3次``, ``4000+`` for 4000起); Chinese numerals count
  only before a unit (一年 yes, 一定 no), and a leading list number (``3做事细心``) is
  numbering, not a value. A number that is no quantity — bare (门店地址8, 6层J座, 4S店), an
  ordinal (第三年), a calendar year or date, a code with a leading zero (0531-…), house numbers
  and floors — is an *identifier*: it must be equal on both sides, never a variant's value;
- degree levels (``本科``, of which 大学本科 is the full name; Bachelor's -> 本科). Their
  qualifiers (统招, 全日制, 公办 …) are not values but part of the requirement: they stay in the
  template, so 统招本科 and 本科 are two requirements, not one requirement with two values;
- certificates with a level (CET-4 = 英语四级 -> ``cet4``; 专八, JLPT N2, 计算机二级, C1 驾照)
  and grades (初级/中级/高级);
- benefits from a short list (五险一金, 五险, 双休 …);
- modality: how many "preferred" marks (优先, 加分, preferred, a plus): "X优先" is not "X";
- polarity: how many negations (不/无/非/没/未/勿/禁, no/not/without …, with the words that only
  look negative such as 不断, 非常, 无锡 left out) and the scope words 以内/以外.

Each value is replaced in the *template* by one slot mark per kind, so "具有3年以上相关工作经验" and
"具有三年以上相关工作经验" have the same template and the same value, while "具有2年以上…" has
the same template and another value: a variant. Everything is computed from the matching form
(:func:`jdsearch.normalize.normalize`), so scripts and full-width digits do not matter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# slot marks: rare Han characters, so keys and templates keep them as word characters
NUM, DEGREE, CERT, BENEFIT, LEVEL, IDENT, SCHEDULE, BOARD = "㐀㐁㐂㐃㐄㐅㐆㐇"
SLOT_MARKS = NUM + DEGREE + CERT + BENEFIT + LEVEL + IDENT + SCHEDULE + BOARD
IDENT_UNITS = frozenset(["号", "栋", "层", "室", "座"])  # house numbers, floors: addresses

# --------------------------------------------------------------------------- lexicons
_DEGREE_BASE = {
    "初中": "初中",
    "高中": "高中",
    "中专": "中专",
    "中技": "中专",
    "技校": "中专",
    "职高": "中专",
    "职校": "中专",
    "中职": "中专",
    "大专": "大专",
    "专科": "大专",
    "高职": "大专",
    "本科": "本科",
    "学士": "本科",
    "硕士": "硕士",
    "研究生": "硕士",
    "博士": "博士",
    "mba": "mba",
    "emba": "mba",
    "high school": "高中",
    "associate degree": "大专",
    "associates degree": "大专",
    "bachelor": "本科",
    "bachelors": "本科",
    "undergraduate degree": "本科",
    "master": "硕士",
    "masters": "硕士",
    "phd": "博士",
    "doctorate": "博士",
    "doctoral": "博士",
}
# abbreviations that are degrees only near the word "degree" (ms office, ma ...)
_DEGREE_ABBR = {
    "ba": "本科",
    "bs": "本科",
    "bsc": "本科",
    "beng": "本科",
    "ms": "硕士",
    "msc": "硕士",
    "ma": "硕士",
    "meng": "硕士",
}
# qualifiers of a degree: part of the requirement (they stay in the template), never a value
_QUALIFIER_WORDS = (
    "全日制 统招 公办 民办 重点 正规 一本 二本 三本 一类 二类 双一流 名校 海外 985 211"
)
DEGREE_QUALIFIERS = frozenset(_QUALIFIER_WORDS.split(" "))
_INSURANCE = {
    "五险一金": "五险一金",
    "六险一金": "六险一金",
    "七险一金": "七险一金",
    "三险一金": "三险一金",
    "五险二金": "五险二金",
    "五险两金": "五险二金",
    "六险二金": "六险二金",
    "五险": "五险",
    "三险": "三险",
    "社保": "社保",
}
_SCHEDULE = {"双休": "双休", "单休": "单休", "大小周": "大小周"}
_BOARD = {"包吃住": "包吃住", "包食宿": "包吃住", "包住": "包住", "包吃": "包吃"}
# benefits with no alternative value: they must simply be there on both sides
_FIXED_BENEFITS = {
    "公积金": "公积金",
    "年终奖": "年终奖",
    "带薪年假": "带薪年假",
    "餐补": "餐补",
    "节日福利": "节日福利",
    "商业保险": "商业保险",
}
_BENEFITS = {
    **{k: (BENEFIT, v) for k, v in _INSURANCE.items()},
    **{k: (SCHEDULE, v) for k, v in _SCHEDULE.items()},
    **{k: (BOARD, v) for k, v in _BOARD.items()},
    **{k: ("", v) for k, v in _FIXED_BENEFITS.items()},
}
_LEVELS = {"初级": "初级", "中级": "中级", "高级": "高级"}

_CN_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_CN_DIGIT.update({"八": 8, "九": 9})
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "零一二两三四五六七八九十百千"
_UNITS = {  # unit as written -> unit in the value (so 3 years and 3年 agree)
    "个工作日": "工作日",
    "工作日": "工作日",
    "个月": "月",
    "周岁": "岁",
    "小时": "小时",
    "分钟": "分钟",
    "平方米": "平米",
    "平米": "平米",
    "公里": "公里",
    "公斤": "公斤",
    "万元": "万元",
    "千元": "千元",
    "年": "年",
    "岁": "岁",
    "月": "月",
    "天": "天",
    "日": "日",
    "周": "周",
    "次": "次",
    "人": "人",
    "名": "人",
    "个": "个",
    "层": "层",
    "楼": "层",
    "室": "室",
    "座": "座",
    "级": "级",
    "届": "届",
    "项": "项",
    "种": "种",
    "门": "门",
    "家": "家",
    "套": "套",
    "台": "台",
    "件": "件",
    "倍": "倍",
    "位": "位",
    "场": "场",
    "元": "元",
    "万": "万",
    "千": "千",
    "k": "k",
    "w": "万",
    "%": "%",
    "号": "号",
    "栋": "栋",
    "点": "点",
    "years": "年",
    "year": "年",
    "yrs": "年",
    "yr": "年",
    "months": "月",
    "month": "月",
    "weeks": "周",
    "week": "周",
    "days": "天",
    "day": "天",
    "hours": "小时",
    "hour": "小时",
    "hrs": "小时",
    "people": "人",
    "persons": "人",
    "languages": "种",
}
_MORE = "及以上|以上|或以上|多|余|起|\\+|or more|or above|plus|and above"
_LESS = "以下|以内|之内|or less|or below|or under"
_ABOUT = "左右|上下"
_PRE_ABOUT = "大约|约|将近|approximately|about|around"
_PRE_MORE = (
    "至少|不少于|不低于|不小于|超过|最少|最低|满|大于|高于|多于"
    "|at least|more than|over|minimum of|minimum|min"
)
_PRE_LESS = (
    "不超过|不高于|不大于|不多于|最多|最高|小于|低于|少于"
    "|less than|under|up to|no more than|maximum of|maximum|max"
)
_EN_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_EN_NUM.update({"eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20})


def _alt(words: object) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))  # type: ignore[call-overload]


_ONE_NUM = rf"\d+(?:\.\d+)?|[{_CN_NUM}]+半?|半|{_alt(_EN_NUM)}"
_VALUE_PATTERN = (
    r"(?P<time>\d{1,2}:\d{2}(?:\s*(?:-|~|—|–|至|到)\s*\d{1,2}:\d{2})?)"
    r"|"
    # certificates with a level (before numbers: 英语四级 is one value, not 4级)
    r"(?P<cet>(?:大学英语|英语|cet)\s*-?\s*(?P<cetn>[46四六])\s*级?(?:\s*[/、和或]\s*(?P<cetm>[46四六])\s*级)?)"
    r"|(?P<tem>(?:英语专业|专业|tem)\s*-?\s*(?P<temn>[48四八])\s*级?|专(?P<temz>[四八]))"
    r"|(?P<jlpt>(?:日语|jlpt)\s*-?\s*n\s*(?P<jlptn>[1-5])(?![0-9])|日语\s*(?P<jlptz>[一二三四])\s*级)"
    r"|(?P<ncre>计算机\s*(?P<ncren>[一二三四1-4])\s*级)"
    r"|(?P<drive>(?<![a-z0-9])(?P<drivec>[abc][12])(?![a-z0-9])"
    r"(?=\s*(?:及以上)?\s*(?:驾|照|牌|证)))"
    rf"|(?P<benefit>{_alt(_BENEFITS)})"
    rf"|(?:大学\s*)?(?P<degree>{_alt(k for k in _DEGREE_BASE if not k.isascii())})"
    rf"|(?<![a-z0-9])(?P<degree_en>{_alt(k for k in _DEGREE_BASE if k.isascii())})(?![a-z0-9])"
    rf"|(?<![a-z0-9])(?P<degree_abbr>{_alt(_DEGREE_ABBR)})(?![a-z0-9])(?=\s*(?:/|or|and|,)?\s*"
    rf"(?:degree|in |{_alt(_DEGREE_ABBR)}))"
    rf"|(?P<level>{_alt(_LEVELS)})"
    # numbers: [direction] number [range] [unit] [direction]
    rf"|(?:(?P<pre>{_PRE_MORE}|{_PRE_LESS}|{_PRE_ABOUT})\s*)?"
    rf"(?P<num>(?<![a-z])(?:{_ONE_NUM})(?:\s*(?:-|~|—|–|至|到|to)\s*(?:{_ONE_NUM}))?)(?![a-z]{{2}})(?P<plus>\+)?"
    rf"\s*(?P<unit>{_alt(_UNITS)})?(?![a-z])\s*(?P<post>{_MORE}|{_LESS}|{_ABOUT})?"
)
_STARTERS = [
    *_DEGREE_BASE,
    *_DEGREE_ABBR,
    *_BENEFITS,
    *_LEVELS,
    *_EN_NUM,
    *_PRE_MORE.split("|"),
    *_PRE_LESS.split("|"),
    *_PRE_ABOUT.split("|"),
    "英语",
    "cet",
    "专",
    "tem",
    "日语",
    "jlpt",
    "计算机",
    "大学",
]
_FIRST = "".join(sorted({w[0] for w in _STARTERS} | set(_CN_NUM) | set("0123456789半abc")))
# the lookahead lets the engine skip, at C speed, positions where no value can start (4x faster)
_VALUE_RE = re.compile(f"(?=[{re.escape(_FIRST)}])(?:{_VALUE_PATTERN})")
_NUMBERING = re.compile(
    r"^\s*\d{1,2}(?![\d+%~:-]|\.\d|\s*(?:" + _alt(_UNITS) + "|" + _MORE + "|" + _LESS + r"))"
    r"\s*[、.)）:：]?\s*"
)
_DAY_AFTER = re.compile(r"\s*\d{1,2}\s*[日号]")
_PREFERRED = re.compile(
    r"优先|加分|(?<![a-z])(?:preferred|preferably|a plus|nice to have|desirable|advantage)(?![a-z])"
)
# a leading label: 工作地点: or 【职业发展】 (the matching form is NFKC: ：is :)
_LABEL = re.compile(r"^\s*(?:[^\W\d_]{1,8}\s*:|【[^】]{1,8}】)\s*")
_APOSTROPHE = re.compile(r"['’]|(?<=[a-z])\.(?=[a-z])")
# negations, minus the words that only look negative
_NEG_ZH = re.compile(
    r"不(?!断|仅|但|少|错|久|管|论|限|低于|超过|高于|多于|小于|大于|同|停|懈|拘|过)"
    r"|无(?!论|限|线|人机|忧|缝|私|比|数|锡|偿|尽)|非(?!常|凡)|没|未(?!来)|勿|禁止|严禁"
)
_NEG_EN = re.compile(
    r"(?<![a-z])(?:no|not|non|never|without|none|nor|cannot|except|unless"
    r"|dont|doesnt|didnt|cant|wont|isnt|arent|shouldnt|neednt)(?![a-z])"
)
_SCOPE = re.compile(r"以外|之外|以内|之内")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_LONE_SPACE = re.compile(r"(?<![0-9a-z\u00c0-\u024f]) | (?![0-9a-z\u00c0-\u024f])")


@dataclass(frozen=True)
class Values:
    """What a clause states beside its wording (see the module docstring)."""

    template: str  # matching key with every value replaced by its slot mark
    values: tuple[str, ...]  # normalised values in order of appearance
    slots: str  # the slot mark of each value, in order
    negations: int  # negation words
    scope: tuple[str, ...]  # 以内 / 以外 (内 / 外), in order
    fixed: tuple[str, ...] = ()  # identifiers (phone, house number, floor) and fixed benefits
    preferred: int = 0  # "preferred" marks (优先, a plus): a wish, not a requirement
    # the matching key with each value masked whole (units and 以上 included): what
    # jdsearch.wording compares word by word; and the length of its leading label (工作地点: …)
    wording: str = ""
    label: int = 0

    @property
    def frame(self) -> tuple[str, int, tuple[str, ...], tuple[str, ...], int]:
        """Slots, polarity, identifiers, fixed benefits and modality: two clauses with different
        frames are never the same statement, not even variants of one."""
        return self.slots, self.negations, self.scope, tuple(sorted(self.fixed)), self.preferred

    @property
    def signature(self) -> str:
        """The values as one string (what a variant member shows: ``3年+ | 本科``)."""
        return " | ".join(self.values)


def squash(norm: str) -> str:
    """Matching key of an already normalised text (``match_key`` without normalising again)."""
    return _LONE_SPACE.sub("", _NON_WORD.sub(" ", norm).strip())


def values_of(norm: str) -> Values:
    """The values, template and polarity of a clause's matching form (``normalize(text)``)."""
    norm = _APOSTROPHE.sub("", norm)
    m = _NUMBERING.match(norm)
    if m and m.end() < len(norm):
        norm = norm[m.end() :]
    pieces: list[str] = []
    whole: list[str] = []  # the same with the whole value masked (3周岁以上, not only 3)
    values: list[str] = []
    slots: list[str] = []
    fixed: list[str] = []
    last = last_whole = 0
    for m in _VALUE_RE.finditer(norm):
        found = _value(m)
        if found is None:
            continue
        slot, value, (start, end) = found
        if not slot:  # a fixed benefit: stays in the template, must be on both sides
            fixed.append(value)
            continue
        pieces.append(norm[last:start])
        pieces.append(slot)
        last = end
        whole.append(norm[last_whole : min(start, m.start())])
        whole.append(slot)
        last_whole = max(end, m.end())
        if slot == IDENT:
            fixed.append(value)
        else:
            values.append(value)
            slots.append(slot)
    pieces.append(norm[last:])
    whole.append(norm[last_whole:])
    masked = "".join(pieces)
    wording = "".join(whole)
    label = _LABEL.match(wording)
    return Values(
        template=squash(masked),
        values=tuple(values),
        slots="".join(slots),
        negations=len(_NEG_ZH.findall(masked)) + len(_NEG_EN.findall(masked)),
        scope=tuple(s[-1] for s in _SCOPE.findall(masked)),
        fixed=tuple(fixed),
        preferred=len(_PREFERRED.findall(masked)),
        wording=squash(wording),
        label=len(squash(wording[: label.end()])) if label and label.end() < len(wording) else 0,
    )


def _value(m: re.Match[str]) -> tuple[str, str, tuple[int, int]] | None:
    """(slot mark, normalised value, span to mask) of one match, None when it is no value."""
    g = m.group
    if g("time"):
        # 08:30 and 8:30 are one time of day: the hour's leading zero is only a writing style
        clock = re.sub(r"(?<!\d)0(?=\d:)", "", g("time"))
        return NUM, re.sub(r"\s*(?:~|—|–|至|到)\s*", "-", clock), m.span()
    if g("cet"):
        levels = [_cn_int(x) for x in (g("cetn"), g("cetm")) if x]
        return CERT, "/".join(f"cet{_fmt(n)}" for n in levels), m.span()
    if g("tem"):
        return CERT, f"tem{_fmt(_cn_int(g('temn') or g('temz')) or 0)}", m.span()
    if g("jlpt"):
        level = g("jlptn") or _fmt(_cn_int(g("jlptz")) or 0)
        return CERT, f"jlpt{level}", m.span()
    if g("ncre"):
        return CERT, f"ncre{_fmt(_cn_int(g('ncren')) or 0)}", m.span()
    if g("drive"):
        return CERT, f"驾照{g('drivec')}", m.span()
    if g("benefit"):
        slot, value = _BENEFITS[g("benefit")]
        return slot, value, m.span()
    if g("degree"):
        return DEGREE, _DEGREE_BASE[g("degree")], m.span()
    if g("degree_en"):
        return DEGREE, _DEGREE_BASE[g("degree_en")], m.span()
    if g("degree_abbr"):
        return DEGREE, _DEGREE_ABBR[g("degree_abbr")], m.span()
    if g("level"):
        return LEVEL, _LEVELS[g("level")], m.span()
    return _number(m)


def _number(m: re.Match[str]) -> tuple[str, str, tuple[int, int]] | None:
    raw, unit = m.group("num"), m.group("unit")
    parts = [p for p in re.split(r"\s*(?:-|~|—|–|至|到|to)\s*", raw) if p]
    spelled = any(not p[0].isdigit() for p in parts)
    if spelled and not unit:
        return None  # 一定, 统一, one of: Chinese and English numerals count only before a unit
    nums = [_cn_int(p) for p in parts]
    if any(n is None for n in nums):
        return None
    pre, post = m.group("pre") or "", m.group("post") or ""
    sign = ""
    if re.fullmatch(_PRE_MORE, pre) or re.fullmatch(_MORE, post) or m.group("plus"):
        sign = "+"
    elif re.fullmatch(_PRE_LESS, pre) or re.fullmatch(_LESS, post):
        sign = "-"
    elif re.fullmatch(_ABOUT, post) or re.fullmatch(_PRE_ABOUT, pre):
        sign = "~"
    text = "-".join(_fmt(n) for n in nums)  # type: ignore[arg-type]
    unit = _UNITS.get(unit or "", "")
    quantity = _is_quantity(m, parts, nums, unit, sign)  # type: ignore[arg-type]
    return NUM if quantity else IDENT, f"{text}{unit}{sign}", m.span("num")


def _is_quantity(
    m: re.Match[str], parts: list[str], nums: list[float], unit: str, sign: str
) -> bool:
    """A number is a value only as a quantity: with a unit, a direction (以上, 左右, 起) or as
    a range (4000-5000). Otherwise — a bare number (门店地址8), an ordinal (第三年), a year or
    date (2018年, 3月15日), a code with a leading zero (0531-…), a house number or floor — it
    names something, and two clauses naming different things are different statements."""
    start, text = m.start("num"), m.string
    if (start and text[start - 1] == "第") or unit in IDENT_UNITS:
        return False
    if any(len(p) > 1 and p[0] == "0" and p[1].isdigit() for p in parts):
        return False
    if unit in ("年", "届") and 1900 <= nums[0] <= 2100:  # a year, a graduates' year
        return False
    if (unit == "月" and _DAY_AFTER.match(text, m.end())) or (
        unit == "日" and text[start - 1 : start] == "月"
    ):
        return False
    if unit or sign:
        return True
    return len(nums) == 2 and nums[0] < nums[1]  # a range; bare numbers name things


def _fmt(n: float) -> str:
    return str(int(n)) if n == int(n) else str(n)


def _cn_int(s: str | None) -> float | None:
    """'3' -> 3, '十五' -> 15, '二十' -> 20, '两' -> 2, '三半'/'半' -> 3.5/0.5, 'five' -> 5."""
    if not s:
        return None
    if s in _EN_NUM:
        return float(_EN_NUM[s])
    half = 0.5 if s.endswith("半") else 0.0
    s = s.rstrip("半")
    if not s:
        return half
    try:
        return float(s) + half
    except ValueError:
        pass
    total, current = 0, 0
    for ch in s:
        if ch in _CN_DIGIT:
            current = current * 10 + _CN_DIGIT[ch] if current else _CN_DIGIT[ch]
        elif ch in _CN_UNIT:
            total += (current or 1) * _CN_UNIT[ch]
            current = 0
        else:
            return None
    return float(total + current) + half
