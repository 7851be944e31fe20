"""Near-duplicate clauses: exact, near, cross-script and cross-lingual, grouped without chaining.

Pipeline (each a swappable part):
1. exact buckets on the matching key (normalised, punctuation stripped) — a traditional clause and
   its simplified twin share a key, so cross-script copies cost nothing;
2. candidates for near-duplicates by MinHash LSH over character 3-grams of one representative per
   key — never all pairs (the signatures are computed with numpy over the whole batch at once);
3. every candidate verified with rapidfuzz against ``threshold`` (default 85);
4. cross-lingual candidates (English <-> Chinese): for each clause its best partners in the other
   language by summed IDF of shared concept tokens (:mod:`jdsearch.concepts`), found with sparse
   matrix products, then verified with the concept-bag similarity against
   ``cross_lingual_threshold``;
5. union-find over verified pairs, then a guard against chaining: each member must itself match
   the group's canonical member (the most central, most complete wording), else it is split off.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise

import numpy as np
from rapidfuzz import fuzz

from jdsearch.normalize import EN, detect_lang, match_key
from jdsearch.store import Clause

EXACT, NEAR, CROSS_SCRIPT, CROSS_LINGUAL = "exact", "near", "cross-script", "cross-lingual"
# Concept-bag similarity at which an English and a Chinese clause are the same duty; chosen on
# the labelled translation / unrelated pairs of the sample corpus (tests/test_dupes.py).
CROSS_LINGUAL_THRESHOLD = 48.0
_PRIME = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)
_EN_WORDS = re.compile(r"[a-z0-9]+")


@dataclass
class Member:
    clause_id: str
    similarity: float
    relation: str


@dataclass
class Group:
    group_id: str
    canonical_id: str
    members: list[Member] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


# --------------------------------------------------------------------------- similarity
def text_similarity(a: str, b: str, english: bool = False) -> float:
    """0..100 on matching keys.

    Chinese: character ratio (partial ratio for similar lengths). English: the same measures on
    *word* sequences (as-is and sorted), so "Gender: no special requirements" and "Height: no
    special requirements" differ by a whole word, not by a few letters.
    """
    if a == b:
        return 100.0
    if not a or not b:
        return 0.0
    if english:
        wa, wb = _EN_WORDS.findall(a), _EN_WORDS.findall(b)
        return float(max(fuzz.ratio(wa, wb), fuzz.ratio(sorted(wa), sorted(wb))))
    score = fuzz.ratio(a, b)
    short, long_ = sorted((len(a), len(b)))
    if short / long_ >= 0.75:
        score = max(score, 0.97 * fuzz.partial_ratio(a, b))
    return float(score)


def required_score(threshold: float, a: str, b: str) -> float:
    """Short texts need more: one different word in 14 characters is another duty (产品/客户)."""
    short = min(len(a), len(b))
    return threshold + 5.0 if short < 16 else threshold


def relation(a: Clause, b: Clause, key_a: str, key_b: str) -> str:
    if (a.lang == EN) != (b.lang == EN):
        return CROSS_LINGUAL
    if key_a == key_b:
        return (
            EXACT
            if a.lang == b.lang and a.text == b.text
            else (CROSS_SCRIPT if a.lang != b.lang else EXACT)
        )
    return CROSS_SCRIPT if a.lang != b.lang else NEAR


# --------------------------------------------------------------------------- MinHash LSH
def _shingle_hashes(keys: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, owner) of every character n-gram of every key, fully vectorised."""
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    joined = "".join(keys)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    owner_of_char = np.repeat(np.arange(len(keys)), lengths)
    if len(codes) < n:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    h = np.zeros(len(codes) - n + 1, dtype=np.uint64)
    for i in range(n):
        h = h * np.uint64(1_000_003) + codes[i : len(codes) - n + 1 + i]
    own = owner_of_char[: len(h)]
    valid = own == owner_of_char[n - 1 :]
    h, own = h[valid], own[valid]
    # keys shorter than n: hash the whole key
    short = np.nonzero(lengths < n)[0]
    if len(short):
        extra = np.array(
            [int(hashlib.md5(keys[i].encode()).hexdigest()[:15], 16) for i in short],
            dtype=np.uint64,
        )
        h = np.concatenate([h, extra])
        own = np.concatenate([own, short])
    order = np.argsort(own, kind="stable")
    return (h[order] * np.uint64(0x9E3779B97F4A7C15)) & _MASK32, own[order]


