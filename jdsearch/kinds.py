"""Clause kinds (duty / requirement / other) from a learned linear model, and fragments.

The model is a multinomial logistic regression over sparse features of a clause's *matching
form* (``jdsearch.normalize``: traditional text is folded to simplified, so one Chinese model
serves both scripts): character 1-3-grams of Chinese text, English words, word bigrams and the
first words. It was trained by ``bench/train_kinds.py`` on text *without* its heading, so it
judges the wording; the heading the segmenter found above a clause enters only at prediction,
as a per-kind bonus (``prior``, one per language group) fitted on held-out hand labels.

Two rules stay outside the model because they are structure, not wording:

* labelled fields (``學歷要求：大學``, ``工作地點：台北``, ``Age: 25~40``): the key decides;
* fragments (a lone word, a dangling half sentence) are flagged, whatever their kind.

The model file holds plain arrays only (``np.load(allow_pickle=False)``): the feature strings,
the weight matrix, the bias and the context bonus. No scikit-learn at prediction time: a batch
is one gather and one ``np.add.reduceat``, which keeps ingest well above 10,000 clauses/s.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import zlib
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import numpy as np

DUTY, REQUIREMENT, OTHER = "duty", "requirement", "other"
KINDS = (DUTY, REQUIREMENT, OTHER)
# The heading context of a clause: the category of the heading right above it ("duty"), or
# "~duty" when the category is inherited from a heading further up (工作地址 under 任职要求
# says nothing itself) or is a section's default. The two are trusted differently.
CONTEXTS = ("", DUTY, REQUIREMENT, OTHER, "~" + DUTY, "~" + REQUIREMENT, "~" + OTHER)
# The heading bonus is fitted per language group: English postings' headings (a job board's
# Responsibilities / Qualifications columns) say what is under them far more reliably than
# Chinese employers' headings, under which duties and requirements often mix.
LANG_GROUPS = ("zh", "en")
MODEL_FILE = "kinds_model.npz"
FEATURES_VERSION = "h2"  # bump when :func:`features` changes: old model files no longer fit


# --------------------------------------------------------------------------- features
HASH_BITS = 20  # feature buckets: 2**20; the model file keeps only the buckets that matter
_MASK = np.uint64((1 << HASH_BITS) - 1)
_SPACE = re.compile(r"\s+")
_EN_TOKEN = re.compile(r"[a-z][a-z0-9+#]*(?:['.\-][a-z0-9+#]+)*|\d+(?:\.\d+)?")
_HAN = re.compile(r"[\u3400-\u9fff]")
_HEAD, _TAIL = 160, 40  # long prose: its start and its end carry the kind
_START, _END = "\x02", "\x03"  # the edges of a clause, as characters of its n-grams


def _clip(text: str) -> str:
    if len(text) <= _HEAD + _TAIL:
        return text
    return text[:_HEAD] + " … " + text[-_TAIL:]


def _length_bucket(han: int, words: int) -> str:
    size = han + 2 * words
    for limit, name in ((6, "xs"), (12, "s"), (30, "m"), (60, "l"), (120, "xl")):
        if size <= limit:
            return name
    return "xxl"


def _ending(text: str) -> str:
    last = text[-1:]
    if last in "。.!?":
        return "stop"
    if last == ";":
        return "semi"
    if last in ",、":
        return "comma"
    if last == ":":
        return "colon"
    return "word" if last.isalnum() else "sym"


def _mix(h: np.ndarray) -> np.ndarray:
    """A 64-bit finaliser (splitmix64): spreads n-gram codes evenly over the buckets."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


@lru_cache(maxsize=1 << 16)
def _bucket(feature: str) -> int:
    """Bucket of a word-level feature string (CRC-32 is stable across runs, unlike hash())."""
    code = np.array([zlib.crc32(feature.encode("utf-8")) | (1 << 63)], dtype=np.uint64)
    return int(_mix(code)[0] & _MASK)


def word_features(text: str, lang: str) -> list[str]:
    """The word-level features of one prepared clause (see :func:`hashed_features`)."""
    words = _EN_TOKEN.findall(text)
    han = len(_HAN.findall(text))
    stops = min(sum(map(text.count, "。!?;")) + text.count(". "), 3)
    feats = [
        f"lang:{lang}",
        f"len:{_length_bucket(han, len(words))}",
        f"end:{_ending(text)}",
        f"sentences:{stops}",
    ]
    if words:
        feats += ["w:" + w for w in words]
        if lang == "en" or not han:
            feats.append("f:" + words[0])
            feats += ["b:" + a + " " + b for a, b in itertools.pairwise(words)]
            if len(words) > 1:
                feats.append("f2:" + words[0] + " " + words[1])
    return feats


