"""Duty themes a reader recognises: the members' own words -> TF-IDF -> k-means -> represent.

- Units are duplicate-group canonicals plus ungrouped clauses (not every copy); group members
  follow their canonical. Duties and requirements are clustered apart; ``other`` clauses get no
  theme.
- Features are the clause's own words (the shared analyser's coarse tokens), TF-IDF weighted.
  Words that every kind of job uses (负责, 做好, 相关, responsible …) are damped by what the corpus
  shows: a first clustering pass tells how evenly each word spreads over the clusters, and a
  word spread over all of them weighs little in the second pass and in labels. Cross-lingual
  concept tokens (``~concept``) are a second block, scaled so it can never outweigh the words
  (it bridges English and Chinese twins; it never labels a theme). Only used when the units
  are in more than one language.
- Spherical k-means (MiniBatchKMeans on L2-normalised sparse rows: fast at a million clauses),
  k chosen by silhouette on small corpora and growing with the square root of the corpus on
  large ones. Members far from their centre, and themes too small or from too few postings,
  go to an *unthemed* remainder (BERTopic's outlier topic) rather than into a theme.
- A theme is represented by its c-TF-IDF terms in its members' own words (with the other
  language's wording beside them, from the glossary or CC-CEDICT), its centroid (top term
  weights) and a canonical duty: the complete member closest to its centre.
- Themes are grouped into areas by agglomerative clustering of their centroids. Everything is
  seeded: the same input gives the same themes.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.cluster import AgglomerativeClustering, MiniBatchKMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize as l2_normalize

from jdsearch.segment import DUTY, REQUIREMENT
from jdsearch.store import Clause

CONCEPT = "~"
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[a-z]+(?:['’][a-z]+)?")  # the analyser's word

Tokenize = Callable[[Sequence[Clause]], list[list[str]]]

BRIDGE_WEIGHT = 0.35  # norm of the concept block relative to the words block (must stay < 1)
SMALL_CORPUS = 1500  # up to this many units, k is chosen by silhouette; above, by sqrt rule
K_PER_SQRT = 1.0  # k = K_PER_SQRT * sqrt(units) on large corpora
MIN_SIMILARITY = 0.2  # a member less similar than this to its theme's centre is unthemed
MIN_UNITS = 3  # a theme has at least this many units ...
MIN_DOCUMENTS = 2  # ... from at least this many postings (one posting's quirk is no theme)
DAMP_MIDPOINT, DAMP_WIDTH = 0.75, 0.05  # spread at which a word keeps half its weight, and slope
BRIDGE_MIN_SHARE = 0.02  # the bridge is used when the minority script has this share of units
GENERIC_WEIGHT = 0.5  # a word damped below this weight is generic: it never labels a theme
LABEL_MIN_SHARE = 0.2  # a label word is used by at least this share of the theme's postings
# and of its members (words below come last)


@dataclass
class Theme:
    theme_id: str
    area_id: str
    kind: str
    label_en: str
    label_zh: str
    terms: list[str]
    size: int
    canonical_id: str
    canonical_text: str
    members: list[str] = field(default_factory=list)
    langs: dict[str, int] = field(default_factory=dict)
    documents: int = 0
    # the label's own words, as they occur in the members ("zh", "en" or "zh+en" tells which
    # of label_zh / label_en they are; the other label is their translation)
    label_terms: list[str] = field(default_factory=list)
    label_lang: str = ""
    # top terms of the theme's centre with their weights: comparable across recomputes
    centroid: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Area:
    area_id: str
    kind: str
    label_en: str
    label_zh: str
    theme_ids: list[str] = field(default_factory=list)


@dataclass
class ThemeResult:
    themes: list[Theme]
    areas: list[Area]
    assignment: dict[str, str]  # clause_id -> theme_id (unthemed clauses are absent)
    params: dict[str, object] = field(default_factory=dict)
    unthemed: dict[str, list[str]] = field(default_factory=dict)  # kind -> clause ids


# --------------------------------------------------------------------------- features
def own_words(tokens: Sequence[str]) -> list[str]:
    """The tokens that can carry a duty's meaning: no concept tokens, numbers, single letters
    or single Chinese characters (jieba's leftovers: 做, 及, 和 …)."""
    out = []
    for t in tokens:
        if t.startswith(CONCEPT) or len(t) < 2 or t.isdigit():
            continue
        if t.isascii() and not any(ch.isalpha() for ch in t):
            continue
        out.append(t)
    return out


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _fit_tfidf(
    docs: list[list[str]], max_features: int | None, min_df: int = 2, max_df: float = 0.5
) -> tuple[TfidfVectorizer, sparse.csr_matrix]:
    """Sublinear TF-IDF over token lists; tiny inputs keep every term."""
    small = len(docs) < 20
    vec = TfidfVectorizer(
        analyzer=_identity,
        min_df=1 if small else min_df,
        max_df=1.0 if small else max_df,
        sublinear_tf=True,
        dtype=np.float32,
        max_features=max_features,
    )
    try:
        return vec, vec.fit_transform(docs).tocsr()
    except ValueError:  # every term pruned (tiny or empty input): keep them all
        vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, dtype=np.float32)
        try:
            return vec, vec.fit_transform(docs).tocsr()
        except ValueError:  # no tokens at all
            vec.vocabulary_ = {}
            return vec, sparse.csr_matrix((len(docs), 0), dtype=np.float32)


