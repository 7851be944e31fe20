"""The shared analyser, including each known failure of the stock jieba ChineseAnalyzer."""

from __future__ import annotations

import re

from jdsearch.analysis import INDEX, QUERY, decode_groups, default_analyzer
from tests.conftest import CORPUS

AN = default_analyzer()


def terms(text: str, mode: str = INDEX) -> list[str]:
    return AN.terms(text, mode)


def test_positions_are_sequential_not_character_offsets():
    toks = [t for t in AN.tokens("建立健全客户档案管理制度") if not t.sub]
    assert [t.pos for t in toks] == list(range(len(toks)))


def test_sub_words_share_their_parents_position():
    toks = AN.tokens("建立客户档案")
    parent = next(t for t in toks if t.text == "客户档案")
    subs = [t for t in toks if t.sub]
    assert {t.text for t in subs} >= {"客户", "档案"}
    assert all(t.pos == parent.pos for t in subs if t.start >= parent.start)


def test_query_mode_is_the_coarse_cut():
    assert terms("质量管理体系", QUERY) == ["质量管理体系"]
    assert set(terms("质量管理体系", INDEX)) >= {"质量管理体系", "质量", "管理", "体系"}


def test_traditional_is_converted_before_segmentation():
    assert terms("客戶關係", QUERY) == terms("客户关系", QUERY) == ["客户关系"]
    assert terms("建立健全客戶檔案") == terms("建立健全客户档案")


def test_taiwan_wording_meets_mainland():
    assert terms("市場資訊") == terms("市场信息")
    assert terms("行銷策略") == terms("营销策略")


def test_domain_terms_stay_whole():
    for word in ["回款", "窜货", "进销存", "经销商", "终端", "导购", "铺货"]:
        assert word in terms(f"负责{word}工作", QUERY), word


def test_short_latin_digits_and_mixed_tokens_survive():
    assert "3" in terms("3年以上工作经验") and "年" in terms("3年以上工作经验")
    assert "r" in terms("熟悉R语言")
    assert "k8s" in terms("熟悉K8s运维")
    assert {"iso", "体系"} <= set(terms("负责ISO体系"))
    assert {"kpi", "指标"} <= set(terms("KPI指标"))
    assert {"iso9001", "iso", "9001"} <= set(terms("ISO9001认证"))
    assert "o2o" in terms("O2O业务")


def test_english_is_stemmed_and_stopped():
    assert terms("Collecting information on competitors") == ["collect", "inform", "competitor"]
    assert terms("competitor", QUERY) == terms("competitors", QUERY)


def test_offsets_point_at_original_characters():
    text = "對終端導購進行鋪貨培訓，建立客戶檔案"
    for tok in AN.tokens(text):
        assert AN.normalizer.normalize(text[tok.start : tok.end]) == tok.text or tok.sub


def test_offsets_survive_length_changing_normalisation():
    text = "①教育訓練與客戶檔案"  # ① -> 1 and 教育训练 -> 培训 change length
    toks = {t.text: t for t in AN.tokens(text)}
    assert text[toks["培训"].start : toks["培训"].end] == "教育訓練"
    assert text[toks["客户档案"].start : toks["客户档案"].end] == "客戶檔案"


def test_index_fields_put_words_inside_words_in_their_own_field():
    body, grams = AN.index_fields(AN.normalizer.normalize("建立客戶檔案，製作數據看板"))
    assert body[:3] == ["建立", "客户档案", "制作"]  # one position per coarse word
    assert "看板" not in body  # jieba cuts 数据看板 as 数据/看/板 ...
    assert {"客户", "档案", "看板", "据看"} <= set(grams)  # ... its pairs still find it
    assert "数据" not in grams  # a word of the clause itself: found in body
    assert "案制" not in grams  # pairs never cross punctuation
    assert len(grams) == len(set(grams))
    assert AN.index_fields("iso9001")[1] == ["iso", "9001"]


def test_encode_is_the_coarse_terms():
    assert decode_groups(AN.encode("建立客户档案")) == [["建立"], ["客户档案"]]


def test_queries_are_cut_as_the_full_dictionary_cuts_them(tmp_path, monkeypatch):
    """The on-disk dictionary gives exactly jieba's words (it holds every entry a string's
    substrings can reach), so queries and the index always agree."""
    import tempfile

    from jdsearch import analysis

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    path = analysis.write_lexicon()
    assert path is not None and path.parent == tmp_path
    light = analysis.LexiconTokenizer(path)
    full = analysis.jd_tokenizer()
    texts = [
        *[
            line.strip()
            for f in sorted(CORPUS.glob("*.txt"))
            for line in f.read_text("utf-8").splitlines()
            if line.strip()
        ][:400],
        "数据看板",
        "进销存管理系统",
        "熟练使用Excel和SQL",
        "负责客户关系维护与窜货管理",
    ]
    for text in texts:
        for run in re.findall(r"[\u4e00-\u9fff]+", text):
            assert list(light.cut(run)) == list(full.cut(run)), run
    an = analysis.Analyzer(light=False)
    monkeypatch.setattr(analysis, "_query_tokenizer", lambda: light)
    quick = analysis.Analyzer(light=True)
    for text in texts[:100]:
        assert quick.terms(text, "query") == an.terms(text, "query")
        assert quick.terms(text, "index") == an.terms(text, "index")
