"""The resolver's features on a small hand-made KB: cue words, the local (sibling-telling)
weights, and the sparse-matrix name index against a plain per-name computation."""
from __future__ import annotations

import math
from typing import Dict, List

import pytest
from rapidfuzz import fuzz

from bot.text import match_key
from procedures_kb.query import ProcedureEntry
from procedures_kb.resolver import STOPWORDS, ProcedureResolver


def entry(code: str, name: str, *aliases: str, levels=("Cấp xã",)) -> ProcedureEntry:
    names = (name, *aliases)
    return ProcedureEntry(code=code, name=name, aliases=names, alias_keys=tuple(match_key(a) for a in names),
                          field="Hộ tịch", levels=tuple(levels))


ENTRIES = [
    entry("1.000894", "Đăng ký kết hôn", "làm giấy kết hôn", "cưới vợ đăng ký kết hôn"),
    entry("2.000806", "Đăng ký kết hôn có yếu tố nước ngoài", "lấy chồng nước ngoài"),
    entry("1.014257", "Cấp giấy phép khai thác khoáng sản", "xin giấy phép khai thác mỏ đá", levels=("Cấp tỉnh",)),
    entry("1.014282", "Trả lại giấy phép khai thác khoáng sản", "không khai thác nữa trả giấy phép",
          levels=("Cấp tỉnh",)),
    entry("1.014060", "Cấp lại giấy phép khai thác khoáng sản", levels=("Cấp tỉnh",)),
    entry("1.012575", "Đăng ký xe lần đầu", "mua xe mới đăng ký biển số"),
    entry("1.013080", "Cấp lại chứng nhận đăng ký xe", "mất cà vẹt xe"),
    entry("1.013090", "Đăng ký xe tạm thời", "xe chạy thử đăng ký tạm"),
]


@pytest.fixture(scope="module")
def small() -> ProcedureResolver:
    return ProcedureResolver(ENTRIES, outside=([], {}))


def features_of(resolver: ProcedureResolver, text: str) -> Dict[str, Dict[str, float]]:
    return {resolver.entries[i].code: f for i, f in resolver.candidates(text)}


@pytest.mark.parametrize("text, foreign", [
    ("bạn trai em là người Mỹ, muốn đăng ký kết hôn", True),
    ("ban trai em la nguoi my muon dang ky ket hon", True),
    ("lấy chồng Hàn Quốc thì đăng ký ở đâu", True),
    ("chồng em là việt kiều", True),
    ("đăng ký kinh doanh mỹ phẩm", False),  # bare "mỹ" is no country
    ("nộp hồ sơ ở sở tư pháp", False),  # nor is "pháp"
    ("hạn nộp thuế là bao giờ", False),  # folded "han" is not Hàn
])
def test_foreign_cue_words(small, text, foreign):
    assert small.prepare(text).foreign is foreign


def test_foreign_cue_favours_the_foreign_sibling(small):
    feats = features_of(small, "bạn trai em là người Mỹ, muốn đăng ký kết hôn")
    assert feats["2.000806"]["foreign_cue"] == 1.0 and feats["1.000894"]["foreign_cue"] == -1.0
    plain = features_of(small, "đăng ký kết hôn")
    assert plain["1.000894"]["foreign_cue"] == 0.0 and plain["2.000806"]["foreign_cue"] < 0


def test_giving_a_licence_back_is_a_sibling_cue(small):
    feats = features_of(small, "cty em không làm nữa, muốn trả giấy phép khai thác khoáng sản")
    assert feats["1.014282"]["sibling_cue"] == 1.0
    assert feats["1.014257"]["sibling_cue"] < 0 and feats["1.014060"]["sibling_cue"] < 0


def test_first_time_rewards_without_penalising_the_plain_name(small):
    asked = features_of(small, "mua xe máy mới, đăng ký xe lần đầu")
    assert asked["1.012575"]["sibling_cue"] == 1.0
    assert asked["1.013090"]["sibling_cue"] == 0.0  # a plain name is not a variant
    assert asked["1.013080"]["sibling_cue"] < 0  # cấp lại is not what was asked
    plain = features_of(small, "đăng ký xe")
    assert plain["1.012575"]["sibling_cue"] == 0.0  # "lần đầu" is the default reading


def test_local_weights_favour_the_word_that_tells_siblings_apart(small):
    feats = features_of(small, "xin đăng ký xe tạm thời")
    assert feats["1.013090"]["local_recall"] > feats["1.012575"]["local_recall"]
    assert feats["1.013090"]["local_precision"] > feats["1.012575"]["local_precision"]


def _reference(resolver: ProcedureResolver, text: str) -> Dict[str, Dict[str, float]]:
    """The name features computed name by name, as their definitions read (no matrices)."""
    query = resolver.prepare(text)
    qset = set(query.tokens)
    w = resolver._w
    cw = sum(w(t) for t in query.content) + 0.6 * resolver._max_idf * len(query.unknown)
    ranked = [i for i, _ in resolver.candidates(text)]
    vocab = {i: {t for k in dict.fromkeys(resolver.entries[i].alias_keys) for t in k.split()} for i in ranked}
    df: Dict[str, int] = {}
    for i in ranked:
        for t in vocab[i]:
            df[t] = df.get(t, 0) + 1
    local = {t: math.log((len(ranked) + 1) / (n + 0.5)) * w(t) for t, n in df.items()}
    local_total = sum(local.get(t, 0.0) for t in query.content)
    out: Dict[str, Dict[str, float]] = {}
    for i in ranked:
        best = (-1.0, 0.0, 0.0, 0.0)
        fits: List[float] = [0.0]
        for key in dict.fromkeys(resolver.entries[i].alias_keys):
            tokens = key.split()
            r = sum(w(t) for t in tokens if t in qset) / sum(w(t) for t in tokens)
            if r <= 0:
                continue
            p = sum(w(t) for t in query.content if t in tokens) / cw
            fits.append(2 * r * p / (r + p) if r + p else 0.0)
            pairs = list(zip(tokens, tokens[1:]))
            o = len(set(pairs) & query.bigrams) / len(pairs) if pairs else r
            c = fuzz.partial_ratio(key, query.key) / 100.0
            if r + o + c > best[0]:
                best = (r + o + c, r, o, c)
        official = [t for t in match_key(resolver.entries[i].name).split() if t not in STOPWORDS]
        name_recall = sum(w(t) for t in official if t in qset) / sum(w(t) for t in official)
        lw = sum(local[t] for t in set(official))
        out[resolver.entries[i].code] = {
            "recall": best[1], "order": best[2], "contiguity": best[3], "alias_fit": max(fits),
            "name_recall": name_recall,
            "precision_name": sum(w(t) for t in query.content if t in vocab[i]) / cw,
            "local_recall": sum(local[t] for t in set(official) if t in qset) / lw if lw else 0.0,
            "local_precision": (sum(local.get(t, 0.0) for t in query.content if t in vocab[i]) / local_total
                                if local_total else 0.0),
        }
    return out


@pytest.mark.parametrize("text", [
    "đăng ký kết hôn với người nước ngoài",
    "xin cấp lại giấy phép khai thác mỏ đá bị mất",
    "mat ca vet xe thi lam lai the nao",
    "xe chạy thử đăng ký tạm thời",
])
def test_name_index_matches_the_per_name_definitions(small, text):
    got = features_of(small, text)
    want = _reference(small, text)
    assert set(got) == set(want)
    for code, feats in want.items():
        for name, value in feats.items():
            assert got[code][name] == pytest.approx(value, abs=1e-6), (code, name)
