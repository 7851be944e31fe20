"""Querying: parse the user's query, analyse it like the index, run it on the engine, join the
hits with SQLite, highlight the user's own characters.

Query language (deliberately small, so no user query can crash it):
  words            all required (AND); if nothing matches, any-term (OR) is tried
  "a phrase"       words in order (Chinese: the characters in a row)
  -word / -"a b"   must not match (by the same matching as inclusion)
  lang:zh-Hant  kind:duty  doc:ID  section:城市經理  theme:ID  group:ID  source:PATH
  title:数据分析  company:NAME  city:上海  date:2018      filters (values may be quoted)

A word matches as a whole word (field ``body``), inside a longer word or across the
segmenter's cuts (its character pairs, field ``gram``, ranked lower: 看板 finds 数据看板), in
every wording OpenCC knows (数据分析 finds 資料分析, and back), as the dictionary words of a
compound (客户管理 finds 客户 … 管理), and — for an unknown English word — as its closest
known words (competiter finds competitor).
"""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from jdsearch.analysis import QUERY, Analyzer
from jdsearch.engines import (
    EVERY,
    And,
    EngineReader,
    Filter,
    Node,
    Or,
    Phrase,
    Ranked,
    Term,
)
from jdsearch.normalize import LANGS
from jdsearch.store import ClauseStore, JdsearchError

MAX_QUERY_CHARS = 500
MAX_LIMIT = 1000
FACET_FIELDS = ("kind", "lang", "theme", "source", "title", "company", "city")
FILTER_FIELDS = (
    "lang",
    "kind",
    "doc",
    "section",
    "theme",
    "group",
    "source",
    "title",
    "company",
    "city",
    "date",
)
GRAM_BOOST = 0.5  # a word found inside a longer word ranks below the word itself
TYPO_BOOST = 0.8
SPLIT_BOOST = 0.3  # 客户管理 as 客户 … 管理 apart ranks below the compound itself
_TOKEN = re.compile(r'\s*(-?)(?:(\w+):)?(?:"([^"]*)"|(\S+))', re.UNICODE)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HAN_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_HAN_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_NON_WORD = re.compile(r"[\W_]+")
_LATIN_RUN = re.compile(r"[0-9a-z\u00c0-\u024f]+(?:['’][a-z]+)?")
_ALNUM_PART = re.compile(r"[a-z\u00c0-\u024f]+|[0-9]+")


KINDS = ("duty", "requirement", "other")  # as jdsearch.segment types them (not imported: slow)


class QuerySyntaxError(JdsearchError):
    """The query cannot be understood (the message says why)."""


@dataclass
class ParsedQuery:
    terms: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Hit:
    """One search result (or, with collapse, one group of equivalent clauses)."""

    clause_id: str
    doc_id: str
    source: str
    section: str
    lang: str
    kind: str
    text: str
    score: float
    highlight: str  # HTML: the text escaped, matches inside <mark>
    spans: list[tuple[int, int]]
    theme: str = ""
    group: str = ""
    variants: int = 1
    documents: int = 1
    title: str = ""
    company: str = ""
    city: str = ""
    date: str = ""

    def to_json(self) -> dict[str, object]:
        d = asdict(self)
        d["spans"] = [list(s) for s in self.spans]
        return d


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    mode: str  # "all" terms matched, or the "any" fallback
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    stale: bool = False  # the index is behind the clause table (see ``warning``)
    warning: str = ""


# --------------------------------------------------------------------------- parsing
def clean_query(text: str) -> str:
    """The query as text the parser can trust: no lone surrogates or control characters."""
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise QuerySyntaxError("query contains invalid characters (lone surrogates)")
    return "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )


