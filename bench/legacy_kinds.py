"""The cue-regex clause typing that jdsearch used before the learned model (frozen copy).

Kept only so ``bench/eval_kinds.py --legacy`` can score the old classifier beside the new one
on the same items. This is jdsearch's own former code (jdsearch/segment.py before the model).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from types import SimpleNamespace
from typing import Any

from jdsearch.normalize import EN, normalize
from jdsearch.segment import _is_field

DUTY, REQUIREMENT, OTHER = "duty", "requirement", "other"

_REQUIREMENT_TEXT = re.compile(
    r"(学历|大专|本科|硕士|博士|以上学历|\d+\s*年以上|年以上.{0,12}经验|工作经验|经验\d|年龄|\d+\s*岁|"
    r"性别|身体健康|普通话|英语|驾照|驾驶|熟练使用|精通|"
    r"\bdegree\b|years?\b.{0,20}\bexperience|experience requirements?|\bage\b|\beducation\b|"
    r"\bgender\b|\bheight\b|\bmajor in\b|\bfluent\b|\bcertificate\b)",
    re.I,
)
_REQUIREMENT_WEAK = re.compile(
    r"^(具有|具备|熟悉|善于|良好的|有较强的|较强的|能够|能熟练|富有|积极学习|有强烈|有.{0,6}能力)"
)
_FIELD_REQUIREMENT_KEYS = re.compile(
    r"(学历|专业|经验|年龄|性别|身高|外貌|素质|技能|证书|计算机|外语|语言|personality|age|"
    r"gender|height|appearance|education|professional|experience|computer|language|skill|"
    r"certificate|physical|others)",
    re.I,
)
_DUTY_START = re.compile(
    r"^(负责|组织|制定|制订|协助|参与|完成|建立|管理|监督|收集|执行|落实|指导|定期|根据|按照|对|"
    r"开发|维护|拓展|培训|审核|处理|协调|帮助|加强|查处|了解|掌握|做好|确保|保证|推动|实施|编写|"
    r"进行|全面|配合|拜访|跟进|分析|提出|建议|检查|督促|带领|主持|策划|推广|向|与|为|及时|"
    r"responsible|be responsible|organi[sz]e|formulate|assist|participate|complete|establish|"
    r"manage|supervise|collect|implement|guide|visit|develop|maintain|train|review|handle|"
    r"coordinate|help|ensure|conduct|make|provide|report|analy[sz]e|plan|lead|select|set|deal|"
    r"keep|check|examine|understand|expand|grasp|focus|decompose|according|under|cover|open|"
    r"strive|dare|personally|constantly|fully|effectively|directly|accept|do |receive|train)",
    re.I,
)


def classify(clause: Any) -> str:
    """duty / requirement / other from the clause's own words and the headings above it."""
    text = clause.norm or normalize(clause.text)
    if not clause.style and _is_field(clause.text):
        key = re.split(r"[:：]", clause.text, maxsplit=1)[0]
        return REQUIREMENT if _FIELD_REQUIREMENT_KEYS.search(normalize(key)) else OTHER
    numbered = bool(clause.style)
    sentences = sum(map(clause.text.count, "。!！?？;；")) + clause.text.count(". ")
    prose = not numbered and ((len(clause.text) > 120 and sentences >= 2) or len(clause.text) > 300)
    english_task = clause.lang == EN and _starts_with_duty_verb(text)
    if english_task and clause.context != REQUIREMENT:
        return DUTY
    if _REQUIREMENT_TEXT.search(text) or (clause.context == REQUIREMENT and not prose):
        return REQUIREMENT
    if clause.context == DUTY:
        return DUTY if numbered or english_task or _DUTY_START.match(text) else OTHER
    if clause.context == OTHER or prose:
        return OTHER
    if _REQUIREMENT_WEAK.match(text):
        return REQUIREMENT
    if english_task or (numbered and _DUTY_START.match(text)):
        return DUTY
    return OTHER


@lru_cache(maxsize=1)
def _duty_verbs() -> tuple[object, frozenset[str]]:
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    text = resources.files("jdsearch.data").joinpath("duty_verbs_en.txt").read_text("utf-8")
    words = [w for ln in text.splitlines() if not ln.startswith("#") for w in ln.split()]
    return stemmer, frozenset(stemmer.stemWords(words))


def _starts_with_duty_verb(text: str) -> bool:
    """An English imperative task statement ("Prepare budgets for approval …")."""
    m = re.match(r"\s*([a-z]+)", text)
    if not m:
        return False
    stemmer, stems = _duty_verbs()
    return stemmer.stemWord(m.group(1)) in stems  # type: ignore[attr-defined]


def legacy_kind(item: Any, with_context: bool = True) -> str:
    """The old decision for a bench item (text, norm, style, lang, context)."""
    clause = SimpleNamespace(
        text=item.text,
        norm=item.norm,
        style=item.style,
        lang=item.lang,
        context=item.context if with_context else "",
    )
    return classify(clause)
