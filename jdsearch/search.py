"""Querying the Whoosh index: parse the user's query, analyse it like the index, rank, highlight.

Query language (deliberately small, so no user query can crash it):
  words            all required (AND); if nothing matches, any-term (OR) is tried
  "a phrase"       words in order
  -word / -"a b"   must not match
  lang:zh-Hant  kind:duty  doc:ID  section:城市經理  theme:ID   filters (values may be quoted)
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import asdict, dataclass, field

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from whoosh import query as Q
from whoosh import scoring
from whoosh.searching import Searcher

from jdsearch.analysis import INDEX, QUERY, Analyzer, default_analyzer
from jdsearch.index import load_vocab, open_index
from jdsearch.normalize import LANGS
from jdsearch.segment import KINDS
from jdsearch.store import ClauseStore, JdsearchError

MAX_QUERY_CHARS = 500
MAX_LIMIT = 1000
FACET_FIELDS = ("kind", "lang", "theme", "source")
FILTER_FIELDS = {
    "lang": "lang",
    "kind": "kind",
    "doc": "doc_id",
    "section": "section",
    "theme": "theme",
    "source": "source",
    "group": "group",
}
_TOKEN = re.compile(r'\s*(-?)(?:(\w+):)?(?:"([^"]*)"|(\S+))', re.UNICODE)


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
    highlight: str
    spans: list[tuple[int, int]]
    theme: str = ""
    group: str = ""
    variants: int = 1
    documents: int = 1

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


def parse_query(text: str) -> ParsedQuery:
    """Split the user's query into terms, phrases, exclusions and filters."""
    if not text or not text.strip():
        raise QuerySyntaxError("empty query")
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(
            f"query too long ({len(text)} characters, at most {MAX_QUERY_CHARS})"
        )
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
    _check_filter(name, value)
    pq.filters.setdefault(name, []).append(value)


def _check_filter(name: str, value: str) -> None:
    if name == "lang" and value not in LANGS:
        raise QuerySyntaxError(f"lang: takes one of {', '.join(LANGS)}")
    if name == "kind" and value not in KINDS:
        raise QuerySyntaxError(f"kind: takes one of {', '.join(KINDS)}")


class QueryBuilder:
    """Turns a :class:`ParsedQuery` into Whoosh query objects, analysed like the index."""

    def __init__(
        self, searcher: Searcher, analyzer: Analyzer, vocab: dict[str, int] | None = None
    ) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.an = analyzer
        self.vocab = vocab or {}
        self._words = list(self.vocab)
        self.highlight_terms: set[str] = set()
        self.n_parts = 0

    def text_query(self, pq: ParsedQuery, conjunction: bool) -> Q.Query | None:
        parts: list[Q.Query] = []
        for term in pq.terms:
            parts.extend(self._word_queries(term))
        for phrase in pq.phrases:
            pq_ = self._phrase(phrase)
            if pq_ is not None:
                parts.append(pq_)
        self.n_parts = len(parts)  # analysed words and phrases: 客户档案回款 makes two
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return Q.And(parts) if conjunction else Q.Or(parts)

    def negative(self, pq: ParsedQuery) -> Q.Query | None:
        parts: list[Q.Query] = []
        for text in pq.excluded:
            parts.extend(self._word_queries(text, fuzzy=False))
        return Q.Or(parts) if parts else None

    def filter(self, pq: ParsedQuery) -> Q.Query | None:
        parts: list[Q.Query] = []
        for name, values in pq.filters.items():
            fieldname = FILTER_FIELDS[name]
            alts: list[Q.Query] = []
            for v in values:
                if fieldname == "section":
                    alts.append(self._section(v))
                elif fieldname == "theme":  # ids are D04 / R02; d04 means the same
                    alts.append(Q.Term(fieldname, v.upper()))
                else:
                    alts.append(Q.Term(fieldname, v))
            if alts:
                parts.append(alts[0] if len(alts) == 1 else Q.Or(alts))
        return Q.And(parts) if parts else None

    def _section(self, value: str) -> Q.Query:
        """Sections whose (normalised) title contains the value, in any script."""
        want = self.an.normalizer.normalize(value)
        titles = [
            t.decode("utf-8") if isinstance(t, bytes) else t for t in self.reader.lexicon("section")
        ]
        hits: list[Q.Query] = [Q.Term("section", t) for t in titles if want in t]
        return Q.Or(hits) if hits else Q.NullQuery

    # ---- words
    def _word_queries(self, text: str, fuzzy: bool = True) -> list[Q.Query]:
        """One query per coarse token; a compound also matches as its sub-words (OR)."""
        out: list[Q.Query] = []
        for tok in self.an.terms(text, QUERY):
            alts: list[Q.Query] = [Q.Term("body", tok)]
            self.highlight_terms.add(tok)
            subs = [t for t in self.an.terms(tok, INDEX)[1:]]
            if len(subs) >= 2:
                alts.append(Q.And([Q.Term("body", s) for s in subs]))
                self.highlight_terms.update(subs)
            if fuzzy and tok.isascii() and tok.isalpha():
                alts.extend(self._typo_alternatives(text, tok))
            out.append(alts[0] if len(alts) == 1 else Q.Or(alts))
        return out

    def _typo_alternatives(self, raw: str, stem: str) -> list[Q.Query]:
        """'competiter' -> competitor: only when the word is unknown, and only the closest words."""
        for word in re.findall(r"[a-z]{3,}", raw.lower()):
            if self.an.stem(word) != stem or word in self.vocab:
                continue
            maxdist = 1 if len(word) <= 5 else 2
            found = process.extract(
                word, self._words, scorer=Levenshtein.distance, score_cutoff=maxdist, limit=20
            )
            near = sorted(
                (w for w, _, _ in found if w[0] == word[0]),
                key=lambda w: (Levenshtein.distance(w, word), -self.vocab[w]),
            )
            stems = {self.an.stem(w) for w in near[:2]} - {stem}
            self.highlight_terms.update(stems)
            return [Q.Term("body", s, boost=0.8) for s in sorted(stems)]
        return []

    def _phrase(self, text: str) -> Q.Query | None:
        toks = self.an.terms(text, QUERY)
        self.highlight_terms.update(toks)
        if not toks:
            return None
        if len(toks) == 1:
            return self._word_queries(text)[0]
        return Q.Phrase("body", toks)


