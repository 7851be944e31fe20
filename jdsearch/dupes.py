"""Duplicate clauses a reader agrees with: exact, near, cross-script, variant and cross-lingual.

A clause is reduced to a *statement* (:class:`Statement`): its matching key, the values it states
(numbers, degrees, certificates, benefits, polarity; :mod:`jdsearch.values`) and its *template*,
the key with each value replaced by a slot mark. Clauses with the same key and values are one
statement (exact or cross-script copies). Two statements in one language are

- **near** duplicates when their templates are similar (rapidfuzz, ``threshold``; a stricter bar
  under 16 characters) and every value and the polarity agree;
- **variants** ("same requirement, different value") when the templates are similar and have the
  same slots and polarity, but a value differs (2年 vs 3年, 本科 vs 硕士, 五险 vs 五险一金), and the
  template says enough beside its values (at least :data:`MIN_VARIANT_CONTEXT` characters);
- nothing otherwise: opposite polarity (不/无/以外 vs 以内), another set of slots (18-26岁 added),
  another identifier (phone numbers, house numbers, store numbers, years), "preferred" on one
  side only, a list that gains an item, or a content word added or swapped (:mod:`jdsearch.
  wording`: 有翻译相关工作经验 / 有相关工作经验, 天津区域 / 沈阳区域, 统招大专 / 大专): the
  template's similarity alone cannot see these, a reader does.

Grouping: one group per requirement. Members that state the canonical's values are exact / near /
cross-script; members with other values are ``variant`` and carry their value (``Member.value``),
so the taxonomy can show 相关工作经验 N年以上: 1年 ×…, 2年 ×…, 3年 ×… (:meth:`Group.value_counts`).

Pipeline, every step *pair-local* (whether two statements are linked depends on the two alone,
never on the rest of the corpus), so an incremental update equals a full run exactly:

1. statements and their templates, computed once per distinct normalised text;
2. candidates: MinHash LSH over character 3-grams of each distinct template (numpy over the whole
   batch; every pair that shares a band bucket), plus 2-grams for templates under 16 characters,
   where one changed character kills most 3-grams; statements sharing a template are related by
   construction and never enumerated as pairs;
3. every candidate template pair verified once with rapidfuzz, then its statement pairs by values;
4. cross-lingual links (off by default; :mod:`jdsearch.align`): translations aligned inside
   bilingual documents, and across documents only with the same dictionary evidence;
5. union-find, then a guard against chaining: every member must itself be a near duplicate or a
   variant of the group's canonical (the most central statement, weighted by copies), else it is
   split off and grouped again. Ties break on text length and then ids, never on input order.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from rapidfuzz import fuzz

from jdsearch.normalize import EN, detect_lang, normalize
from jdsearch.store import Clause
from jdsearch.values import SLOT_MARKS, Values, squash, values_of
from jdsearch.wording import content_differs

EXACT, NEAR, CROSS_SCRIPT, CROSS_LINGUAL = "exact", "near", "cross-script", "cross-lingual"
VARIANT, CANONICAL = "variant", "canonical"
# Dictionary coverage (percent of content words with a translation on the other side, both
# sides) an English/Chinese pair needs; see jdsearch.align.
CROSS_LINGUAL_THRESHOLD = 60.0
CROSS_LINGUAL_DEFAULT = False  # blind-judged precision below the 0.90 goal: off unless asked
MIN_VARIANT_CONTEXT = 4  # template characters beside the slots for a value change to be a variant
SHORT = 16  # below this many characters a template needs threshold + 5
_PRIME = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)
_EN_WORDS = re.compile(rf"[a-z0-9]+|[{SLOT_MARKS}]")
_SLOTS = re.compile(rf"[{SLOT_MARKS}\s]")
_SLOT_NAMES = dict(
    zip(SLOT_MARKS, ["N", "学历", "证书", "保险", "级别", "#", "休息", "食宿"], strict=True)
)


@dataclass
class Member:
    clause_id: str
    similarity: float
    relation: str
    value: str = ""  # the values the clause states ("3年+ | 本科"); what tells variants apart


@dataclass
class Group:
    group_id: str
    canonical_id: str
    members: list[Member] = field(default_factory=list)
    template: str = ""  # the canonical's wording with its values as {N}, {学历} … slots

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    def value_counts(self) -> Counter[str]:
        """How many members state each value: the taxonomy's "N年以上: 1年 ×5, 3年 ×2"."""
        return Counter(m.value for m in self.members)