def prepare(norm: str) -> str:
    """One space for any run of white space; long prose clipped to its start and end."""
    return _clip(_SPACE.sub(" ", norm.strip()))


def hashed_features(norm_texts: Sequence[str], langs: Sequence[str]) -> tuple[np.ndarray, ...]:
    """Distinct (row, bucket) pairs of a batch of clauses, sorted by row, and per-row counts.

    Features: character 1-3-grams of the matching form with the clause's edges as characters
    (^负责, 经验$, ^man), computed for the whole batch at once with numpy (a clause's code
    points packed into one 63-bit number per n-gram, then hashed); plus, per clause, its words
    (w:sql), for English the first word, the first two words and word bigrams (f:manage,
    b:experience with), and its language, length bucket and ending. Binary: a feature counts
    once per clause.
    """
    n = len(norm_texts)
    prepared = [prepare(t) for t in norm_texts]
    joined = "".join(_START + t + _END for t in prepared)
    c = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter((len(t) + 2 for t in prepared), dtype=np.int64, count=n)
    row_of = np.repeat(np.arange(n, dtype=np.uint64), lengths)
    end = c == ord(_END)
    edge = end | (c == ord(_START))
    keys = [_mix(c[~edge]), row_of[~edge]]  # unigrams (not the edge marks alone)
    ok2 = ~end[:-1]  # a bigram may not run from one clause's end into the next's start
    keys += [_mix(c[:-1][ok2] | (c[1:][ok2] << np.uint64(21))), row_of[:-1][ok2]]
    ok3 = ~end[:-2] & ~end[1:-1]
    tri = c[:-2][ok3] | (c[1:-1][ok3] << np.uint64(21)) | (c[2:][ok3] << np.uint64(42))
    keys += [_mix(tri), row_of[:-2][ok3]]
    word_rows: list[int] = []
    word_cols: list[int] = []
    for r, (text, lang) in enumerate(zip(prepared, langs, strict=True)):
        feats = word_features(text, lang)
        word_rows += [r] * len(feats)
        word_cols += [_bucket(f) for f in feats]
    cols = np.concatenate([keys[0] & _MASK, keys[2] & _MASK, keys[4] & _MASK])
    rows = np.concatenate([keys[1], keys[3], keys[5]])
    cols = np.concatenate([cols, np.array(word_cols, dtype=np.uint64)])
    rows = np.concatenate([rows, np.array(word_rows, dtype=np.uint64)])
    pairs = np.sort((rows << np.uint64(HASH_BITS)) | cols)  # np.unique's hashing is far slower
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
    rows = (pairs >> np.uint64(HASH_BITS)).astype(np.int64)
    cols = (pairs & _MASK).astype(np.int64)
    return rows, cols, np.bincount(rows, minlength=n)


# --------------------------------------------------------------------------- labelled fields
_FIELD = re.compile(r"^\s*([^:：,，。;；!！?？]{1,24}?)\s*[:：]\s*(\S.*)?$", re.S)
_HAN_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_FIELD_REQUIREMENT = re.compile(
    r"(学历|专业|科系|经验|经历|年龄|性别|身高|外貌|形象|素质|技能|证书|证照|执照|资格|计算机|外语|"
    r"英语|语言|语文|工具|能力|条件|要求|身份|education|degree|major|experience|\bage\b|gender|"
    r"height|skill|language|certificat|qualification|requirement|tools?\b|\bothers\b)",
    re.I,
)
_FIELD_OTHER = re.compile(
    r"(地址|地点|薪|工资|待遇|福利|时间|时段|人数|联系|电话|手机|邮箱|邮件|名称|部门|上级|下级|编制|定员|任用|职级|"
    r"性质|类别|日期|休假|出差|外派|网址|微信|\bqq\b|salary|location|address|title|department|"
    r"reports? to|contact|phone|\btel\b|e-?mail|website|hours|type|date)",
    re.I,
)


def field_kind(norm: str) -> str | None:
    """The kind of a ``key: value`` line from its key, None when it is no labelled field.

    104-style condition fields (工作經歷, 學歷要求, 科系要求, 擅長工具, 語文條件, 工作技能,
    其他條件, and their simplified forms) are requirements; job metadata (工作地點, 上班時段,
    需求人數, 聯絡人, Job Title) is other. The key must be short (at most 8 Chinese
    characters or 4 words), so a sentence with a colon in it is left to the model.
    """
    m = _FIELD.match(norm)
    if m is None:
        return None
    key = _HAN_GAP.sub("", m.group(1).strip())  # 編 制: spaced out to fill a form's column
    if len(_HAN.findall(key)) > 8 or len(_EN_TOKEN.findall(key)) > 4:
        return None
    if _FIELD_REQUIREMENT.search(key):
        return REQUIREMENT
    if _FIELD_OTHER.search(key):
        return OTHER
    return None