class SearchEngine:
    """Keeps the Whoosh index open; one instance serves many queries (the web app keeps one)."""

    def __init__(self, index_dir: str, analyzer: Analyzer | None = None) -> None:
        self.index_dir = index_dir
        self.ix = open_index(index_dir)  # type: ignore[arg-type]
        self.an = analyzer or default_analyzer()
        self._searcher: Searcher | None = None
        store = ClauseStore(index_dir)
        try:
            self.vocab = load_vocab(store)
        finally:
            store.close()

    def searcher(self) -> Searcher:
        try:
            if self._searcher is None:
                self._searcher = self.ix.searcher(weighting=scoring.BM25F())
            else:
                self._searcher = self._searcher.refresh()
        except (OSError, EOFError, struct.error, zlib.error) as exc:
            raise JdsearchError(
                f"corrupt search index in {self.index_dir} ({type(exc).__name__}): "
                "run jdsearch reindex"
            ) from None
        return self._searcher

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self.ix.close()

    def search(
        self,
        text: str,
        *,
        limit: int = 10,
        offset: int = 0,
        lang: str | None = None,
        kind: str | None = None,
        collapse: bool = False,
        facets: bool = False,
    ) -> SearchResult:
        if not 1 <= limit <= MAX_LIMIT:
            raise QuerySyntaxError(f"limit must be between 1 and {MAX_LIMIT}")
        if offset < 0:
            raise QuerySyntaxError("offset must be >= 0")
        pq = parse_query(text)
        s = self.searcher()
        qb = QueryBuilder(s, self.an, self.vocab)
        # a lang/kind argument narrows the query's own filters (a facet click on `lang:en ...`)
        flt = _and(qb.filter(pq), *self._param_filters(lang=lang, kind=kind))
        neg = qb.negative(pq)
        q_all = qb.text_query(pq, True)  # analysed once: jieba and typo lookups are not free
        if (pq.terms or pq.phrases) and q_all is None and not pq.filters:
            raise QuerySyntaxError("query has no searchable words (only stopwords)")
        mode = "all"
        try:
            results, docs = self._run(s, q_all, flt, neg, limit, offset, collapse)
            if results.total == 0 and qb.n_parts > 1:
                mode = "any"
                q_any = qb.text_query(pq, False)
                results, docs = self._run(s, q_any, flt, neg, limit, offset, collapse)
        except (OSError, EOFError, struct.error, zlib.error) as exc:
            raise JdsearchError(
                f"corrupt search index in {self.index_dir} ({type(exc).__name__}): "
                "run jdsearch reindex"
            ) from None
        results.mode = mode
        for hit in results.hits:
            hit.spans, hit.highlight = highlight(self.an, hit.text, qb.highlight_terms)
        if facets:
            results.facets = self._facets(s, docs)
        return results

    @staticmethod
    def _param_filters(**params: str | None) -> list[Q.Query]:
        out: list[Q.Query] = []
        for name, value in params.items():
            if value:
                _check_filter(name, value)
                out.append(Q.Term(FILTER_FIELDS[name], value))
        return out

    def _run(
        self,
        s: Searcher,
        q: Q.Query | None,
        flt: Q.Query | None,
        neg: Q.Query | None,
        limit: int,
        offset: int,
        collapse: bool,
    ) -> tuple[SearchResult, np.ndarray]:
        """The page of hits and the document numbers of every match.

        Whoosh ranks the top ``offset + limit`` with block-max skipping, so its own count is an
        estimate (often double); the exact total comes from one unscored pass over the matches.
        """
        q = q if q is not None else Q.Every()
        want = offset + limit
        docs = self._matches(s, q, flt, neg)
        if not len(docs):
            return SearchResult(total=0, hits=[], mode=""), docs
        if not collapse:
            r = s.search(q, limit=want, filter=flt, mask=neg)
            # not list(r): list() asks len() for a size hint, and Whoosh then re-runs the query
            hits = [
                self._hit(r[i], r[i].score) for i in range(offset, min(want, r.scored_length()))
            ]
            return SearchResult(total=len(docs), hits=hits, mode=""), docs
        r = s.search(q, limit=want, filter=flt, mask=neg, collapse="collapse", collapse_limit=1)
        hits = []
        for h in (r[i] for i in range(offset, min(want, r.scored_length()))):
            hit = self._hit(h, h.score)
            hit.variants, hit.documents = self._group_size(s, h["collapse"])
            hits.append(hit)
        return SearchResult(total=self._distinct_keys(s, docs), hits=hits, mode=""), docs

    @staticmethod
    def _distinct_keys(s: Searcher, docs: np.ndarray) -> int:
        """How many collapsed hits the matches make: distinct ``collapse`` keys."""
        reader = s.reader()
        if reader.has_column("collapse"):
            col = reader.column_reader("collapse")
            return len({col[d] for d in docs.tolist()})
        return len({s.stored_fields(d)["collapse"] for d in docs.tolist()})  # pre-column index

    @staticmethod
    def _matches(
        s: Searcher, q: Q.Query, flt: Q.Query | None, neg: Q.Query | None
    ) -> np.ndarray:
        full = _and(q, flt) or Q.Every()
        if neg is not None:
            full = Q.AndNot(full, neg)
        return np.fromiter(s.docs_for_query(full), dtype=np.int64)

    def _group_size(self, s: Searcher, key: str) -> tuple[int, int]:
        docs = s.search(Q.Term("collapse", key), limit=None)
        return len(docs), len({d["doc_id"] for d in docs})

    def _facets(self, s: Searcher, docs: np.ndarray) -> dict[str, dict[str, int]]:
        """Counts per facet value over every match, without scoring or loading stored fields:
        the matching document numbers index per-field value codes held in numpy arrays."""
        out: dict[str, dict[str, int]] = {}
        for name, (codes, values) in self._facet_codes(s).items():
            counts = np.bincount(codes[docs], minlength=len(values) + 1)[1:]
            top = np.argsort(-counts, kind="stable")[:50]
            # a clause with no theme (ingested after the last themes run) is not a facet value
            out[name] = {values[i]: int(counts[i]) for i in top.tolist() if counts[i] and values[i]}
        return out

    def _facet_codes(self, s: Searcher) -> dict[str, tuple[np.ndarray, list[str]]]:
        """docnum -> value code (0 = none) per facet field; built once per searcher from the
        postings (a pass over each field's terms, not over stored documents)."""
        cached = getattr(self, "_facet_cache", None)
        if cached is not None and cached[0] is s:
            return cached[1]
        reader = s.reader()
        tables: dict[str, tuple[np.ndarray, list[str]]] = {}
        for name in FACET_FIELDS:
            codes = np.zeros(reader.doc_count_all(), dtype=np.int32)
            values: list[str] = []
            for term in reader.lexicon(name):
                values.append(term.decode("utf-8") if isinstance(term, bytes) else term)
                ids = np.fromiter(reader.postings(name, term).all_ids(), dtype=np.int64)
                codes[ids] = len(values)
            tables[name] = (codes, values)
        self._facet_cache = (s, tables)
        return tables

    @staticmethod
    def _hit(h, score: float) -> Hit:  # type: ignore[no-untyped-def]
        return Hit(
            clause_id=h["clause_id"],
            doc_id=h["doc_id"],
            source=h["source"],
            section=h.get("section_text", ""),
            lang=h["lang"],
            kind=h["kind"],
            text=h["text"],
            score=round(float(score), 4),
            highlight="",
            spans=[],
            theme=h.get("theme", ""),
            group=h.get("group", ""),
        )


def _and(*parts: Q.Query | None) -> Q.Query | None:
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else Q.And(kept)


def highlight(an: Analyzer, text: str, terms: set[str]) -> tuple[list[tuple[int, int]], str]:
    """Spans of ``text`` (original script) whose tokens match query terms, and a marked copy."""
    spans: list[tuple[int, int]] = []
    for tok in an.tokens(text, INDEX):
        if tok.text in terms:
            spans.append((tok.start, tok.end))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    out, last = [], 0
    for s, e in merged:
        out.append(text[last:s])
        out.append(f"<mark>{text[s:e]}</mark>")
        last = e
    out.append(text[last:])
    return merged, "".join(out)