# --------------------------------------------------------------------------- similarity
def text_similarity(a: str, b: str, english: bool = False) -> float:
    """0..100 on matching keys or templates.

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
    return threshold + 5.0 if short < SHORT else threshold


# --------------------------------------------------------------------------- statements
@dataclass(frozen=True)
class Statement:
    """What a clause says: key, values and template; equal statements are copies."""

    node_id: str  # key + values + frame: the identity of a statement
    key: str
    values: Values
    english: bool
    shape: str = ""  # the text with list separators kept (see ``adds_list_item``)

    @property
    def template(self) -> str:
        return self.values.template

    @property
    def context(self) -> int:
        """Template characters beside the value slots."""
        return len(_SLOTS.sub("", self.values.template))


def statement_of(norm: str, english: bool) -> Statement:
    """The statement of a clause's matching form (``Clause.norm``)."""
    v = values_of(norm)
    key = squash(norm)
    frame = repr((v.values, v.frame, english, v.label))  # the label: see jdsearch.wording
    return Statement(f"{key}\x1f{frame}", key, v, english, "" if english else list_shape(norm))


# Bump when verification rules change: stored groups and verified pairs are then recomputed.
RULES_VERSION = "4"  # 4: a clock time's leading zero is no other value (08:30 = 8:30)
_SEPARATORS = "、,;/。!?"  # what a normalised Chinese clause separates enumerated items with
_NOT_SHAPE = re.compile(r"[^\w、,;/。!?]+")
_CONTENT = re.compile(r"[\u3400-\u9fff]|[a-z0-9]+")


def list_shape(norm: str) -> str:
    """The clause's words with its item separators kept (spaces and other marks dropped); the
    matching form is NFKC already, so full-width ，； arrive as , ;."""
    return _NOT_SHAPE.sub("", norm)


def adds_list_item(a: str, b: str) -> bool:
    """True when one side has an enumerated item the other lacks: an inserted run of at least
    two content characters that a separator closes or opens (CAD、 in CAD、WORD、EXCEL; 陪同客户
    看房, in a list of duties). A character ratio cannot see it — the rest is identical — yet
    a reader does: one more software, duty or benefit is another statement. Rewordings inside
    an item (上级领导 / 领导) carry no separator and pass."""
    if not a or not b or a == b:
        return False
    from rapidfuzz.distance import Indel

    for op in Indel.opcodes(a, b):
        if op.tag == "insert":
            seg = b[op.dest_start : op.dest_end]
        elif op.tag == "delete":
            seg = a[op.src_start : op.src_end]
        else:
            continue
        if (seg[0] in _SEPARATORS or seg[-1] in _SEPARATORS) and _content_chars(seg) >= 2:
            return True
    return False


def _content_chars(seg: str) -> int:
    return sum(len(m) if m.isascii() else 1 for m in _CONTENT.findall(seg))


def node_hash(node_id: str) -> str:
    """A statement's storable id (edges are stored between these)."""
    return hashlib.sha1(node_id.encode("utf-8")).hexdigest()[:16]


def judge(a: Statement, b: Statement, threshold: float) -> tuple[str, float] | None:
    """(NEAR or VARIANT, template similarity) for two statements in one language, else None."""
    if a.english != b.english or a.values.frame != b.values.frame:
        return None
    return _judge_values(a, b, _template_score(a, b, threshold))


def _template_score(a: Statement, b: Statement, threshold: float) -> float | None:
    ta, tb = a.template, b.template
    s = text_similarity(ta, tb, a.english)
    return s if s >= required_score(threshold, ta, tb) else None


def _judge_values(a: Statement, b: Statement, score: float | None) -> tuple[str, float] | None:
    if score is None or a.values.frame != b.values.frame:
        return None
    if adds_list_item(a.shape, b.shape):
        return None  # one more software, duty or benefit: another statement
    va, vb = a.values, b.values
    if content_differs(va.wording, vb.wording, a.english, (va.label, vb.label)):
        return None  # a content word added or swapped: a narrower or another statement
    if a.values.values == b.values.values:
        return NEAR, score
    if min(a.context, b.context) < MIN_VARIANT_CONTEXT:
        return None  # "㐀号" vs "㐀号": nothing beside the values says what they are
    return VARIANT, score


def _tenths(score: float) -> int:
    return round(score * 10)


def readable_template(template: str) -> str:
    """Slot marks as {N}, {学历} … for display."""
    return "".join(f"{{{_SLOT_NAMES[ch]}}}" if ch in _SLOT_NAMES else ch for ch in template)