def spread(
    x: sparse.csr_matrix, labels: np.ndarray, k: int, word_script: np.ndarray | None = None
) -> np.ndarray:
    """Per column, the normalised entropy (0..1) of its use over the clusters, each cluster's
    count divided by its size: 1 = used alike by every cluster (负责, 工作), 0 = found in one
    cluster only. With word scripts (0 Chinese, 1 Latin) a word is weighed against the rows
    that use its script, so English filler ("after", "over") in a mostly Chinese corpus is
    judged among the English clauses."""
    n_words = x.shape[1]
    if k < 2 or n_words == 0:
        return np.zeros(n_words)
    ok = np.nonzero(labels >= 0)[0]
    lab = labels[ok]
    cols = np.zeros(n_words, dtype=int) if word_script is None else word_script
    xb = x[ok].tocsr(copy=True)
    xb.data[:] = 1.0
    onehot = sparse.csr_matrix((np.ones(len(ok)), (lab, np.arange(len(ok)))), shape=(k, len(ok)))
    counts = (onehot @ xb).tocsc()  # k x V, sparse
    col_of = np.repeat(np.arange(n_words), np.diff(counts.indptr))
    h = np.zeros(n_words)
    for script in np.unique(cols):
        # cluster sizes counted over the rows that use any word of this script
        uses = np.asarray(xb[:, cols == script].sum(axis=1)).ravel() > 0
        sizes = np.bincount(lab[uses], minlength=k).astype(float)
        k_script = int((sizes > 0).sum())
        mine = cols[col_of] == script
        if k_script < 2 or not mine.any():
            continue
        rate = counts.data[mine] / np.maximum(sizes[counts.indices[mine]], 1.0)
        total = np.bincount(col_of[mine], weights=rate, minlength=n_words)
        p = rate / total[col_of[mine]]
        ent = -p * np.log(np.maximum(p, 1e-300))
        h = np.where(
            cols == script, np.bincount(col_of[mine], ent, n_words) / math.log(k_script), h
        )
    return np.clip(h, 0.0, 1.0)


def damping(
    h: np.ndarray, midpoint: float = DAMP_MIDPOINT, width: float = DAMP_WIDTH, floor: float = 0.02
) -> np.ndarray:
    """Weight of each word from its spread: a logistic step down around ``midpoint``. A word
    spread evenly over the clusters (负责 0.97, 公司 0.95) fades to ``floor``; one that marks a
    few clusters (候选人 0.39, 盘点 0.60) keeps nearly all its weight."""
    return np.maximum(1.0 / (1.0 + np.exp((h - midpoint) / width)), floor)


