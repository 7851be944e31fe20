"""Splitting and typing on the sample corpus, plus a lossless property over generated lists."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jdsearch.ingest import Parser
from jdsearch.normalize import normalize
from jdsearch.readers import RawDocument
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
# items that open with a number, as requirements and pay do: the digits must stay in the item
QUANTITIES = [
    "3年以上",
    "18-30岁",
    "1年以上",
    "2年及以上",
    "35周岁以下",
    "3000-5000元/月",
    "5天8小时",
    "5A级",
    "4G",
    "8:30-17:30",
    "1.5倍",
    "2.5万",
]
QUANTITY_ITEM = st.tuples(st.sampled_from(QUANTITIES), ITEM).map("".join)


@st.composite
def numbered_document(draw: st.DrawFn) -> tuple[str, list[str]]:
    style = draw(st.sampled_from(sorted(STYLES)))
    body = st.one_of(ITEM, QUANTITY_ITEM)
    items = draw(st.lists(st.tuples(body, PUNCT).map("".join), min_size=1, max_size=10))
    if len(items) == 1 and items[0][:1].isdigit():
        # a lone "1.3年以上…" has no numbering sequence: it is read as text, "1.3年以上"
        items.append(draw(st.tuples(ITEM, PUNCT).map("".join)))
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


@settings(max_examples=100, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("#*_->[]()=~ \n1234.、年岁万-负责销售ABab:：【】①一二（）")),
        max_size=200,
    )
)
def test_markup_numbers_and_titles_are_covered_exactly_once(text):
    """Markdown syntax, ambiguous numbers and a detected title keep the tiling exact."""
    assert_lossless(text, SEG.segment(text, detect_title=True))


# --------------------------------------------------------------------------- numbers kept
def pieces(text: str, seg: Segmentation, kind: str) -> list[str]:
    return [
        text[p.start : p.end] for p in sorted(seg.pieces, key=lambda p: p.start) if p.kind == kind
    ]


NUMBERED = [
    # (document, clauses, markers): real numbering styles around numbers in the text
    (
        "任职要求：\n1.本科\n2.2年以上快消品销售经验\n3.能出差",
        ["本科", "2年以上快消品销售经验", "能出差"],
        ["1.", "2.", "3."],
    ),
    (
        "任职要求：\n1.3年以上相关行业工作经验\n2.本科以上学历",
        ["3年以上相关行业工作经验", "本科以上学历"],
        ["1.", "2."],
    ),
    (
        "任职要求：\n3、本科\n4、1年以上销售经验\n5、能吃苦",
        ["本科", "1年以上销售经验", "能吃苦"],
        ["3、", "4、", "5、"],
    ),
    (
        "任职资格：\n1、18-30岁，大专以上；\n2、3-5年工作经验；",
        ["18-30岁，大专以上；", "3-5年工作经验；"],
        ["1、", "2、"],
    ),
    ("薪资待遇：\n1.月结工资\n2.8:30—17:30上班", ["月结工资", "8:30—17:30上班"], ["1.", "2."]),
    (
        "我们提供：\n1、5A级写字楼；\n2、4G网络补贴；",
        ["5A级写字楼；", "4G网络补贴；"],
        ["1、", "2、"],
    ),
    # sub-items: 2.1/2.2 are markers, a decimal after them is not
    (
        "岗位职责\n1.负责销售\n2.1负责客户开发；\n2.2负责回款；",
        ["负责销售", "负责客户开发；", "负责回款；"],
        ["1.", "2.1", "2.2"],
    ),
    ("1.1 必须遵守制度；\n1.2 负责研发；", ["必须遵守制度；", "负责研发；"], ["1.1 ", "1.2 "]),
    ("①负责销售；\n②负责回款；", ["负责销售；", "负责回款；"], ["①", "②"]),
    ("（1）负责销售；\n（2）3年以上经验；", ["负责销售；", "3年以上经验；"], ["（1）", "（2）"]),
    ("1）负责销售；\n2）5年以上经验；", ["负责销售；", "5年以上经验；"], ["1）", "2）"]),
    (
        "一、岗位职责\n1.负责销售；\n二、任职要求\n1.本科；",
        ["负责销售；", "本科；"],
        ["一、", "1.", "二、", "1."],
    ),
    # no sequence: the number is the employer's, not a marker
    ("2.2年以上快消品销售经验", ["2.2年以上快消品销售经验"], []),
    ("2.3年以上销售经验，本科", ["2.3年以上销售经验，本科"], []),
    ("薪资：\n1.5-2.5万/月\n2.五险一金", ["1.5-2.5万/月", "五险一金"], ["2."]),
    ("一、二线城市销售经验优先。", ["一、二线城市销售经验优先。"], []),
    # a decimal that would continue a list far above it stays a decimal
    (
        "要求：\n1.本科\n2.能出差\n3.会开车\n有经验优先\n薪资福利：\n4.5K-5K(每月)",
        ["本科", "能出差", "会开车", "有经验优先", "4.5K-5K(每月)"],
        ["1.", "2.", "3."],
    ),
    # run-on numbering; "css3、" and "1、2年" are words, not items
    (
        "工作内容：负责销售工作。2、参与市场活动。3、完成目标。",
        ["负责销售工作。", "参与市场活动。", "完成目标。"],
        ["2、", "3、"],
    ),
    (
        "要求：\n1、本科；\n2、熟悉html5、css3、javascript；\n3、具备1、2年经验。",
        ["本科；", "熟悉html5、css3、javascript；", "具备1、2年经验。"],
        ["1、", "2、", "3、"],
    ),
]


def test_real_numbering_styles_keep_every_digit():
    for doc, clauses, markers in NUMBERED:
        seg = SEG.segment(doc)
        assert_lossless(doc, seg)
        assert [c.text for c in seg.clauses] == clauses, doc
        assert pieces(doc, seg, "marker") == markers, doc


# --------------------------------------------------------------------------- headings
def test_list_heading_glued_to_its_first_item_is_split():
    doc = "岗位职责：1）负责网站运营；\n2）负责平台推广；\n任职要求：工作认真、踏实稳重，执行力强"
    seg = SEG.segment(doc)
    assert_lossless(doc, seg)
    assert pieces(doc, seg, "heading") == ["岗位职责：", "任职要求："]
    assert [c.text for c in seg.clauses] == [
        "负责网站运营；",
        "负责平台推广；",
        "工作认真、踏实稳重，执行力强",
    ]
    assert [c.kind for c in seg.clauses] == [DUTY, DUTY, REQUIREMENT]
    doc = "【招聘条件】 1、21到35岁，品行端正。 2、对信贷感兴趣\n【岗位要求：】\n1.本科\n2.有经验\n4、国企平台：培训免费。\n5、工作职责：\n1、负责销售"
    seg = SEG.segment(doc)
    assert_lossless(doc, seg)
    assert pieces(doc, seg, "heading") == ["【招聘条件】", "【岗位要求：】", "工作职责："]
    assert [c.text for c in seg.clauses] == [
        "21到35岁，品行端正。",
        "对信贷感兴趣",
        "本科",
        "有经验",
        "国企平台：培训免费。",
        "负责销售",
    ]
    # a short benefit value stays a "key: value" clause
    assert [c.text for c in SEG.segment("薪资待遇：4000-6000元\n工作地点：北京").clauses] == [
        "薪资待遇：4000-6000元",
        "工作地点：北京",
    ]


def test_content_lines_are_not_headings():
    doc = "岗位职责：\n1、负责销售\n工作地址：\n南京市玄武区新街口\n查看职位地图"
    seg = SEG.segment(doc)
    assert_lossless(doc, seg)
    assert seg.clauses[-1].text == "南京市玄武区新街口"  # the last line introduces nothing
    assert pieces(doc, seg, "boilerplate") == ["查看职位地图"]
    doc = "任职要求\n同岗位工作经验3年以上\n1、本科"
    assert "同岗位工作经验3年以上" in [c.text for c in SEG.segment(doc).clauses]
    doc = "【岗位职责】负责销售\n一、任职要求：\n1.本科"  # the heading's content, then a list
    assert [c.text for c in SEG.segment(doc).clauses] == ["负责销售", "本科"]
    doc = "上班地点：\n平江区人民路3188号万达广场A座1803室\n吴中区珠江南路211号金枫城市设计产业园1503室"
    assert pieces(doc, SEG.segment(doc), "heading") == ["上班地点："]  # addresses head nothing


def test_headings_glued_inside_run_on_text():
    text, seg = segment_file("002")
    assert_lossless(text, seg)
    assert "岗位概述" in seg.headings and "态度" in seg.headings
    by_text = [c.text for c in seg.clauses]
    assert "不能胜任本职岗位工作,按企业要求调换到其他基层岗位工作" in by_text
    assert any(t.startswith("根据全国大区市场发展和企业的发展战略规划") for t in by_text)
    assert "计算机熟练使用自动化办公软件,具备基本的网络知识,能熟练使用OFFICE等办公软件" in by_text
    doc = "产品门槛高，竞争小 岗位职责：1、调研品牌；2、构建客户；任职要求：1、大专；2、能吃苦。 工作地址：洪山区"
    seg = SEG.segment(doc)
    assert_lossless(doc, seg)
    assert pieces(doc, seg, "heading") == ["岗位职责：", "任职要求：", "工作地址："]
    assert [c.text for c in seg.clauses] == [
        "产品门槛高，竞争小",
        "调研品牌；",
        "构建客户；",
        "大专；",
        "能吃苦。",
        "洪山区",
    ]


# --------------------------------------------------------------------------- titles
def test_title_line_of_a_posting_file():
    for doc, title in (
        (
            "数据分析师（上海·徐汇）\n岗位职责：\n1、负责数据分析；\n2、搭建数据看板。",
            "数据分析师（上海·徐汇）",
        ),
        (
            "Senior Data Engineer - Shanghai\nResponsibilities:\n- Build data pipelines.",
            "Senior Data Engineer - Shanghai",
        ),
        ("# 前端开发工程师\n## 岗位职责\n- 负责页面开发", "前端开发工程师"),
    ):
        seg = SEG.segment(doc, detect_title=True)
        assert_lossless(doc, seg)
        assert seg.title == title
        assert pieces(doc, seg, "title") == [title]
        assert title not in seg.headings and all(c.section == title for c in seg.clauses)
        assert SEG.segment(doc).title == ""  # only asked for whole files


def test_first_lines_that_are_not_titles():
    for doc in (
        "岗位职责：\n1、负责销售",
        "1、负责销售\n2、负责回款",
        "我公司主要经营办公用品，负责国内首家办公采购平台运营\n岗位职责：",
        "公司简介\n某某公司成立于2009年。",
        "联系电话：13812345678\n岗位职责：",
        "Responsibilities of the regional manager\n1. Manage sales.",
    ):
        assert SEG.segment(doc, detect_title=True).title == "", doc


def test_bundle_file_title_is_not_a_section_title():
    text, _ = segment_file("003")
    seg = SEG.segment(text, detect_title=True)
    assert_lossless(text, seg)
    assert seg.title == "区域技术经理岗位职责"  # the file's own first line
    assert seg.sections[0].startswith("篇1")
    text = corpus_file("001").read_text("utf-8")  # opens straight with a section: no title
    assert SEG.segment(text, detect_title=True).title == ""


def test_parser_puts_a_detected_title_into_the_document_metadata():
    parser = Parser()
    doc, clauses = parser.parse_document(
        RawDocument("数据分析师（上海·徐汇）\n岗位职责：\n1、负责数据分析；", "utf-8"), "a.txt", "k"
    )
    assert doc.metadata["title"] == "数据分析师（上海·徐汇）"
    assert [c.text for c in clauses] == ["负责数据分析；"]
    row = RawDocument(
        "销售顾问\n岗位职责：\n1、负责销售；", "utf-8", row=0, metadata={"city": "南京"}
    )
    assert "title" not in parser.parse_document(row, "a.csv", "k")[0].metadata
    given = RawDocument("数据分析师\n岗位职责：\n1、负责；", "utf-8", metadata={"title": "Page"})
    assert parser.parse_document(given, "a.html", "k")[0].metadata["title"] == "Page"


# --------------------------------------------------------------------------- markdown
def test_markdown_syntax_becomes_markup_not_clause_text():
    doc = (
        "## 岗位职责 ##\n- [ ] 负责**核心**业务。\n> 1.维护客户关系；\n---\n"
        "**Requirements:**\n*About us:**\nSee [our site](http://x.com/a) for details.\n"
        ">5年经验优先，5**2=25\n*可接受优秀应届毕业生"
    )
    seg = SEG.segment(doc)
    assert_lossless(doc, seg)
    assert pieces(doc, seg, "markup") == [
        "##",
        "##",
        "**",
        "**",
        ">",
        "---",
        "**",
        "**",
        "*",
        "**",
        "[",
        "](http://x.com/a)",
    ]
    assert pieces(doc, seg, "heading") == ["岗位职责", "Requirements:", "About us:"]
    assert pieces(doc, seg, "marker")[:2] == ["- [ ] ", "1."]
    assert [c.text for c in seg.clauses] == [
        "负责核心业务。",
        "维护客户关系；",
        "See our site for details.",
        ">5年经验优先，5**2=25",  # "more than 5 years" and arithmetic are text
        "可接受优秀应届毕业生",
    ]
    core = seg.clauses[0]
    assert core.norm == normalize(core.text)


def test_rules_drawn_before_items_and_around_titles():
    doc = "薪资待遇：\n---------  ---------1、无责任底薪3000元/月\n--------2、公司提供住宿。"
    seg = SEG.segment(doc)
    assert_lossless(doc, seg)
    assert [c.text for c in seg.clauses] == ["无责任底薪3000元/月", "公司提供住宿。"]
    assert pieces(doc, seg, "marker") == ["1、", "2、"]
    doc = "——————任职资格——————\n1、本科；薪资3000---5000元\n2、能吃苦 ----"
    seg = SEG.segment(doc)
    assert_lossless(doc, seg)
    assert pieces(doc, seg, "heading") == ["任职资格"]
    assert pieces(doc, seg, "markup") == ["——————", "——————", "----"]
    assert [c.text for c in seg.clauses] == ["本科；薪资3000---5000元", "能吃苦"]


def test_items_that_look_like_headings_stay_items():
    doc = (
        "【岗位要求】：\n1.初中及以上学历。\n二、岗位职责：\n1.搭建环境\n2.负责解决问题\n"
        "3.参与代码维护与备份\n三、福利待遇：\n1、双休\n5、上班时间为周一至周五，\n四、职业规划\n"
        "1.销售路线\n薪资构成：\n①根据学历和工作经验确定基本工资\n②绩效奖金"
    )
    seg = SEG.segment(doc)
    assert_lossless(doc, seg)
    assert pieces(doc, seg, "heading") == [
        "【岗位要求】：",
        "岗位职责：",
        "福利待遇：",
        "职业规划",
        "薪资构成：",
    ]
    texts_ = [c.text for c in seg.clauses]
    assert "参与代码维护与备份" in texts_  # item 3 before "三、", not its heading
    assert "上班时间为周一至周五，" in texts_  # a comma at the end: a sentence, cut short
    assert "根据学历和工作经验确定基本工资" in texts_  # ① before ②, though it says 工作经验
