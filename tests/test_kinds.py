"""The learned clause-kind model (jdsearch.kinds): file, speed, the issue's examples, 104-style
fields, fragments, and accuracy on held-out real postings when ../shared/data is present."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from jdsearch import kinds
from jdsearch.kinds import MODEL_FILE, KindModel, field_kind, is_fragment
from jdsearch.normalize import detect_lang, normalize
from jdsearch.segment import DUTY, OTHER, REQUIREMENT, Segmenter

ROOT = Path(__file__).resolve().parents[1]


def predict(texts: list[str], contexts: list[str] | None = None) -> list[str]:
    model = KindModel.load()
    return model.predict([normalize(t) for t in texts], [detect_lang(t) for t in texts], contexts)


def data_dir() -> Path | None:
    for c in (
        os.environ.get("JDSEARCH_DATA"),
        str(ROOT.parent / "shared" / "data"),
        "/work/shared/data",
    ):
        if c and (Path(c) / "zhaopin").is_dir() and (Path(c) / "google").is_dir():
            return Path(c)
    return None


# --------------------------------------------------------------------------- the model file
def test_model_file_is_small_plain_arrays_and_loads_fast():
    path = resources.files("jdsearch.data").joinpath(MODEL_FILE)
    with resources.as_file(path) as p:
        assert p.stat().st_size < 4_000_000
        with np.load(p, allow_pickle=False) as z:  # raises on any pickled object array
            assert {z[k].dtype.kind for k in z.files} <= {"i", "f", "U"}
        best = float("inf")
        for _ in range(3):  # CPU time: a busy shared machine must not fail the test
            t0 = time.process_time()
            KindModel.from_file(p)
            best = min(best, time.process_time() - t0)
    assert best < 0.2, f"model load took {best:.3f} s of CPU"


def test_model_version_is_the_file_hash():
    data = resources.files("jdsearch.data").joinpath(MODEL_FILE).read_bytes()
    expected = f"{kinds.FEATURES_VERSION}-{hashlib.sha1(data).hexdigest()[:12]}"
    assert expected == kinds.MODEL_VERSION
    with pytest.raises(AttributeError):
        _ = kinds.NO_SUCH_NAME  # type: ignore[attr-defined]


def test_save_and_load_round_trip(tmp_path: Path):
    model = KindModel.load()
    copy = tmp_path / "m.npz"
    model.save(copy)
    again = KindModel.from_file(copy)
    texts = ["负责公司产品的销售及推广；", "Experience with SQL.", "五险一金，双休"]
    langs = [detect_lang(t) for t in texts]
    norms = [normalize(t) for t in texts]
    np.testing.assert_allclose(
        model.scores(norms, langs, ["", "", ""]),
        again.scores(norms, langs, ["", "", ""]),
        atol=1e-4,
    )


def test_classify_step_is_fast():
    """>= 10,000 clauses/s for the whole typing step (model + field rule + fragment flag).

    CPU time of this process, so other jobs on a shared machine do not count against it.
    """
    texts = [
        "负责公司产品的销售及推广，完成部门下达的销售指标；",
        "大专及以上学历，3年以上相关工作经验，熟练使用办公软件。",
        "五险一金，带薪年假，节日福利，周末双休",
        "Develop and maintain relationships with key partners across the region.",
        "BA/BS degree in Computer Science or equivalent practical experience.",
        "工作地址：上海市浦东新区世纪大道100号",
        "熟悉Java、Python，有大型分布式系统开发经验者优先",
        "協助主管處理專案進度追蹤與資料整理，撰寫會議紀錄",
    ] * 1500
    norms = [normalize(t) for t in texts]
    langs = [detect_lang(t) for t in texts]
    ctx = ["", "requirement", "other", "duty", "requirement", "", "", "duty"] * 1500
    model = KindModel.load()
    warm = model.predict(norms[:100], langs[:100], ctx[:100])  # jieba, regexes, caches
    [is_fragment(n, k) for n, k in zip(norms[:100], warm, strict=True)]
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        found = model.predict(norms, langs, ctx)
        [is_fragment(n, k) for n, k in zip(norms, found, strict=True)]
        best = min(best, time.process_time() - t0)
    assert len(texts) / best >= 10_000, f"{len(texts) / best:.0f} clauses/s"


# --------------------------------------------------------------------------- examples
def test_issue_examples_come_out_right_without_a_heading():
    assert predict(
        [
            "Experience with code written in Java, C++, Python",
            "撰寫專案各階段相關文件、製作成果簡報",
            "熟練掌握SQL，能獨立撰寫複雜查詢",
            "熟练掌握SQL，能够编写复杂的查询语句",
        ]
    ) == [REQUIREMENT, DUTY, REQUIREMENT, REQUIREMENT]


def test_issue_examples_through_the_segmenter():
    """A heading-less list, as a Taiwan or English posting often is: the wording decides."""
    doc = "\n".join(
        [
            "1. 撰寫專案各階段相關文件、製作成果簡報",
            "2. 熟練掌握SQL，能獨立撰寫複雜查詢",
            "3. 享有三節獎金與員工旅遊",
        ]
    )
    seg = Segmenter().segment(doc)
    assert [c.kind for c in seg.clauses] == [DUTY, REQUIREMENT, OTHER]
    en = Segmenter().segment(
        "- Experience with code written in Java, C++, Python\n"
        "- Design and build data pipelines for the ads team.\n"
        "- We offer competitive pay and a yearly bonus.\n"
    )
    assert [c.kind for c in en.clauses] == [REQUIREMENT, DUTY, OTHER]


def test_104_labelled_fields_are_requirements_and_job_metadata_is_other():
    fields = [
        "工作經歷：3年以上",
        "學歷要求：大學",
        "科系要求：資訊工程相關",
        "擅長工具：Python、SQL、Tableau",
        "語文條件：英文 -- 聽 /中等、說 /中等、讀 /精通、寫 /中等",
        "工作技能：資料分析、報表製作",
        "其他條件：具備良好溝通能力",
        "工作经历：3年以上",
        "学历要求：本科",
        "擅长工具：Excel",
        "语文条件：英语四级",
    ]
    assert [field_kind(normalize(f)) for f in fields] == [REQUIREMENT] * len(fields)
    assert predict(fields) == [REQUIREMENT] * len(fields)
    meta = [
        "工作地點：台北市信義區",
        "上班時段：日班 09:00~18:00",
        "需求人數：1~2人",
        "Job Title: Analyst",
    ]
    assert predict(meta) == [OTHER] * len(meta)
    assert field_kind(normalize("负责：公司产品的推广")) is None  # a sentence, not a field
    doc = "工作內容：\n負責資料清洗與報表製作\n條件要求\n工作經歷：2年以上\n學歷要求：大學\n擅長工具：Python"
    kinds_of = {c.text: c.kind for c in Segmenter().segment(doc).clauses}
    assert kinds_of["工作經歷：2年以上"] == REQUIREMENT
    assert kinds_of["擅長工具：Python"] == REQUIREMENT


def test_the_heading_moves_an_ambiguous_clause_but_not_a_clear_one():
    model = KindModel.load()
    ambiguous, clear = normalize("沟通协调"), normalize("大专及以上学历，三年以上销售经验")
    lang = "zh-Hans"
    assert model.predict([ambiguous], [lang], [DUTY]) == [DUTY]
    assert model.predict([ambiguous], [lang], [REQUIREMENT]) == [REQUIREMENT]
    assert model.predict([clear], [lang], [DUTY]) == [REQUIREMENT]


# --------------------------------------------------------------------------- fragments
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("项目工作制。", DUTY),
        ("Java", REQUIREMENT),
        ("Client focus", REQUIREMENT),
        ("工作地址", OTHER),
        ("薪资构成：", OTHER),
        ("天津", OTHER),
        ("如何具备绝对成交，", OTHER),
        ("负责公司网络平台的建设、维护、", DUTY),
        ("Experience managing teams across", REQUIREMENT),
    ],
)
def test_fragments_are_flagged(text: str, kind: str):
    assert is_fragment(normalize(text), kind)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("负责公司产品的销售及推广；", DUTY),
        ("销售出库", DUTY),
        ("本科学历", REQUIREMENT),
        ("五险一金", OTHER),
        ("MBA degree.", REQUIREMENT),
        ("中专及以上学历，计算机操作熟练，", REQUIREMENT),
        ("Manage cross-functional activities in the supply chain.", DUTY),
    ],
)
def test_whole_clauses_are_not_fragments(text: str, kind: str):
    assert not is_fragment(normalize(text), kind)


def test_segmenter_sets_the_fragment_flag_and_keeps_the_kind():
    seg = Segmenter().segment("岗位职责：\n1、负责客户开发与维护；\n2、项目工作制。\n")
    flags = {c.text: (c.fragment, c.kind) for c in seg.clauses}
    assert flags["负责客户开发与维护；"] == (False, DUTY)
    frag, kind = flags["项目工作制。"]
    assert frag and kind in (DUTY, REQUIREMENT, OTHER)


# --------------------------------------------------------------------------- real postings
@pytest.fixture(scope="module")
def held_out() -> list:
    """Test-split clauses (the split is by posting) under clear-cut employer headings."""
    data = data_dir()
    if data is None:
        pytest.skip("needs ../shared/data (zhaopin, google): set JDSEARCH_DATA")
    sys.path.insert(0, str(ROOT / "bench"))
    import kinds_data

    items = [
        *kinds_data.zhaopin_items(data, only="test", limit=500),
        *kinds_data.google_items(data, only="test"),
    ]
    return [it for it in items if it.label]


# Floors sit below the figures in bench/results/kinds.json (measured on all held-out postings)
FLOORS_TEXT_ONLY = {"en": 0.93, "zh-Hans": 0.88, "zh-Hant": 0.88}
FLOOR_WITH_HEADING = 0.90  # the issue's goal, in each language
HEADING_GAIN = 0.005  # the heading context must add accuracy, not merely cost none


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
def test_held_out_accuracy_per_language(held_out: list, lang: str):
    group = [it for it in held_out if it.lang == lang]
    assert len(group) > 300, len(group)
    model = KindModel.load()
    norms, langs = [it.norm for it in group], [it.lang for it in group]
    truth = [it.label for it in group]
    text_only = np.mean([p == t for p, t in zip(model.predict(norms, langs), truth, strict=True)])
    with_heading = np.mean(
        [
            p == t
            for p, t in zip(
                model.predict(norms, langs, [it.context for it in group]), truth, strict=True
            )
        ]
    )
    assert text_only >= FLOORS_TEXT_ONLY[lang], (lang, text_only)
    print(f"{lang}: text only {text_only:.4f}, with heading {with_heading:.4f}")
    assert with_heading >= FLOOR_WITH_HEADING, (lang, with_heading)
    assert with_heading >= text_only + HEADING_GAIN, (lang, with_heading, text_only)
