"""Near-duplicate groups on the sample corpus, a Taiwan-wording fixture and the chaining guard."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from jdsearch import Corpus
from jdsearch.dupes import DuplicateFinder, text_similarity
from jdsearch.normalize import match_key, normalize
from jdsearch.store import Clause


def clause(cid: str, text: str, lang: str = "zh-Hans") -> Clause:
    return Clause(
        cid, "d" + cid, f"{cid}.txt", "", "", 0, "duty", lang, text, normalize(text), 0, 0
    )


@pytest.fixture(scope="module")
def groups(sample_index: Corpus):
    return sample_index.dupes(cross_lingual=False)


@pytest.fixture(scope="module")
def by_id(sample_index: Corpus) -> dict[str, Clause]:
    return {c.clause_id: c for c in sample_index.clauses()}


def group_of(groups) -> dict[str, str]:
    return {m.clause_id: g.group_id for g in groups for m in g.members}


def test_shared_clauses_of_001_and_003_form_twelve_groups(groups, by_id):
    gof = group_of(groups)
    five = [c for c in by_id.values() if c.section.endswith("篇五")]
    # 篇2's listed duties: by heading, as its intro sentence is typed a duty too
    two = [c for c in by_id.values() if c.section.startswith("篇2") and c.heading == "岗位职责"]
    five.sort(key=lambda c: c.position)
    two.sort(key=lambda c: c.position)
    assert len(five) == 12
    pairs = list(zip(five, two[:12], strict=True))
    assert all(
        gof.get(a.clause_id) and gof.get(a.clause_id) == gof.get(b.clause_id) for a, b in pairs
    )
    assert len({gof[a.clause_id] for a, _ in pairs}) == 12


def test_004_repeats_are_grouped_including_reworded_ones(groups, by_id):
    gof = group_of(groups)
    texts: dict[str, list[str]] = {}
    for c in by_id.values():
        texts.setdefault(c.text, []).append(c.clause_id)

    def same(a: str, b: str) -> bool:
        return gof.get(texts[a][0]) is not None and gof.get(texts[a][0]) == gof.get(texts[b][0])

    base = "辦事處的日常管理工作以及主管部門經理分派的其他工作。"
    assert same(base, "辦事處的日常管理工作以及主管部門經理的其他工作。")
    assert same(base, "辦事處的日常管理工作以及主管部門經理或分公司分派的其他工作。")
    assert same(
        "參考經銷商意見制定年度城市發展基金使用計劃,按總公司大客戶管理流程及時提報季度活動計劃,並執行總公司的計劃批覆。",
        "參考經銷商意見制定年度城市發展基金使用計劃,按總公司大客戶管理流程及時提報季度活動計劃,並執行總公司的計劃批覆。",
    )
    four = texts["對區域內分銷通路實施開發、服務與管控,定期對重點客戶進行拜訪、調查。"]
    assert len(four) == 4 and len({gof[c] for c in four}) == 1
    # different duties sharing template words stay apart
    assert not same(
        "制定終端開發、維護計劃,並監督實施。",
        "制定切實可行的廣宣促銷實施方案和預計達成的目標,協調區域促銷費用的合理安排,保證專款專用。監督廣宣促銷活動的實施,並將活動效果及評估報告報公司領導。",
    )
    assert not same(
        "負責區域內下屬員工的的招聘以及業務工作的指導。",
        "負責組織區域內市場資訊收集、分析、整理、彙總等工作,為上級部門提供決策依據,同時向業務經理提出區域組織系統管理、發展的建議。",
    )
    assert not same("调整并完善区域内产品拓展策略。", "调整并完善区域内客户拓展策略。")


def test_every_member_matches_its_canonical(groups, by_id):
    for g in groups:
        canon = by_id[g.canonical_id]
        assert g.members[0].clause_id == g.canonical_id
        for m in g.members[1:]:
            assert m.similarity >= 85
            assert m.relation in {"exact", "near", "cross-script", "cross-lingual", "variant"}
            if m.relation == "exact":
                assert match_key(by_id[m.clause_id].text) == match_key(canon.text)


def test_taiwan_wording_rewrite_is_a_cross_script_duplicate():
    simp = clause("s", "定期对营销人员进行软件操作培训，并收集市场信息，建立客户档案。")
    trad = clause("t", "定期對行銷人員進行軟體操作培訓，並蒐集市場資訊，建立客戶檔案。", "zh-Hant")
    other = clause("o", "负责公司物流信息系统在区域内的实施。")
    f = DuplicateFinder(cross_lingual=False).fit([simp, trad, other])
    assert len(f.groups_) == 1
    members = {m.clause_id: m for m in f.groups_[0].members}
    assert set(members) == {"s", "t"}
    assert next(m for m in members.values() if m.relation != "canonical").relation == "cross-script"


def test_chaining_is_guarded():
    """A chain of one-word edits: each step passes, the ends are different duties."""
    base = "负责区域内经销商的开发与管理工作，定期拜访重点客户并收集竞争对手信息，按时提交周报。"
    steps = [
        ("经销商", "代理商"),
        ("开发与管理", "招募与培训"),
        ("拜访", "走访"),
        ("重点客户", "终端门店"),
        ("竞争对手信息", "市场价格"),
        ("周报", "月报"),
    ]
    chain = [base]
    for a, b in steps:
        chain.append(chain[-1].replace(a, b))
    keys = [match_key(t) for t in chain]
    assert all(text_similarity(x, y) >= 85 for x, y in itertools.pairwise(keys))
    assert text_similarity(keys[0], keys[-1]) < 60
    clauses = [clause(str(i), t) for i, t in enumerate(chain)]
    f = DuplicateFinder(cross_lingual=False).fit(clauses)
    by = {c.clause_id: c for c in clauses}
    assert f.groups_
    for g in f.groups_:
        canon = match_key(by[g.canonical_id].text)
        for m in g.members:
            assert text_similarity(canon, match_key(by[m.clause_id].text)) >= 85
        ids = {m.clause_id for m in g.members}
        assert not {"0", "6"} <= ids


def test_precision_and_recall_on_labelled_pairs(groups, by_id):
    """Labelled from the sample corpus: true = the known copies, false = list neighbours."""
    gof = group_of(groups)
    clauses = sorted(by_id.values(), key=lambda c: (c.source, c.position))
    keyed: dict[str, list[Clause]] = {}
    for c in clauses:
        keyed.setdefault(match_key(c.text), []).append(c)
    positives = [(v[0], w) for v in keyed.values() for w in v[1:]]
    reworded = [
        (
            "辦事處的日常管理工作以及主管部門經理分派的其他工作。",
            "辦事處的日常管理工作以及主管部門經理的其他工作。",
        ),
        ("組織編制審批下屬經理的年度、季度、月度工作計劃,並檢查、督促、修正、考核完成情況。", None),
    ]
    text_ix = {c.text: c for c in clauses}
    positives += [(text_ix[a], text_ix[b]) for a, b in reworded if b]
    negatives = [
        (x, y)
        for x, y in itertools.pairwise(clauses)
        if x.source == y.source and match_key(x.text) != match_key(y.text)
    ]

    def predicted(x: Clause, y: Clause) -> bool:
        return gof.get(x.clause_id) is not None and gof.get(x.clause_id) == gof.get(y.clause_id)

    tp = sum(predicted(x, y) for x, y in positives)
    fp = sum(predicted(x, y) for x, y in negatives)
    recall = tp / len(positives)
    precision = tp / (tp + fp)
    print(
        f"dupes on labelled pairs: {len(positives)} positive, {len(negatives)} negative, "
        f"precision {precision:.3f}, recall {recall:.3f}"
    )
    assert len(positives) >= 40 and len(negatives) >= 400
    assert recall >= 0.95 and precision >= 0.95


def test_cli_json_contract(sample_index: Corpus):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "jdsearch.cli",
            "dupes",
            "--index",
            str(sample_index.index_dir),
            "--no-cross-lingual",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data and all(len(g["members"]) >= 2 for g in data)
    sizes = [len(g["members"]) for g in data]
    assert sizes == sorted(sizes, reverse=True)
    m = data[0]["members"][0]
    assert set(m) == {
        "clause_id",
        "doc_id",
        "source",
        "lang",
        "text",
        "similarity",
        "relation",
        "value",
    }
    assert data[0]["canonical_id"] == m["clause_id"]


def test_dupes_of_pasted_text_and_id(sample_index: Corpus):
    clause_, matches = sample_index.dupes_of(
        "負責對經銷商的銷售跟蹤,協助經銷商提昇終端銷量。", cross_lingual=False
    )
    assert clause_ is None
    assert len(matches) == 2 and {r for _, _, r in matches} == {"cross-script"}
    target = matches[0][0]
    own, again = sample_index.dupes_of(target.clause_id, cross_lingual=False)
    assert own == target
    assert target.clause_id not in {c.clause_id for c, _, _ in again}
    assert again and again[0][2] == "exact"


def test_collapse_uses_groups(sample_index: Corpus, groups):
    hits = sample_index.search("日常管理工作", collapse=True, limit=50).hits
    top = next(h for h in hits if "辦事處的日常管理工作" in h.text)
    assert top.variants >= 3  # the reworded variants fold in too, not only identical text


def test_bad_threshold(sample_index: Corpus, tmp_path: Path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "jdsearch.cli",
            "dupes",
            "--index",
            str(sample_index.index_dir),
            "--threshold",
            "250",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr


def test_new_clauses_join_existing_groups_incrementally(tmp_path, monkeypatch):
    import shutil

    from tests.conftest import CORPUS

    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    corpus = Corpus(tmp_path / "idx")
    corpus.ingest([docs])
    before = corpus.dupes(cross_lingual=False)
    (docs / "new.txt").write_text(
        "崗位職責\n1、負責對經銷商的銷售跟蹤,協助經銷商提昇終端銷量。\n2、定期檢查倉庫的消防設施。\n",
        "utf-8",
    )
    corpus.ingest([docs])

    def no_full_run(*args, **kwargs):
        raise AssertionError("groups were recomputed from scratch")

    monkeypatch.setattr(DuplicateFinder, "fit", no_full_run)
    after = corpus.dupes(cross_lingual=False)
    by_id = {c.clause_id: c for c in corpus.clauses()}
    new = next(c for c in by_id.values() if c.text.startswith("負責對經銷商的銷售跟蹤"))
    group = next(g for g in after if new.clause_id in {m.clause_id for m in g.members})
    texts = {by_id[m.clause_id].text for m in group.members}
    assert "负责对经销商的销售跟踪，协助经销商提高终端销量。" in texts
    member = next(m for m in group.members if m.clause_id == new.clause_id)
    assert member.relation == "cross-script" and member.similarity >= 85
    assert len(after) == len(before)  # the unrelated new clause formed no group
    hits = corpus.search("經銷商 銷售跟蹤", collapse=True, limit=20).hits
    top = next(h for h in hits if h.group == group.group_id)
    assert top.variants == len(group.members)


# --------------------------------------------------------------------------- cross-lingual
# (file prefix, position) of clauses in the sample corpus. Translations: 000 "regional manager 5"
# = 001 篇九 items 1,2,3,6,7; 000's first list holds 001 篇四's items (longer wording); 000's
# "Regional manager refers to…" = 003 篇1's definition.
TRANSLATIONS = [
    (("000", 36), ("001", 100)),  # … sales and promotion of the company's products / 负责公司产品…
    (("000", 37), ("001", 101)),
    (("000", 38), ("001", 102)),
    (("000", 39), ("001", 105)),
    (("000", 40), ("001", 106)),
    (("000", 3), ("001", 46)),
    (("000", 7), ("001", 50)),
    (("000", 4), ("001", 45)),
    (("000", 25), ("003", 8)),
]
# Unrelated pairs that share template concepts (work, region, department …) and score high.
UNRELATED = [
    (("000", 67), ("001", 107)),  # Internal relationship: … department leaders / 完成部门领导交代…
    (("000", 41), ("004", 48)),  # Job Title: Regional Sales Manager / 負責本區域的銷售…
    (("000", 46), ("001", 58)),  # … sales work and team formation / 负责管辖区域的客户来访接待工作
    (("000", 153), ("001", 44)),  # … regional promotion programs / 区域销售计划的制定与执行
    (("000", 41), ("001", 58)),
    (("000", 55), ("001", 58)),
    (("000", 112), ("001", 58)),
    (("000", 56), ("002", 61)),  # suggest a product promotion plan / 编制大区内推广用品需求计划
    (("000", 50), ("002", 67)),  # establish customer files / 建立大区内推广信息档案
]


def test_cross_lingual_groups_on_labelled_pairs(sample_index: Corpus, by_id):
    """Cross-lingual links need dictionary evidence on both sides: no unrelated pair that shares
    template concepts is linked. The bar (60% coverage) was set on Zhaopin's bilingual
    postings, not on these pairs; these translations are loose (000 paraphrases 001), so
    recall here is low: 4/9 measured, 8/9 for the old bag threshold that also linked 2 of the
    unrelated pairs."""
    at = {(Path(c.source).name[:3], c.position): c.clause_id for c in by_id.values()}
    gof = group_of(sample_index.dupes(cross_lingual=True))

    def same(a: tuple[str, int], b: tuple[str, int]) -> bool:
        g = gof.get(at[a])
        return g is not None and g == gof.get(at[b])

    tp = sum(same(a, b) for a, b in TRANSLATIONS)
    fp = sum(same(a, b) for a, b in UNRELATED)
    print(f"cross-lingual: recall {tp / len(TRANSLATIONS):.2f}, false links {fp}")
    assert fp == 0
    assert tp >= 3


def test_cross_lingual_threshold_is_a_parameter(sample_index: Corpus):
    def linked(threshold: float) -> int:
        groups = sample_index.dupes(cross_lingual=True, cross_lingual_threshold=threshold)
        return sum(m.relation == "cross-lingual" for g in groups for m in g.members)

    loose, strict = linked(30.0), linked(95.0)
    assert loose > strict


def test_concept_candidates_rank_by_idf_without_a_cap():
    from jdsearch.align import concept_candidates

    common = ["responsible", "company", "product", "sales"]
    left = [[*common, "promotion"], ["competitor", "analysis", *common[:1]]]
    right = [[*common[:2], f"x{i}"] for i in range(30)]
    right += [[*common, "promotion"], ["competitor", "analysis"], []]
    pairs = concept_candidates(left, right, top_n=2)
    assert (0, 30) in pairs and (1, 31) in pairs
    assert not any(j == 32 for _, j in pairs)  # empty bags never pair
    assert len(pairs) <= 2 * (len(left) + len(right))  # top_n per bag, either side


def test_new_clauses_get_cross_lingual_links_after_ingest(tmp_path):
    import shutil

    from tests.conftest import CORPUS

    docs = tmp_path / "docs"
    shutil.copytree(CORPUS, docs)
    corpus = Corpus(tmp_path / "idx")
    corpus.ingest([docs])
    corpus.dupes(cross_lingual=True)
    (docs / "new.txt").write_text(
        "Duties\n1. Responsible for the implementation of the company's logistics information "
        "system in the region.\n2. Water the plants in the reception area every morning.\n",
        "utf-8",
    )
    corpus.ingest([docs])
    after = corpus.dupes(cross_lingual=True)
    by_id = {c.clause_id: c for c in corpus.clauses()}
    new = next(c for c in by_id.values() if "logistics information" in c.text)
    group = next(g for g in after if new.clause_id in {m.clause_id for m in g.members})
    texts = {by_id[m.clause_id].text for m in group.members}
    assert "负责公司物流信息系统在区域内的实施。" in texts
    rel = {by_id[m.clause_id].lang: (m.relation, m.similarity) for m in group.members}
    assert sorted(r for r, _ in rel.values()) == ["canonical", "cross-lingual"]
    assert min(s for _, s in rel.values()) >= 60
    plants = next(c for c in by_id.values() if "plants" in c.text)
    assert not any(plants.clause_id in {m.clause_id for m in g.members} for g in after)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("熟练使用WORD、EXCEL等办公软件；", "熟练使用PS、WORD、EXCEL等办公软件；"),
        ("负责门店日常运营，并维护客户关系。", "负责门店日常运营，负责商品陈列，并维护客户关系。"),
        ("提供五险一金、带薪年假。", "提供五险一金、带薪年假、免费工作餐。"),
    ],
)
def test_one_more_list_item_is_another_statement(a: str, b: str):
    """A list that gains an item (a software, a duty, a benefit) is not a near-duplicate, however
    high the character ratio; a rewording inside an item still is."""
    from jdsearch.dupes import judge, statement_of
    from jdsearch.normalize import normalize

    sa, sb = statement_of(normalize(a), False), statement_of(normalize(b), False)
    assert judge(sa, sb, 80.0) is None
    same = statement_of(normalize(a.replace("。", "").replace("；", "")), False)
    assert judge(sa, same, 80.0) is not None  # punctuation alone changes nothing


def test_groups_of_older_rules_are_recomputed(tmp_path):
    """Stored groups remember the verification rules they were made with: after an upgrade
    that changes them, the groups are behind and the next refresh recomputes them."""
    import json

    from jdsearch import Corpus, stages
    from tests.conftest import CORPUS

    corpus = Corpus(tmp_path / "idx")
    corpus.ingest([CORPUS / "002_ff762013ad013612.txt"])
    corpus.dupes()
    store = corpus.store()
    assert stages.is_current(store, "dupes")
    st = store.stage("dupes")
    old = json.loads(st.params)
    old["finder"] = old["finder"].rsplit(":r=", 1)[0] + ":r=0"
    with corpus._writing("test") as w, w.transaction():
        w.set_stage("dupes", st.generation, params=json.dumps(old))
    corpus.close_all()
    assert not stages.is_current(Corpus(tmp_path / "idx").store(), "dupes")


def test_a_clock_times_leading_zero_is_no_other_value():
    """08:30 and 8:30 are one time of day: near duplicates, not variants (a blind judge
    rejected such a pair as "same requirement, other value"); another time is a variant."""
    from jdsearch.dupes import NEAR, VARIANT, judge, statement_of
    from jdsearch.normalize import normalize

    def rel(a: str, b: str) -> str | None:
        verdict = judge(statement_of(normalize(a), False), statement_of(normalize(b), False), 80.0)
        return verdict[0] if verdict else None

    assert rel("上班时间：08:30-17:30，周末双休", "上班时间：8:30-17:30，周末双休") == NEAR
    assert rel("上班时间：08:30-17:30，周末双休", "上班时间：9:00-18:00，周末双休") == VARIANT
