"""Cross-lingual links that are translations, found the way sentence aligners find them.

Real bilingual postings put the English and the Chinese version in one document, in the same
order (line by line, or block after block). Inside such a document the two sequences are aligned
as Gale & Church align sentences — in order, one-to-one, skips allowed, by dynamic programming —
with the gain of a pair taken from *dictionary evidence* (the curated JD glossary and CC-CEDICT,
:mod:`jdsearch.concepts`) rather than from length alone. An aligned pair becomes a link only when

- the dictionary covers most content words on *both* sides (``min_coverage`` percent: a unit is
  covered when one of its translations occurs on the other side);
- the numbers, degrees and certificates agree (:mod:`jdsearch.values`: 3年 = three years);
- neither side is a heading, a title or a field label, nor itself half English half Chinese.

Across documents the same test applies, to each English clause's best partners by shared rare
concepts (IDF, sparse products), and only mutual best pairs are kept: a translation is one-to-one.
Sharing a concept or two (经验, 客户) is never enough.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence

import numpy as np

from jdsearch.normalize import EN, normalize
from jdsearch.store import Clause
from jdsearch.values import CERT, DEGREE, NUM, values_of

Unit = tuple[str, frozenset[str]]
TermsFn = Callable[[Sequence[Clause]], list[list[str]]]
MIN_UNITS = 2  # content words a side needs: fewer is a label or a fragment, not a statement
BEAD_COST = 0.3  # coverage below this never pays for a one-to-one bead in the alignment
_HEADING = re.compile(
    r"^\s*(?:job\s*title|title|position(?:\s*name)?|job\s*(?:description|responsibilities)"
    r"|responsibilities|requirements|qualifications|职位|岗位|职责|任职|要求|薪资|地址|address"
    r"|contact|e-?mail|tel|phone|联系|电话|邮箱)\b[^。.;；]{0,40}$",
    re.IGNORECASE,
)
_LABEL_END = re.compile(r"[:：]\s*$")
_LINK = re.compile(r"https?:|www\.|\S+@\S+\.|\.com\b|\.cn\b", re.IGNORECASE)
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def clause_units(clauses: Sequence[Clause], terms_of: TermsFn | None = None) -> list[list[Unit]]:
    """Dictionary units of each clause, from cached analyser terms when the caller has them."""
    from jdsearch.concepts import default_mapper

    mapper = default_mapper()
    if terms_of is not None:
        return [mapper.units_from_terms(t) for t in terms_of(clauses)]
    return [mapper.units(c.text) for c in clauses]


def is_heading_like(text: str) -> bool:
    """Titles, headings, field labels and contact lines ("Job Title: …", "岗位职责：", URLs)."""
    return bool(_LABEL_END.search(text) or _HEADING.match(text) or _LINK.search(text))


def is_mixed(c: Clause) -> bool:
    """A clause that already holds both languages (an English line with its Chinese appended)."""
    han, latin = len(_HAN.findall(c.text)), len(_LATIN.findall(c.text))
    return han >= 4 and latin >= 12 if c.lang == EN else latin >= 3 * max(han, 1)


def coverage(units: Sequence[Unit], other: Sequence[Unit]) -> float:
    """Share of ``units`` with a translation among ``other``'s concepts (0..1)."""
    if not units:
        return 0.0
    pool = frozenset().union(*(c for _, c in other)) if other else frozenset()
    return sum(1 for _, c in units if c & pool) / len(units)


def _hard_values(c: Clause) -> list[tuple[str, str]]:
    v = values_of(c.norm or normalize(c.text))
    return sorted(
        (s, x) for s, x in zip(v.slots, v.values, strict=True) if s in (NUM, DEGREE, CERT)
    )


def translation_score(
    en: Clause, zh: Clause, units_en: Sequence[Unit], units_zh: Sequence[Unit]
) -> float | None:
    """0..100: dictionary coverage of the worse-covered side; None when the pair cannot be a
    translation whatever the words (a heading, a mixed clause, a fragment, other numbers)."""
    if len(units_en) < MIN_UNITS or len(units_zh) < MIN_UNITS:
        return None
    if is_heading_like(en.text) or is_heading_like(zh.text) or is_mixed(en) or is_mixed(zh):
        return None
    if _hard_values(en) != _hard_values(zh):
        return None
    return 100.0 * min(coverage(units_en, units_zh), coverage(units_zh, units_en))


