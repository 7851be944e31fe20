"""The one normaliser every stage uses, and script/language detection.

Matching form = NFKC (full-width -> half-width) -> lowercase -> OpenCC character-level ``t2s``
-> a small, tested table of Taiwan/HK JD wording (资讯 -> 信息, 行销 -> 营销 ...).

Why not OpenCC ``tw2sp``: it fixes the wording but over-converts (檔案 -> 文件 breaks 客户档案),
so we take character-level conversion plus an explicit table users can read and extend.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources

import opencc

EN, HANS, HANT = "en", "zh-Hans", "zh-Hant"
LANGS = (EN, HANS, HANT)

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_LONE_SPACE = re.compile(r"(?<![0-9a-z\u00c0-\u024f]) | (?![0-9a-z\u00c0-\u024f])")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def load_variants(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Read the packaged Taiwan/HK -> mainland table (plus user entries)."""
    table: dict[str, str] = {}
    text = resources.files("jdsearch.data").joinpath("jd_variants.tsv").read_text("utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        variant, mainland, *_ = line.split("\t")
        table[variant.strip()] = mainland.strip()
    table.update(extra or {})
    return table


class Normalizer:
    """Maps text to its matching form; optionally keeps an offset map back to the original.

    The offset map lets highlights land on the user's own characters even when a step
    changes length (NFKC of ① or ㈠, variant entries such as 教育训练 -> 培训).
    """

    def __init__(self, variants: dict[str, str] | None = None) -> None:
        self.variants = load_variants() if variants is None else variants
        keys = sorted(self.variants, key=len, reverse=True)
        self._variant_re = re.compile("|".join(map(re.escape, keys))) if keys else None

    def __call__(self, text: str) -> str:
        return self.normalize(text)

    def normalize(self, text: str) -> str:
        """Matching form of ``text`` (fast path: whole-string C-level conversions)."""
        out = _t2s().convert(unicodedata.normalize("NFKC", text).lower())
        if self._variant_re is not None:
            out = self._variant_re.sub(lambda m: self.variants[m.group(0)], out)
        return out

    def fold(self, text: str) -> str | None:
        """NFKC + lowercase + t2s of a whole document, or None if that changes its length.

        When the length holds, a clause's matching form is its spans' slices of the folded
        document plus the variant table: one OpenCC call per document instead of per clause.
        """
        folded = _t2s().convert(unicodedata.normalize("NFKC", text).lower())
        return folded if len(folded) == len(text) else None

    def variants_only(self, folded: str) -> str:
        """The variant-table step alone, for text already folded by :meth:`fold`."""
        if self._variant_re is None:
            return folded
        return self._variant_re.sub(lambda m: self.variants[m.group(0)], folded)

    def normalize_with_map(self, text: str) -> tuple[str, list[int]]:
        """Matching form plus, for each of its characters, the index of the source character.

        The string is always exactly :meth:`normalize`'s (one normaliser): NFKC runs on
        clusters (a character with the combining marks or half-width sound marks that follow
        it), so composed forms come out as they do for the whole string; where a step changes
        the length, the offsets are aligned with ``difflib`` rather than guessed.
        """
        if unicodedata.is_normalized("NFKC", text):  # the common case: no Python loop
            lowered = text.lower()
            if len(lowered) == len(text):
                converted = _t2s().convert(lowered)
                if len(converted) == len(text):
                    return self._apply_variants(converted, list(range(len(text))))
        chars: list[str] = []
        origin: list[int] = []
        for start, cluster in _clusters(text):
            piece = unicodedata.normalize("NFKC", cluster).lower()
            chars.append(piece)
            origin.extend([start] * len(piece))
        folded = "".join(chars)
        whole = unicodedata.normalize("NFKC", text).lower()
        if folded != whole:  # context-dependent case mapping (final sigma) and the like
            folded, origin = _realign(folded, origin, whole)
        converted = _t2s().convert(folded)
        if converted != folded:
            converted, origin = _realign(folded, origin, converted)
        return self._apply_variants(converted, origin)

    def alternatives(self, text: str) -> list[str]:
        """Matching forms of ``text`` in every wording: its own first, then those of its
        OpenCC phrase-level forms (see :func:`phrase_forms`) that differ from it."""
        return list(dict.fromkeys([self.normalize(text), *map(self.normalize, phrase_forms(text))]))

    def _apply_variants(self, text: str, origin: list[int]) -> tuple[str, list[int]]:
        if self._variant_re is None:
            return text, origin
        out: list[str] = []
        out_origin: list[int] = []
        last = 0
        for m in self._variant_re.finditer(text):
            out.append(text[last : m.start()])
            out_origin.extend(origin[last : m.start()])
            repl = self.variants[m.group(0)]
            span = origin[m.start() : m.end()]
            out.append(repl)
            # spread the replacement over the source span: first maps to first, last to last
            last_i = len(span) - 1
            steps = max(len(repl) - 1, 1)
            out_origin.extend(span[round(k * last_i / steps)] for k in range(len(repl)))
            last = m.end()
        out.append(text[last:])
        out_origin.extend(origin[last:])
        return "".join(out), out_origin


_COMBINING_EXTRA = frozenset("\uff9e\uff9f\u3099\u309a")  # (half-width) kana sound marks


def _clusters(text: str) -> Iterator[tuple[int, str]]:
    """(offset, cluster): a character plus the combining marks that follow it."""
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or not (unicodedata.combining(text[i]) or text[i] in _COMBINING_EXTRA):
            yield start, text[start:i]
            start = i


def _realign(src: str, origin: list[int], dst: str) -> tuple[str, list[int]]:
    """Offsets for ``dst`` from those of ``src`` (equal-length: position by position)."""
    if len(src) == len(dst):
        return dst, origin
    from difflib import SequenceMatcher

    out: list[int] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, src, dst, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(origin[i1:i2])
        else:
            span = origin[i1:i2] or [origin[i1 - 1] if i1 else 0]
            last = len(span) - 1
            steps = max(j2 - j1 - 1, 1)
            out.extend(span[round(k * last / steps)] for k in range(j2 - j1))
    return dst, out


_PHRASE_CONFIGS = ("tw2sp", "hk2s", "s2twp")


@lru_cache(maxsize=4)
def _opencc(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def phrase_forms(text: str) -> list[str]:
    """The text through OpenCC's phrase-level conversions: Taiwan/HK wording to mainland
    (tw2sp, hk2s: 資料分析 -> 数据分析, 應用程式 -> 应用程序) and mainland to Taiwan (s2twp:
    数据分析 -> 資料分析). Used as *alternatives* beside the character-level form, never
    instead of it: tw2sp alone would also turn 檔案 into 文件."""
    if not _HAN.search(text):
        return []
    if _t2s().convert(text) == text:  # simplified (or script-neutral): its Taiwan wording
        return [_opencc("s2twp").convert(text)]
    mainland = _opencc("tw2sp").convert(text)  # traditional: mainland, then back to Taiwan
    return [mainland, _opencc("hk2s").convert(text), _opencc("s2twp").convert(mainland)]


@lru_cache(maxsize=1)
def default_normalizer() -> Normalizer:
    return Normalizer()


def normalize(text: str) -> str:
    """Matching form with the packaged variant table (see :class:`Normalizer`)."""
    return default_normalizer().normalize(text)


def match_key(text: str) -> str:
    """Normalised text without punctuation: the exact-duplicate key.

    Chinese loses all spaces; between two Latin words or numbers one space stays, so English
    keys can still be compared word by word.
    """
    spaced = _NON_WORD.sub(" ", normalize(text)).strip()
    return _LONE_SPACE.sub("", spaced)


@lru_cache(maxsize=1)
def _script_sets() -> tuple[frozenset[str], frozenset[str]]:
    """Characters only traditional / only simplified, from hanzidentifier's CC-CEDICT tables."""
    from hanzidentifier import helpers

    simp, trad = helpers.SIMPLIFIED_CHARACTERS, helpers.TRADITIONAL_CHARACTERS
    return frozenset(trad - simp), frozenset(simp - trad)


def han_script(text: str) -> str | None:
    """zh-Hans / zh-Hant for the Han characters of ``text``; None when they fit both scripts.

    The decision is hanzidentifier's (its CC-CEDICT character tables); on mixed text the
    majority of characters unique to one script wins. Set operations keep this at C speed.
    """
    chars = set(text)
    trad_only, simp_only = _script_sets()
    trad, simp = len(chars & trad_only), len(chars & simp_only)
    if trad == simp:
        return None
    return HANT if trad > simp else HANS


def detect_lang(text: str, default: str = HANS) -> str:
    """``en``, ``zh-Hans`` or ``zh-Hant`` by majority; ``default`` when the Han text fits both.

    Counting is done at C speed: CJK characters are 3 bytes in UTF-8, so the byte surplus
    counts them; Latin letters are only counted when there are any.
    """
    han = (len(text.encode("utf-8")) - len(text)) // 2
    latin = len(_LATIN.findall(text)) if _LATIN.search(text) else 0
    if han == 0 and latin == 0:
        return default
    # a Chinese character carries about a word; a Latin word is ~5 letters
    if latin > han * 3:
        return EN
    return han_script(text) or (default if default != EN else HANS)
