"""Canonical responsibility themes, BERTopic-style: vectorise -> reduce -> cluster -> represent.

- Units are duplicate-group canonicals plus ungrouped clauses (not every copy); group members
  inherit their canonical's theme. Duties and requirements are clustered apart; ``other``
  clauses (intros, form fields, essays) get no theme.
- Features: the shared analyser's tokens plus cross-lingual concept tokens (``~concept``), so an
  English clause and its Chinese twin share features; TF-IDF, then LSA (truncated SVD) and
  L2-normalisation so k-means works on cosine geometry.
- k is chosen by silhouette over a range (``k`` overrides); everything is seeded.
- Each theme is represented by class-based TF-IDF terms (as BERTopic does), a label in English
  and in Chinese, and its medoid clause; themes are grouped into a handful of areas by
  agglomerative clustering of their centroids.
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
from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize as l2_normalize

from jdsearch.segment import DUTY, REQUIREMENT
from jdsearch.store import Clause

CONCEPT = "~"
_HAN = re.compile(r"[\u4e00-\u9fff]")

Tokenize = Callable[[Sequence[Clause]], list[list[str]]]


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

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Area:
    area_id: str
    kind: str
    label_en: str
    label_zh: str
    theme_ids: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- the estimator
class ThemeModel:
    """Clusters token lists into themes (scikit-learn style: ``fit`` then ``labels_``)."""

    def __init__(
        self,
        k: int | None = None,
        *,
        k_range: tuple[int, int] | None = None,
        svd_components: int = 100,
        min_df: int = 2,
        max_df: float = 0.5,
        silhouette_sample: int = 3000,
        random_state: int = 0,
    ) -> None:
        self.k = k
        self.k_range = k_range
        self.svd_components = svd_components
        self.min_df = min_df
        self.max_df = max_df
        self.silhouette_sample = silhouette_sample
        self.random_state = random_state

    # vectorise
    def _vectorise(self, docs: list[list[str]]) -> sparse.csr_matrix:
        min_df = self.min_df if len(docs) >= 20 else 1
        self.vectorizer_ = TfidfVectorizer(
            analyzer=_identity,
            min_df=min_df,
            max_df=self.max_df if len(docs) >= 20 else 1.0,
            sublinear_tf=True,
            dtype=np.float32,
        )
        try:
            return self.vectorizer_.fit_transform(docs)
        except ValueError:  # every term pruned: fall back to keeping them all
            self.vectorizer_ = TfidfVectorizer(
                analyzer=_identity, sublinear_tf=True, dtype=np.float32
            )
            return self.vectorizer_.fit_transform(docs)

    # reduce
    def _reduce(self, x: sparse.csr_matrix) -> np.ndarray:
        n_comp = min(self.svd_components, x.shape[1] - 1, x.shape[0] - 1)
        if n_comp < 2:
            return l2_normalize(x.toarray())
        self.svd_ = TruncatedSVD(n_comp, random_state=self.random_state, algorithm="randomized")
        return l2_normalize(self.svd_.fit_transform(x))

    # cluster
    def _kmeans(self, k: int, n: int) -> KMeans | MiniBatchKMeans:
        if n > 20000:
            return MiniBatchKMeans(k, random_state=self.random_state, n_init=3, batch_size=4096)
        return KMeans(k, random_state=self.random_state, n_init=4)

    def candidate_ks(self, n: int) -> list[int]:
        if self.k_range:
            lo, hi = self.k_range
        else:
            root = math.sqrt(n / 2)  # the usual rule of thumb, searched from half to double
            lo, hi = max(2, int(root / 2)), max(3, int(root * 2))
        hi = min(hi, n - 1)
        lo = min(lo, hi)
        return sorted({round(v) for v in np.geomspace(lo, hi, num=min(8, hi - lo + 1))})

    def _choose_k(self, z: np.ndarray) -> int:
        rng = np.random.default_rng(self.random_state)
        idx = np.arange(len(z))
        if len(z) > self.silhouette_sample:
            idx = np.sort(rng.choice(len(z), self.silhouette_sample, replace=False))
        sample = z[idx]
        best, best_score = 2, -2.0
        self.silhouettes_: dict[int, float] = {}
        for k in self.candidate_ks(len(z)):
            if k < 2 or k >= len(sample):
                continue
            labels = self._kmeans(k, len(sample)).fit_predict(sample)
            if len(set(labels)) < 2:
                continue
            score = float(silhouette_score(sample, labels, metric="cosine"))
            self.silhouettes_[k] = round(score, 4)
            if score > best_score:
                best, best_score = k, score
        return best

    def fit(self, docs: list[list[str]]) -> ThemeModel:
        n = len(docs)
        if n < 3:
            self.labels_ = np.zeros(n, dtype=int)
            self.k_ = 1 if n else 0
            self.embedding_ = np.zeros((n, 1))
            self.centroids_ = np.ones((self.k_, 1))
            return self
        self.x_ = self._vectorise(docs)
        z = self._reduce(self.x_)
        self.embedding_ = z
        self.k_ = min(self.k, n - 1) if self.k else self._choose_k(z)
        model = self._kmeans(self.k_, n).fit(z)
        self.labels_ = _relabel_by_size(model.labels_)
        self.centroids_ = l2_normalize(
            np.vstack([z[self.labels_ == t].mean(axis=0) for t in range(self.k_)])
        )
        return self


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Theme 0 is the largest: ids are then stable for the same input and seed."""
    order = [
        lab for lab, _ in sorted(Counter(labels.tolist()).items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    remap = {old: new for new, old in enumerate(order)}
    return np.array([remap[v] for v in labels.tolist()], dtype=int)


# --------------------------------------------------------------------------- representation
def class_tfidf(docs: list[list[str]], labels: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
    """BERTopic's c-TF-IDF: term frequency per class x log(1 + mean class size / term freq)."""
    per_class: list[Counter[str]] = [Counter() for _ in range(k)]
    for toks, lab in zip(docs, labels.tolist(), strict=True):
        per_class[lab].update(toks)
    total: Counter[str] = Counter()
    for c in per_class:
        total.update(c)
    avg = sum(sum(c.values()) for c in per_class) / max(k, 1)
    out = []
    for c in per_class:
        n = sum(c.values()) or 1
        scored = [(t, (f / n) * math.log(1 + avg / total[t])) for t, f in c.items()]
        scored.sort(key=lambda kv: (-kv[1], kv[0]))
        out.append(scored)
    return out


def ubiquitous_terms(scored: list[list[tuple[str, float]]], share: float = 0.4) -> set[str]:
    """Terms found in more than ``share`` of the classes (负责, 情况, responsible): they name
    nothing that tells one theme from another, so labels skip them."""
    if len(scored) < 5:
        return set()
    spread = Counter(t for terms in scored for t, _ in terms)
    return {t for t, n in spread.items() if n > share * len(scored)}


def label_terms(
    scored: list[tuple[str, float]],
    n: int = 3,
    surface: dict[str, str] | None = None,
    skip: set[str] | frozenset[str] = frozenset(),
    zh_counts: Counter[str] | None = None,
) -> tuple[str, str, list[str]]:
    """(English label, Chinese label, display terms) from c-TF-IDF terms.

    English terms are stems; ``surface`` maps each to its commonest word form for display;
    ``skip`` terms (see `ubiquitous_terms`) are left out when others remain. With ``zh_counts``
    (the theme's Chinese words) the Chinese label leads with the commonest Chinese wording of the
    English label's glossary concepts, so the two labels say the same thing.
    """
    surface = surface or {}
    kept = [(t, w) for t, w in scored if t not in skip]
    scored = kept if len(kept) >= n else scored
    curated = _curated_concepts()
    en = [t[1:] for t, _ in scored if t.startswith(CONCEPT) and t[1:] in curated]
    en += [t[1:] for t, _ in scored if t.startswith(CONCEPT)]
    en += [t for t, _ in scored if not t.startswith(CONCEPT) and t.isascii() and t.isalpha()]
    en = [t for t in dict.fromkeys(en) if len(t) > 2 and _readable(t)]
    zh = [t for t, _ in scored if _HAN.search(t) and len(t) >= 2]
    if zh_counts:
        zh = _aligned_chinese(en[:n], zh_counts) + zh
    zh = list(dict.fromkeys(zh))
    en = list(dict.fromkeys(surface.get(t, t) for t in en))
    words = (surface.get(t.lstrip(CONCEPT), t.lstrip(CONCEPT)) for t, _ in scored)
    display = list(dict.fromkeys(w for w in words if _readable(w)))[:10]
    # No placeholder text: an empty label is honest, and exports omit it (SKOS has no literal).
    return " / ".join(en[:n]), "、".join(zh[:n]), display


def _readable(term: str) -> bool:
    """A top term people can read: not a raw CEDICT gloss list ("center, heart, core")."""
    return bool(term) and "," not in term and ";" not in term


def medoid(z: np.ndarray, members: np.ndarray, centroid: np.ndarray) -> int:
    """Index (into z) of the member closest to the centroid: the theme's canonical duty."""
    sims = z[members] @ centroid
    return int(members[int(np.argmax(sims))])


def areas_for(centroids: np.ndarray, n_areas: int | None, random_state: int = 0) -> np.ndarray:
    """Agglomerative (average, cosine) clustering of theme centroids into top-level areas."""
    k = len(centroids)
    if k <= 2:
        return np.zeros(k, dtype=int)
    n = n_areas or max(2, min(8, round(math.sqrt(k))))
    n = min(n, k)
    model = AgglomerativeClustering(n_clusters=n, metric="cosine", linkage="average")
    return _relabel_by_size(model.fit_predict(centroids))


# --------------------------------------------------------------------------- the stage
@dataclass
class ThemeResult:
    themes: list[Theme]
    areas: list[Area]
    assignment: dict[str, str]  # clause_id -> theme_id
    params: dict[str, object] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _curated_concepts() -> frozenset[str]:
    """Concept names from the curated glossary: preferred in English labels over CEDICT glosses."""
    return frozenset(_curated_chinese())


@lru_cache(maxsize=1)
def _curated_chinese() -> dict[str, tuple[str, ...]]:
    """Glossary concept -> its Chinese terms."""
    from jdsearch.concepts import default_mapper

    out: dict[str, list[str]] = defaultdict(list)
    for zh, concept in default_mapper().zh_concept.items():
        out[concept].append(zh)
    return {c: tuple(ws) for c, ws in out.items()}


def _aligned_chinese(concepts: list[str], zh_counts: Counter[str]) -> list[str]:
    """The commonest Chinese term in the theme for each concept that has one."""
    curated = _curated_chinese()
    out = []
    for c in concepts:
        found = [w for w in curated.get(c, ()) if zh_counts[w]]
        if found:
            out.append(max(found, key=lambda w: (zh_counts[w], w)))
    return out


def surface_forms(clauses: Sequence[Clause]) -> dict[str, str]:
    """stem -> the commonest English word with that stem in the corpus (for readable labels)."""
    from jdsearch.analysis import default_analyzer

    an = default_analyzer()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for c in clauses:
        if c.lang == "en":
            for w in re.findall(r"[a-z]{3,}", c.text.lower()):
                counts[an.stem(w)][w] += 1
    return {stem: words.most_common(1)[0][0] for stem, words in counts.items()}


def build_themes(
    clauses: Sequence[Clause],
    groups: dict[str, list[str]],
    tokenize: Tokenize,
    *,
    k: int | None = None,
    n_areas: int | None = None,
    random_state: int = 0,
    describe: Tokenize | None = None,
) -> ThemeResult:
    """Theme every duty and requirement clause.

    ``groups`` maps a canonical clause id to its group's member ids; ``tokenize`` returns the
    feature tokens clustered on; ``describe`` optional extra tokens used only to label themes.
    """
    by_id = {c.clause_id: c for c in clauses}
    # a group member follows its canonical only within one kind: a requirement that duplicates
    # a duty's wording still belongs with the requirements
    groups = {
        canon: [m for m in ms if m in by_id and by_id[m].kind == by_id[canon].kind]
        for canon, ms in groups.items()
        if canon in by_id
    }
    member_of = {m: canon for canon, ms in groups.items() for m in ms}
    themes: list[Theme] = []
    areas: list[Area] = []
    assignment: dict[str, str] = {}
    params: dict[str, object] = {"random_state": random_state}
    surface = surface_forms(clauses)
    for kind, prefix in ((DUTY, "D"), (REQUIREMENT, "R")):
        units = [
            c
            for c in clauses
            if c.kind == kind and member_of.get(c.clause_id, c.clause_id) == c.clause_id
        ]
        if not units:
            continue
        docs = tokenize(units)
        model = ThemeModel(k, random_state=random_state).fit(docs)
        if describe is not None:  # represent with the clustering tokens plus readable words
            docs = [d + extra for d, extra in zip(docs, describe(units), strict=True)]
        params[f"{kind}_k"] = model.k_
        params[f"{kind}_silhouettes"] = getattr(model, "silhouettes_", {})
        kind_themes = _represent(model, units, docs, groups, by_id, prefix, kind, surface)
        area_labels = areas_for(model.centroids_, n_areas, random_state)
        kind_areas = _make_areas(
            kind_themes, area_labels, docs, model.labels_, prefix, kind, surface
        )
        themes.extend(kind_themes)
        areas.extend(kind_areas)
        for t in kind_themes:
            for cid in t.members:
                assignment[cid] = t.theme_id
    return ThemeResult(themes, areas, assignment, params)


def _represent(
    model: ThemeModel,
    units: list[Clause],
    docs: list[list[str]],
    groups: dict[str, list[str]],
    by_id: dict[str, Clause],
    prefix: str,
    kind: str,
    surface: dict[str, str],
) -> list[Theme]:
    scored = class_tfidf(docs, model.labels_, model.k_)
    skip = ubiquitous_terms(scored)
    themes = []
    for t in range(model.k_):
        idx = np.nonzero(model.labels_ == t)[0]
        if not len(idx):
            continue
        canon = units[medoid(model.embedding_, idx, model.centroids_[t])]
        members = [m for i in idx for m in groups.get(units[i].clause_id, [units[i].clause_id])]
        clauses = [by_id[m] for m in members]
        zh_counts = Counter(w for i in idx for w in docs[i] if _HAN.search(w))
        en, zh, terms = label_terms(scored[t], surface=surface, skip=skip, zh_counts=zh_counts)
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
                langs=dict(sorted(Counter(c.lang for c in clauses).items())),
                documents=len({c.doc_id for c in clauses}),
            )
        )
    return themes


def _make_areas(
    themes: list[Theme],
    area_labels: np.ndarray,
    docs: list[list[str]],
    labels: np.ndarray,
    prefix: str,
    kind: str,
    surface: dict[str, str],
) -> list[Area]:
    theme_area = {i: int(a) for i, a in enumerate(area_labels.tolist())}
    n_areas = max(theme_area.values(), default=-1) + 1
    doc_area = np.array([theme_area.get(int(lab), 0) for lab in labels.tolist()], dtype=int)
    scored = class_tfidf(docs, doc_area, n_areas) if n_areas else []
    areas = []
    for a in range(n_areas):
        en, zh, _ = label_terms(scored[a], n=2, surface=surface)
        area = Area(f"{prefix}A{a + 1}", kind, en, zh)
        for t in themes:
            if theme_area.get(int(t.theme_id[1:]) - 1, 0) == a:
                t.area_id = area.area_id
                area.theme_ids.append(t.theme_id)
        areas.append(area)
    for t in themes:
        if not t.area_id and areas:
            t.area_id = areas[0].area_id
            areas[0].theme_ids.append(t.theme_id)
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