# --------------------------------------------------------------------------- fragments
_CONTENT = re.compile(r"[\u3400-\u9fff]|[a-z]+|\d+")
_EN_DANGLING = re.compile(
    r"(?:[,:/(\-–]|\b(?:and|or|of|the|to|for|with|in|on|at|by|from|into|across|including|"
    r"such as|as|a|an))\s*$"
)
_ZH_DANGLING = re.compile(r"(?:[,、:/(\-–]|[和及与或的])\s*$")
_BARE_LABEL = re.compile(
    r"^\W*[\u3400-\u9fff]{0,4}(?:职责|地址|地点|方式|要求|福利|待遇|时间|内容|资格|条件|描述|电话|简介|"
    r"介绍|说明|方向|构成|信息)\W*$"
)
_ZH_DANGLING_MAX = 13  # longer clauses ending in a comma are whole, only carelessly punctuated
_DUTY_NOUNS_MAX = 8


@lru_cache(maxsize=1)
def _posseg():  # type: ignore[no-untyped-def]
    import jieba.posseg

    return jieba.posseg


def _has_predicate(norm: str) -> bool:
    """A verb or adjective among jieba's part-of-speech tags (销售出库 yes, 项目工作制 no)."""
    return any(w.flag[:1] in ("v", "a") for w in _posseg().cut(norm))


def is_fragment(norm: str, kind: str | None = None) -> bool:
    """A clause that cannot stand alone, from its matching form (and kind, if known).

    * English (no Chinese characters): at most two words without a closing full stop
      ('Java', 'Client focus'; 'MBA degree.' stands), or ending on a comma, colon or joining
      word ('… and', '… of the').
    * Chinese: fewer than 4 units (a character, a Latin word or a number each: 天津, 管理); a
      bare label (工作地址, 联系方式, 薪资构成：); a short clause (at most 13 units) ending on a
      comma, colon or joining character (如何具备绝对成交，), where longer ones ending so are
      only carelessly punctuated; a short duty (at most 8 units) without any verb or adjective,
      since a duty is an action (项目工作制。, 小车司机、行政后勤; 销售出库 stands).
    """
    text = norm.strip()
    units = len(_CONTENT.findall(text))
    if not _HAN.search(text):
        words = len(_EN_TOKEN.findall(text))
        if words <= 2 and not text.endswith((".", "!", "?")):
            return True
        return bool(_EN_DANGLING.search(text))
    if units < 4 or _BARE_LABEL.match(text):
        return True
    if units <= _ZH_DANGLING_MAX and _ZH_DANGLING.search(text):
        return True
    return kind == DUTY and units <= _DUTY_NOUNS_MAX and not _has_predicate(text)


# --------------------------------------------------------------------------- the model
def lang_group(lang: str) -> int:
    """Row of the heading bonus for a clause language (see LANG_GROUPS)."""
    return 1 if lang == "en" else 0