def align(
    n_en: int, n_zh: int, score: Callable[[int, int], float | None]
) -> list[tuple[int, int, float]]:
    """Monotone one-to-one alignment (skips allowed) maximising sum(score/100 - BEAD_COST).

    ``score(a, b)`` is the pair's evidence (None: never align them). Returns the aligned pairs
    in order with their scores."""
    gain = np.full((n_en, n_zh), -np.inf)
    scores: dict[tuple[int, int], float] = {}
    for a in range(n_en):
        for b in range(n_zh):
            s = score(a, b)
            if s is not None:
                scores[(a, b)] = s
                gain[a, b] = s / 100.0 - BEAD_COST
    best = np.zeros((n_en + 1, n_zh + 1))
    move = np.zeros((n_en + 1, n_zh + 1), dtype=np.int8)  # 0 skip en, 1 skip zh, 2 bead
    move[0, 1:], move[1:, 0] = 1, 0
    for a in range(1, n_en + 1):
        for b in range(1, n_zh + 1):
            options = (best[a - 1, b], best[a, b - 1], best[a - 1, b - 1] + gain[a - 1, b - 1])
            k = int(np.argmax(options))
            best[a, b], move[a, b] = options[k], k
    out: list[tuple[int, int, float]] = []
    a, b = n_en, n_zh
    while a > 0 and b > 0:
        k = move[a, b]
        if k == 2:
            out.append((a - 1, b - 1, scores[(a - 1, b - 1)]))
            a, b = a - 1, b - 1
        elif k == 0:
            a -= 1
        else:
            b -= 1
    return out[::-1]


def cross_lingual_links(
    clauses: Sequence[Clause],
    *,
    terms_of: TermsFn | None = None,
    min_coverage: float = 60.0,
    candidates: int = 10,
    across_documents: bool = True,
) -> list[tuple[int, int, float]]:
    """(english index, chinese index, score) links among ``clauses``: aligned translations in
    bilingual documents, then mutual-best pairs across documents with the same evidence."""
    en = [i for i, c in enumerate(clauses) if c.lang == EN]
    zh = [i for i, c in enumerate(clauses) if c.lang != EN]
    if not en or not zh:
        return []
    docs_en: dict[str, list[int]] = defaultdict(list)
    for i in en:
        docs_en[clauses[i].doc_id].append(i)
    in_bilingual = {clauses[i].doc_id for i in zh} & set(docs_en)
    need = en + (zh if across_documents else [i for i in zh if clauses[i].doc_id in in_bilingual])
    units = dict(zip(need, clause_units([clauses[i] for i in need], terms_of), strict=True))

    def score(i: int, j: int) -> float | None:
        return translation_score(clauses[i], clauses[j], units[i], units[j])

    links: dict[tuple[int, int], float] = {}
    docs_zh: dict[str, list[int]] = defaultdict(list)
    for j in zh:
        if clauses[j].doc_id in in_bilingual:
            docs_zh[clauses[j].doc_id].append(j)
    for doc in sorted(in_bilingual):
        e = sorted(docs_en[doc], key=lambda i: clauses[i].position)
        z = sorted(docs_zh[doc], key=lambda j: clauses[j].position)
        for a, b, s in align(len(e), len(z), lambda a, b, e=e, z=z: score(e[a], z[b])):
            if s >= min_coverage:
                links[(e[a], z[b])] = s
    if across_documents:
        for i, j, s in _across_documents(clauses, en, zh, units, score, min_coverage, candidates):
            links.setdefault((i, j), s)
    return [(i, j, s) for (i, j), s in sorted(links.items())]


def _across_documents(  # type: ignore[no-untyped-def]
    clauses, en, zh, units, score, min_coverage: float, candidates: int
) -> list[tuple[int, int, float]]:
    """Mutual-best pairs from different documents whose evidence passes the same bar."""
    bags = {i: sorted({x for _, cs in units[i] for x in cs}) for i in en + zh}
    pairs = concept_candidates([bags[i] for i in en], [bags[j] for j in zh], top_n=candidates)
    verified = []
    for a, b in pairs:
        i, j = en[a], zh[b]
        if clauses[i].doc_id == clauses[j].doc_id:
            continue
        s = score(i, j)
        if s is not None and s >= min_coverage:
            verified.append((i, j, s))
    return mutual_best(verified, 0.0)