# --------------------------------------------------------------------------- MinHash LSH
def _shingle_hashes(keys: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, owner) of every character n-gram of every key, fully vectorised."""
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    joined = "".join(keys)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    owner_of_char = np.repeat(np.arange(len(keys)), lengths)
    if len(codes) < n:
        h = np.zeros(0, np.uint64)
        own = np.zeros(0, np.int64)
    else:
        h = np.zeros(len(codes) - n + 1, dtype=np.uint64)
        for i in range(n):
            h = h * np.uint64(1_000_003) + codes[i : len(codes) - n + 1 + i]
        own = owner_of_char[: len(h)]
        valid = own == owner_of_char[n - 1 :]
        h, own = h[valid], own[valid]
    short = np.nonzero((lengths < n) & (lengths > 0))[0]  # keys shorter than n: the whole key
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
    """MinHash signatures (len(keys) x num_perm, uint32) of character n-gram sets.

    A key's signature depends on the key and the seed alone (pair-local candidates)."""
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


def band_buckets(sig: np.ndarray, bands: int) -> list[np.ndarray]:
    """Per band, each row's bucket id (rows with equal band values share it)."""
    out = []
    for key in band_keys(sig, bands):
        _, bucket = np.unique(key, return_inverse=True)
        out.append(bucket.ravel())
    return out


def band_keys(sig: np.ndarray, bands: int) -> list[np.ndarray]:
    """Per band, each row's band values as one 64-bit key: equal keys share a bucket. A key
    depends on its row alone, so a cluster can join on it (jdsearch.spark's banding join)."""
    rows = sig.shape[1] // bands
    out = []
    for band in range(bands):
        block = sig[:, band * rows : (band + 1) * rows].astype(np.uint64)
        key = np.zeros(len(sig), dtype=np.uint64)
        for r in range(rows):  # the band's values as one 64-bit key (exact for rows <= 2)
            key = (
                key * np.uint64(0x100000001B3) ^ block[:, r]
                if rows > 2
                else key << 32 | block[:, r]
            )
        out.append(key)
    return out


