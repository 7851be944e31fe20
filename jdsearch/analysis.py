"""The one analyser shared by search, duplicates and themes, so all three see the same tokens.

Chain (Whoosh style: a tokenizer, then filters): the ingestion normaliser (NFKC,
traditional -> simplified, lowercase, Taiwan wording) -> script runs -> jieba for Chinese runs
(coarse cut + dictionary sub-words at the same position) / word regex for Latin runs ->
English stemming (Snowball via PyStemmer) -> stopwords for both languages.

Positions are sequential token positions (not character offsets), so phrase queries work; every
token carries start/end offsets into the *original* text, so highlights mark the user's own
characters in the original script.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import Stemmer

from jdsearch.normalize import Normalizer, default_normalizer

INDEX, QUERY = "index", "query"

_RUN = re.compile(
    r"(?P<han>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
    r"|(?P<word>[0-9a-z\u00c0-\u024f]+(?:['’][a-z]+)?)"
)
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_ALNUM_PARTS = re.compile(r"[a-z\u00c0-\u024f]+|[0-9]+")
_EN_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "for",
        "from",
        "have",
        "if",
        "in",
        "is",
        "it",
        "may",
        "not",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "us",
        "we",
        "when",
        "will",
        "with",
        "yet",
        "you",
        "your",
        "its",
        "their",
        "our",
        "etc",
        "such",
        "other",
        "all",
        "any",
    ]
)


@dataclass(frozen=True, slots=True)
class Tok:
    """A term at a sequential position, with its span in the original text."""

    text: str
    pos: int
    start: int
    end: int
    sub: bool = False  # a sub-word sharing its parent's position


def import_jieba():  # type: ignore[no-untyped-def]
    """``import jieba`` without pkg_resources: jieba 0.42 imports it only to open its own data
    files and falls back to plain paths without it; importing it costs a short-lived command
    a tenth of a second or more (setuptools deprecates it anyway)."""
    import sys

    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba

        return jieba
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import jieba
    finally:
        del sys.modules["pkg_resources"]
    return jieba


@lru_cache(maxsize=1)
def jd_tokenizer():  # type: ignore[no-untyped-def]
    """The shared jieba tokenizer with the JD user dictionary (domain terms stay whole); one per
    process, loaded once."""
    jieba = import_jieba()

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    with resources.files("jdsearch.data").joinpath("jd_userdict.txt").open("rb") as fh:
        tok.load_userdict(fh)  # an open file: jieba leaks the handle when given a path
    return tok


@lru_cache(maxsize=1)
def pos_tagger():  # type: ignore[no-untyped-def]
    """jieba's part-of-speech tagger over :func:`jd_tokenizer` (so tags follow the same JD
    dictionary cuts as the analyser); used by themes (verbs) and wording (content words)."""
    import_jieba()
    from jieba.posseg import POSTokenizer

    return POSTokenizer(jd_tokenizer())


# --------------------------------------------------------------------------- fast start-up
# jieba needs its whole prefix dictionary (~580k entries) before it cuts one word: half a
# second or more at every start of a short-lived process. Cutting a string only ever looks up
# *substrings of that string*, so a query is cut exactly as the full dictionary would cut it
# from the few entries it needs, read from an on-disk copy of the dictionary (SQLite) written
# once by a process that loaded jieba anyway.
LEXICON_FORMAT = "1"


def _lexicon_path() -> Path:
    """Where the on-disk dictionary lives: beside jieba's own cache, keyed by its contents."""
    import hashlib
    import tempfile

    user = resources.files("jdsearch.data").joinpath("jd_userdict.txt").read_bytes()
    key = hashlib.sha1(user + jieba_version().encode() + LEXICON_FORMAT.encode()).hexdigest()
    return Path(tempfile.gettempdir()) / f"jdsearch-lexicon-{key[:16]}.sqlite"


def jieba_version() -> str:
    from importlib.metadata import version

    return version("jieba")


def write_lexicon() -> Path | None:
    """Write the on-disk dictionary if it is missing (uses the loaded jieba; never fails)."""
    import os
    import sqlite3

    path = _lexicon_path()
    if path.exists():
        return path
    tok = jd_tokenizer()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        db = sqlite3.connect(tmp)
        db.execute("CREATE TABLE lexicon (word TEXT PRIMARY KEY, freq INTEGER) WITHOUT ROWID")
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.executemany("INSERT INTO lexicon VALUES (?, ?)", tok.FREQ.items())
        db.execute("INSERT INTO meta VALUES ('total', ?)", (str(tok.total),))
        db.commit()
        db.close()
        os.replace(tmp, path)
    except (OSError, sqlite3.Error):
        tmp.unlink(missing_ok=True)
        return None
    return path


