from hypothesis import given
from hypothesis import strategies as st

from jdsearch.normalize import EN, HANS, HANT, Normalizer, detect_lang, match_key, normalize


def test_traditional_and_simplified_meet():
    assert normalize("客戶檔案") == normalize("客户档案") == "客户档案"


def test_tw2sp_trap_is_avoided():
    # phrase-level tw2sp would turn 檔案 into 文件 and break 客户档案
    assert "档案" in normalize("建立健全客戶檔案")
    assert "文件" not in normalize("建立健全客戶檔案")


def test_taiwan_wording_table():
    assert normalize("市場資訊收集") == normalize("市场信息收集")
    assert normalize("具有市場行銷背景") == normalize("具有市场营销背景")
    assert normalize("市場網路建設") == normalize("市场网络建设")
    assert normalize("分銷通路") == normalize("分销渠道")
    assert normalize("內部稽核") == normalize("内部审核")


def test_fullwidth_and_case():
    assert normalize("ＫＰＩ指標") == "kpi指标"
    assert normalize("ISO9001") == "iso9001"


def test_map_points_at_source_characters():
    n = Normalizer()
    text = "①教育訓練與資訊"
    norm, origin = n.normalize_with_map(text)
    assert norm == n.normalize(text)
    assert len(origin) == len(norm)
    # every normalised char maps into the source, monotonically
    assert all(0 <= i < len(text) for i in origin)
    assert origin == sorted(origin)
    assert norm.startswith("1培训")
    assert text[origin[-2]] == "資"


@given(st.text(max_size=60))
def test_map_is_consistent_for_any_text(text):
    n = Normalizer()
    norm, origin = n.normalize_with_map(text)
    assert len(norm) == len(origin)
    assert all(0 <= i < len(text) for i in origin)


def test_detect_lang():
    assert detect_lang("Responsible for collecting market information.") == EN
    assert detect_lang("負責區域內下屬員工的的招聘以及業務工作的指導。") == HANT
    assert detect_lang("负责区域内下属员工的招聘以及业务工作的指导。") == HANS
    # ambiguous Han text falls back to the document's script
    assert detect_lang("对销售总监负责", default=HANT) == HANS  # 对/销/总/负/责 are simplified
    assert detect_lang("工作", default=HANT) == HANT  # the same in both scripts
    assert detect_lang("工作", default=HANS) == HANS
    assert detect_lang("ISO体系认证与KPI指标考核管理") == HANS


def test_match_key_ignores_punctuation():
    assert match_key("建立客戶檔案。") == match_key("建立 客户档案;")


@given(st.text(max_size=60))
def test_one_normaliser_with_an_offset_map(text: str):
    """normalize and normalize_with_map agree on every input (decomposed accents, half-width
    kana, ligatures, final sigma …), and every offset points into the original text."""
    n = Normalizer()
    norm, origin = n.normalize_with_map(text)
    assert norm == n.normalize(text)
    assert len(origin) == len(norm)
    assert all(0 <= i < len(text) for i in origin)
    assert origin == sorted(origin)


def test_offset_map_on_composed_forms():
    n = Normalizer()
    for text, char in (("Cafe\u0301 menu", "é"), ("ｶﾞｲﾄﾞ 客戶", "ガ"), ("ΟΔΟΣ", "ς")):
        norm, _origin = n.normalize_with_map(text)
        assert norm == n.normalize(text) and char in norm