def concept_candidates(
    left: Sequence[Collection[str]],
    right: Sequence[Collection[str]],
    *,
    top_n: int = 10,
    query_terms: int = 8,
    chunk_work: int = 2_000_000,
) -> set[tuple[int, int]]:
    """(i, j) pairs: for each left bag its ``top_n`` right bags by summed IDF of shared concepts,
    and the same from the right side; never all pairs.

    Why IDF and not a document-frequency cap: a clause made only of common concepts (负责公司产品的
    销售和推广: responsible, company, product, sales, promotion) still gets its best partners, while
    rare shared concepts rank first. Each query keeps its ``query_terms`` rarest concepts, so its
    cost is bounded by their posting lists; identical bags are queried once. The products run as
    sparse matrix multiplications (scipy) in row chunks of about ``chunk_work`` postings.
    """
    vocab: dict[str, int] = {}
    uniq_l, of_l = _unique_bags(left, vocab)
    uniq_r, of_r = _unique_bags(right, vocab)
    if not uniq_l or not uniq_r:
        return set()
    ml, mr = _incidence(uniq_l, len(vocab)), _incidence(uniq_r, len(vocab))
    weight_l = np.bincount(of_l[of_l >= 0], minlength=len(uniq_l)).astype(np.float64)
    weight_r = np.bincount(of_r[of_r >= 0], minlength=len(uniq_r)).astype(np.float64)
    df = np.asarray(ml.T @ weight_l + mr.T @ weight_r).ravel()  # clauses, not unique bags
    n = float(len(left) + len(right))
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    pairs = _top_partners(ml, mr, idf, top_n, query_terms, chunk_work)
    pairs |= {(a, b) for b, a in _top_partners(mr, ml, idf, top_n, query_terms, chunk_work)}
    members_l = _members(of_l, len(uniq_l))
    members_r = _members(of_r, len(uniq_r))
    out: set[tuple[int, int]] = set()
    for a, b in pairs:  # every clause of bag a with the first of bag b, and back: enough to link
        la, rb = members_l[a], members_r[b]
        out.update((i, rb[0]) for i in la)
        out.update((la[0], j) for j in rb)
    return out


def mutual_best(
    verified: Sequence[tuple[int, int, float]], margin: float
) -> list[tuple[int, int, float]]:
    """Verified (english, chinese, score) pairs within ``margin`` of the best score of *both* ends.

    A translation is a one-to-one relation; a short generic clause (负责本区域的销售工作) passes the
    threshold against many English duties, and union-find would make it a hub. Ties and near-ties
    survive, so script variants and copies of one translation all link.
    """
    best_l: dict[int, float] = defaultdict(float)
    best_r: dict[int, float] = defaultdict(float)
    for i, j, s in verified:
        best_l[i] = max(best_l[i], s)
        best_r[j] = max(best_r[j], s)
    return [(i, j, s) for i, j, s in verified if s >= max(best_l[i], best_r[j]) - margin]


def _unique_bags(
    bags: Sequence[Collection[str]], vocab: dict[str, int]
) -> tuple[list[list[int]], np.ndarray]:
    """Distinct non-empty concept sets as vocabulary ids; each bag's distinct index (-1: empty)."""
    seen: dict[frozenset[str], int] = {}
    uniq: list[list[int]] = []
    of = np.full(len(bags), -1, dtype=np.int64)
    for i, bag in enumerate(bags):
        if not bag:
            continue
        key = frozenset(bag)
        u = seen.get(key)
        if u is None:
            u = seen[key] = len(uniq)
            uniq.append(sorted(vocab.setdefault(c, len(vocab)) for c in key))
        of[i] = u
    return uniq, of


def _incidence(rows: list[list[int]], width: int):  # type: ignore[no-untyped-def]
    from scipy import sparse

    indptr = np.r_[0, np.cumsum([len(r) for r in rows])]
    indices = np.fromiter((c for r in rows for c in r), dtype=np.int64, count=int(indptr[-1]))
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), width))


def _members(of: np.ndarray, n: int) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(n)]
    for i, u in enumerate(of.tolist()):
        if u >= 0:
            out[u].append(i)
    return out


def _top_partners(  # type: ignore[no-untyped-def]
    queries, targets, idf: np.ndarray, top_n: int, query_terms: int, chunk_work: int
) -> set[tuple[int, int]]:
    """For each query row, the ``top_n`` target rows by summed IDF of shared columns."""
    from scipy import sparse

    q = queries.tocsr(copy=True)
    # keep each query's rarest concepts (highest IDF): bounded work per query
    cols = q.indices
    rows = np.repeat(np.arange(q.shape[0]), np.diff(q.indptr))
    w = idf[cols]
    order = np.lexsort((cols, -w, rows))
    rank = np.arange(len(order)) - q.indptr[rows[order]]
    keep = np.sort(order[rank < query_terms])
    indptr = np.r_[0, np.cumsum(np.bincount(rows[keep], minlength=q.shape[0]))]
    q = sparse.csr_matrix((w[keep].astype(np.float32), cols[keep], indptr), shape=q.shape)
    t = targets.T.tocsr()
    posting = np.diff(t.indptr)  # targets per concept
    work = np.asarray(q.astype(bool).astype(np.int64) @ posting).ravel()
    cum = np.cumsum(work)
    out: set[tuple[int, int]] = set()
    start = 0
    while start < q.shape[0]:
        base = cum[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(cum, base + chunk_work, side="right")))
        prod = (q[start:stop] @ t).tocsr()
        prod.sort_indices()
        r = np.repeat(np.arange(prod.shape[0]), np.diff(prod.indptr))
        order = np.lexsort((prod.indices, -prod.data, r))
        rank = np.arange(len(order)) - prod.indptr[r[order]]
        best = order[rank < top_n]
        out.update(zip((r[best] + start).tolist(), prod.indices[best].tolist(), strict=True))
        start = stop
    return out