def lsh_pairs(sig: np.ndarray, bands: int, focus: np.ndarray | None = None) -> np.ndarray:
    """Every pair (i < j, as an (n, 2) int64 array) that shares a bucket in at least one band.

    With ``focus`` (a boolean mask), only pairs with at least one focused row: what an
    incremental update needs for its new statements.
    """
    n = sig.shape[0]
    codes = [_bucket_pairs(b, focus) for b in band_buckets(sig, bands)]
    if not codes:
        return np.zeros((0, 2), dtype=np.int64)
    u = np.unique(np.concatenate(codes))  # across bands a pair repeats
    return np.stack([u // n, u % n], axis=1)


def _bucket_pairs(bucket: np.ndarray, focus: np.ndarray | None) -> np.ndarray:
    """Pair codes (i * n + j, i < j) of rows with the same bucket id."""
    n = len(bucket)
    if n < 2:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(bucket, kind="stable")
    b = bucket[order]
    starts = np.r_[0, np.nonzero(b[1:] != b[:-1])[0] + 1]
    sizes = np.diff(np.r_[starts, n])
    multi = sizes > 1
    if focus is not None:
        has_focus = np.add.reduceat(focus[order].astype(np.int64), starts) > 0
        multi &= has_focus
    if not multi.any():
        return np.zeros(0, dtype=np.int64)
    in_multi = np.repeat(multi, sizes)
    pos = np.nonzero(in_multi)[0]
    grp_end = np.repeat(starts + sizes, sizes)[in_multi]
    later = grp_end - pos - 1  # partners after each position in its bucket
    first = np.repeat(pos, later)
    offsets = np.arange(len(first)) - np.repeat(np.cumsum(later) - later, later)
    second = first + 1 + offsets
    i, j = order[first], order[second]
    if focus is not None:
        keep = focus[i] | focus[j]
        i, j = i[keep], j[keep]
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    return lo.astype(np.int64) * n + hi  # a pair shares at most one bucket per band: no repeats


def verified_template_pairs(
    templates: Sequence[str],
    english: Sequence[bool],
    threshold: float,
    *,
    num_perm: int = 64,
    bands: int = 32,
    ngram: int = 3,
    seed: int = 0,
    focus: np.ndarray | None = None,
    chunk: int = 2_000_000,
) -> dict[tuple[int, int], float]:
    """{(x, y): similarity} of template pairs (x < y, one language) that pass the threshold,
    among LSH candidates: character ``ngram``-grams for all templates, and 2-grams for short
    ones (one changed character in a short text kills most of its 3-grams).

    Candidates are checked band by band, first in C (``rapidfuzz.process.cpdist``: a ratio of
    at least threshold - 15 is necessary for the Chinese test to pass, since a partial-ratio
    match of similar lengths implies a ratio above 0.85 of it), then exactly in Python, so even
    a bucket of thousands of templates costs seconds. The pair count scored is under (-1, -1).
    """
    from rapidfuzz import process

    lengths = np.fromiter((len(t) for t in templates), dtype=np.int64, count=len(templates))
    is_en = np.asarray(english, dtype=bool)
    short = np.nonzero(lengths < SHORT + 4)[0]  # a pair under SHORT has both under ~SHORT+4
    schemes = [(np.arange(len(templates)), ngram)]
    if len(short) > 1:
        schemes.append((short, 2))
    out: dict[tuple[int, int], float] = {}
    rejected: set[tuple[int, int]] = set()
    for rows, n in schemes:
        sig = minhash_signatures([templates[i] for i in rows], num_perm, n, seed)
        sub_focus = None if focus is None else focus[rows]
        for bucket in band_buckets(sig, bands):
            codes = _bucket_pairs(bucket, sub_focus)
            x, y = rows[codes // len(rows)], rows[codes % len(rows)]
            la, lb = lengths[x], lengths[y]
            keep = (is_en[x] == is_en[y]) & (np.minimum(la, lb) * 2 >= np.maximum(la, lb))
            x, y = x[keep], y[keep]
            for start in range(0, len(x), chunk):
                xs, ys = x[start : start + chunk], y[start : start + chunk]
                quick = process.cpdist(
                    [templates[i] for i in xs.tolist()],
                    [templates[i] for i in ys.tolist()],
                    scorer=fuzz.ratio,
                    dtype=np.uint8,
                    workers=-1,
                )
                maybe = (quick >= threshold - 15) | is_en[xs]
                for a, b in zip(xs[maybe].tolist(), ys[maybe].tolist(), strict=True):
                    pair = (min(a, b), max(a, b))
                    if pair in out or pair in rejected:
                        continue
                    s = text_similarity(templates[a], templates[b], bool(is_en[a]))
                    if s >= required_score(threshold, templates[a], templates[b]):
                        out[pair] = s
                    else:
                        rejected.add(pair)
    out[(-1, -1)] = len(out) + len(rejected)
    return out


# --------------------------------------------------------------------------- union-find
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


TermsFn = Callable[[Sequence[Clause]], list[list[str]]]  # analyser's coarse terms per clause
EdgeRow = tuple[str, str, int, str]  # (statement hash, statement hash, score in tenths, kind)
GroupRow = tuple[str, str, str, float, str, int]


# --------------------------------------------------------------------------- the finder
class DuplicateFinder:
    """Finds duplicate groups among clauses (scikit-learn style: ``fit`` then read ``groups_``).

    After ``fit`` (or :meth:`update`): ``groups_`` (largest first), ``edges_`` (the verified
    statement pairs as storable rows: what :meth:`update` needs next time), ``statements_``,
    ``pairs_verified_`` (template pairs scored) and ``stats_``. The result does not depend on
    the order of the clauses.
    """

    def __init__(
        self,
        threshold: float = 85.0,
        *,
        cross_lingual: bool = CROSS_LINGUAL_DEFAULT,
        cross_lingual_threshold: float = CROSS_LINGUAL_THRESHOLD,
        cross_lingual_candidates: int = 10,
        terms_of: TermsFn | None = None,
        num_perm: int = 64,
        bands: int = 32,
        ngram: int = 3,
        random_state: int = 0,
    ) -> None:
        self.threshold = threshold
        self.cross_lingual = cross_lingual
        self.cross_lingual_threshold = cross_lingual_threshold
        self.cross_lingual_candidates = cross_lingual_candidates
        self.terms_of = terms_of
        self.num_perm = num_perm
        self.bands = bands
        self.ngram = ngram
        self.random_state = random_state

    @property
    def params(self) -> str:
        """Everything stored edges depend on: an update must use the same."""
        return (
            f"t={self.threshold}:p={self.num_perm}:b={self.bands}:n={self.ngram}"
            f":s={self.random_state}:v={MIN_VARIANT_CONTEXT}:r={RULES_VERSION}"
        )

    def fit(self, clauses: Sequence[Clause]) -> DuplicateFinder:
        """Group ``clauses`` from scratch."""
        self._prepare(clauses)
        edges = self._mono_edges(focus=None)
        return self._finish(edges)

    def update(
        self, clauses: Sequence[Clause], new_ids: Iterable[str], edges: Iterable[EdgeRow]
    ) -> DuplicateFinder:
        """The groups ``fit(clauses)`` gives, reusing the edges a previous run stored.

        ``edges`` are the previous run's ``edges_`` (same ``params``); ``new_ids`` the clauses
        added since. Statements that still exist keep their verified pairs (a pair's verdict
        depends on the two statements alone); only pairs with a new statement are generated and
        verified; removed statements drop out with their pairs. Grouping then runs on the whole
        graph, as in ``fit``: components that gained or lost a statement change, the rest come
        out the same. The cross-lingual stage, when on, is recomputed in full (its mutual-best
        rule across documents is not pair-local).
        """
        self._prepare(clauses)
        new_ids = set(new_ids)
        index = {node_hash(s.node_id): i for i, s in enumerate(self.statements_)}
        old: dict[tuple[int, int], tuple[int, str]] = {}
        for ha, hb, score, kind in edges:
            a, b = index.get(ha), index.get(hb)
            if a is not None and b is not None:
                old[(min(a, b), max(a, b))] = (int(score), kind)
        focus = np.array(
            [all(self.clauses_[i].clause_id in new_ids for i in m) for m in self.members_],
            dtype=bool,
        )
        mono = self._mono_edges(focus=focus)
        mono.update(old)
        return self._finish(mono)

    # ---- preparation
    def _prepare(self, clauses: Sequence[Clause]) -> None:
        """Statements (distinct clause meanings) in a fixed order, whatever the input order."""
        self.clauses_ = sorted(clauses, key=lambda c: c.clause_id)
        by_norm: dict[tuple[str, bool], Statement] = {}
        by_node: dict[str, list[int]] = {}
        node_of: list[str] = []
        for i, c in enumerate(self.clauses_):
            english = c.lang == EN
            norm = c.norm or normalize(c.text)
            st = by_norm.get((norm, english))
            if st is None:
                st = by_norm[(norm, english)] = statement_of(norm, english)
            by_node.setdefault(st.node_id, []).append(i)
            node_of.append(st.node_id)
        nodes = sorted(by_node)
        first = {st.node_id: st for st in by_norm.values()}
        self.statements_ = [first[n] for n in nodes]
        self.members_ = [by_node[n] for n in nodes]  # clause indices, by clause_id
        pos = {n: k for k, n in enumerate(nodes)}
        self.node_of_ = [pos[n] for n in node_of]
        self.pairs_verified_ = 0

    # ---- monolingual edges
    def _mono_edges(self, focus: np.ndarray | None) -> dict[tuple[int, int], tuple[int, str]]:
        """Verified statement pairs with different templates (same-template pairs are implicit)."""
        sts = self.statements_
        tpl_index: dict[tuple[str, bool], int] = {}
        tpl_nodes: list[list[int]] = []
        for k, st in enumerate(sts):
            t = tpl_index.setdefault((st.template, st.english), len(tpl_nodes))
            if t == len(tpl_nodes):
                tpl_nodes.append([])
            tpl_nodes[t].append(k)
        self.tpl_of_ = [tpl_index[(st.template, st.english)] for st in sts]
        templates = [t for t, _ in tpl_index]
        tfocus = None
        if focus is not None:
            tfocus = np.zeros(len(templates), dtype=bool)
            for k in np.nonzero(focus)[0]:
                tfocus[self.tpl_of_[k]] = True
        english = [e for _, e in tpl_index]
        verified = verified_template_pairs(
            templates,
            english,
            self.threshold,
            num_perm=self.num_perm,
            bands=self.bands,
            ngram=self.ngram,
            seed=self.random_state,
            focus=tfocus,
        )
        self.pairs_verified_ = verified.pop((-1, -1), 0)
        edges: dict[tuple[int, int], tuple[int, str]] = {}
        for (x, y), score in verified.items():
            for a in tpl_nodes[x]:
                for b in tpl_nodes[y]:
                    if focus is not None and not (focus[a] or focus[b]):
                        continue
                    verdict = _judge_values(sts[a], sts[b], score)
                    if verdict:
                        edges[(min(a, b), max(a, b))] = (_tenths(verdict[1]), verdict[0])
        return edges

    # ---- grouping
    def _finish(self, mono: dict[tuple[int, int], tuple[int, str]]) -> DuplicateFinder:
        cross: dict[tuple[int, int], int] = {}
        if self.cross_lingual:
            cross = self._cross_lingual_edges()
        self.edges_ = sorted(
            (node_hash(self.statements_[a].node_id), node_hash(self.statements_[b].node_id), s, k)
            for (a, b), (s, k) in mono.items()
        )
        self.cross_edges_ = cross
        self.groups_ = self._group(mono, cross)
        self.stats_ = {
            "clauses": len(self.clauses_),
            "statements": len(self.statements_),
            "templates": len(set(self.tpl_of_)),
            "template_pairs_verified": self.pairs_verified_,
            "edges": len(mono),
            "cross_lingual_edges": len(cross),
        }
        return self

    def _cross_lingual_edges(self) -> dict[tuple[int, int], int]:
        from jdsearch.align import cross_lingual_links

        links = cross_lingual_links(
            self.clauses_,
            terms_of=self.terms_of,
            min_coverage=self.cross_lingual_threshold,
            candidates=self.cross_lingual_candidates,
        )
        out: dict[tuple[int, int], int] = {}
        for i, j, score in links:
            a, b = self.node_of_[i], self.node_of_[j]
            key = (min(a, b), max(a, b))
            out[key] = max(out.get(key, 0), _tenths(score))
        return out

    def _group(
        self, mono: dict[tuple[int, int], tuple[int, str]], cross: dict[tuple[int, int], int]
    ) -> list[Group]:
        n = len(self.statements_)
        uf = _UnionFind(n)
        for a, b in list(mono) + list(cross):
            uf.union(a, b)
        self._union_same_template(uf)
        comps: dict[int, list[int]] = defaultdict(list)
        for k in range(n):
            comps[uf.find(k)].append(k)
        # weighted: a variant or a translation counts half, so a statement's own copies outweigh
        # its translation when choosing the canonical (the group reads in its commonest wording)
        nb: dict[int, dict[int, int]] = defaultdict(dict)
        for (a, b), (s, kind) in mono.items():
            nb[a][b] = nb[b][a] = s if kind == VARIANT else 2 * s
        for (a, b), s in cross.items():
            nb[a][b] = nb[b][a] = s
        self._mono, self._nb, self._cross = mono, nb, cross
        groups: list[Group] = []
        for members in comps.values():
            if sum(len(self.members_[k]) for k in members) > 1:
                groups.extend(self._split(members))
        groups.sort(key=lambda g: (-len(g.members), g.group_id))
        return groups

    def _union_same_template(self, uf: _UnionFind) -> None:
        """Statements with one template and frame are near (same values) or variants."""
        by_class: dict[tuple[int, object], list[int]] = defaultdict(list)
        for k, st in enumerate(self.statements_):
            by_class[(self.tpl_of_[k], st.values.frame)].append(k)
        for ks in by_class.values():
            if len(ks) < 2:
                continue
            if self.statements_[ks[0]].context >= MIN_VARIANT_CONTEXT:
                for k in ks[1:]:
                    uf.union(ks[0], k)
                continue
            same: dict[tuple[str, ...], int] = {}
            for k in ks:
                uf.union(same.setdefault(self.statements_[k].values.values, k), k)

    def _link(self, a: int, b: int) -> tuple[str, int] | None:
        """How statement b relates to canonical a: (relation kind, score in tenths) or None."""
        sa, sb = self.statements_[a], self.statements_[b]
        if sa.english != sb.english:
            s = self._cross.get((min(a, b), max(a, b)))
            return (CROSS_LINGUAL, s) if s is not None else None
        if self.tpl_of_[a] == self.tpl_of_[b]:
            verdict = _judge_values(sa, sb, 100.0)
        else:
            edge = self._mono.get((min(a, b), max(a, b)))
            if edge is not None:
                verdict = _judge_values(sa, sb, edge[0] / 10)
            else:
                verdict = judge(sa, sb, self.threshold)
        return (verdict[0], _tenths(verdict[1])) if verdict else None

    def _centrality(self, pool: list[int]) -> dict[int, int]:
        """Similarity-weighted copies of related statements in the pool, the statement's own
        copies included; a variant counts half, so the commonest value becomes canonical.
        Integers, so sums never depend on order."""
        count = {k: len(self.members_[k]) for k in pool}
        in_pool = set(pool)
        by_class: Counter[tuple[int, object]] = Counter()
        by_value: Counter[tuple[int, object, tuple[str, ...]]] = Counter()
        for k in pool:
            st = self.statements_[k]
            by_class[(self.tpl_of_[k], st.values.frame)] += count[k]
            by_value[(self.tpl_of_[k], st.values.frame, st.values.values)] += count[k]
        out: dict[int, int] = {}
        for k in pool:
            st = self.statements_[k]
            cls = (self.tpl_of_[k], st.values.frame)
            same = by_value[(*cls, st.values.values)] - 1  # copies and same-value mates
            score = 2000 * same
            if st.context >= MIN_VARIANT_CONTEXT:
                score += 1000 * (by_class[cls] - by_value[(*cls, st.values.values)])
            score += sum(w * count[j] for j, w in self._nb[k].items() if j in in_pool)
            out[k] = score
        return out

    def _split(self, members: list[int]) -> list[Group]:
        """Guard against chaining: keep members that relate to the canonical; repeat on the rest."""
        out: list[Group] = []
        remaining = sorted(members)
        while remaining:
            cent = self._centrality(remaining)
            canon = min(
                remaining,
                key=lambda k: (-cent[k], -len(self.clauses_[self.members_[k][0]].text), k),
            )
            kept: list[tuple[int, str, int]] = [(canon, CANONICAL, 1000)]
            rest = []
            for k in remaining:
                if k == canon:
                    continue
                link = self._link(canon, k)
                if link:
                    kept.append((k, *link))
                else:
                    rest.append(k)
            if sum(len(self.members_[k]) for k, _, _ in kept) > 1:
                out.append(self._make_group(kept))
            remaining = rest
        return out

    def _make_group(self, kept: list[tuple[int, str, int]]) -> Group:
        canon_node = kept[0][0]
        c0 = self.clauses_[self.members_[canon_node][0]]
        st0 = self.statements_[canon_node]
        gid = hashlib.sha1(c0.clause_id.encode()).hexdigest()[:12]
        members: list[Member] = []
        for k, kind, score in kept:
            value = self.statements_[k].values.signature
            for i in self.members_[k]:
                c = self.clauses_[i]
                if c.clause_id == c0.clause_id:
                    members.append(Member(c.clause_id, 100.0, CANONICAL, value))
                    continue
                rel = _relation(c0, c, kind if k != canon_node else EXACT)
                members.append(
                    Member(c.clause_id, score / 10 if k != canon_node else 100.0, rel, value)
                )
        members.sort(key=lambda m: (m.relation != CANONICAL, -m.similarity, m.clause_id))
        template = (
            readable_template(st0.template) if any(m.relation == VARIANT for m in members) else ""
        )
        return Group(gid, c0.clause_id, members, template)


def _relation(canon: Clause, c: Clause, kind: str) -> str:
    """A member's relation to the canonical clause, from how their statements relate."""
    if kind in (VARIANT, CROSS_LINGUAL):
        return kind
    if kind == EXACT:  # same statement
        return EXACT if canon.lang == c.lang else CROSS_SCRIPT
    return CROSS_SCRIPT if canon.lang != c.lang else NEAR


# --------------------------------------------------------------------------- one text
class DupeMatcher:
    """Near-duplicates and variants of one pasted text or clause among fixed clauses.

    Built once (statements of every clause, and their dictionary units when cross-lingual) and
    queried many times: a long-lived engine keeps one, so ``dupes --of`` never re-analyses the
    corpus per query. ``terms_of`` gives the analyser's coarse terms of clauses (cached tokens);
    without it, clauses are analysed once, on the first cross-lingual query.
    """

    def __init__(
        self,
        clauses: Sequence[Clause],
        threshold: float = 85.0,
        *,
        cross_lingual: bool = CROSS_LINGUAL_DEFAULT,
        cross_lingual_threshold: float = CROSS_LINGUAL_THRESHOLD,
        terms_of: TermsFn | None = None,
    ) -> None:
        self.clauses = list(clauses)
        self.threshold = threshold
        self.cross_lingual = cross_lingual
        self.cross_lingual_threshold = cross_lingual_threshold
        self.terms_of = terms_of
        cache: dict[tuple[str, bool], Statement] = {}
        self.statements = [_cached_statement(c, cache) for c in self.clauses]
        self.templates = [s.template for s in self.statements]
        self._units: list[list[tuple[str, frozenset[str]]]] | None = None

    def of(
        self, text: str, *, exclude: str | None = None, limit: int = 100
    ) -> list[tuple[Clause, float, str]]:
        """(clause, similarity, relation) best first; relation as in groups, ``text`` taken as
        the canonical."""
        from rapidfuzz import process

        lang = detect_lang(text)
        probe = Clause("", "", "", "", "", 0, "", lang, text, "", 0, 0)
        me = statement_of(normalize(text), lang == EN)
        found: dict[int, tuple[float, str]] = {}
        for _, _, i in process.extract(
            me.template,
            self.templates,
            scorer=fuzz.ratio,
            score_cutoff=self.threshold - 15,
            limit=None,
        ):
            c, st = self.clauses[i], self.statements[i]
            if c.clause_id == exclude:
                continue
            if st.node_id == me.node_id:
                found[i] = (100.0, EXACT)
                continue
            verdict = judge(me, st, self.threshold)
            if verdict:
                found[i] = (round(verdict[1], 1), verdict[0])
        if self.cross_lingual:
            found.update(self._cross_lingual(text, probe, exclude, found))
        ranked = sorted(found.items(), key=lambda kv: (-kv[1][0], self.clauses[kv[0]].clause_id))
        return [
            (self.clauses[i], s, _relation(probe, self.clauses[i], kind))
            for i, (s, kind) in ranked[:limit]
        ]

    def _cross_lingual(
        self, text: str, probe: Clause, exclude: str | None, found: dict[int, tuple[float, str]]
    ) -> dict[int, tuple[float, str]]:
        from jdsearch.align import clause_units, translation_score
        from jdsearch.concepts import default_mapper

        if self._units is None:
            self._units = clause_units(self.clauses, self.terms_of)
        mine = default_mapper().units(text)
        out: dict[int, tuple[float, str]] = {}
        for i, c in enumerate(self.clauses):
            if (c.lang == EN) == (probe.lang == EN) or i in found or c.clause_id == exclude:
                continue
            en, zh = (probe, c) if probe.lang == EN else (c, probe)
            units_en, units_zh = (
                (mine, self._units[i]) if probe.lang == EN else (self._units[i], mine)
            )
            s = translation_score(en, zh, units_en, units_zh)
            if s is not None and s >= self.cross_lingual_threshold:
                out[i] = (round(s, 1), CROSS_LINGUAL)
        return out


def _cached_statement(c: Clause, cache: dict[tuple[str, bool], Statement]) -> Statement:
    norm, english = c.norm or normalize(c.text), c.lang == EN
    st = cache.get((norm, english))
    if st is None:
        st = cache[(norm, english)] = statement_of(norm, english)
    return st


def near_duplicates_of(
    text: str,
    clauses: Sequence[Clause],
    threshold: float = 85.0,
    *,
    cross_lingual: bool = CROSS_LINGUAL_DEFAULT,
    cross_lingual_threshold: float = CROSS_LINGUAL_THRESHOLD,
    exclude: str | None = None,
    limit: int = 100,
    terms_of: TermsFn | None = None,
) -> list[tuple[Clause, float, str]]:
    """Clauses duplicating ``text`` (a pasted clause): (clause, similarity, relation), best first.

    One-shot form of :class:`DupeMatcher` (which a long-lived caller should keep instead)."""
    matcher = DupeMatcher(
        clauses,
        threshold,
        cross_lingual=cross_lingual,
        cross_lingual_threshold=cross_lingual_threshold,
        terms_of=terms_of,
    )
    return matcher.of(text, exclude=exclude, limit=limit)


# --------------------------------------------------------------------------- incremental
def group_rows(groups: Sequence[Group]) -> list[GroupRow]:
    """Storable rows (clause, group, canonical, similarity, relation, rank) of groups."""
    return [
        (m.clause_id, g.group_id, g.canonical_id, m.similarity, m.relation, rank)
        for g in groups
        for rank, m in enumerate(g.members)
    ]


def update_groups(
    rows: Sequence[GroupRow],
    clauses: Sequence[Clause],
    new_ids: set[str],
    threshold: float,
    *,
    cross_lingual_threshold: float | None = None,
    concepts_of: object = None,
    edges: Iterable[EdgeRow] | None = None,
    terms_of: TermsFn | None = None,
) -> list[GroupRow]:
    """Stored groups brought up to date after an ingest: exactly what a full run gives.

    With ``edges`` (the previous run's ``DuplicateFinder.edges_``) only pairs with a new
    statement are verified (:meth:`DuplicateFinder.update`); without them — a caller that does
    not store edges — this *is* a full run. ``rows`` (the old groups) are not needed for that
    and are ignored; ``concepts_of`` is accepted for old callers and ignored (``terms_of`` feeds
    the cross-lingual stage). ``cross_lingual_threshold`` turns cross-lingual links on.
    """
    del rows, concepts_of
    finder = DuplicateFinder(
        threshold,
        cross_lingual=cross_lingual_threshold is not None,
        cross_lingual_threshold=cross_lingual_threshold or CROSS_LINGUAL_THRESHOLD,
        terms_of=terms_of,
    )
    if edges is None:
        finder.fit(clauses)
    else:
        finder.update(clauses, new_ids, edges)
    return group_rows(finder.groups_)
