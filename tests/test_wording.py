"""Word-level guard of near-duplicates and variants (jdsearch.wording): a content word added or
swapped is another statement; function words, labels, place names and rewordings are not."""

from __future__ import annotations

import pytest

from jdsearch.dupes import NEAR, VARIANT, judge, statement_of
from jdsearch.normalize import normalize
from jdsearch.values import values_of
from jdsearch.wording import content_differs


def differs(a: str, b: str, english: bool = False) -> bool:
    va, vb = values_of(normalize(a)), values_of(normalize(b))
    return content_differs(va.wording, vb.wording, english, (va.label, vb.label))


def verdict(a: str, b: str) -> str | None:
    sa, sb = (statement_of(normalize(t), False) for t in (a, b))
    found = judge(sa, sb, 85.0)
    return found[0] if found else None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # one content word swapped for an unrelated one: another place, product, industry
        ("负责胶粘剂产品在天津区域的市场开发工作；", "负责胶粘剂产品在沈阳区域的市场开发工作；"),
        ("两年以上销售行业工作经验", "两年以上金融行业工作经验"),
        ("根据市场营销计划，完成部门销售指标；", "根据市场营销计划，完成门店销售指标；"),
        # a content word only one side has narrows the statement
        ("有相关工作经验者优先考虑；", "有翻译相关工作经验者优先考虑；"),
        ("负责部门的日常管理工作；", "负责人力资源部门的日常管理工作；"),
        ("具备优秀的沟通技巧；", "具备优秀的电话沟通技巧；"),
        # a degree's qualifier is part of the requirement
        ("大专及以上学历", "统招大专及以上学历"),
        ("本科以上学历", "全日制本科以上学历"),
        ("大专以上学历", "正规大专以上学历"),  # 正规 is tagged an adjective: a qualifier still
        # a character put in front narrows a word; another time unit is another frequency
        ("大专以上学历，药学相关专业", "大专以上学历，中药学相关专业"),
        ("公司每年组织外出旅游", "公司每月组织外出旅游"),
        # one requirement dropped, another added: not a rewording of one word
        ("统招二本及以上学历；", "统招二本及以上，学习能力强；"),
        # English: a content word more is another statement
    ],
)
def test_content_changes_are_other_statements(a: str, b: str) -> None:
    assert differs(a, b)
    assert differs(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # function words, support verbs, adjectives of degree, punctuation
        ("具有良好的团队合作意识；", "良好的团队合作意识"),
        ("能承受一定的工作压力。", "可承受一定的工作压力；"),
        ("具备较强的学习能力和优秀的沟通能力；", "具备较强的学习能力和沟通能力；"),
        ("有相关工作经验者优先考虑；", "有相关工作经验优先；"),
        # a label only one side has; a place name only one side has
        ("工作地点：杭州市拱墅区各大门店", "杭州市拱墅区各大门店"),
        ("江北区五里店东方灯饰广场", "重庆市江北区五里店东方灯饰广场"),
        # one word rewritten with one character (a synonym or a typo)
        ("完成上级交办的其他工作事项；", "完成上级交代的其他工作事项"),
        ("熟练运用Office办公软件", "熟练应用Office办公软件"),
        ("有一年以上相关工作经验", "有一年以上相关工作经历"),
        # the same with words cut another way (大/区内 against 区域/内): compared whole
        ("组织实施大区内企业产品的市场推广计划", "组织实施区域内企业产品的市场推广计划"),
        # glossary synonyms, synonyms
        ("负责回款工作", "负责货款回收工作"),
        ("完成领导安排的其它工作。", "完成上级领导安排的其它工作。"),
        # the same words in another order
        ("对申请需要住宿的人员免费提供住宿。", "对申请需要住宿的人员提供免费住宿。"),
        # an alternative widens, a verb before 的 spells out a relation: neither narrows
        ("主管部门经理分派的其他工作。", "主管部门经理或分公司分派的其他工作。"),
        ("完成部门经理的其他工作。", "完成部门经理交办的其他工作。"),
    ],
)
def test_rewordings_are_the_same_statement(a: str, b: str) -> None:
    assert not differs(a, b)
    assert not differs(b, a)


def test_english_words():
    """English: stop words pass, a content word more or another one does not."""
    assert not differs("Experience with Python", "Experience in Python", True)
    assert differs("Experience with Python", "Experience with Python testing", True)
    assert differs("Experience with Python", "Experience with Java", True)


def test_two_different_labels_are_compared():
    """A label only one side has is dropped; two labels are words like any other."""
    assert differs("试用期：无责任底薪3000", "转正后：无责任底薪3000")
    assert not differs("工作地点：无锡市滨湖区", "工作地址：无锡市滨湖区")


def test_the_guard_decides_near_and_variant():
    # near survives function-word changes, a variant survives them too
    assert verdict("具有3年以上相关工作经验", "3年以上相关工作经验") == NEAR
    assert verdict("具有3年以上相关工作经验", "5年以上相关工作经验") == VARIANT
    # neither survives a content word added or swapped
    assert verdict("3年以上相关工作经验", "3年以上翻译相关工作经验") is None
    assert verdict("3年以上销售行业工作经验", "5年以上金融行业工作经验") is None
    assert verdict("大专及以上学历，20-35岁", "统招大专及以上学历，20-35岁") is None
    assert verdict("大专及以上学历，20-35岁", "统招本科及以上学历，20-35岁") is None
    # a unit spelled another way is no content change (周岁 / 岁: one value)
    assert verdict("20周岁以上，大专以上学历", "20岁以上，大专以上学历") == NEAR


def test_a_label_the_other_side_starts_with_is_kept():
    """年龄要求：18-30岁 and 年龄要求18-35岁 say the same thing with other values: a label is
    dropped only when the other side does not start with it (else 18-30岁 would face
    年龄要求18-35岁), and the colon, punctuation, is no part of the comparison."""
    assert verdict("年龄要求：18-30岁", "年龄要求18-35岁") == VARIANT
    assert verdict("年龄要求18-30岁", "年龄要求：18-35岁") == VARIANT
    assert verdict("年龄要求：18-30岁", "年龄要求 18-30岁") == NEAR
    assert not differs("工作地点：杭州市拱墅区各大门店", "工作地点在杭州市拱墅区各大门店")


def test_which_copy_represents_a_statement_does_not_matter():
    """工作地点：X and 工作地点 X share a matching key; were they one statement, the copy that
    happens to represent it (the label or not) would decide whether X joins them. The label is
    part of a statement's identity, so the groups do not depend on the clause ids."""
    from jdsearch.dupes import DuplicateFinder
    from jdsearch.store import Clause

    texts = ["工作地点：杭州市拱墅区登云路金诚大厦", "工作地点 杭州市拱墅区登云路金诚大厦"]
    texts.append("杭州市拱墅区登云路金诚大厦")

    def grouping(ids: list[str]) -> set[frozenset[str]]:
        clauses = [
            Clause(i, "d" + i, "x.txt", "", "", 0, "other", "zh-Hans", t, normalize(t), 0, 0)
            for i, t in zip(ids, texts, strict=True)
        ]
        by = {c.clause_id: c.text for c in clauses}
        groups = DuplicateFinder().fit(clauses).groups_
        return {frozenset(by[m.clause_id] for m in g.members) for g in groups}

    assert grouping(["a", "b", "c"]) == grouping(["b", "a", "c"])
