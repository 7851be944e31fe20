"""What two wordings of one statement differ in: function words only, or content a reader sees.

A character ratio of 90 passes pairs a reader keeps apart, because the difference is one word:
负责胶粘剂产品在天津区域… / …在沈阳区域… (another place), 有相关工作经验者优先 /
有翻译相关工作经验者优先 (a narrower requirement), 大专以上学历 / 统招大专以上学历 (another
degree requirement). So two wordings (matching keys with their values masked,
``Values.wording``) are cut into words by jieba with its part-of-speech tags, over the
analyser's dictionary, and the words where they differ are sorted into

- *function* words, which never change what a clause requires: particles, prepositions,
  conjunctions, pronouns, adverbs, adjectives of degree or praise (较强, 优秀), position words,
  the analyser's stop words and a short closed list of support verbs and generic heads (具有,
  能够, 负责, 工作, 学历: ``data/function_words_zh.txt``); English stop words;
- *content* words: everything else — nouns, verbs, distinguishing words (临时, 大型), idioms,
  English words, frequencies (每年), and always the degree qualifiers (统招, 全日制, 正规).

Two wordings are one statement when every run of words where they differ is function words
only, or the same content: a synonym (the glossary, ``data/synonyms_zh.txt``), one word edited
by one character (交办 / 交代, 年终奖 / 年终奖金) unless the edit puts a character in front
(药学 / 中药学 narrows) or changes a time unit (每年 / 每月), the same words in another order,
an alternative (经理或分公司分派的 widens, it restricts nothing), a verb before 的 that spells out
a relation (经理交办的其他工作 / 经理的其他工作), a place name or a leading label only one side
has (重庆市 + 江北区…, 工作地点：…). Any other content word only one side has (翻译, 人力资源,
电话) narrows the statement; a content word swapped for an unrelated one (天津 / 沈阳, 销售 /
金融, 部门 / 门店) makes another statement.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from importlib import resources

from rapidfuzz.distance import Indel, Levenshtein

from jdsearch.values import DEGREE_QUALIFIERS, SLOT_MARKS

# jieba tags of words that do not say what is required: particles (u*), prepositions,
# conjunctions, pronouns, adverbs, adjectives, state words, position words (以上, 内), affixes,
# interjections, punctuation
_FUNCTION_TAGS = frozenset(
    ("u", "uj", "ul", "uv", "uz", "ud", "ug", "p", "c", "r", "d", "a", "ad", "an", "z", "f")
) | frozenset(("k", "h", "e", "o", "y", "x", "w", "zg", "dg", "ag"))
_PLACE_TAGS = frozenset(["ns"])
_EN_WORD = re.compile(rf"[a-z0-9]+|[{SLOT_MARKS}]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_DISJUNCTIONS = frozenset(["或", "或者", "或是", "or"])
_TIME_UNITS = frozenset("年月周天日时")  # 每年 / 每月 is another frequency, not a rewording


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    from jdsearch.analysis import default_analyzer

    text = resources.files("jdsearch.data").joinpath("function_words_zh.txt").read_text("utf-8")
    own = {w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")}
    return frozenset(own | default_analyzer().stopwords)


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, str]:
    """Chinese word -> what it names: glossary terms their concept (the first English phrase of
    their line), the words of a line of ``data/synonyms_zh.txt`` its first word."""
    data = resources.files("jdsearch.data")
    out: dict[str, str] = {}
    for line in data.joinpath("jd_glossary.tsv").read_text("utf-8").splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        term, phrases = line.split("\t", 1)
        out[term.strip()] = phrases.split(";")[0].strip()
    for line in data.joinpath("synonyms_zh.txt").read_text("utf-8").splitlines():
        found = line.split() if not line.startswith("#") else []
        out.update({w: "=" + found[0] for w in found})
    return out


def _tagger():  # type: ignore[no-untyped-def]
    from jdsearch.analysis import pos_tagger

    return pos_tagger()


# (word, kind): kind is "f" function, "p" place name, "v" verb, "c" other content
Word = tuple[str, str]


@lru_cache(maxsize=1 << 17)
def words(text: str, english: bool) -> tuple[Word, ...]:
    """The words of a masked matching form (``Values.text``), each with its kind; slot marks
    and spaces dropped (values are compared by :mod:`jdsearch.values`)."""
    if english:
        stop = _function_words()
        found = [w for w in _EN_WORD.findall(text) if w not in SLOT_MARKS]
        return tuple((w, "f" if w in stop else "c") for w in found)
    out: list[Word] = []
    for pair in _tagger().cut(text):
        w, tag = pair.word, pair.flag
        if not w.strip() or w in SLOT_MARKS:
            continue
        out.append((w, _kind(w, tag)))
    return tuple(out)


def _kind(word: str, tag: str) -> str:
    if word in DEGREE_QUALIFIERS:
        return "c"
    if not _HAN.search(word) and not word.isalnum():
        return "f"  # punctuation
    if word[0] == "每" and len(word) > 1:
        return "c"  # a frequency (每年, 每月) says how often: another one is another statement
    if tag in _FUNCTION_TAGS or word in _function_words():
        return "f"
    if tag in _PLACE_TAGS:
        return "p"
    return "v" if tag in ("v", "vn") else "c"


def without_label(a: str, b: str, labels: tuple[int, int]) -> tuple[str, str]:
    """Drop a leading label (工作地点:, 【薪资】; ``labels``: their lengths, ``Values.label``) only
    one side has: it names the line, it adds nothing to what the line says. Two labels are
    compared as words (试用期: / 转正后: differ), and so is a label the other side starts with."""
    la, lb = labels
    if la and not lb and not b.startswith(a[:la]):
        return a[la:], b
    if lb and not la and not a.startswith(b[:lb]):
        return a, b[lb:]
    return a, b


def content_differs(
    a: str, b: str, english: bool = False, labels: tuple[int, int] = (0, 0)
) -> bool:
    """True when two wordings (``Values.wording``: matching keys with values masked) differ in
    a content word (see the module docstring): they are not the same statement, whatever their
    character similarity. ``labels``: the lengths of their leading labels (``Values.label``).

    Keys, not texts with punctuation: what a statement is must not depend on which of its
    copies (工作地点：X / 工作地点 X) happens to represent it."""
    if a == b:
        return False
    a, b = without_label(a, b, labels)
    wa, wb = words(a, english), words(b, english)
    runs = _blocks([w for w, _ in wa], [w for w, _ in wb])
    blocks = [([wa[i] for i in da], [wb[i] for i in db]) for da, db in runs]
    moved = _moved(blocks)
    for (da, db), (x, y) in zip(runs, blocks, strict=True):
        after = _next(wa, da) if x else _next(wb, db)
        if _block_differs(x, y, moved, after):
            return True
    return False


def _next(ws: tuple[Word, ...], run: list[int]) -> str:
    """The word after a run (what a one-sided insertion attaches to)."""
    return ws[run[-1] + 1][0] if run and run[-1] + 1 < len(ws) else ""


def _moved(blocks: list[tuple[list[Word], list[Word]]]) -> frozenset[str]:
    """Content words one side has in one place and the other side in another (免费提供住宿 /
    提供免费住宿): a change of word order, not of content."""
    gone = Counter(w for x, _ in blocks for w, k in x if k != "f")
    come = Counter(w for _, y in blocks for w, k in y if k != "f")
    return frozenset(gone & come)


def _blocks(a: list[str], b: list[str]) -> list[tuple[list[int], list[int]]]:
    """Runs of words that differ between a and b: (indices in a, indices in b) per run."""
    out: list[tuple[list[int], list[int]]] = []
    current: tuple[list[int], list[int]] | None = None
    for op in Indel.opcodes(a, b):
        if op.tag == "equal":
            current = None
            continue
        if current is None:
            current = ([], [])
            out.append(current)
        current[0].extend(range(op.src_start, op.src_end))
        current[1].extend(range(op.dest_start, op.dest_end))
    return out


def _block_differs(a: list[Word], b: list[Word], moved: frozenset[str], after: str) -> bool:
    """Whether one run of differing words changes the content; ``after`` is the word following
    a one-sided run."""
    places = (any(k == "p" for _, k in a), any(k == "p" for _, k in b))
    # a place only one side names is dropped (重庆市 + 江北区…)
    keep = {"c", "p", "v"} if places[0] == places[1] else {"c", "v"}
    ca = [c for w, k in a if k in keep and w not in moved if (c := _inner_function(w))]
    cb = [c for w, k in b if k in keep and w not in moved if (c := _inner_function(w))]
    if ca == cb:  # nothing, or the same content
        return False
    if not ca or not cb:  # a content word only one side has: a narrower statement, unless …
        return not _widens_or_relates(a or b, after)
    if len(ca) != len(cb):  # cut into words another way (大/区内, 区域/内): compared whole
        return not _rewording("".join(ca), "".join(cb))
    return not all(x == y or _rewording(x, y) for x, y in zip(ca, cb, strict=True))


def _widens_or_relates(run: list[Word], after: str) -> bool:
    """A one-sided run that does not narrow: an alternative (经理或分公司分派的 — "or" adds a
    choice, it restricts nothing) or a lone verb before 的 that spells out a relation the other
    side leaves implicit (经理分派的其他工作 / 经理的其他工作)."""
    if run[0][0] in _DISJUNCTIONS:
        return True
    content = [k for _, k in run if k != "f"]
    return content == ["v"] and after == "的"


def _inner_function(content: str) -> str:
    """Content without the function words jieba kept inside a longer word (工作经验 -> 经验)."""
    for w in _long_function_words():
        if w in content:
            content = content.replace(w, "")
    return content


@lru_cache(maxsize=1)
def _long_function_words() -> tuple[str, ...]:
    long_ = [w for w in _function_words() if len(w) > 1 and _HAN.match(w)]
    return tuple(sorted(long_, key=len, reverse=True))


def _rewording(x: str, y: str) -> bool:
    """Same content in other words: glossary synonyms, or one character edited (交办/交代,
    年终奖/年终奖金); 天津/沈阳, 部门/门店 or 人力资源部门/部门 are other content."""
    syn = _synonyms()
    if x in syn and syn.get(y) == syn[x]:
        return True
    if x.isascii() != y.isascii():
        return False
    least = 4 if x.isascii() else 2  # a typo in a long enough English word (excel / excele)
    if min(len(x), len(y)) < least or Levenshtein.distance(x, y) > 1:
        return False
    short, long_ = sorted((x, y), key=len)
    if long_.endswith(short) and len(long_) > len(short):
        return False  # a character put in front narrows the word: 中药学 / 药学, 大区 / 区
    edited = set(x) ^ set(y)
    return not edited & _TIME_UNITS
