"""Splitting and typing on the sample corpus, plus a lossless property over generated lists."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jdsearch.normalize import normalize
from jdsearch.segment import DUTY, OTHER, REQUIREMENT, Segmentation, Segmenter
from tests.conftest import corpus_file

SEG = Segmenter()

BOILERPLATE_MARKS = [
    "当前位置",
    "欢迎访问",
    "人氣",
    "上一篇",
    "下一篇",
    "本文标题",
    "链接地址",
    "zhann.net",
    "精选7篇",
    "才智咖",
    "777doc",
    "collected for you",
    "2024-05-23",
]
NUMBERING_START = re.compile(
    r"^(\d{1,3}\s*[、.．。,，)）]|[（(]\s*\d{1,3}\s*[)）]|[①-⑳]|[一二三四五六七八九十]{1,3}[、．]"
    r"|[（(][一二三四五六七八九十]{1,3}[)）]|[•·●]|Responsibility \d)"
)


def segment_file(prefix: str) -> tuple[str, Segmentation]:
    text = corpus_file(prefix).read_text("utf-8")
    return text, SEG.segment(text)


def texts(seg: Segmentation, section_part: str = "") -> list[str]:
    return [c.text for c in seg.clauses if section_part in c.section]


def assert_lossless(text: str, seg: Segmentation) -> None:
    """Every non-space character lies in exactly one piece; clause text is its spans' text."""
    owner = [0] * len(text)
    for p in seg.pieces:
        for i in range(p.start, p.end):
            owner[i] += 1
    for i, ch in enumerate(text):
        if not ch.isspace():
            assert owner[i] == 1, (
                f"char {i} {ch!r} covered {owner[i]} times: {text[max(0, i - 20) : i + 20]!r}"
            )
    for c in seg.clauses:
        joined = "".join(text[s:e] for s, e in c.spans)
        assert re.sub(r"\s", "", joined) == re.sub(r"\s", "", c.text)


# --------------------------------------------------------------------------- sample corpus
def test_every_sample_document_is_lossless():
    for prefix in ("000", "001", "002", "003", "004"):
        text, seg = segment_file(prefix)
        assert_lossless(text, seg)


def test_shared_twelve_clauses_of_001_and_003():
    _, s1 = segment_file("001")
    _, s3 = segment_file("003")
    five = [c for c in s1.clauses if c.section.endswith("篇五")]
    # the items under 篇2's 岗位职责 heading (counting every duty-typed clause of 篇2 also counted
    # essay sentences, which the learned kinds can read as duties: see the xfail test below)
    two = [c for c in s3.clauses if c.section.startswith("篇2") and c.heading == "岗位职责"]
    assert len(five) == 12
    assert len(two) == 15  # 篇2 has three more items after the shared twelve
    assert all(c.kind == DUTY for c in two)
    assert [normalize(c.text) for c in five] == [normalize(c.text) for c in two[:12]]
    assert five[0].text == "根据营销部下达总体业绩目标，管理所辖区域的月销量和月回款金额。"
    assert all(c.kind == DUTY for c in five)


def test_run_on_text_of_002_yields_items_one_by_one():
    text, seg = segment_file("002")
    duties = [c.text for c in seg.clauses if c.heading == "岗位职责工作内容"]
    assert len(duties) == 24
    assert (
        duties[0]
        == "参与企业战略、市场营销策略的制定,执行企业营销策略并对所辖区域市场开拓进行策划。"
    )
    assert duties[14] == "对辖区内营销人员组织招聘、培训、遴选、监督、评价、并考核落实激励措施。"
    # item 16 follows the glued page number 2 ("…措施。216、对辖区…")
    assert duties[15] == "对辖区内的分支机构及业务人员进行产品知识和价格体系的培训、监督、管理。"
    page = [p for p in seg.pieces if p.kind == "page"]
    assert any(text[p.start : p.end] == "2" and text[p.end : p.end + 3] == "16、" for p in page)
    # item 21 is glued to item 20 without punctuation ("…制度21、负责…")
    assert duties[19].endswith("信誉等级制度")
    assert duties[20].startswith("负责收集辖区内市场状况")
    # sub-lists restart at 1 after glued headings; the page number before a heading is split off
    assert "渠道管理" in seg.headings and "绩效考核" in seg.headings
    assert "任职要求" in seg.headings
    skills = [c for c in seg.clauses if c.heading == "职业技能"]
    assert skills[0].text == "具备金融产品和专业的金融营销知识;"
    assert all(c.kind == REQUIREMENT for c in skills)