class KindModel:
    """The fitted classifier: one weight row per feature bucket, bias, heading-context bonus."""

    def __init__(
        self,
        weights: np.ndarray,
        bias: np.ndarray,
        prior: np.ndarray,
        meta: dict[str, object],
    ) -> None:
        self.weights = np.asarray(weights, dtype=np.float32)  # (2**HASH_BITS, n_kinds)
        self.bias = np.asarray(bias, dtype=np.float32)
        prior = np.asarray(prior, dtype=np.float32)  # (len(LANG_GROUPS), len(CONTEXTS), n_kinds)
        if prior.ndim == 2:  # one bonus for every language
            prior = np.repeat(prior[None], len(LANG_GROUPS), axis=0)
        self.prior = prior
        self.meta = meta
        if self.weights.shape != (1 << HASH_BITS, len(KINDS)):
            raise ValueError(f"model weights {self.weights.shape} do not fit the features")
        if self.prior.shape != (len(LANG_GROUPS), len(CONTEXTS), len(KINDS)):
            raise ValueError(f"model context bonus {self.prior.shape} does not fit {CONTEXTS}")
        if tuple(meta.get("kinds", KINDS)) != KINDS:  # type: ignore[arg-type]
            raise ValueError(f"model kinds {meta.get('kinds')} != {KINDS}")

    @classmethod
    def load(cls) -> KindModel:
        """The packaged model, read once per process."""
        return _packaged_model()

    @classmethod
    def from_file(cls, path: object, keep_prior: bool = True) -> KindModel:
        """Read a model file: the used buckets and their weights, spread into the full table.

        ``keep_prior=False`` drops the context bonus (for re-fitting it)."""
        with np.load(path, allow_pickle=False) as z:  # type: ignore[call-overload]
            meta = json.loads(str(z["meta"]))
            if meta.get("features") != FEATURES_VERSION:
                raise ValueError(
                    f"model features {meta.get('features')} != code {FEATURES_VERSION}: retrain"
                )
            weights = np.zeros((1 << HASH_BITS, len(KINDS)), dtype=np.float32)
            weights[z["buckets"]] = z["weights"]
            prior = z["prior"] if keep_prior else np.zeros((len(CONTEXTS), len(KINDS)))
            return cls(weights, z["bias"], prior, meta)

    def save(self, path: object) -> None:
        """Plain arrays only (int32 bucket ids, float16 weights, JSON text): no pickle.

        Buckets whose weights are all zero (never seen, or pruned) are left out.
        """
        used = np.flatnonzero(np.abs(self.weights).max(axis=1) > 0).astype(np.int32)
        np.savez_compressed(  # type: ignore[call-overload]
            path,
            buckets=used,
            weights=self.weights[used].astype(np.float16),
            bias=self.bias.astype(np.float32),
            prior=self.prior.astype(np.float32),
            meta=np.array(json.dumps(self.meta, ensure_ascii=False, sort_keys=True)),
        )

    def text_scores(self, norm_texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
        """Logits (n, n_kinds) from the wording alone: binary features, L2-normalised rows."""
        n = len(norm_texts)
        if n == 0:
            return np.zeros((0, len(KINDS)), dtype=np.float32)
        _, cols, counts = hashed_features(norm_texts, langs)
        gathered = self.weights[cols]
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))  # every row has >= 3 features
        sums = np.add.reduceat(gathered, starts, axis=0)
        return self.bias + sums / np.sqrt(counts)[:, None].astype(np.float32)

    def scores(
        self,
        norm_texts: Sequence[str],
        langs: Sequence[str],
        contexts: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Logits with the heading context's bonus added (``contexts``: '' where none)."""
        out = self.text_scores(norm_texts, langs)
        if contexts is not None:
            rows = [CONTEXTS.index(c) if c in CONTEXTS else 0 for c in contexts]
            groups = [lang_group(lang) for lang in langs]
            out = out + self.prior[np.asarray(groups), np.asarray(rows, dtype=np.int64)]
        return out

    def predict(
        self,
        norm_texts: Sequence[str],
        langs: Sequence[str],
        contexts: Sequence[str] | None = None,
    ) -> list[str]:
        """duty / requirement / other per clause: labelled fields by key, the rest by model."""
        if not norm_texts:
            return []
        best = self.scores(norm_texts, langs, contexts).argmax(axis=1)
        kinds = [KINDS[i] for i in best]
        for i, text in enumerate(norm_texts):
            by_key = field_kind(text)
            if by_key is not None:
                kinds[i] = by_key
        return kinds


@lru_cache(maxsize=1)
def _packaged_model() -> KindModel:
    path = resources.files("jdsearch.data").joinpath(MODEL_FILE)
    with resources.as_file(path) as p:
        return KindModel.from_file(p)


@lru_cache(maxsize=1)
def model_version() -> str:
    """Changes whenever the packaged model file (or the feature code) changes: the index
    records it, and ingest re-types stored clauses when it differs."""
    data = resources.files("jdsearch.data").joinpath(MODEL_FILE).read_bytes()
    return f"{FEATURES_VERSION}-{hashlib.sha1(data).hexdigest()[:12]}"


def __getattr__(name: str) -> str:
    """``MODEL_VERSION``, read from the model file on first use (not at import)."""
    if name == "MODEL_VERSION":
        return model_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def type_clauses(
    norm_texts: Sequence[str], langs: Sequence[str], contexts: Sequence[str]
) -> list[tuple[str, bool]]:
    """(kind, fragment) per clause: the segmenter's typing step, and what ingest re-runs on
    stored clauses (matching form, language, heading context) when MODEL_VERSION changes."""
    found = KindModel.load().predict(norm_texts, langs, contexts)
    return [(k, is_fragment(n, k)) for n, k in zip(norm_texts, found, strict=True)]