def minhash_signatures(
    keys: Sequence[str], num_perm: int = 64, n: int = 3, seed: int = 0, chunk: int = 20000
) -> np.ndarray:
    """MinHash signatures (len(keys) x num_perm, uint32) of character n-gram sets."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, (1 << 61) - 1, size=num_perm, dtype=np.uint64)
    b = rng.integers(0, (1 << 61) - 1, size=num_perm, dtype=np.uint64)
    sig = np.full((len(keys), num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        h, own = _shingle_hashes(part, n)
        if not len(h):
            continue
        bounds = np.r_[0, np.nonzero(np.diff(own))[0] + 1]
        docs = own[bounds]
        for p in range(num_perm):
            v = ((a[p] * h + b[p]) % _PRIME) & _MASK32
            sig[start + docs, p] = np.minimum.reduceat(v, bounds).astype(np.uint32)
    return sig


def lsh_candidates(sig: np.ndarray, bands: int, max_bucket: int = 400) -> set[tuple[int, int]]:
    """Pairs sharing at least one band bucket (huge buckets are chained, not fully paired)."""
    rows = sig.shape[1] // bands
    pairs: set[tuple[int, int]] = set()
    for band in range(bands):
        block = np.ascontiguousarray(sig[:, band * rows : (band + 1) * rows])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        cuts = np.nonzero(sorted_keys[1:] != sorted_keys[:-1])[0] + 1
        for bucket in np.split(order, cuts):
            if len(bucket) < 2:
                continue
            members = sorted(bucket.tolist())
            if len(members) <= max_bucket:
                pairs.update((x, y) for i, x in enumerate(members) for y in members[i + 1 :])
            else:  # a very common text: link neighbours only, enough for union-find
                pairs.update(pairwise(members))
    return pairs


# --------------------------------------------------------------------------- grouping
class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


ScoreFn = Callable[[int, int], float]


class DuplicateFinder:
    """Finds duplicate groups among clauses (scikit-learn style: ``fit`` then read ``groups_``).

    Parameters are explicit and the result is deterministic for a ``random_state``.
    """

    def __init__(
        self,
        threshold: float = 85.0,
        *,
        cross_lingual: bool = True,
        cross_lingual_threshold: float = CROSS_LINGUAL_THRESHOLD,
        cross_lingual_candidates: int = 10,
        cross_lingual_margin: float = 5.0,
        num_perm: int = 64,
        bands: int = 32,
        ngram: int = 3,
        random_state: int = 0,
    ) -> None:
        self.threshold = threshold
        self.cross_lingual = cross_lingual
        self.cross_lingual_threshold = cross_lingual_threshold
        self.cross_lingual_candidates = cross_lingual_candidates
        self.cross_lingual_margin = cross_lingual_margin
        self.num_perm = num_perm
        self.bands = bands
        self.ngram = ngram
        self.random_state = random_state

    def fit(self, clauses: Sequence[Clause]) -> DuplicateFinder:
        self.clauses_ = list(clauses)
        keys = [match_key(c.text) for c in self.clauses_]
        self.keys_ = keys
        reps, rep_of = self._representatives(keys)
        edges: dict[tuple[int, int], float] = {}
        for i, r in enumerate(rep_of):  # exact / cross-script copies join their representative
            if i != reps[r]:
                edges[(reps[r], i)] = 100.0
        self.pairs_verified_ = 0
        self._bags: dict[int, list[str]] = {}
        self._near_pairs(reps, keys, edges)
        if self.cross_lingual:
            self._cross_lingual_pairs(reps, edges)
        self.edges_ = edges
        self.groups_ = self._group(edges)
        return self

    # ---- candidates
    @staticmethod
    def _representatives(keys: list[str]) -> tuple[list[int], list[int]]:
        first: dict[str, int] = {}
        rep_of: list[int] = []
        reps: list[int] = []
        for i, k in enumerate(keys):
            if k not in first:
                first[k] = len(reps)
                reps.append(i)
            rep_of.append(first[k])
        return reps, rep_of

    def _near_pairs(self, reps: list[int], keys: list[str], edges: dict) -> None:
        rep_keys = [keys[i] for i in reps]
        sig = minhash_signatures(rep_keys, self.num_perm, self.ngram, self.random_state)
        for x, y in lsh_candidates(sig, self.bands):
            a, b = reps[x], reps[y]
            if (self.clauses_[a].lang == EN) != (self.clauses_[b].lang == EN):
                continue  # English vs Chinese is the cross-lingual stage's business
            self.pairs_verified_ += 1
            english = self.clauses_[a].lang == EN and self.clauses_[b].lang == EN
            score = text_similarity(keys[a], keys[b], english)
            if score >= required_score(self.threshold, keys[a], keys[b]):
                edges[(a, b)] = score

    def _cross_lingual_pairs(self, reps: list[int], edges: dict) -> None:
        from jdsearch.concepts import default_mapper

        mapper = default_mapper()
        en = [i for i in reps if self.clauses_[i].lang == EN]
        zh = [i for i in reps if self.clauses_[i].lang != EN]
        if not en or not zh:
            return
        concepts = {i: mapper.concepts(self.clauses_[i].text) for i in en + zh}
        self._bags.update({i: mapper.bag_of(concepts[i]) for i in en + zh})
        pairs = concept_candidates(
            [concepts[i] for i in en],
            [concepts[j] for j in zh],
            top_n=self.cross_lingual_candidates,
        )
        verified: list[tuple[int, int, float]] = []
        for a, b in pairs:
            i, j = en[a], zh[b]
            self.pairs_verified_ += 1
            score = mapper.bag_similarity(self._bags[i], self._bags[j])
            if score >= self.cross_lingual_threshold:
                verified.append((i, j, score))
        for i, j, score in mutual_best(verified, self.cross_lingual_margin):
            edges[(min(i, j), max(i, j))] = score

    def _bag(self, i: int) -> list[str]:
        if i not in self._bags:
            from jdsearch.concepts import default_mapper

            self._bags[i] = default_mapper().bag(self.clauses_[i].text)
        return self._bags[i]

    # ---- groups
    def _score(self, a: int, b: int) -> float:
        ca, cb = self.clauses_[a], self.clauses_[b]
        if (ca.lang == EN) != (cb.lang == EN):
            from jdsearch.concepts import default_mapper

            return default_mapper().bag_similarity(self._bag(a), self._bag(b))
        english = ca.lang == EN and cb.lang == EN
        return text_similarity(self.keys_[a], self.keys_[b], english)

    def _threshold_for(self, a: int, b: int) -> float:
        ca, cb = self.clauses_[a], self.clauses_[b]
        if (ca.lang == EN) != (cb.lang == EN):
            return self.cross_lingual_threshold
        return required_score(self.threshold, self.keys_[a], self.keys_[b])

    def _group(self, edges: dict[tuple[int, int], float]) -> list[Group]:
        uf = _UnionFind(len(self.clauses_))
        for a, b in edges:
            uf.union(a, b)
        comps: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self.clauses_)):
            comps[uf.find(i)].append(i)
        neighbours: dict[int, dict[int, float]] = defaultdict(dict)
        for (a, b), s in edges.items():
            neighbours[a][b] = s
            neighbours[b][a] = s
        groups: list[Group] = []
        for members in comps.values():
            if len(members) > 1:
                groups.extend(self._split(members, neighbours))
        groups.sort(key=lambda g: (-len(g.members), g.group_id))
        return groups

    def _split(self, members: list[int], nb: dict[int, dict[int, float]]) -> list[Group]:
        """Guard against chaining: keep members that match the canonical; repeat on the rest."""
        out: list[Group] = []
        remaining = sorted(members)
        while len(remaining) > 1:
            pool = set(remaining)
            canon = max(
                remaining,
                key=lambda i: (
                    sum(s for j, s in nb[i].items() if j in pool),
                    len(self.clauses_[i].text),
                    -i,
                ),
            )
            kept, rest = [canon], []
            for i in remaining:
                if i == canon:
                    continue
                s = nb[canon].get(i)
                if s is None:
                    s = self._score(canon, i)
                (kept if s >= self._threshold_for(canon, i) else rest).append(i)
                nb[canon][i] = nb[i][canon] = s
            if len(kept) > 1:
                out.append(self._make_group(canon, kept, nb))
            remaining = rest
        return out

    def _make_group(self, canon: int, kept: list[int], nb: dict[int, dict[int, float]]) -> Group:
        c0 = self.clauses_[canon]
        gid = hashlib.sha1(c0.clause_id.encode()).hexdigest()[:12]
        members = []
        for i in sorted(kept, key=lambda i: (i != canon, -nb[canon].get(i, 100.0), i)):
            c = self.clauses_[i]
            if i == canon:
                members.append(Member(c.clause_id, 100.0, "canonical"))
            else:
                rel = relation(c0, c, self.keys_[canon], self.keys_[i])
                members.append(Member(c.clause_id, round(nb[canon][i], 1), rel))
        return Group(gid, c0.clause_id, members)


# --------------------------------------------------------------------------- cross-lingual
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


# --------------------------------------------------------------------------- one text
def near_duplicates_of(
    text: str,
    clauses: Sequence[Clause],
    threshold: float = 85.0,
    *,
    cross_lingual: bool = True,
    cross_lingual_threshold: float = CROSS_LINGUAL_THRESHOLD,
    exclude: str | None = None,
    limit: int = 100,
) -> list[tuple[Clause, float, str]]:
    """Clauses duplicating ``text`` (a pasted clause): (clause, similarity, relation), best first.

    One query needs no index: rapidfuzz scans every key in C; cross-lingual candidates are
    pre-filtered by shared concepts before the concept-bag score.
    """
    from rapidfuzz import process

    key = match_key(text)
    lang = detect_lang(text)
    q_lang_en = lang == EN
    probe = Clause("", "", "", "", "", 0, "", lang, text, "", 0, 0)
    pool = [c for c in clauses if c.clause_id != exclude]
    keys = [match_key(c.text) for c in pool]
    out: dict[int, float] = {}
    scorer = fuzz.token_sort_ratio if q_lang_en else fuzz.ratio
    for _, _score, i in process.extract(
        key, keys, scorer=scorer, score_cutoff=threshold - 10, limit=None
    ):
        s = text_similarity(key, keys[i], q_lang_en and pool[i].lang == EN)
        if s >= required_score(threshold, key, keys[i]):
            out[i] = s
    if cross_lingual:
        from jdsearch.concepts import default_mapper

        mapper = default_mapper()
        mine = mapper.concepts(text)
        my_bag = mapper.bag_of(mine)
        for i, c in enumerate(pool):
            if (c.lang == EN) == q_lang_en or i in out:
                continue
            theirs = mapper.concepts(c.text)
            if len(set(mine) & set(theirs)) < 2:
                continue
            s = mapper.bag_similarity(my_bag, mapper.bag_of(theirs))
            if s >= cross_lingual_threshold:
                out[i] = s
    ranked = sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [(pool[i], round(s, 1), relation(probe, pool[i], key, keys[i])) for i, s in ranked]


# --------------------------------------------------------------------------- incremental
GroupRow = tuple[str, str, str, float, str, int]


ConceptsFn = Callable[[Sequence[Clause]], list[list[str]]]


def update_groups(
    rows: Sequence[GroupRow],
    clauses: Sequence[Clause],
    new_ids: set[str],
    threshold: float,
    *,
    cross_lingual_threshold: float | None = None,
    concepts_of: ConceptsFn | None = None,
) -> list[GroupRow]:
    """Stored groups brought up to date after an ingest, without recomputing them all.

    Rows of clauses that no longer exist are dropped (a group losing its canonical promotes its
    closest member); each new clause joins the group of the best-matching canonical, or pairs
    with the best-matching ungrouped clause, when it passes the same verification. With a
    ``cross_lingual_threshold``, a new clause still alone then gets its translation partner as
    a full run finds it (:func:`concept_candidates` with the new clauses as queries,
    :func:`mutual_best`), joining the partner's group if it also matches that group's canonical.
    ``concepts_of`` gives concept tokens for clauses (default: analyse each text).
    """
    from rapidfuzz import process

    by_id = {c.clause_id: c for c in clauses}
    groups: dict[str, list[list[object]]] = defaultdict(list)
    for cid, gid, canon, sim, rel, _rank in rows:
        if cid in by_id and cid not in new_ids:
            groups[gid].append([cid, canon, sim, rel])
    for members in groups.values():
        _repair_canonical(members, by_id)
    canon_keys = {g: match_key(by_id[str(m[0][1])].text) for g, m in groups.items() if len(m) > 1}
    grouped = {str(m[0]) for ms in groups.values() for m in ms}
    loose = [c for c in clauses if c.clause_id not in grouped and c.clause_id not in new_ids]
    loose_keys = [match_key(c.text) for c in loose]
    gids, gkeys = list(canon_keys), list(canon_keys.values())
    for cid in sorted(new_ids & by_id.keys()):
        c, key = by_id[cid], match_key(by_id[cid].text)
        english = c.lang == EN
        best = process.extractOne(key, gkeys, scorer=fuzz.ratio, score_cutoff=threshold - 10)
        if best and _accept(c, by_id[str(groups[gids[best[2]]][0][1])], key, best[0], threshold):
            g = gids[best[2]]
            canon = by_id[str(groups[g][0][1])]
            s = text_similarity(best[0], key, english)
            groups[g].append([cid, canon.clause_id, round(s, 1), relation(canon, c, best[0], key)])
            continue
        best = process.extractOne(key, loose_keys, scorer=fuzz.ratio, score_cutoff=threshold - 10)
        if best and _accept(c, loose[best[2]], key, best[0], threshold):
            other = loose[best[2]]
            gid = hashlib.sha1(other.clause_id.encode()).hexdigest()[:12]
            s = text_similarity(best[0], key, english)
            groups[gid] = [
                [other.clause_id, other.clause_id, 100.0, "canonical"],
                [cid, other.clause_id, round(s, 1), relation(other, c, best[0], key)],
            ]
            gids.append(gid)
            gkeys.append(best[0])
            loose_keys[best[2]] = ""  # now grouped
    if cross_lingual_threshold is not None:
        _link_new_cross_lingual(
            groups, clauses, new_ids, threshold, cross_lingual_threshold, concepts_of
        )
    return [
        (str(m[0]), gid, str(m[1]), float(m[2]), str(m[3]), rank)  # type: ignore[arg-type]
        for gid, members in groups.items()
        if len(members) > 1
        for rank, m in enumerate(members)
    ]


def _link_new_cross_lingual(
    groups: dict[str, list[list[object]]],
    clauses: Sequence[Clause],
    new_ids: set[str],
    threshold: float,
    cl_threshold: float,
    concepts_of: ConceptsFn | None,
) -> None:
    """Cross-lingual links for new clauses left alone by the monolingual pass (in place)."""
    from jdsearch.concepts import default_mapper

    mapper = default_mapper()
    if concepts_of is None:
        concepts_of = lambda cs: [mapper.concepts(c.text) for c in cs]  # noqa: E731
    group_of = {str(m[0]): g for g, ms in groups.items() for m in ms}
    alone = [c for c in clauses if c.clause_id in new_ids and c.clause_id not in group_of]
    if not alone:
        return
    concepts = dict(zip((c.clause_id for c in clauses), concepts_of(clauses), strict=True))
    bag = {cid: mapper.bag_of(cs) for cid, cs in concepts.items()}
    verified: list[tuple[str, str, float]] = []
    for q_en in (True, False):
        queries = [c for c in alone if (c.lang == EN) == q_en]
        others = [c for c in clauses if (c.lang == EN) != q_en]
        pairs = concept_candidates(
            [concepts[c.clause_id] for c in queries], [concepts[c.clause_id] for c in others]
        )
        for a, b in pairs:
            q, o = queries[a].clause_id, others[b].clause_id
            s = mapper.bag_similarity(bag[q], bag[o])
            if s >= cl_threshold:
                verified.append((q, o, s))
    by_id = {c.clause_id: c for c in clauses}
    keys: dict[str, str] = {}

    def key(cid: str) -> str:
        return keys.setdefault(cid, match_key(by_id[cid].text))

    def score(a: str, b: str) -> tuple[float, bool]:
        ca, cb = by_id[a], by_id[b]
        if (ca.lang == EN) != (cb.lang == EN):
            s = mapper.bag_similarity(bag[a], bag[b])
            return s, s >= cl_threshold
        s = text_similarity(key(a), key(b), ca.lang == EN)
        return s, s >= required_score(threshold, key(a), key(b))

    for q, o, s in sorted(mutual_best(verified, 0.0), key=lambda t: (-t[2], t[0], t[1])):
        if q in group_of:
            continue
        if o in group_of:
            g = group_of[o]
            canon = str(groups[g][0][1])
            s_c, ok = (s, True) if canon == o else score(canon, q)
            if not ok:
                continue
            rel = relation(by_id[canon], by_id[q], key(canon), key(q))
            groups[g].append([q, canon, round(s_c, 1), rel])
            group_of[q] = g
        else:
            gid = hashlib.sha1(o.encode()).hexdigest()[:12]
            groups[gid] = [[o, o, 100.0, "canonical"], [q, o, round(s, 1), CROSS_LINGUAL]]
            group_of[o] = group_of[q] = gid


def _accept(new: Clause, old: Clause, key: str, old_key: str, threshold: float) -> bool:
    if (new.lang == EN) != (old.lang == EN) or not old_key:
        return False
    s = text_similarity(old_key, key, new.lang == EN)
    return s >= required_score(threshold, old_key, key)


def _repair_canonical(members: list[list[object]], by_id: dict[str, Clause]) -> None:
    """If the canonical is gone, the member closest to it becomes canonical (first in list)."""
    alive = {str(m[0]) for m in members}
    canon = str(members[0][1]) if members else ""
    if canon in alive:
        members.sort(key=lambda m: m[0] != canon)
        return
    members.sort(key=lambda m: -float(m[2]))  # type: ignore[arg-type]
    new = by_id[str(members[0][0])]
    new_key = match_key(new.text)
    for m in members:
        c = by_id[str(m[0])]
        m[1] = new.clause_id
        if c.clause_id == new.clause_id:
            m[2], m[3] = 100.0, "canonical"
        else:
            key = match_key(c.text)
            m[2] = round(text_similarity(new_key, key, c.lang == EN), 1)
            m[3] = relation(new, c, new_key, key)