class _Lexicon(dict):  # type: ignore[type-arg]
    """The dictionary entries of every substring of one string (what jieba consults)."""


class LexiconTokenizer:
    """jieba's cut over the on-disk dictionary: the same words, without loading it all."""

    def __init__(self, path: Path) -> None:
        import sqlite3

        self.db = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        self.total = int(self.db.execute("SELECT value FROM meta WHERE key='total'").fetchone()[0])

    def _entries(self, text: str) -> _Lexicon:
        subs = list(
            {text[i:j] for i in range(len(text)) for j in range(i + 1, min(len(text), i + 40) + 1)}
        )
        out = _Lexicon()
        for k in range(0, len(subs), 900):
            part = subs[k : k + 900]
            marks = ",".join("?" * len(part))
            out.update(
                self.db.execute(f"SELECT word, freq FROM lexicon WHERE word IN ({marks})", part)
            )
        return out

    def cut(self, run: str, HMM: bool = True) -> Iterator[str]:  # jieba's spelling
        tok = import_jieba().Tokenizer()
        tok.FREQ, tok.total, tok.initialized = self._entries(run), self.total, True
        return tok.cut(run, HMM=HMM)

    def lookup(self, word: str) -> dict[str, int]:
        return self._entries(word)


@lru_cache(maxsize=1)
def _query_tokenizer() -> Any:
    """The lexicon tokenizer when the on-disk dictionary exists, else jieba itself."""
    path = _lexicon_path()
    if path.exists():
        try:
            return LexiconTokenizer(path)
        except Exception:  # damaged or half-written: the full dictionary always works
            pass
    tok = jd_tokenizer()
    write_lexicon()
    return tok