def test_004_lists_come_out_item_by_item():
    _, seg = segment_file("004")
    city = [c for c in seg.clauses if c.section == "一、城市經理 崗位職責"]
    channel = [c for c in seg.clauses if c.section == "一、渠道經理 崗位職責"]
    for clauses in (city, channel):
        duties = [c for c in clauses if c.heading.endswith("的具體職責如下")]
        reqs = [c for c in clauses if c.heading.endswith("崗位素質標準及要求")]
        assert len(duties) == 12 and all(c.kind == DUTY for c in duties)
        assert len(reqs) == 11
        assert sum(c.kind == REQUIREMENT for c in reqs) >= 8  # all 11: the xfail test below
        assert duties[0].text == "嚴格執行各項政策、制度,確保區域市場年度銷售任務的完成。"
        assert all(c.lang == "zh-Hant" for c in clauses)
        # the role summary states what the manager answers for: a duty (was `other` as prose)
        summary = [c for c in clauses if "是區域市場的負責人" in c.text]
        assert summary and summary[0].kind == DUTY
        fields = [c for c in clauses if c.text.startswith(("崗位名稱", "編 制", "直接彙報上級"))]
        assert len(fields) == 3 and all(c.kind == OTHER for c in fields)


@pytest.mark.xfail(
    strict=True,
    reason="learned kinds: 004's post conditions (城市年銷售額必須達到…, 辦事處業務人員數量…) read "
    "as other/duty, and 003's essay sentences about the role as duties; the cue rules typed "
    "every clause under a requirement heading a requirement and long prose other",
)
def test_post_conditions_and_template_essays():
    _, s4 = segment_file("004")
    reqs = [c for c in s4.clauses if c.heading.endswith("崗位素質標準及要求")]
    assert reqs and all(c.kind == REQUIREMENT for c in reqs)
    _, s3 = segment_file("003")
    essays = [
        c
        for c in s3.clauses
        if c.section.startswith("篇2")
        and c.heading in ("营销策划", "渠道拓展", "团队领导", "公共关系")
    ]
    assert essays and not any(c.kind == DUTY for c in essays)


def test_sections_are_detected_with_titles():
    _, s0 = segment_file("000")
    _, s1 = segment_file("001")
    _, s3 = segment_file("003")
    _, s4 = segment_file("004")
    assert len(s1.sections) == 11 and s1.sections[-1].endswith("篇十一")
    assert [t.split(":")[0] for t in s3.sections] == [f"篇{i}" for i in range(1, 8)]
    assert len(s0.sections) == 10
    assert "Responsibilities of Regional Manager 6" in s0.sections
    assert "一、城市經理 崗位職責" in s4.sections and "二、辦事處主管 崗位職責" in s4.sections
    assert "篇二:辦事處銷售主管崗位職責" in s4.sections


def test_no_clause_contains_boilerplate_or_starts_with_numbering():
    for prefix in ("000", "001", "002", "003", "004"):
        _, seg = segment_file(prefix)
        for c in seg.clauses:
            for mark in BOILERPLATE_MARKS:
                assert mark not in c.text, (prefix, mark, c.text)
            assert not NUMBERING_START.match(c.text), (prefix, c.text)
            if prefix == "001":
                assert not c.text.startswith("某"), c.text


def test_corrupted_bullet_is_a_bullet_only_where_it_is_one():
    _, s1 = segment_file("001")
    _, s3 = segment_file("003")
    assert "将全年的目标根据全年各月销售重点拆分各月目标" in texts(s1)
    # in 003 某 is a real word ("某地级市") and stays
    assert any(t.startswith("某地级市有四个县") for t in texts(s3))


def test_hard_wrapped_line_is_joined():
    _, s1 = segment_file("001")
    assert (
        "区域经理拓展市场应考虑新开店铺对整个公司的对外影响力及开发后期的有效管理，"
        "必须保证可以平衡整个所属区域的销售达成率。"
    ) in texts(s1)


def test_english_items_and_broken_numbers():
    _, s0 = segment_file("000")
    t = texts(s0)
    assert (
        "responsible for the collection or processing of information on orders, delivery, "
        "exchange and return in this area." in t
    )
    assert "Manage and maintain the company's important customer relationships." in t
    first = next(c for c in s0.clauses if c.section == "Responsibilities of the regional manager")
    assert first.text.startswith("Formulation and implementation of regional sales plan")
    assert first.kind == DUTY


