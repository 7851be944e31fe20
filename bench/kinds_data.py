"""Data for the clause-kind classifier: real postings, split by posting, segmented as ingest does.

Shared by ``bench/train_kinds.py``, ``bench/eval_kinds.py`` and ``tests/test_kinds.py``.

Sources (``../shared/data``, or ``$JDSEARCH_DATA``; never copied into the repository):

* zhaopin: 20,000 simplified-Chinese postings. Each is segmented by ``jdsearch.segment.Segmenter``
  (so training sees what ingest sees); a clause's weak label comes from the employer's own
  heading above it (岗位职责 -> duty, 任职要求 -> requirement, 福利待遇 / 工作地址 -> other).
* zhaopin-tw: the same postings rewritten by OpenCC ``s2twp`` (Taiwan phrases: 專案, 撰寫, 資料),
  segmented again: traditional training and evaluation text.
* google: 606 English postings; the Responsibilities / Qualifications columns are the labels.
  Each posting is laid out as a page shows it (headings, bulleted lines) and segmented.
* onet: O*NET task statements (all duties), one clause each.
* corpus: the sample corpus; files 000-003 train, 004 (traditional) is evaluation only.

Splits are by posting (never by clause): a SHA-1 of the posting's key puts it in train (80%),
dev (10%) or test (10%). Dev and test postings of zhaopin are divided once more by their key:
half are evaluated as written (zh-Hans), the other half only as their s2twp rewrite (zh-Hant).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DUTY, REQUIREMENT, OTHER = "duty", "requirement", "other"
SPLITS = ("train", "dev", "test")
ITEMS_VERSION = "2"  # bump when this module changes which items or labels it makes


def data_dir() -> Path | None:
    """$JDSEARCH_DATA, else ../shared/data beside the repository, else /work/shared/data."""
    candidates = [
        os.environ.get("JDSEARCH_DATA"),
        str(ROOT.parent / "shared" / "data"),
        "/work/shared/data",
    ]
    for c in candidates:
        if c and (Path(c) / "zhaopin").is_dir():
            return Path(c)
    return None


def _digest(key: str) -> int:
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:12], 16)


def split_of(doc_key: str) -> str:
    """train / dev / test for a posting key (80 / 10 / 10)."""
    bucket = _digest(doc_key) % 20
    return "train" if bucket < 16 else "dev" if bucket < 18 else "test"


def hant_half(doc_key: str) -> bool:
    """Held-out zhaopin postings evaluated as s2twp rewrites rather than as written."""
    return (_digest("tw:" + doc_key) & 1) == 1


def hand_key(doc: str, text: str) -> str:
    """Key of a hand label: hash of the posting key and the clause's punctuation-free form."""
    from jdsearch.normalize import match_key

    return hashlib.sha1(f"{doc}\x1f{match_key(text)}".encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- weak labels
_H_OTHER = re.compile(
    r"(福利|待遇|薪|工资|收入|报酬|奖金|提成|地址|地点|位置|路线|乘车|交通|联系|电话|邮箱|热线|简介|介绍|"
    r"关于我们|企业文化|公司优势|我们的优势|晋升|发展空间|发展前景|职业发展|职业规划|发展方向|培训体系|"
    r"上班时间|工作时间|作息|面试|应聘方式|投递|报名|招聘流程|我们提供|为你提供|为您提供|给你提供|"
    r"你将获得|您将获得|能得到|将得到|可以得到|你能得到|你可以得到|您将得到|我们给你|我们能给|"
    r"工作环境|备注|提示|须知|benefit|we offer|offer you|offers|salary|compensation|about us|"
    r"company profile|contact|location|address|working hours|how to apply|"
    # the other sections of a JD form (岗位说明书): authority, relations, KPIs, conditions
    r"权限|工作关系|考核指标|关键绩效|评价指标|工作条件|工作强度|authority|relationship|"
    r"evaluation|kpi|working condition|work intensity)",
    re.I,
)
_H_REQ = re.compile(
    r"(要求|资格|条件|任职|素质|能力|技能|学历|经验|需要这样的你|希望你|需要你|需要您|对你的|具备|"
    r"requirement|qualification|skill|profile|competenc|education|experience|knowledge|"
    r"looking for|you have|who you are|you are)",
    re.I,
)
_H_DUTY = re.compile(
    r"(职责|责任|工作内容|岗位内容|主要任务|岗位任务|职能|你将|你的工作|需要做|主要工作|工作任务|"
    r"duties|duty|responsibilit|tasks?\b|accountabilit|you will|essential functions|your role)",
    re.I,
)
_H_DESCRIPTION = re.compile(
    r"(职位描述|岗位描述|职务描述|工作描述|职责描述|job description|summary)", re.I
)


def heading_label(heading: str) -> str | None:
    """duty / requirement / other for an employer's heading; None when it is not clear-cut.

    Only for weak labels in training and evaluation: a heading naming two kinds
    (岗位职责及要求) or none gives no label.
    """
    from jdsearch.normalize import normalize

    h = normalize(heading)
    if not h or len(h) > 30:
        return None
    if _H_OTHER.search(h):
        return None if _H_DUTY.search(h) and not _H_REQ.search(h) else OTHER
    req, duty = bool(_H_REQ.search(h)), bool(_H_DUTY.search(h))
    if req and duty:
        return None
    if req:
        return REQUIREMENT
    if duty or _H_DESCRIPTION.search(h):
        return DUTY
    return None


# --------------------------------------------------------------------------- items
@dataclass
class Item:
    """One clause as the segmenter emits it, with its source and weak label."""

    source: str  # zhaopin | zhaopin-tw | google | onet | corpus
    doc: str  # posting key
    split: str
    lang: str
    text: str
    norm: str
    heading: str
    context: str  # jdsearch.segment.model_context: "requirement", "~requirement", ""
    style: str
    label: str | None

    @property
    def key(self) -> str:
        return hand_key(self.doc, self.text)


def _items_of(source: str, doc: str, split: str, seg: object, labels: list[str | None]) -> list:
    """Items of one segmented posting; ``context`` as the model takes it (duty / ~duty …)."""
    from jdsearch.segment import model_context

    return [
        Item(source, doc, split, c.lang, c.text, c.norm, c.heading, model_context(c), c.style, lab)
        for c, lab in zip(seg.clauses, labels, strict=True)  # type: ignore[attr-defined]
    ]


def _posting_labels(clauses: list) -> list[str | None]:  # clauses or items: .heading
    """Weak labels of one posting's clauses from their headings.

    A 职位描述 / Job Description heading names duties only when the posting has a separate
    requirement heading further on; otherwise such sections mix both and give no label.
    """
    labels = [heading_label(c.heading) for c in clauses]
    for i, c in enumerate(clauses):
        if labels[i] == DUTY and _H_DESCRIPTION.search(c.heading) and not _H_DUTY.search(c.heading):
            later = any(lab == REQUIREMENT for lab in labels[i + 1 :])
            labels[i] = DUTY if later else None
    return labels


def zhaopin_postings(data: Path) -> Iterator[tuple[str, dict]]:
    with gzip.open(data / "zhaopin" / "zhaopin_2018_dev_20k.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            key = (
                "zhaopin:"
                + hashlib.sha1(
                    (d.get("title", "") + "\x1f" + d.get("description", "")).encode()
                ).hexdigest()[:16]
            )
            yield key, d


@lru_cache(maxsize=1)
def _s2twp():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("s2twp")


def zhaopin_items(
    data: Path, tw_train_share: float = 0.35, only: str | None = None, limit: int | None = None
) -> Iterator[Item]:
    """Clauses of all zhaopin postings, simplified and (where chosen) their s2twp rewrite.

    Train postings: all as written, ``tw_train_share`` of them also rewritten. Dev / test
    postings: as written or rewritten (:func:`hant_half`), never both. ``only``: postings of
    that split; ``limit``: at most that many postings.
    """
    from jdsearch.segment import Segmenter

    seg = Segmenter()
    taken = 0
    for key, d in zhaopin_postings(data):
        split = split_of(key)
        if only and split != only:
            continue
        if limit is not None and taken >= limit:
            return
        taken += 1
        title, desc = d.get("title", ""), d.get("description", "")
        if split == "train":
            as_written = True
            rewrite = (_digest("tw:" + key) % 1000) < tw_train_share * 1000
        else:
            rewrite = hant_half(key)
            as_written = not rewrite
        if as_written:
            s = seg.segment(desc, title=title)
            yield from _items_of("zhaopin", key, split, s, _posting_labels(s.clauses))
        if rewrite:
            conv = _s2twp()
            s = seg.segment(conv.convert(desc), title=conv.convert(title))
            yield from _items_of("zhaopin-tw", key, split, s, _posting_labels(s.clauses))


_GOOGLE_SECTIONS = (
    ("Responsibilities", "Responsibilities"),
    ("Minimum Qualifications", "Minimum qualifications"),
    ("Preferred Qualifications", "Preferred qualifications"),
)


def google_text(row: dict[str, str]) -> str:
    """A Google posting laid out as its page shows it: headings, then bulleted lines."""
    parts = []
    for column, heading in _GOOGLE_SECTIONS:
        lines = [ln.strip() for ln in (row.get(column) or "").splitlines() if ln.strip()]
        if lines:
            parts.append(heading + ":\n" + "\n".join("• " + ln for ln in lines))
    return "\n\n".join(parts)


def google_items(data: Path, only: str | None = None) -> Iterator[Item]:
    """Google postings laid out and segmented; ``only``: postings of that split."""
    from jdsearch.segment import Segmenter

    seg = Segmenter()
    path = data / "google" / "job_skills_2018_dev.csv"
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            text = google_text(row)
            if not text:
                continue
            key = (
                "google:"
                + hashlib.sha1((row.get("Title", "") + "\x1f" + text).encode()).hexdigest()[:16]
            )
            if only and split_of(key) != only:
                continue
            s = seg.segment(text, title=row.get("Title", ""))
            labels = [heading_label(c.heading) for c in s.clauses]
            yield from _items_of("google", key, split_of(key), s, labels)


def onet_items(data: Path) -> Iterator[Item]:
    """O*NET tasks (duties), split by occupation so no occupation is on both sides."""
    from jdsearch.normalize import normalize

    path = data / "onet" / "tasks_single_dwa_dev.tsv"
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            doc = "onet:" + row["onet_soc_code"]
            text = row["task"].strip()
            yield Item("onet", doc, split_of(doc), "en", text, normalize(text), "", "", "", DUTY)


def corpus_items() -> Iterator[Item]:
    """The sample corpus: 000-003 for training, 004 held out.

    Labels from the heading just above a clause only: a section title (篇2:区域技术经理岗位职责)
    also spans the essays and requirement lists of a template-site bundle.
    """
    from jdsearch.segment import Segmenter

    seg = Segmenter()
    for path in sorted((ROOT / "corpus").glob("0*.txt")):
        split = "test" if path.name.startswith("004") else "train"
        s = seg.segment(path.read_text("utf-8"))
        labels = [heading_label(c.heading) for c in s.clauses]
        yield from _items_of("corpus", "corpus:" + path.name[:3], split, s, labels)


def seed_items() -> Iterator[Item]:
    """Hand-written English `other` lines (benefits, pay, contacts...): Google has none."""
    from jdsearch.normalize import normalize

    path = ROOT / "bench" / "kinds_seed_en.tsv"
    for n, line in enumerate(path.read_text("utf-8").splitlines()):
        if not line.strip() or line.startswith("#"):
            continue
        label, text = line.split("\t", 1)
        doc = f"seed:{n // 10}"
        yield Item("seed", doc, split_of(doc), "en", text, normalize(text), "", "", "", label)


# --------------------------------------------------------------------------- cache
def _code_version() -> str:
    """What the items depend on, as a hash of the segmenter's output on a fixed probe.

    The probe is the sample corpus and the first 100 zhaopin postings (as written and
    rewritten), reduced to what an item keeps (text, matching form, heading, context, style,
    language; not the kind). Any change of segmentation or normalisation shows there; a change
    of the typing alone does not rebuild the cache.
    """
    from itertools import islice

    from jdsearch.segment import Segmenter

    seg = Segmenter()
    h = hashlib.sha1(ITEMS_VERSION.encode())
    h.update((ROOT / "bench" / "kinds_seed_en.tsv").read_bytes())
    texts = [p.read_text("utf-8") for p in sorted((ROOT / "corpus").glob("0*.txt"))]
    data = data_dir()
    if data is not None:
        for _, d in islice(zhaopin_postings(data), 100):
            texts += [d["description"], _s2twp().convert(d["description"])]
    for text in texts:
        for c in seg.segment(text).clauses:
            h.update("\x1f".join((c.text, c.norm, c.heading, c.context, c.style, c.lang)).encode())
    return h.hexdigest()[:12]


def _relabel(items: list[Item]) -> None:
    """Weak labels of cached items from their headings, posting by posting."""
    from itertools import groupby

    for (source, _), group in groupby(items, key=lambda it: (it.source, it.doc)):
        its = list(group)
        if source == "google":
            labels = [heading_label(it.heading) for it in its]
        else:
            labels = _posting_labels(its)  # type: ignore[arg-type]
        for it, label in zip(its, labels, strict=True):
            it.label = label


def all_items(data: Path, refresh: bool = False) -> list[Item]:
    """Every item of every source. The slow part (segmenting 27,000 postings) is cached in
    bench/out/ (git-ignored) per segmenter version; O*NET, the sample corpus and the seed
    lines are read fresh each time."""
    OUT.mkdir(parents=True, exist_ok=True)
    cache = OUT / f"kinds-items-{_code_version()}.jsonl.gz"
    slow = ("zhaopin", "zhaopin-tw", "google")
    if cache.exists() and not refresh:
        with gzip.open(cache, "rt", encoding="utf-8") as f:
            postings = [Item(**json.loads(line)) for line in f]
        postings = [it for it in postings if it.source in slow]
        _relabel(postings)  # labels follow this module's heading rules, not the cached ones
    else:
        postings = [*zhaopin_items(data), *google_items(data)]
        tmp = cache.with_suffix(".tmp")
        with gzip.open(tmp, "wt", encoding="utf-8") as f:
            for it in postings:
                f.write(json.dumps(asdict(it), ensure_ascii=False) + "\n")
        tmp.replace(cache)
    return [*postings, *onet_items(data), *corpus_items(), *seed_items()]