def _zh_stopwords() -> frozenset[str]:
    text = resources.files("jdsearch.data").joinpath("stopwords_zh.txt").read_text("utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip())


class Analyzer:
    """Text -> tokens, in ``index`` mode (coarse words + sub-words) or ``query`` mode (coarse)."""

    def __init__(
        self, normalizer: Normalizer | None = None, *, stem: bool = True, light: bool = False
    ) -> None:
        """``light``: cut with the on-disk dictionary (fast start-up, for queries)."""
        self.normalizer = normalizer or default_normalizer()
        self._tokenizer = _query_tokenizer if light else jd_tokenizer
        self._stemmer = Stemmer.Stemmer("english") if stem else None
        self.stopwords = _EN_STOP | _zh_stopwords()

    # ---- public
    def tokens(self, text: str, mode: str = INDEX) -> list[Tok]:
        """Tokens with original-text offsets (uses the normaliser's offset map)."""
        norm, origin = self.normalizer.normalize_with_map(text)
        out: list[Tok] = []
        for term, s, e, sub in self._raw(norm, mode):
            start = origin[s] if s < len(origin) else len(text)
            end = origin[e - 1] + 1 if 0 < e <= len(origin) else len(text)
            out.append(Tok(term, 0, start, end, sub))
        return _renumber(out)

    def terms(self, text: str, mode: str = INDEX, *, normalized: bool = False) -> list[str]:
        """Just the terms (fast path: no offset map); coarse terms in order, sub-words after.

        ``normalized``: ``text`` is already a matching form (e.g. one of its alternatives).
        """
        norm = text if normalized else self.normalizer.normalize(text)
        return [t for t, _, _, _ in self._raw(norm, mode)]

    def index_fields(self, norm: str) -> tuple[list[str], list[str]]:
        """What the search index stores for a matching form: (body, grams).

        ``body`` is the coarse terms in order (one position each, so phrases work). ``grams``
        finds words inside words and across jieba's cuts: every pair of adjacent Han characters
        (数据看板 -> 数据 据看 看板, whether jieba cut it 数据/看板 or 数据/看/板) plus the parts of
        mixed Latin/digit words (iso9001 -> iso, 9001), leaving out pairs that are words of the
        clause themselves (``body`` has those; a query looks for a pair in either field). A
        Chinese query word then also matches as its character pairs — what ES users get from
        ik_max_word or bigram fields — ranked below whole-word hits.
        """
        body: list[str] = []
        grams: list[str] = []
        for term, _, _, is_sub in self._raw(norm, INDEX):
            if not is_sub:
                body.append(term)
            elif term.isascii():
                grams.append(term)
        for m in _HAN_RUN.finditer(norm):
            run = m.group(0)
            grams.extend(run[i : i + 2] for i in range(len(run) - 1))
        words = set(body)  # a pair that is a word of the clause is found in body already
        return body, [g for g in dict.fromkeys(grams) if g not in words]

    def encode(self, text: str) -> str:
        """Pre-tokenised ``text``: coarse terms separated by spaces (see ``index_fields``)."""
        return " ".join(self.index_fields(self.normalizer.normalize(text))[0])

    @staticmethod
    def grams(word: str) -> list[str]:
        """The character pairs of a Chinese word, as ``index_fields`` indexes them."""
        return [word[i : i + 2] for i in range(len(word) - 1)]

    def subwords(self, word: str) -> list[str]:
        """Dictionary words of 2-3 characters inside a longer word (客户关系 -> 客户, 关系)."""
        if len(word) <= 2:
            return []
        tok = self._tokenizer()
        freq = tok.lookup(word) if isinstance(tok, LexiconTokenizer) else tok.FREQ
        return [s for s, _ in _subwords(word, freq)]

    def stem(self, word: str) -> str:
        return self._stemmer.stemWord(word) if self._stemmer else word

    # ---- internals
    def _raw(self, norm: str, mode: str) -> Iterator[tuple[str, int, int, bool]]:
        """(term, start, end, is_sub) over the normalised text."""
        for m in _RUN.finditer(norm):
            if m.group("han"):
                yield from self._han(m.group(0), m.start(), mode)
            else:
                yield from self._word(m.group(0), m.start(), mode)

    def _han(self, run: str, base: int, mode: str) -> Iterator[tuple[str, int, int, bool]]:
        jb = self._tokenizer()
        pos = 0
        for word in jb.cut(run, HMM=True):
            start = base + pos
            pos += len(word)
            if word in self.stopwords:
                continue
            yield word, start, start + len(word), False
            if mode != INDEX or len(word) <= 2:
                continue
            freq = jb.lookup(word) if isinstance(jb, LexiconTokenizer) else jb.FREQ
            for sub, s in _subwords(word, freq):
                if sub not in self.stopwords:
                    yield sub, start + s, start + s + len(sub), True

    def _word(self, word: str, base: int, mode: str) -> Iterator[tuple[str, int, int, bool]]:
        if word in _EN_STOP:
            return
        yield self._stem_token(word), base, base + len(word), False
        if mode == INDEX:  # "iso9001" is also found by "iso" and "9001"
            parts = _ALNUM_PARTS.findall(word)
            if len(parts) > 1:
                offset = 0
                for p in parts:
                    i = word.index(p, offset)
                    offset = i + len(p)
                    if len(p) >= 2 or p.isdigit():
                        yield self._stem_token(p), base + i, base + i + len(p), True

    def _stem_token(self, word: str) -> str:
        if self._stemmer is None or not word.isalpha() or not word.isascii():
            return word
        return self._stemmer.stemWord(word.replace("’", "'"))


def _subwords(word: str, freq: dict[str, int]) -> Iterator[tuple[str, int]]:
    """Dictionary words of length 2-3 inside a longer word (what jieba's search mode adds)."""
    seen: set[str] = set()
    for n in (2, 3):
        if n >= len(word):
            break
        for i in range(len(word) - n + 1):
            gram = word[i : i + n]
            if freq.get(gram) and gram not in seen:
                seen.add(gram)
                yield gram, i


def _renumber(tokens: list[Tok]) -> list[Tok]:
    """Sequential positions: each coarse token opens a position, its sub-words share it."""
    out: list[Tok] = []
    pos = -1
    for t in tokens:
        if not t.sub:
            pos += 1
        out.append(Tok(t.text, max(pos, 0), t.start, t.end, t.sub))
    return out


def encode_groups(groups: Iterable[list[str]]) -> str:
    return " ".join("|".join(g) for g in groups)


def decode_groups(encoded: str) -> list[list[str]]:
    return [g.split("|") for g in encoded.split(" ") if g]


@lru_cache(maxsize=1)
def default_analyzer() -> Analyzer:
    return Analyzer()


@lru_cache(maxsize=1)
def query_analyzer() -> Analyzer:
    """The same analysis for queries, started without loading jieba's whole dictionary."""
    return Analyzer(light=True)