def parse_query(text: str) -> ParsedQuery:
    """Split the user's query into terms, phrases, exclusions and filters."""
    if not isinstance(text, str) or not text or not text.strip():
        raise QuerySyntaxError("empty query")
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"query too long ({len(text)} characters, at most {MAX_QUERY_CHARS})"
        )
    text = clean_query(text)
    if not text.strip():
        raise QuerySyntaxError("empty query")
    if text.count('"') % 2:
        raise QuerySyntaxError('unbalanced quote (")')
    pq = ParsedQuery()
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        neg, fieldname, quoted, bare = m.groups()
        value = quoted if quoted is not None else bare
        if fieldname is None and bare and bare.endswith(":") and bare[:-1].lower() in FILTER_FIELDS:
            raise QuerySyntaxError(f"filter {bare} needs a value")
        if fieldname and fieldname.lower() not in FILTER_FIELDS:
            # not a filter (e.g. "Age:25"): search it as words
            value, fieldname = f"{fieldname}:{value}", None
        if fieldname:
            _add_filter(pq, fieldname.lower(), value, neg)
        elif not value.strip() or not re.search(r"\w", value):
            continue
        elif neg:
            pq.excluded.append(value)
        elif quoted is not None:
            pq.phrases.append(value)
        else:
            pq.terms.append(value)
    if not (pq.terms or pq.phrases or pq.filters):
        raise QuerySyntaxError("query has no searchable words")
    return pq


def _add_filter(pq: ParsedQuery, name: str, value: str, neg: str) -> None:
    if not value.strip():
        raise QuerySyntaxError(f"filter {name}: needs a value")
    if neg:
        raise QuerySyntaxError(f"negated filters (-{name}:) are not supported")
    check_filter(name, value)
    pq.filters.setdefault(name, []).append(value)


def check_filter(name: str, value: str) -> None:
    if name == "lang" and value not in LANGS:
        raise QuerySyntaxError(f"lang: takes one of {', '.join(LANGS)}")
    if name == "kind" and value not in KINDS:
        raise QuerySyntaxError(f"kind: takes one of {', '.join(KINDS)}")


# --------------------------------------------------------------------------- planning
@dataclass
class Plan:
    """The analysed query: what every engine runs, and what highlights mark."""

    all_terms: Node | None  # every word required
    any_terms: Node | None  # the fallback: any word
    parts: int  # analysed words and phrases (客户档案回款 makes two)
    exclude: Node | None
    highlight: set[str] = field(default_factory=set)
    inside: set[str] = field(default_factory=set)  # Han terms also marked inside longer words