def test_known_kinds():
    _, s0 = segment_file("000")
    _, s2 = segment_file("002")
    _, s4 = segment_file("004")
    kinds = {c.text: c.kind for s in (s0, s2, s4) for c in s.clauses}
    assert kinds["Education requirements: College degree or above."] == REQUIREMENT
    assert kinds["Age: 25~40 years old"] == REQUIREMENT
    assert (
        kinds["Experience requirements: at least three years working experience in marketing."]
        == REQUIREMENT
    )
    assert kinds["具有市場行銷、經營管理專業背景,大學以上學歷。"] == REQUIREMENT
    assert kinds["快速消費品行業知名品牌區域市場銷售管理工作經驗3年以上。"] == REQUIREMENT
    assert kinds["Job Title: Regional Sales Manager"] == OTHER
    assert kinds["Keep close contact with major customers."] == DUTY
    assert (
        kinds[
            "負責組織區域內市場資訊收集、分析、整理、彙總等工作,為上級部門提供決策依據,同時向業務經理"
            "提出區域組織系統管理、發展的建議。"
        ]
        == DUTY
    )
    assert kinds["负责处理辖区内产品投诉、业务渠道投诉的协调工作。"] == DUTY


# --------------------------------------------------------------------------- generated lists
STYLES = {
    "dot": lambda n: f"{n}.",
    "dun": lambda n: f"{n}、",
    "cjk_stop": lambda n: f"{n}。",
    "comma": lambda n: f"{n},",
    "fw_comma": lambda n: f"{n}，",
    "paren": lambda n: f"({n})",
    "fw_paren": lambda n: f"（{n}）",
    "circled": lambda n: chr(0x2460 + n - 1),
    "cn": lambda n: "一二三四五六七八九十"[n - 1] + "、",
    "cn_paren": lambda n: "（" + "一二三四五六七八九十"[n - 1] + "）",
    "roman": lambda n: ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"][n - 1] + ". ",
    "bullet": lambda n: "• ",
    "middot": lambda n: "· ",
    "dash": lambda n: "- ",
}
CJK_WORDS = [
    "负责",
    "区域",
    "市场",
    "客戶",
    "檔案",
    "销售",
    "計劃",
    "培训",
    "经销商",
    "回款",
    "完成",
    "目标",
    "管理",
    "制定",
    "監督",
    "费用",
]
ITEM = st.lists(st.sampled_from(CJK_WORDS), min_size=3, max_size=12).map("".join)
PUNCT = st.sampled_from(["。", "；", ";", "."])


@st.composite
def numbered_document(draw: st.DrawFn) -> tuple[str, list[str]]:
    style = draw(st.sampled_from(sorted(STYLES)))
    items = draw(st.lists(st.tuples(ITEM, PUNCT).map("".join), min_size=1, max_size=10))
    heading = draw(st.sampled_from(["岗位职责", "崗位職責：", "Responsibilities:", "工作内容"]))
    noise = draw(st.sampled_from(["", "当前位置:首页 > 文档\n", "才智咖 人氣:1.74W\n\n"]))
    sep = draw(st.sampled_from(["\n", "\n\n", "\r\n".replace("\r", "")]))
    lines = [STYLES[style](i + 1) + text for i, text in enumerate(items)]
    return noise + heading + "\n" + sep.join(lines) + "\n", items


@settings(max_examples=150, deadline=None)
@given(numbered_document())
def test_generated_lists_split_losslessly_into_their_items(doc):
    text, items = doc
    seg = SEG.segment(text)
    assert_lossless(text, seg)
    assert [c.text for c in seg.clauses] == items


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(ITEM, PUNCT).map("".join), min_size=2, max_size=12),
    st.integers(min_value=1, max_value=9),
)
def test_run_on_inline_numbering(items, page):
    """Items glued on one line ("…。2、…"), with a page number glued before one item."""
    glued = []
    for i, t in enumerate(items, 1):
        prefix = f"{page}" if i == len(items) and i > 2 else ""
        glued.append(f"{prefix}{i}、{t}")
    text = "工作内容" + "".join(glued)
    seg = SEG.segment(text)
    assert_lossless(text, seg)
    assert [c.text for c in seg.clauses] == items


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300))
def test_any_text_is_covered_exactly_once(text):
    seg = SEG.segment(text)
    assert_lossless(text, seg)