# --------------------------------------------------------------------------- the estimator
class ThemeModel:
    """Clusters token lists into themes (scikit-learn style: ``fit`` then ``labels_``).

    ``labels_`` holds -1 for an unthemed unit. ``concepts`` (optional, one list per doc) is the
    cross-lingual bridge block; ``sources`` (optional) names each unit's posting(s) so themes
    seen in too few postings are dissolved.
    """

    def __init__(
        self,
        k: int | None = None,
        *,
        k_range: tuple[int, int] | None = None,
        k_per_sqrt: float = K_PER_SQRT,
        bridge_weight: float = BRIDGE_WEIGHT,
        damp: bool = True,
        min_similarity: float = MIN_SIMILARITY,
        min_units: int = MIN_UNITS,
        min_documents: int = MIN_DOCUMENTS,
        min_df: int = 2,
        max_df: float = 0.5,
        max_features: int | None = 50_000,
        probe_size: int = 50_000,
        silhouette_sample: int = 3000,
        random_state: int = 0,
    ) -> None:
        if not 0 <= bridge_weight < 1:
            raise ValueError("bridge_weight must be in [0, 1): concepts never outweigh words")
        self.k = k
        self.k_range = k_range
        self.k_per_sqrt = k_per_sqrt
        self.bridge_weight = bridge_weight
        self.damp = damp
        self.min_similarity = min_similarity
        self.min_units = min_units
        self.min_documents = min_documents
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.probe_size = probe_size
        self.silhouette_sample = silhouette_sample
        self.random_state = random_state

    # ---- features
    def _features(self, words: sparse.csr_matrix, weights: np.ndarray) -> sparse.csr_matrix:
        """Rows: damped word block (norm 1) and, if any, the concept block (norm bridge_weight),
        then normalised again. Empty rows stay empty."""
        w = l2_normalize(words @ sparse.diags(weights.astype(np.float32)))
        if self.concepts_x_ is None:
            return w.tocsr()
        both = sparse.hstack([w, self.bridge_weight * self.concepts_x_]).tocsr()
        return l2_normalize(both).tocsr()

    # ---- k
    def candidate_ks(self, n: int) -> list[int]:
        if self.k_range:
            lo, hi = self.k_range
        else:
            root = math.sqrt(n / 2)  # the usual rule of thumb, searched from half to double
            lo, hi = max(2, int(root / 2)), max(3, int(root * 2))
        hi = min(hi, n - 1)
        lo = min(lo, hi)
        return sorted({round(v) for v in np.geomspace(lo, hi, num=min(8, hi - lo + 1))})

    def _kmeans(self, k: int) -> MiniBatchKMeans:
        """Mini-batch k-means on the sparse rows (the space the words live in: an LSA
        projection blurred real JD themes in trials), fast enough for a million clauses."""
        return MiniBatchKMeans(
            k,
            random_state=self.random_state,
            n_init=1,
            batch_size=4096,
            max_no_improvement=20,
            reassignment_ratio=0.001,
        )

    def _choose_k(self, x: sparse.csr_matrix) -> int:
        n = x.shape[0]
        if self.k_range is None and n > SMALL_CORPUS:
            return max(2, min(n - 1, round(self.k_per_sqrt * math.sqrt(n))))
        rng = np.random.default_rng(self.random_state)
        idx = np.arange(n)
        if n > self.silhouette_sample:
            idx = np.sort(rng.choice(n, self.silhouette_sample, replace=False))
        sample = x[idx]
        best, best_score = 2, -2.0
        self.silhouettes_: dict[int, float] = {}
        for k in self.candidate_ks(n):
            if k < 2 or k >= len(idx):
                continue
            labels = self._kmeans(k).fit_predict(sample)
            if len(set(labels.tolist())) < 2:
                continue
            score = float(silhouette_score(sample, labels, metric="cosine"))
            self.silhouettes_[k] = round(score, 4)
            if score > best_score:
                best, best_score = k, score
        return best

    # ---- fit
    def fit(
        self,
        docs: list[list[str]],
        concepts: list[list[str]] | None = None,
        sources: list[frozenset[str]] | None = None,
    ) -> ThemeModel:
        n = len(docs)
        self.vectorizer_, self.words_x_ = _fit_tfidf(
            [own_words(d) for d in docs], self.max_features, self.min_df, self.max_df
        )
        self.concepts_x_ = None
        if concepts is not None and self.bridge_weight > 0 and any(concepts):
            _, cx = _fit_tfidf(concepts, self.max_features)
            self.concepts_x_ = l2_normalize(cx) if cx.shape[1] else None
        self.vocabulary_ = np.array(self.vectorizer_.get_feature_names_out(), dtype=object)
        self.word_script_ = np.array([int(w.isascii()) for w in self.vocabulary_], dtype=int)
        self.weights_ = np.ones(self.words_x_.shape[1])
        if n < 3 or self.words_x_.shape[1] == 0:
            return self._single(n)
        x = self._features(self.words_x_, self.weights_)
        self.k_ = min(self.k, n - 1) if self.k else self._choose_k(x)
        if self.damp and self.k_ >= 2:
            # a first pass on a sample shows how each word spreads over rough clusters
            probe = self._probe(n)
            first = self._kmeans(self.k_).fit_predict(x[probe])
            self.spread_ = spread(self.words_x_[probe], first, self.k_, self.word_script_)
            self.weights_ = damping(self.spread_)
            x = self._features(self.words_x_, self.weights_)
        labels = self._kmeans(self.k_).fit_predict(x)
        self.x_ = x
        labels = self._prune(x, labels, sources)
        self.labels_ = _relabel_by_size(labels)
        self.k_ = int(self.labels_.max()) + 1 if (self.labels_ >= 0).any() else 0
        self.centroids_ = _centroids(x, self.labels_, self.k_)
        return self

    def _probe(self, n: int) -> np.ndarray:
        """Row indices of the first pass: all rows, or a seeded sample of ``probe_size``."""
        if n <= self.probe_size:
            return np.arange(n)
        rng = np.random.default_rng(self.random_state)
        return np.sort(rng.choice(n, self.probe_size, replace=False))

    def word_centroids(self) -> sparse.csr_matrix:
        """k x V: each theme's L2-normalised mean of its members' damped word vectors (sparse,
        whatever space the clustering ran in); 0 x V when pruning left no theme."""
        if self.k_ == 0:
            return sparse.csr_matrix((0, self.words_x_.shape[1]), dtype=np.float32)
        words = l2_normalize(self.words_x_ @ sparse.diags(self.weights_.astype(np.float32)))
        ok = self.labels_ >= 0
        y = sparse.csr_matrix(
            (np.ones(ok.sum(), dtype=np.float32), (self.labels_[ok], np.nonzero(ok)[0])),
            shape=(self.k_, len(self.labels_)),
        )
        return l2_normalize((y @ words).tocsr())

    def _single(self, n: int) -> ThemeModel:
        """Too little to cluster: everything in one theme."""
        self.labels_ = np.zeros(n, dtype=int)
        self.k_ = 1 if n else 0
        self.x_ = self._features(self.words_x_, self.weights_) if n else self.words_x_
        self.centroids_ = _centroids(self.x_, self.labels_, self.k_)
        return self

    def _prune(
        self, x: sparse.csr_matrix, labels: np.ndarray, sources: list[frozenset[str]] | None
    ) -> np.ndarray:
        """Members far from their centre become unthemed (-1); themes with too few units or
        postings are dissolved and their members go to the nearest surviving theme when close
        enough. Then the surviving themes are renumbered 0..k-1."""
        k = int(labels.max()) + 1
        for _ in range(2):
            centroids = _centroids(x, labels, k)
            sims = _row_similarity(x, centroids, labels)
            labels = np.where((labels >= 0) & (sims >= self.min_similarity), labels, -1)
            alive = self._alive(labels, k, sources)
            if alive.all():
                break
            labels = self._reassign(x, labels, alive, centroids)
        return labels

    def _alive(
        self, labels: np.ndarray, k: int, sources: list[frozenset[str]] | None
    ) -> np.ndarray:
        sizes = np.bincount(labels[labels >= 0], minlength=k)
        alive = sizes >= min(self.min_units, max(1, len(labels) // 10))
        if sources is not None and self.min_documents > 1:
            seen: list[set[str]] = [set() for _ in range(k)]
            for lab, src in zip(labels.tolist(), sources, strict=True):
                if lab >= 0:
                    seen[lab].update(src)
            alive &= np.array([len(s) >= self.min_documents for s in seen])
        return alive

    def _reassign(
        self, x: sparse.csr_matrix, labels: np.ndarray, alive: np.ndarray, centroids: np.ndarray
    ) -> np.ndarray:
        """Members of dissolved themes go to the most similar surviving theme, or unthemed."""
        keep = np.nonzero(alive)[0]
        moved = np.nonzero((labels >= 0) & ~alive[np.maximum(labels, 0)])[0]
        labels = labels.copy()
        if not len(keep):
            labels[:] = -1
            return labels
        if len(moved):
            sims = x[moved] @ centroids[keep].T
            best = np.asarray(sims.argmax(axis=1)).ravel()
            best_sim = np.asarray(sims.max(axis=1)).ravel()
            labels[moved] = np.where(best_sim >= self.min_similarity, keep[best], -1)
        return labels


def _row_similarity(x: sparse.csr_matrix, centroids: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Cosine of each row with its own cluster's centroid, in O(non-zeros) (no dense n x F)."""
    rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    lab = np.maximum(labels, 0)[rows]
    vals = x.data * centroids[lab, x.indices]
    return np.bincount(rows, weights=vals, minlength=x.shape[0])


def _centroids(x: sparse.csr_matrix, labels: np.ndarray, k: int) -> np.ndarray:
    """L2-normalised mean row of each cluster (dense k x features)."""
    ok = labels >= 0
    if k == 0:
        return np.zeros((0, x.shape[1]), dtype=np.float32)
    y = sparse.csr_matrix(
        (np.ones(ok.sum(), dtype=np.float32), (labels[ok], np.nonzero(ok)[0])),
        shape=(k, x.shape[0]),
    )
    return l2_normalize(np.asarray((y @ x).todense(), dtype=np.float32))


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Theme 0 is the largest (ties by first label): ids are stable for the same input and seed.
    -1 (unthemed) stays -1."""
    counts = Counter(v for v in labels.tolist() if v >= 0)
    order = [lab for lab, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    remap = {old: new for new, old in enumerate(order)}
    remap[-1] = -1
    return np.array([remap[v] for v in labels.tolist()], dtype=int)


# --------------------------------------------------------------------------- representation
def class_counts(
    words_x: sparse.csr_matrix, labels: np.ndarray, k: int, sources: Sequence[str] | None = None
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """k x V: in how many postings of each class each word is used (a posting counts once, so
    one employer's repeated wording cannot make a label), and each class's number of postings.
    Without ``sources`` each unit counts as a posting."""
    ok = np.nonzero(labels >= 0)[0]
    xb = words_x[ok].copy()
    xb.data[:] = 1.0
    keys = [(int(labels[i]), sources[i] if sources is not None else i) for i in ok.tolist()]
    pair_of: dict[tuple[int, object], int] = {}
    pair_ids = np.array([pair_of.setdefault(key, len(pair_of)) for key in keys])
    pairs = sparse.csr_matrix(
        (np.ones(len(ok), dtype=np.float32), (pair_ids, np.arange(len(ok)))),
        shape=(len(pair_of), len(ok)),
    )
    used = (pairs @ xb).tocsr()
    used.data[:] = 1.0
    pair_class = np.array([c for c, _ in pair_of], dtype=int)
    to_class = sparse.csr_matrix(
        (np.ones(len(pair_of), dtype=np.float32), (pair_class, np.arange(len(pair_of)))),
        shape=(k, len(pair_of)),
    )
    postings = np.bincount(pair_class, minlength=k) if len(pair_class) else np.zeros(k, int)
    return (to_class @ used).tocsr(), postings


def class_tfidf(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """BERTopic's c-TF-IDF on class x word counts: the word's share of its class's words times
    log(1 + mean words per class / the word's count over all classes)."""
    counts = counts.tocsr().astype(np.float64)
    per_class = np.asarray(counts.sum(axis=1)).ravel()
    per_word = np.asarray(counts.sum(axis=0)).ravel()
    avg = per_class.sum() / max(counts.shape[0], 1)
    tf = sparse.diags(1.0 / np.maximum(per_class, 1.0)) @ counts
    idf = np.log1p(avg / np.maximum(per_word, 1.0))
    return (tf @ sparse.diags(idf)).tocsr()


def scored_terms(
    scores: sparse.csr_matrix, row: int, vocabulary: np.ndarray
) -> list[tuple[str, float]]:
    """The words of one class with their scores, best first (ties by word)."""
    start, end = scores.indptr[row], scores.indptr[row + 1]
    pairs = [
        (str(vocabulary[j]), float(v))
        for j, v in zip(
            scores.indices[start:end].tolist(), scores.data[start:end].tolist(), strict=True
        )
    ]
    return sorted(pairs, key=lambda kv: (-kv[1], kv[0]))


def ubiquitous_terms(
    scored: list[list[tuple[str, float]]], share: float = 0.4, top: int = 30
) -> set[str]:
    """Terms among the top ``top`` of more than ``share`` of the classes: they tell no theme
    from another, so labels skip them (a check beside the damping weights)."""
    if len(scored) < 5:
        return set()
    spread_ = Counter(t for terms in scored for t, _ in terms[:top])
    return {t for t, n in spread_.items() if n > share * len(scored)}


def label_terms(
    scored: list[tuple[str, float]],
    n: int = 3,
    surface: dict[str, str] | None = None,
    skip: set[str] | frozenset[str] = frozenset(),
    weights: dict[str, float] | None = None,
    coverage: dict[str, float] | None = None,
    min_share: float = LABEL_MIN_SHARE,
) -> list[str]:
    """The ``n`` best own words of a theme (display forms), from its c-TF-IDF terms times each
    word's damping weight; concept tokens and ``skip`` terms never label a theme. With
    ``coverage`` (share of the theme's postings using each word) words used by fewer than
    ``min_share`` come last: a label names what members share, not a rare word of a few."""
    surface = surface or {}
    weights = weights or {}
    coverage = coverage or {}
    ranked = sorted(
        ((t, s * weights.get(t, 1.0)) for t, s in scored if not t.startswith(CONCEPT)),
        key=lambda kv: (coverage.get(kv[0], 1.0) < min_share, -kv[1], kv[0]),
    )
    kept = [  # a word the corpus shows to be generic (damped below half) never labels
        t
        for t, _ in ranked
        if t not in skip and _readable(t) and weights.get(t, 1.0) >= GENERIC_WEIGHT
    ]
    return list(dict.fromkeys(surface.get(t, t) for t in kept))[:n]


def _readable(term: str) -> bool:
    """A term people can read: not a raw gloss list ("center, heart, core")."""
    return bool(term) and "," not in term and ";" not in term


# ---- translations beside the label
@lru_cache(maxsize=1)
def _glossary_en() -> dict[str, str]:
    """Chinese glossary term -> its English concept name."""
    from jdsearch.concepts import default_mapper

    return dict(default_mapper().zh_concept)


@lru_cache(maxsize=1)
def _glossary_zh() -> dict[str, str]:
    """English word or phrase -> a Chinese glossary term (the first listed for its concept)."""
    from jdsearch.concepts import default_mapper

    mapper = default_mapper()
    by_concept: dict[str, str] = {}
    for zh, concept in mapper.zh_concept.items():
        by_concept.setdefault(concept, zh)
    out = {concept: zh for concept, zh in by_concept.items()}
    for stems, concept in mapper.en_phrases.items():
        if len(stems) == 1 and concept in by_concept:
            out.setdefault(stems[0], by_concept[concept])
    return out


@lru_cache(maxsize=1)
def _cedict_reverse() -> dict[str, str]:
    """English word (a whole first gloss, lower case) -> the commonest Chinese headword with it."""
    from jdsearch.analysis import jd_tokenizer
    from jdsearch.concepts import _cedict

    freq = jd_tokenizer().FREQ
    best: dict[str, tuple[int, str]] = {}
    for head, glosses in _cedict().items():
        if not glosses or not _HAN.search(head) or len(head) < 2:
            continue
        gloss = re.sub(r"\([^)]*\)", "", glosses[0]).strip().lower()
        if gloss.startswith("to "):
            gloss = gloss[3:]
        if not gloss or "," in gloss or len(gloss.split()) > 2:
            continue
        score = (freq.get(head, 0) or 0, head)
        if gloss not in best or score > best[gloss]:
            best[gloss] = score
    return {g: h for g, (_, h) in best.items()}


def english_of(word: str) -> str:
    """English wording of a Chinese word: the glossary's concept, else CC-CEDICT's first gloss."""
    from jdsearch.concepts import _cedict

    if word in _glossary_en():
        return _glossary_en()[word]
    for gloss in _cedict().get(word, [])[:3]:
        g = re.sub(r"\([^)]*\)|\[[^\]]*\]|CL:.*", "", gloss).strip()
        g = g[3:] if g.startswith("to ") else g
        if g and "," not in g and ";" not in g and len(g.split()) <= 3 and g.isascii():
            return g
    return ""


def chinese_of(word: str, stem: str | None = None) -> str:
    """Chinese wording of an English word: the glossary's term, else CC-CEDICT reversed."""
    gz = _glossary_zh()
    for key in (word, stem):
        if key and key in gz:
            return gz[key]
    return _cedict_reverse().get(word.lower(), "")


def surface_forms(clauses: Sequence[Clause]) -> dict[str, str]:
    """stem -> the commonest English word with that stem in the clauses (readable labels)."""
    from jdsearch.analysis import default_analyzer

    an = default_analyzer()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for c in clauses:
        for w in _LATIN_WORD.findall(c.text.lower()):
            counts[an.stem(w)][w] += 1
    return {stem: words.most_common(1)[0][0] for stem, words in counts.items()}


def bilingual_label(terms: list[str], stems: dict[str, str]) -> tuple[str, str, str]:
    """(label_en, label_zh, which is own wording) from a theme's own label terms.

    Chinese terms form the Chinese label and English ones the English label; a language with
    no own terms gets the other's translated (glossary, then CC-CEDICT) beside it.
    """
    zh = [t for t in terms if _HAN.search(t)]
    en = [t for t in terms if not _HAN.search(t)]
    if zh and en:
        return " / ".join(en), "、".join(zh), "zh+en"
    if zh:
        tr = [english_of(t) for t in zh]
        return " / ".join(dict.fromkeys(t for t in tr if t)), "、".join(zh), "zh"
    if en:
        tr = [chinese_of(t, stems.get(t)) for t in en]
        return " / ".join(en), "、".join(dict.fromkeys(t for t in tr if t)), "en"
    return "", "", ""


# ---- canonical duty
_EN_TERMINAL_BAD = (":", "：", ",", "，", "、", "&", "and", "or", "of", "to", "the", "with")


def is_fragment(clause: Clause) -> bool:
    """A clause that cannot stand alone as a duty statement (a heading, a cut-off piece, a
    noun phrase): flagged so by the segmenter / kinds model (``Clause.fragment``), or else by
    a local heuristic: Chinese needs >= 6 Han characters and a verb (jieba's part-of-speech
    tags); English >= 4 words; neither may end on a colon, comma or dangling conjunction."""
    if getattr(clause, "fragment", False):
        return True
    text = clause.text.strip().rstrip("。.;；!！ ")
    if not text or text.endswith(_EN_TERMINAL_BAD[:5]):
        return True
    han = len(_HAN.findall(text))
    if han:
        return han < 6 or not _has_chinese_verb(text)
    words = _LATIN_WORD.findall(text.lower())
    return len(words) < 4 or words[-1] in _EN_TERMINAL_BAD[5:]


def _has_chinese_verb(text: str) -> bool:
    return any(flag.startswith("v") for _, flag in _posseg().cut(text))


def _posseg():  # type: ignore[no-untyped-def]
    from jdsearch.analysis import pos_tagger

    return pos_tagger()


def canonical(order: np.ndarray, units: Sequence[Clause], kind: str, look: int = 200) -> int:
    """The first unit in ``order`` (closest to the centre first) that is a complete statement
    of the theme's kind; the closest one when none of the first ``look`` is."""
    for i in order[:look].tolist():
        if units[i].kind == kind and not is_fragment(units[i]):
            return int(i)
    return int(order[0])


def areas_for(centroids: np.ndarray, n_areas: int | None, random_state: int = 0) -> np.ndarray:
    """Agglomerative (average, cosine) clustering of theme centroids into top-level areas."""
    del random_state  # agglomerative clustering is deterministic
    k = len(centroids)
    if k <= 2:
        return np.zeros(k, dtype=int)
    n = n_areas or max(2, min(30, round(math.sqrt(k))))
    n = min(n, k)
    model = AgglomerativeClustering(n_clusters=n, metric="cosine", linkage="average")
    return _relabel_by_size(model.fit_predict(centroids))


# --------------------------------------------------------------------------- the stage
def analyser_tokens(clauses: Sequence[Clause]) -> list[list[str]]:
    """Coarse tokens from the shared analyser (runs jieba: callers with a token cache pass
    their own ``tokens_of``)."""
    from jdsearch.analysis import QUERY, default_analyzer

    an = default_analyzer()
    return [an.terms(c.text, QUERY) for c in clauses]


def concept_tokens(docs: list[list[str]]) -> list[list[str]]:
    """Cross-lingual concept tokens of each clause from its coarse tokens."""
    from jdsearch.concepts import default_mapper

    mapper = default_mapper()
    return [mapper.concepts_from_terms([t for t in d if not t.startswith(CONCEPT)]) for d in docs]


def build_themes(
    clauses: Sequence[Clause],
    groups: dict[str, list[str]],
    tokens_of: Tokenize | None = None,
    *,
    k: int | None = None,
    n_areas: int | None = None,
    random_state: int = 0,
    bridge: bool | None = None,
    describe: Tokenize | None = None,
    **model_options: object,
) -> ThemeResult:
    """Theme every duty and requirement clause (or leave it in the unthemed remainder).

    ``groups`` maps a canonical clause id to its group's member ids. ``tokens_of(clauses)``
    gives each clause's coarse tokens from the shared analyser (default: run the analyser).
    ``bridge``: add cross-lingual concept tokens (default: when the units are in more than one
    language). ``describe`` is accepted for the older corpus.py call and not used: labels come
    from the clustered words themselves. ``model_options`` go to :class:`ThemeModel`.
    """
    del describe
    tokens_of = tokens_of or analyser_tokens
    by_id = {c.clause_id: c for c in clauses}
    # a group member follows its canonical only within one kind
    groups = {
        canon: [m for m in ms if m in by_id and by_id[m].kind == by_id[canon].kind]
        for canon, ms in groups.items()
        if canon in by_id
    }
    member_of = {m: canon for canon, ms in groups.items() for m in ms}
    result = ThemeResult([], [], {}, {"random_state": random_state}, {})
    surface: dict[str, str] = {}  # stem -> commonest word, filled theme by theme
    for kind, prefix in ((DUTY, "D"), (REQUIREMENT, "R")):
        units = [  # fragments flagged at ingest are typed, but never themed
            c
            for c in clauses
            if c.kind == kind
            and not getattr(c, "fragment", False)
            and member_of.get(c.clause_id, c.clause_id) == c.clause_id
        ]
        # rows in an order of their wording, not of ids (which follow the files' paths): the
        # same postings give the same themes wherever they are stored (k-means depends on the
        # row order through its initialisation and mini-batches)
        units.sort(key=lambda c: (c.norm, c.text, c.lang, c.clause_id))
        if units:
            _theme_kind(
                result,
                units,
                groups,
                by_id,
                tokens_of(units),
                kind,
                prefix,
                surface,
                k=k,
                n_areas=n_areas,
                random_state=random_state,
                bridge=bridge,
                options=model_options,
            )
    return result


def _theme_kind(
    result: ThemeResult,
    units: list[Clause],
    groups: dict[str, list[str]],
    by_id: dict[str, Clause],
    docs: list[list[str]],
    kind: str,
    prefix: str,
    surface: dict[str, str],
    *,
    k: int | None,
    n_areas: int | None,
    random_state: int,
    bridge: bool | None,
    options: dict[str, object],
) -> None:
    members_of = [groups.get(u.clause_id, [u.clause_id]) for u in units]
    sources = [frozenset(by_id[m].doc_id for m in ms) for ms in members_of]
    if bridge is None:  # the bridge joins languages; one language needs none
        scripts = Counter(_script(u) for u in units)
        bridge = len(scripts) > 1 and min(scripts.values()) >= BRIDGE_MIN_SHARE * len(units)
    concepts = concept_tokens(docs) if bridge else None
    model = ThemeModel(k, random_state=random_state, **options).fit(  # type: ignore[arg-type]
        docs, concepts, sources
    )
    themes = _represent(model, units, members_of, by_id, prefix, kind, surface)
    area_labels = areas_for(model.centroids_, n_areas, random_state)
    areas = _make_areas(themes, area_labels, model, units, prefix, kind, surface)
    result.themes.extend(themes)
    result.areas.extend(areas)
    for t in themes:
        for cid in t.members:
            result.assignment[cid] = t.theme_id
    result.unthemed[kind] = [
        m for i in np.nonzero(model.labels_ < 0)[0].tolist() for m in members_of[i]
    ]
    result.params[f"{kind}_k"] = model.k_
    result.params[f"{kind}_units"] = len(units)
    result.params[f"{kind}_unthemed"] = len(result.unthemed[kind])
    result.params[f"{kind}_bridge"] = bool(bridge)
    if getattr(model, "silhouettes_", None):
        result.params[f"{kind}_silhouettes"] = model.silhouettes_


def _script(c: Clause) -> str:
    return "en" if c.lang == "en" else "zh"


def _represent(
    model: ThemeModel,
    units: list[Clause],
    members_of: list[list[str]],
    by_id: dict[str, Clause],
    prefix: str,
    kind: str,
    surface: dict[str, str],
) -> list[Theme]:
    """The themes of one kind with labels, canonical duty and centre; ``surface`` (stem ->
    commonest English word) grows with each theme's members' own spellings."""
    sources = [u.doc_id for u in units]
    counts, postings = class_counts(model.words_x_, model.labels_, model.k_, sources)
    scores = class_tfidf(counts)
    scored = [scored_terms(scores, t, model.vocabulary_) for t in range(model.k_)]
    share = (sparse.diags(1.0 / np.maximum(postings, 1)) @ counts).tocsr()
    # ... and of its members: a label word must be common on both counts (many postings
    # using a word once in a big theme is no more a label than one posting using it often)
    unit_counts, sizes = class_counts(model.words_x_, model.labels_, model.k_)
    member_share = (sparse.diags(1.0 / np.maximum(sizes, 1)) @ unit_counts).tocsr()
    skip = ubiquitous_terms(scored)
    weights = dict(zip(model.vocabulary_.tolist(), model.weights_.tolist(), strict=True))
    word_centres = model.word_centroids()
    themes = []
    for t in range(model.k_):
        idx = np.nonzero(model.labels_ == t)[0]
        sims = np.asarray(model.x_[idx] @ model.centroids_[t]).ravel()
        order = np.argsort(-sims, kind="stable")
        canon = units[idx[canonical(order, [units[i] for i in idx], kind)]]
        members = [m for i in idx for m in members_of[i]]
        clauses = [by_id[m] for m in members]
        langs = Counter(c.lang for c in clauses)
        local = surface_forms(clauses)  # stems shown as the members write them
        for stem, word in local.items():
            surface.setdefault(stem, word)
        by_member = dict(scored_terms(member_share, t, model.vocabulary_))
        coverage = {
            w: min(v, by_member.get(w, 0.0)) for w, v in scored_terms(share, t, model.vocabulary_)
        }
        terms = label_terms(
            scored[t], n=10, surface=local, skip=skip, weights=weights, coverage=coverage
        )
        label = _label_from(terms, langs)
        stems = {word: stem for stem, word in local.items()}
        en, zh, label_lang = bilingual_label(label, stems)
        themes.append(
            Theme(
                theme_id=f"{prefix}{t + 1:02d}",
                area_id="",
                kind=kind,
                label_en=en,
                label_zh=zh,
                terms=terms,
                size=len(members),
                canonical_id=canon.clause_id,
                canonical_text=canon.text,
                members=members,
                langs=dict(sorted(langs.items())),
                documents=len({c.doc_id for c in clauses}),
                label_terms=label,
                label_lang=label_lang,
                centroid=_top_weights(word_centres, t, model.vocabulary_, local),
            )
        )
    return themes


def _top_weights(
    centres: sparse.csr_matrix,
    row: int,
    vocabulary: np.ndarray,
    surface: dict[str, str],
    n: int = 30,
) -> dict[str, float]:
    """The centre's ``n`` heaviest words and weights (display forms): small, and comparable
    between two runs whatever their vocabularies."""
    start, end = centres.indptr[row], centres.indptr[row + 1]
    cols, vals = centres.indices[start:end], centres.data[start:end]
    out: dict[str, float] = {}
    for j in np.argsort(-vals, kind="stable")[:n].tolist():
        word = surface.get(str(vocabulary[cols[j]]), str(vocabulary[cols[j]]))
        out.setdefault(word, round(float(vals[j]), 4))
    return out


def _label_from(terms: list[str], langs: Counter[str], n: int = 3) -> list[str]:
    """The first ``n`` terms, and in a theme with both scripts (each >= a quarter of the
    members) the first ones of each script, so each label is in its members' own words."""
    total = sum(langs.values()) or 1
    en_share = langs.get("en", 0) / total
    if 0.25 <= en_share <= 0.75:
        zh = [t for t in terms if _HAN.search(t)][:n]
        en = [t for t in terms if not _HAN.search(t)][:n]
        if zh and en:  # in rank order: the theme's best word leads whatever its script
            return [t for t in terms if t in zh or t in en]
    return terms[:n]


def _make_areas(
    themes: list[Theme],
    area_labels: np.ndarray,
    model: ThemeModel,
    units: list[Clause],
    prefix: str,
    kind: str,
    surface: dict[str, str],
) -> list[Area]:
    n_areas = int(area_labels.max()) + 1 if len(area_labels) else 0
    unit_area = np.array(
        [int(area_labels[lab]) if lab >= 0 else -1 for lab in model.labels_.tolist()], dtype=int
    )
    counts, _ = class_counts(model.words_x_, unit_area, n_areas, [u.doc_id for u in units])
    scores = class_tfidf(counts)
    scored = [scored_terms(scores, a, model.vocabulary_) for a in range(n_areas)]
    skip = ubiquitous_terms(scored)
    weights = dict(zip(model.vocabulary_.tolist(), model.weights_.tolist(), strict=True))
    stems = {surface.get(s, s): s for s in weights if s.isascii()}
    areas = []
    for a in range(n_areas):
        tids = [t for i, t in enumerate(themes) if int(area_labels[i]) == a]
        langs: Counter[str] = Counter()
        for t in tids:
            langs.update(t.langs)
        terms = label_terms(scored[a], n=10, surface=surface, skip=skip, weights=weights)
        en, zh, _ = bilingual_label(_label_from(terms, langs, n=2), stems)
        area = Area(f"{prefix}A{a + 1}", kind, en, zh, [t.theme_id for t in tids])
        for t in tids:
            t.area_id = area.area_id
        areas.append(area)
    return areas


def group_map(rows: Sequence[tuple[str, str, str, float, str, int]]) -> dict[str, list[str]]:
    """canonical id -> member ids, from the stored duplicate groups."""
    out: dict[str, list[str]] = defaultdict(list)
    for cid, _gid, canon, *_ in rows:
        out[canon].append(cid)
    for canon, members in out.items():
        if canon in members:
            members.remove(canon)
        members.insert(0, canon)
    return dict(out)