class QueryPlanner:
    """Turns a :class:`ParsedQuery` into engine-neutral query trees, analysed like the index."""

    def __init__(self, analyzer: Analyzer, vocab: dict[str, int] | None = None) -> None:
        self.an = analyzer
        self.vocab = vocab or {}
        self._words: list[str] | None = None

    def plan(self, pq: ParsedQuery) -> Plan:
        self.highlight: set[str] = set()
        self.inside: set[str] = set()
        parts: list[Node] = []
        for term in pq.terms:
            parts.extend(self._word(term))
        for phrase in pq.phrases:
            node = self._phrase(phrase)
            if node is not None:
                parts.append(node)
        excluded: list[Node] = []
        for text in pq.excluded:
            excluded.extend(self._word(text, fuzzy=False))
        return Plan(
            all_terms=_join(And, parts),
            any_terms=_join(Or, parts),
            parts=len(parts),
            exclude=_join(Or, excluded),
            highlight=self.highlight,
            inside=self.inside,
        )

    # ---- words
    def _word(self, text: str, fuzzy: bool = True) -> list[Node]:
        """One node per coarse token of the user's word; each in every wording OpenCC knows."""
        forms = [self.an.terms(form, QUERY, normalized=True) for form in self._forms(text)]
        forms = [f for f in forms if f]
        if not forms:
            return []
        base = forms[0]
        nodes = [self._token(tok, text, fuzzy) for tok in base]
        alternatives = [f for f in forms[1:] if f != base]
        if not alternatives:
            return nodes
        # another wording of the whole word (资料分析 for 数据分析): either wording matches
        alt_nodes = [_join(And, [self._token(t, text, False) for t in f]) for f in alternatives]
        whole = _join(And, nodes)
        return [_join(Or, [whole, *alt_nodes])]  # type: ignore[list-item]

    def _forms(self, text: str) -> list[str]:
        return self.an.normalizer.alternatives(text)

    def _token(self, tok: str, raw: str, fuzzy: bool) -> Node:
        self.highlight.add(tok)
        alts: list[Node] = [Term("body", tok)]
        inside = self._inside(tok)
        if inside is not None:
            alts.append(inside)
        subs = [s for s in self.an.subwords(tok)]
        if len(subs) >= 2:  # 客户管理 also as 客户 … 管理
            alts.append(And(tuple(Term("body", s, SPLIT_BOOST) for s in subs)))
            self.highlight.update(subs)
        if fuzzy and tok.isascii() and tok.isalpha():
            alts.extend(self._typos(raw, tok))
        return alts[0] if len(alts) == 1 else Or(tuple(alts))

    def _typos(self, raw: str, stem: str) -> list[Node]:
        """'competiter' -> competitor: only when the word is unknown, and only the closest."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        for word in re.findall(r"[a-z]{3,}", raw.lower()):
            if self.an.stem(word) != stem or word in self.vocab:
                continue
            if self._words is None:
                self._words = list(self.vocab)
            maxdist = 1 if len(word) <= 5 else 2
            found = process.extract(
                word, self._words, scorer=Levenshtein.distance, score_cutoff=maxdist, limit=20
            )
            near = sorted(
                (w for w, _, _ in found if w[0] == word[0]),
                key=lambda w: (Levenshtein.distance(w, word), -self.vocab[w]),
            )
            stems = {self.an.stem(w) for w in near[:2]} - {stem}
            self.highlight.update(stems)
            return [Term("body", s, TYPO_BOOST) for s in sorted(stems)]
        return []

    def _inside(self, word: str) -> Node | None:
        """The word inside longer words or across segmenter cuts: all its character pairs
        (Chinese), or the word as a part of a mixed word (9001 in iso9001)."""
        if _HAN_WORD.fullmatch(word):
            self.inside.add(word)
            grams = list(dict.fromkeys(self.an.grams(word)))
            if len(grams) == 1:  # the word itself is a pair: body already has it as a word
                return Term("gram", word, GRAM_BOOST)
            boost = GRAM_BOOST / len(grams)
            # each pair as a word of the clause (body) or inside/across its words (gram)
            pairs = [Or((Term("body", g, boost), Term("gram", g, boost))) for g in grams]
            return And(tuple(pairs))
        if word.isascii() and word.isalnum():
            return Term("gram", word, GRAM_BOOST)
        return None

    # ---- phrases
    def _phrase(self, text: str) -> Node | None:
        """Words in order; for Chinese, the characters in a row (so "客户 档案" is 客户档案)."""
        alts: list[Node] = []
        for form in self._forms(_HAN_SPACE.sub("", text)):
            toks = self.an.terms(form, QUERY, normalized=True)
            if not toks:
                continue
            self.highlight.update(toks)
            chars = _NON_WORD.sub("", form)
            if len(toks) == 1:
                alts.append(self._token(toks[0], text, False))
            elif _HAN_WORD.fullmatch(chars):
                # Chinese characters in a row: every adjacent pair, as a word or inside one
                # (a match of the words as a phrase has all the pairs, so nothing is lost)
                alts.append(self._inside(chars))  # type: ignore[arg-type]
                self.highlight.add(chars)
            else:
                alts.append(Phrase("body", tuple(toks)))
        return _join(Or, list(dict.fromkeys(alts)))


def _join(kind: type[And] | type[Or], parts: Sequence[Node | None]) -> Node | None:
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else kind(tuple(kept))


# --------------------------------------------------------------------------- views
class Views:
    """Per-generation facts about every clause, as numpy arrays indexed by clause number:
    facet codes, collapse keys, group and theme labels. Built lazily from SQLite, once per
    generation of the clause table and of the stages that label it."""

    def __init__(
        self, store: ClauseStore, key: tuple[object, ...], normalize: Callable[[str], str]
    ) -> None:
        self.key = key
        self._store = store
        self._normalize = normalize
        self._lock = threading.Lock()
        self._arrays: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._strings: dict[str, list[tuple[str, str]]] = {}

    def close(self) -> None:
        with self._lock:
            self._store.close()

    def codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        """cnum -> value code (0: none) and the values (code - 1 indexes them)."""
        with self._lock:
            if name not in self._arrays:
                self._arrays[name] = self._build(name)
            return self._arrays[name]

    def _rows(self, name: str) -> list[tuple[int, str]]:
        q = self._store.q
        if name in ("kind", "lang", "source", "doc_id"):
            col = "source" if name == "source" else name
            if name == "source":  # facet by file: a table row's source is "file#row"
                return [(c, s.split("#", 1)[0]) for c, s in q("SELECT cnum, source FROM clauses")]
            return list(q(f'SELECT cnum, "{col}" FROM clauses'))
        if name in ("title", "company", "city", "date"):
            return list(
                q(
                    f"SELECT c.cnum, d.{name} FROM clauses c JOIN documents d USING (doc_id) "
                    f"WHERE d.{name} != ''"
                )
            )
        if name == "theme":
            return list(
                q("SELECT c.cnum, t.theme_id FROM themes t JOIN clauses c USING (clause_id)")
            )
        if name == "group":
            return list(
                q("SELECT c.cnum, g.group_id FROM dupe_members g JOIN clauses c USING (clause_id)")
            )
        if name == "collapse":  # the group, else the exact wording without punctuation
            groups = dict(self._rows("group"))
            out = []
            for cnum, norm in q("SELECT cnum, norm FROM clauses"):
                out.append((cnum, groups.get(cnum) or "=" + _NON_WORD.sub("", norm)))
            return out
        raise KeyError(name)

    def _build(self, name: str) -> tuple[np.ndarray, list[str]]:
        rows = self._rows(name)
        size = max((c for c, _ in rows), default=0) + 1
        size = max(
            size, int(self._store.q("SELECT COALESCE(MAX(cnum), 0) FROM clauses").fetchone()[0]) + 1
        )
        codes = np.zeros(size, dtype=np.int32)
        index: dict[str, int] = {}
        for cnum, value in rows:
            if value:
                codes[cnum] = index.setdefault(value, len(index) + 1)
        return codes, list(index)

    def distinct(self, name: str) -> list[tuple[str, str]]:
        """(value, its matching form) for a text field filtered by substring (section, title …)."""
        with self._lock:
            if name not in self._strings:
                table = "clauses" if name == "section" else "documents"
                values = [
                    r[0] for r in self._store.q(f"SELECT DISTINCT {name} FROM {table}") if r[0]
                ]
                self._strings[name] = [(v, self._normalize(v)) for v in values]
            return self._strings[name]


# --------------------------------------------------------------------------- filters
def resolve_filters(
    store: ClauseStore, views: Views, pq: ParsedQuery, normalize: Callable[[str], str]
) -> Filter:
    """Typed filters to engine terms (kind, lang) and one clause-number set for the rest:
    several values of one filter are alternatives (OR), different filters all apply (AND)."""
    flt = Filter(
        kinds=tuple(pq.filters.get("kind", ())),
        langs=tuple(pq.filters.get("lang", ())),
    )
    sets: list[np.ndarray] = []
    for name, values in pq.filters.items():
        if name in ("kind", "lang"):
            continue
        found = [_cnums_for(store, views, name, v, normalize) for v in values]
        sets.append(np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64))
    if sets:
        allow = sets[0]
        for s in sets[1:]:
            allow = np.intersect1d(allow, s, assume_unique=True)
        flt.allow = allow
    return flt


def _cnums_for(
    store: ClauseStore, views: Views, name: str, value: str, normalize: Callable[[str], str]
) -> np.ndarray:
    q = store.q
    if name == "doc":
        rows = q("SELECT cnum FROM clauses WHERE doc_id=?", (value,))
    elif name in ("theme", "group"):
        codes, values = views.codes(name)
        wanted = {i + 1 for i, v in enumerate(values) if v.lower() == value.lower()}
        return np.nonzero(np.isin(codes, list(wanted)))[0] if wanted else np.zeros(0, np.int64)
    elif name == "source":
        v = value.strip().rstrip("/")
        rows = q(
            "SELECT cnum FROM clauses WHERE source = ? OR source LIKE ? ESCAPE '\\' "
            "OR source LIKE ? ESCAPE '\\' OR source LIKE ? ESCAPE '\\' "
            "OR source LIKE ? ESCAPE '\\'",
            (v, _esc(v) + "#%", "%/" + _esc(v), "%/" + _esc(v) + "#%", _esc(v) + "/%"),
        )
    else:  # section and the posting fields: substring of the matching form, any script
        want = normalize(value)
        matched = [v for v, n in views.distinct(name) if want in n]
        if not matched:
            return np.zeros(0, np.int64)
        out: list[int] = []
        col = "section" if name == "section" else name
        for i in range(0, len(matched), 900):
            part = matched[i : i + 900]
            marks = ",".join("?" * len(part))
            sql = (
                f"SELECT cnum FROM clauses WHERE section IN ({marks})"
                if name == "section"
                else f"SELECT c.cnum FROM clauses c JOIN documents d USING (doc_id) "
                f"WHERE d.{col} IN ({marks})"
            )
            out += [r[0] for r in q(sql, part)]
        return np.array(out, dtype=np.int64)
    return np.fromiter((r[0] for r in rows), dtype=np.int64)


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --------------------------------------------------------------------------- running
def run(
    reader: EngineReader,
    plan: Plan,
    flt: Filter,
    *,
    limit: int,
    offset: int,
    collapse: bool,
    views: Views,
) -> tuple[Ranked, str, Node]:
    """Ranked clause numbers (a page, after ``offset``) and the mode; collapse folds by key."""
    flt.exclude = plan.exclude
    q = plan.all_terms if plan.all_terms is not None else EVERY
    mode = "all"
    ranked = _page(reader, q, flt, limit, offset, collapse, views)
    if ranked.total == 0 and plan.parts > 1 and plan.any_terms is not None:
        mode, q = "any", plan.any_terms
        ranked = _page(reader, q, flt, limit, offset, collapse, views)
    return ranked, mode, q


def _page(
    reader: EngineReader,
    q: Node,
    flt: Filter,
    limit: int,
    offset: int,
    collapse: bool,
    views: Views,
) -> Ranked:
    want = offset + limit
    if not collapse:
        r = reader.search(q, flt, want)
        return Ranked(r.cnums[offset:], r.scores[offset:], r.total)
    codes, _ = views.codes("collapse")
    depth = max(want * 4, 50)
    while True:
        r = reader.search(q, flt, depth)
        seen: dict[int, int] = {}
        for i, c in enumerate(r.cnums):
            key = int(codes[c]) if c < len(codes) else -c
            seen.setdefault(key, i)
            if len(seen) >= want:
                break
        if len(seen) >= want or depth >= r.total:
            break
        depth *= 4
    keep = sorted(seen.values())[offset:want]
    everything = reader.matches(q, flt)
    total = len(np.unique(codes[everything[everything < len(codes)]])) if len(everything) else 0
    return Ranked([r.cnums[i] for i in keep], [r.scores[i] for i in keep], total)


def facets(views: Views, cnums: np.ndarray) -> dict[str, dict[str, int]]:
    """Counts per facet value over every match, from the per-clause code arrays."""
    out: dict[str, dict[str, int]] = {}
    for name in FACET_FIELDS:
        codes, values = views.codes(name)
        inside = cnums[cnums < len(codes)]
        counts = np.bincount(codes[inside], minlength=len(values) + 1)[1:]
        top = np.argsort(-counts, kind="stable")[:50]
        out[name] = {values[i]: int(counts[i]) for i in top.tolist() if counts[i]}
    return out


# --------------------------------------------------------------------------- highlighting
def highlight(
    an: Analyzer,
    text: str,
    terms: set[str],
    inside: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[list[tuple[int, int]], str]:
    """Spans of ``text`` (original script) that match the query's terms, and an HTML copy:
    the text escaped, the spans inside ``<mark>``.

    No second segmentation: Chinese terms are found as substrings of the matching form (so a
    word found inside a longer word is marked too), Latin words by their stems (the word's
    parts too: iso in iso9001); offsets map back to the user's own characters.
    """
    norm, origin = an.normalizer.normalize_with_map(text)
    spans: list[tuple[int, int]] = []

    def mark(s: int, e: int) -> None:
        if e > s:
            spans.append((origin[s], origin[e - 1] + 1))

    for m in _LATIN_RUN.finditer(norm):
        word = m.group(0)
        if word in terms or an.stem(word) in terms:
            mark(m.start(), m.end())
            continue
        for part in _ALNUM_PART.finditer(word):
            p = part.group(0)
            if p in terms or an.stem(p) in terms:
                mark(m.start() + part.start(), m.start() + part.end())
    for term in {t for t in terms | set(inside) if _HAN.search(t)}:
        start = norm.find(term)
        while start >= 0:
            mark(start, start + len(term))
            start = norm.find(term, start + len(term))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    out, last = [], 0
    for s, e in merged:
        out.append(html.escape(text[last:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        last = e
    out.append(html.escape(text[last:]))
    return merged, "".join(out)
