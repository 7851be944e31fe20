"""Values a clause states (jdsearch.values): what tells a near-duplicate from a variant."""

from __future__ import annotations

import pytest

from jdsearch.normalize import match_key, normalize
from jdsearch.values import values_of


def vals(text: str) -> tuple[str, ...]:
    return values_of(normalize(text)).values


def tpl(text: str) -> str:
    return values_of(normalize(text)).template


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("具有3年以上相关工作经验", ("3年+",)),
        ("具有三年以上相关工作经验", ("3年+",)),
        ("至少3年相关工作经验", ("3年+",)),
        ("两年以上电气设计经验", ("2年+",)),
        ("半年以上同类工作经验", ("0.5年+",)),
        ("年龄18-26周岁", ("18-26岁",)),
        ("年龄18～26岁", ("18-26岁",)),
        ("每年2-3次", ("2-3次",)),
        ("35岁以下", ("35岁-",)),
        ("月薪8000左右", ("8000~",)),
        ("底薪4000起", ("4000+",)),
        ("将近320家直营网点", ("320家~",)),  # an approximation belongs to the value
        ("年薪约4.5万元", ("4.5万元~",)),
        ("工资范围：4000-5000", ("4000-5000",)),  # a range is a quantity without a unit
        ("门店地址8：宁波市", ()),  # a bare number names something: an identifier
        ("第三年：年薪30万", ("30万",)),  # an ordinal is no value
        ("2018年入职", ()),  # a year is a date
        ("2016届应届生", ()),
        ("3月15日前到岗", ()),
        ("联系电话：0531-8098", ()),  # a leading zero: a code
        ("工作时间：8:00-17:30", ("8:00-17:30",)),
        ("上班时间08:30至17:30", ("8:30-17:30",)),  # an hour's leading zero is a style
        ("10:00-20:00", ("10:00-20:00",)),
        ("At least 3 years of experience in sales", ("3年+",)),
        ("3+ years experience", ("3年+",)),
        ("three years or more in B2B sales", ("3年+",)),
        ("本科及以上学历", ("本科",)),
        ("公办本科及以上学历", ("本科",)),  # the qualifier is part of the requirement
        ("全日制统招本科以上学历", ("本科",)),
        ("专科以上学历", ("大专",)),
        ("Bachelor's degree in Computer Science", ("本科",)),
        ("BS degree or equivalent practical experience", ("本科",)),
        ("PhD in Physics", ("博士",)),
        ("英语四级", ("cet4",)),
        ("CET-4以上", ("cet4",)),
        ("大学英语六级及以上", ("cet6",)),
        ("日语N2以上", ("jlpt2",)),
        ("持有C1及以上驾照", ("驾照c1",)),
        ("五险一金", ("五险一金",)),
        ("五险", ("五险",)),
        ("周末双休", ("双休",)),
        ("一定的沟通能力，一对一辅导", ()),  # 一 before no unit is no number
        ("3做事细心认真", ()),  # a leading list number is numbering
        ("MS Office skills", ()),  # MS is a degree only beside "degree"
    ],
)
def test_values(text: str, expected: tuple[str, ...]) -> None:
    assert vals(text) == expected


def test_same_requirement_other_value_has_the_same_template() -> None:
    assert tpl("具有3年以上相关工作经验") == tpl("具有2年以上相关工作经验")
    assert tpl("具有三年以上相关工作经验") == tpl("具有3年以上相关工作经验")
    assert tpl("本科及以上学历") == tpl("硕士及以上学历")
    assert tpl("公办本科及以上学历") == tpl("公办硕士及以上学历") != tpl("本科及以上学历")
    assert tpl("缴纳五险一金") == tpl("缴纳五险")
    assert tpl("每年2-3次") == tpl("每年2次")


def test_frames_tell_other_statements_apart() -> None:
    def frame(text: str) -> object:
        return values_of(normalize(text)).frame

    # an added requirement is another slot, not another value
    assert frame("本科及以上学历") != frame("本科及以上学历，18-26岁")
    # opposite meaning
    assert frame("完成本岗以外的工作") != frame("完成本岗以内的工作")
    assert frame("接受应届生") != frame("不接受应届生")
    assert frame("Travel required") != frame("No travel required")
    # words that only look negative do not count
    assert frame("不断学习") == frame("持续学习")
    assert frame("非常热爱销售") == frame("热爱销售")
    assert frame("无锡市新区") == frame("苏州市新区")
    # identifiers and floors must be equal; different benefits sets are different frames
    assert frame("办公地点：22层") != frame("办公地点：19层")
    assert frame("联系电话：13812345678") != frame("联系电话：13912345678")
    assert frame("缴纳五险一金+年终奖") != frame("缴纳五险一金")
    # numbers that are no quantity are identifiers: equal on both sides or another statement
    assert frame("门店地址8：宁波市") != frame("门店地址9：宁波市")
    assert frame("第三个月底薪2800元") != frame("第一个月底薪2800元")
    assert frame("大厦6层J座") != frame("大厦8层J座")
    assert frame("2016届应届生") != frame("2017届应届生")
    assert frame("5年以上经验") == frame("3年以上经验")  # a quantity is a value, not a frame
    # "preferred" is not "required"
    assert frame("市场营销等相关专业优先") != frame("市场营销等相关专业")
    assert frame("Python preferred") != frame("Python")
    # a benefit of one kind is never a value of another kind
    assert tpl("提供双休") != tpl("提供五险一金")


def test_templates_are_matching_keys() -> None:
    """Without values, the template is the clause's matching key (same punctuation rules)."""
    for text in [
        "负责公司产品的销售和推广；",
        "Develop marketing plan, call on customers.",
        "客戶檔案",
    ]:
        assert tpl(text) == match_key(text)
