"""Vietnamese text handling: normalisation, folding, abbreviations, segmentation spans."""
import unicodedata

import pytest

from bot.text import fold, has_letters, is_unaccented, match_key, nfc, segment, syllables


def test_fold_strips_tones_and_d_bar():
    assert fold("Đăng ký Kết hôn") == "dang ky ket hon"
    assert fold("CĂN CƯỚC") == "can cuoc"


def test_nfd_and_nfc_meet_on_the_same_key():
    text = "Đăng ký khai sinh cho bé hoà"
    assert match_key(unicodedata.normalize("NFD", text)) == match_key(text)


@pytest.mark.parametrize("raw, expected", [
    ("Làm GKS cho bé?", "lam giay khai sinh cho be"),
    ("đổi cccd", "doi can cuoc cong dan"),
    ("xin gpxd", "xin giay phep xay dung"),
    ("mở hkd", "mo ho kinh doanh"),
    ("sổ hồng", "so do"),
    ("k biết đk ở đâu", "khong biet dang ky o dau"),
    ("bằng lái xe hết hạn", "giay phep lai xe het han"),
])
def test_abbreviations_are_expanded(raw, expected):
    assert match_key(raw) == expected


def test_abbreviation_inside_a_word_is_left_alone():
    assert match_key("kho bạc") == "kho bac"


def test_nfc_removes_zero_width_and_controls():
    assert nfc("kh\u200bai\u0000 sinh") == "khai sinh"


def test_segment_spans_point_into_the_original_text():
    text = unicodedata.normalize("NFD", "Hoà giải ở xã, tra cứu hồ sơ 000.00.04.H51-200221-0001 nhé")
    words = segment(text)
    for w in words:
        assert text[w.start:w.end] == w.text
    keys = [w.key for w in words]
    assert "hoa_giai" in keys and "000.00.04.h51-200221-0001" in keys


def test_segment_groups_words_with_underthesea():
    keys = [w.key for w in segment("Làm giấy khai sinh cần giấy tờ gì")]
    assert "khai_sinh" in keys and "giay_to" in keys


def test_segment_without_underthesea_keeps_syllables():
    keys = [w.key for w in segment("Làm giấy khai sinh", use_underthesea=False)]
    assert keys == ["lam", "giay", "khai", "sinh"]


def test_long_message_is_bounded():
    words = segment("khai sinh " * 2500, max_syllables=400)
    assert len(words) <= 400


def test_emoji_only_has_no_letters():
    assert not has_letters("😀😀 !!!")
    assert syllables("😀 hi") == ["hi"]


def test_unaccented_detection():
    assert is_unaccented("lam giay khai sinh")
    assert not is_unaccented("làm giấy khai sinh")
