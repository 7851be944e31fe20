"""Near-duplicate clauses: exact, near, cross-script and cross-lingual, grouped without chaining.

Pipeline (each a swappable part):
1. exact buckets on the matching key (normalised, punctuation stripped) — a traditional clause and
   its simplified twin share a key, so cross-script copies cost nothing;
2. candidates for near-duplicates by MinHash LSH over character 3-grams of one representative per
   key — never all pairs (the signatures are computed with numpy over the whole batch at once);
3. every candidate verified with rapidfuzz against ``threshold`` (default 85);
4. cross-lingual candidates (English <-> Chinese) from shared concept tokens
   (:mod:`jdsearch.concepts`), verified with the concept-bag similarity;
5. union-find over verified pairs, then a guard against chaining: each member must itself match
   the group's canonical member (the most central, most complete wording), else it is split off.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise

import numpy as np
from rapidfuzz import fuzz

from jdsearch.normalize import EN, detect_lang, match_key
from jdsearch.store import Clause

EXACT, NEAR, CROSS_SCRIPT, CROSS_LINGUAL = "exact", "near", "cross-script", "cross-lingual"
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
        cross_lingual_threshold: float | None = None,
        num_perm: int = 64,
        bands: int = 32,
        ngram: int = 3,
        random_state: int = 0,
    ) -> None:
        self.threshold = threshold
        self.cross_lingual = cross_lingual
        self.cross_lingual_threshold = cross_lingual_threshold
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
        threshold = self.cross_lingual_threshold or getattr(mapper, "threshold", self.threshold)
        en = [i for i in reps if self.clauses_[i].lang == EN]
        zh = [i for i in reps if self.clauses_[i].lang != EN]
        if not en or not zh:
            return
        bags = {i: sorted(set(mapper.concepts(self.clauses_[i].text))) for i in en + zh}
        df: dict[str, int] = defaultdict(int)
        for i in en + zh:
            for c in bags[i]:
                df[c] += 1
        inverted: dict[str, list[int]] = defaultdict(list)
        cap = max(50, len(zh) // 20)
        for i in zh:
            for c in bags[i]:
                if df[c] <= cap:
                    inverted[c].append(i)
        for i in en:
            counts: dict[int, int] = defaultdict(int)
            for c in bags[i]:
                for j in inverted.get(c, ()):
                    counts[j] += 1
            need = max(2, len(bags[i]) // 3)
            for j, shared in counts.items():
                if shared < need:
                    continue
                self.pairs_verified_ += 1
                score = mapper.similarity(self.clauses_[i].text, self.clauses_[j].text)
                if score >= threshold:
                    edges[(min(i, j), max(i, j))] = score

    # ---- groups
    def _score(self, a: int, b: int) -> float:
        ca, cb = self.clauses_[a], self.clauses_[b]
        if (ca.lang == EN) != (cb.lang == EN):
            from jdsearch.concepts import default_mapper

            return default_mapper().similarity(ca.text, cb.text)
        english = ca.lang == EN and cb.lang == EN
        return text_similarity(self.keys_[a], self.keys_[b], english)

    def _threshold_for(self, a: int, b: int) -> float:
        ca, cb = self.clauses_[a], self.clauses_[b]
        if (ca.lang == EN) != (cb.lang == EN):
            from jdsearch.concepts import default_mapper

            return self.cross_lingual_threshold or getattr(
                default_mapper(), "threshold", self.threshold
            )
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


# --------------------------------------------------------------------------- one text
def near_duplicates_of(
    text: str,
    clauses: Sequence[Clause],
    threshold: float = 85.0,
    *,
    cross_lingual: bool = True,
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
        cl_threshold = getattr(mapper, "threshold", threshold)
        mine = set(mapper.concepts(text))
        for i, c in enumerate(pool):
            if (c.lang == EN) == q_lang_en or i in out:
                continue
            if len(mine & set(mapper.concepts(c.text))) < 2:
                continue
            s = mapper.similarity(text, c.text)
            if s >= cl_threshold:
                out[i] = s
    ranked = sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [(pool[i], round(s, 1), relation(probe, pool[i], key, keys[i])) for i, s in ranked]


# --------------------------------------------------------------------------- incremental
GroupRow = tuple[str, str, str, float, str, int]


def update_groups(
    rows: Sequence[GroupRow], clauses: Sequence[Clause], new_ids: set[str], threshold: float
) -> list[GroupRow]:
    """Stored groups brought up to date after an ingest, without recomputing them all.

    Rows of clauses that no longer exist are dropped (a group losing its canonical promotes its
    closest member); each new clause joins the group of the best-matching canonical, or pairs
    with the best-matching ungrouped clause, when it passes the same verification. New
    clauses are compared monolingually here; a full ``dupes`` run adds cross-lingual links.
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
    return [
        (str(m[0]), gid, str(m[1]), float(m[2]), str(m[3]), rank)  # type: ignore[arg-type]
        for gid, members in groups.items()
        if len(members) > 1
        for rank, m in enumerate(members)
    ]


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
