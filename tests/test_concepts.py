"""Cross-lingual concepts: translations in the sample corpus meet, unrelated pairs do not."""

from __future__ import annotations

from jdsearch.concepts import ConceptMapper, default_mapper
from jdsearch.normalize import normalize
from jdsearch.segment import Segmenter
from jdsearch.store import Clause
from tests.conftest import corpus_file

SEG = Segmenter()


def items(prefix: str, section_part: str) -> list[str]:
    seg = SEG.segment(corpus_file(prefix).read_text("utf-8"))
    return [c.text for c in seg.clauses if c.section.endswith(section_part)]


def translation_pairs() -> list[tuple[str, str]]:
    """000 'Responsibilities of the regional manager 5' translates 001 篇九 (items 1,2,3,6,7)."""
    en = items("000", "regional manager 5")
    zh = items("001", "篇九")
    assert len(en) == 5 and len(zh) == 8
    return list(zip(en, [zh[0], zh[1], zh[2], zh[5], zh[6]], strict=True))


def test_translations_score_above_unrelated_pairs():
    m = default_mapper()
    pos = translation_pairs()
    en = [a for a, _ in pos]
    zh = items("001", "篇九") + items("001", "篇十")
    neg = [(e, z) for e in en for z in zh if (e, z) not in pos]
    pos_scores = [m.similarity(a, b) for a, b in pos]
    neg_scores = [m.similarity(a, b) for a, b in neg]
    t = m.threshold
    recall = sum(s >= t for s in pos_scores) / len(pos)
    fp = sum(s >= t for s in neg_scores)
    precision = sum(s >= t for s in pos_scores) / max(1, sum(s >= t for s in pos_scores) + fp)
    print(
        f"concepts: {len(pos)} translations {sorted(round(s) for s in pos_scores)}, "
        f"{len(neg)} unrelated (max {max(neg_scores):.0f}); threshold {t}: "
        f"recall {recall:.2f}, precision {precision:.2f}"
    )
    assert len(neg) >= 20
    assert recall >= 0.8 and precision >= 0.9


def test_known_pair():
    m = default_mapper()
    a = "负责市场信息的收集和竞争对手的分析;"
    b = "Responsible for collecting market information and analyzing competitors;"
    assert m.similarity(a, b) >= m.threshold
    assert m.similarity("负责公司产品的销售和推广;", b) < m.threshold


def test_scripts_give_identical_concepts():
    m = default_mapper()
    assert m.concepts("建立健全客戶檔案，跟蹤回款") == m.concepts("建立健全客户档案，跟踪回款")


def test_glossary_concepts():
    m = default_mapper()
    assert "payment collection" in m.concepts("跟踪回款")
    assert "payment collection" in m.concepts("ensure the smooth recovery of payment")
    assert "dealer" in m.concepts("管理经销商") and "dealer" in m.concepts("manage distributors")
    assert "cross-territory selling" in m.concepts("查处窜货")
    assert "competitor" in m.concepts("竞争对手分析") and "competitor" in m.concepts("competitors")
    assert "training" in m.concepts("员工培训")


def test_dictionary_glosses_are_capped():
    m = ConceptMapper(max_glosses=2)
    # 打 has dozens of CC-CEDICT glosses; a word contributes at most 2 glosses' words
    assert len(m._gloss_stems("打")) <= 4
    assert ConceptMapper(use_cedict=False).concepts("打") == []


# --------------------------------------------------------------------------- alignment
def _c(cid: str, text: str, lang: str, pos: int, doc: str = "bi") -> Clause:
    return Clause(cid, doc, "x", "", "", pos, "duty", lang, text, normalize(text), 0, 0)


BILINGUAL = [  # one posting, Chinese and English line by line (wording of real postings)
    ("负责市场信息的收集和竞争对手的分析；", "zh-Hans"),
    ("Responsible for collecting market information and analyzing competitors;", "en"),
    ("三年以上销售工作经验，熟悉办公软件；", "zh-Hans"),
    ("At least three years of sales experience, familiar with office software;", "en"),
    ("岗位职责：", "zh-Hans"),
    ("Job Title: Regional Sales Manager", "en"),
    ("负责区域内经销商的开发与管理；", "zh-Hans"),
    ("Responsible for the development and management of dealers in the region;", "en"),
]


def test_bilingual_posting_aligns_line_by_line():
    from jdsearch.align import cross_lingual_links

    clauses = [_c(f"c{i}", t, lang, i) for i, (t, lang) in enumerate(BILINGUAL)]
    links = {(clauses[i].position, clauses[j].position) for i, j, _ in cross_lingual_links(clauses)}
    assert {(1, 0), (3, 2), (7, 6)} <= links
    assert not any(4 in pair or 5 in pair for pair in links)  # headings and titles never link


def test_translation_needs_matching_numbers_and_coverage():
    from jdsearch.align import clause_units, translation_score

    def score(en: str, zh: str) -> float | None:
        a, b = _c("e", en, "en", 0), _c("z", zh, "zh-Hans", 1)
        ua, ub = clause_units([a, b])
        return translation_score(a, b, ua, ub)

    good = score("At least three years of sales experience", "三年以上销售工作经验")
    assert good is not None and good >= 60
    assert score("At least two years of sales experience", "三年以上销售工作经验") is None
    shared_words = score(
        "Responsible for customer relationship maintenance",
        "负责客户投诉的受理和跟踪处理，定期回访",
    )
    assert shared_words is None or shared_words < 60  # 负责/客户 alone are not a translation
    mixed = score(
        "Deliver design documents 提交符合研发流程要求的设计文档", "提交符合研发流程要求的设计文档"
    )
    assert mixed is None


def test_align_is_monotone_and_one_to_one():
    from jdsearch.align import align

    table = {(0, 0): 90.0, (1, 1): 80.0, (1, 0): 95.0, (2, 2): 20.0}
    out = align(3, 3, lambda a, b: table.get((a, b)))
    assert [(a, b) for a, b, _ in out] == [(0, 0), (1, 1)]  # (1,0) would reuse 0; (2,2) too weak
