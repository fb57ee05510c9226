"""Procedure resolution: from a person's words to KB procedures with calibrated scores.

One module, used by the Rasa pipeline (bot.nlu.procedure_resolver), the actions, `python -m bot
ask` and the benchmark, so they all decide the same way. Two stages:

1. Retrieval, BM25F over every procedure's names and aliases (strong), field, agencies and
   document names (weak). Terms are accent-folded, abbreviation-expanded syllables plus the
   compound words underthesea finds in the KB's names (`bot.text.compound_keys`), so "đăng ký"
   and "dang ky" meet on the same compound `dang_ky`.
2. Re-ranking of the best candidates on features of how well the question and a name fit:
   recall of the name, word order, rapidfuzz contiguity, how much of the question the name (and
   the whole record) explains, BM25 relative to the best, how well the single best name fits;
   the same fits with each word weighed by how rare it is among the retrieved candidates (the
   words that tell siblings apart); cue words for siblings (level, agency and foreign-country
   words, "bị mất" → cấp lại, "không làm nữa" → trả lại); and words of fields the KB does not
   cover (procedures_kb/data/outside_scope.yml). The word-overlap features of all candidates
   are sparse matrix products over every name (`_NameIndex`). A logistic model turns the
   features into a probability that the candidate is the procedure meant; its weights are
   fitted on a tuning set of questions (tests/data/tune, never the dev set) by
   `python -m tests.calibrate_resolver`.

A probable winner is a `match`; close runners-up make it `ambiguous` (the person picks among the
top three); a low best probability is `none` (the KB does not know the procedure).
"""
from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from rapidfuzz import fuzz, process
from scipy import sparse

from bot.text import compound_keys, join_compounds, match_key, nfc, question_key
from procedures_kb.query import KnowledgeBase, ProcedureEntry, shared_kb
from procedures_kb.records import OUTSIDE_DIR, load_outside, load_outside_words

# Words of questions, not of procedure names: they must not make a procedure look relevant.
STOPWORDS: FrozenSet[str] = frozenset(
    """a ah ak anh ban bao be bi biet cac cach can chi cho chu co con cua cung da dang day de den
    di duoc e em gi gio giup ha hay hoi khi khong la lam len luc ma may minh mot muon nao ne
    neu nhe nhieu nhu nhung no nua o oi phai qua ra rang roi sao se tai the thi thoi thu tren
    toi tuc uh va vay ve voi vui xin xong
    le phi lau nop dau mat tien gian thoi huong dan buoc truc tuyen online quy trinh
    hom nay mai qua bay""".split()
)

# BM25F: how much a term in each part of a record counts, relative to the names.
FIELD_WEIGHTS = {"name": 1.0, "field": 0.3, "agency": 0.3, "document": 0.12}
K1, B = 1.2, 0.75
RERANK_DEPTH = 30  # candidates re-ranked after retrieval
MAX_TYPO_FIXES = 6  # unknown words per question looked up for a typo (bounds the cost)

MATCH_THRESHOLD = 0.5  # best probability below this: the KB does not know the procedure
AMBIGUITY_RATIO = 0.6  # runner-up probability at least this share of the best: ask which one
OPTION_FLOOR = 0.25  # a button is offered for a runner-up at least this share of the best

# Key under which the NLU pipeline puts a message's resolution (read back by the actions).
RESOLUTION_KEY = "procedure_resolution"
WEIGHTS_FILE = Path(__file__).with_name("resolver_weights.json")

# Level words: a question naming a level prefers the sibling carried out there. Accented forms are
# searched in the NFC lower-case question, folded ones in the folded question ("sở" folds to "so",
# which is also "số"/"sổ", so it only counts when written with its accent). Bare "bộ", "sở",
# "tỉnh" and "phường" are not cues: "bộ hồ sơ", "cơ sở", "ra tỉnh khác" name no level.
LEVEL_CUES: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {
    "Cấp xã": (("ủy ban xã", "ubnd xã", "ubnd phường", "ở phường", "tại phường", "lên phường", "ra phường",
                "cấp xã", "ở xã", "tại xã", "lên xã", "ra xã", "thị trấn", "huyện", "quận"),
               ("cap xa", "ubnd xa", "uy ban nhan dan xa", "o xa", "tai xa", "len xa", "ra xa",
                "ubnd phuong", "o phuong", "tai phuong", "cap huyen")),
    "Cấp tỉnh": (("sở tư pháp", "sở xây dựng", "sở tài chính", "sở nông nghiệp", "lên sở", "ở sở", "tại sở",
                  "nộp sở", "cấp tỉnh", "ubnd tỉnh",
                  "ủy ban tỉnh", "ở tỉnh", "lên tỉnh", "tại tỉnh", "thành phố trực thuộc"),
                 ("cap tinh", "ubnd tinh", "o tinh", "len tinh", "so tu phap", "so xay dung", "so tai chinh",
                  "so nong nghiep")),
    "Cấp bộ": (("cấp bộ", "lên bộ", "ở bộ", "bộ tài chính", "bộ công an", "bộ xây dựng", "bộ tư pháp",
                "bộ nông nghiệp", "cục", "trung ương", "tổng cục"),
               ("cap bo", "len bo", "trung uong", "cap trung uong")),
}
# Sibling cues: question words (accented, searched in the accented question; folded, in the
# folded one) that favour names containing one of the name phrases (accented, searched in the
# lower-case names: folded, "đổi" would also be "đối với"). A name holding a variant phrase
# (cấp lại, cấp đổi…) is not the default reading of a question without such a cue; a name saying
# "lần đầu" is the default reading, so that group only rewards (variant=False).


@dataclass(frozen=True)
class SiblingCue:
    accented: Tuple[str, ...]
    folded: Tuple[str, ...]
    names: Tuple[str, ...]
    variant: bool = True


SIBLING_CUES: Tuple[SiblingCue, ...] = (
    SiblingCue(("mất", "thất lạc", "hỏng", "rách", "cháy", "cấp lại", "làm lại", "xin lại"),
               ("bi mat", "lam mat", "danh mat", "that lac", "mat roi", "bi hong", "hu hong", "bi rach",
                "bi chay", "cap lai", "lam lai", "xin lai"),
               ("cấp lại", "đăng ký lại", "làm lại")),
    SiblingCue(("đổi", "hết hạn"), ("het han", "doi sang", "doi moi", "cap doi", "doi lai"),
               ("cấp đổi", "đổi", "gia hạn")),
    SiblingCue(("gia hạn",), ("gia han",), ("gia hạn",)),
    SiblingCue(("sai thông tin", "ghi sai", "bị sai", "sửa lại", "điều chỉnh", "thay đổi", "bổ sung", "sửa đổi"),
               ("sai thong tin", "ghi sai", "bi sai", "sua lai", "dieu chinh", "thay doi", "bo sung", "sua doi"),
               ("điều chỉnh", "cải chính", "thay đổi", "sửa đổi", "bổ sung", "đính chính")),
    SiblingCue(("xóa", "xoá", "hủy", "huỷ", "không dùng nữa", "thanh lý"),
               ("xoa dang ky", "xoa ten", "huy bo", "huy dang ky", "khong dung nua", "thanh ly"),
               ("xóa", "hủy")),
    SiblingCue(("thu hồi",), ("thu hoi",), ("thu hồi",)),
    SiblingCue(("tạm ngừng", "tạm dừng", "nghỉ kinh doanh", "chấm dứt", "giải thể", "đóng cửa", "ngừng hoạt động"),
               ("tam ngung", "tam dung", "nghi kinh doanh", "cham dut", "giai the", "dong cua", "ngung hoat dong"),
               ("tạm ngừng", "chấm dứt", "giải thể", "đình chỉ")),
    # Giving a licence back: "không làm nữa", "trả giấy phép" → trả lại / chấm dứt / đóng cửa.
    SiblingCue(("trả lại", "nộp lại giấy phép", "trả giấy phép", "không làm nữa", "không khai thác nữa",
                "không sản xuất nữa", "không hoạt động nữa", "không kinh doanh nữa", "xin thôi"),
               ("tra lai", "nop lai giay phep", "tra giay phep", "khong lam nua", "khong khai thac nua",
                "khong san xuat nua", "khong hoat dong nua", "khong kinh doanh nua", "xin thoi"),
               ("trả lại", "chấm dứt", "đóng cửa", "thôi")),
    SiblingCue(("lần đầu", "mới mua", "mới thành lập", "mới mở", "chưa từng", "cấp mới"),
               ("lan dau", "moi mua", "moi thanh lap", "moi mo", "chua tung", "cap moi"),
               ("lần đầu", "cấp mới"), variant=False),
)
NAME_PHRASES = tuple(dict.fromkeys(p for cue in SIBLING_CUES for p in cue.names))
VARIANT_PHRASES = frozenset(p for cue in SIBLING_CUES if cue.variant for p in cue.names)


@lru_cache(maxsize=256)
def _phrase_re(phrases: Tuple[str, ...]) -> re.Pattern:
    """One pattern for whole-word occurrences of any of the phrases."""
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)")


def _has_phrase(text: str, phrases: Tuple[str, ...]) -> bool:
    return bool(phrases) and _phrase_re(tuple(phrases)).search(text) is not None


# Foreign cues: a question naming a foreign country, a foreigner or life abroad favours the sibling
# "… có yếu tố nước ngoài" / "… ở nước ngoài" / "người nước ngoài" over the domestic one. Accented
# forms in the NFC lower-case question; folded ones only where folding leaves no other word
# ("nhật" folds to "nhat", also "nhất"; "hàn" to "han", also "hạn"). Bare "mỹ" and "pháp" are
# not cues: "mỹ phẩm", "tư pháp".
FOREIGN_CUES: Tuple[Tuple[str, ...], Tuple[str, ...]] = (
    ("nước ngoài", "người nước ngoài", "ngoại quốc", "việt kiều", "kiều bào", "định cư", "lãnh sự",
     "đại sứ quán", "sứ quán", "quốc tịch nước ngoài", "người tây", "ông tây",
     "người mỹ", "bên mỹ", "ở mỹ", "sang mỹ", "nước mỹ", "hoa kỳ",
     "nhật bản", "người nhật", "bên nhật", "ở nhật", "sang nhật",
     "hàn quốc", "người hàn", "bên hàn", "sang hàn", "trung quốc", "đài loan", "hồng kông",
     "người pháp", "nước pháp", "bên pháp", "sang pháp",
     "người đức", "nước đức", "bên đức", "ở đức", "sang đức",
     "úc", "canada", "nước nga", "người nga", "lào", "campuchia", "thái lan", "singapore",
     "malaysia", "philippines", "indonesia", "ấn độ", "anh quốc", "nước anh", "châu âu", "xuất khẩu lao động"),
    ("nuoc ngoai", "ngoai quoc", "viet kieu", "kieu bao", "dinh cu", "lanh su", "dai su quan", "su quan",
     "nguoi tay", "nguoi my", "ben my", "o my", "sang my", "hoa ky", "nhat ban", "nguoi nhat", "ben nhat",
     "sang nhat", "han quoc", "nguoi han", "ben han", "sang han", "trung quoc", "dai loan", "hong kong",
     "nguoi phap", "nuoc phap", "ben phap", "nguoi duc", "nuoc duc", "ben duc", "o duc", "sang duc",
     "nguoi uc", "ben uc", "canada", "nguoi nga", "nuoc nga", "nguoi lao", "ben lao", "campuchia",
     "thai lan", "singapore", "malaysia", "philippines", "indonesia", "an do", "chau au",
     "xuat khau lao dong"),
)
FOREIGN_NAME_PHRASES = ("nước ngoài", "người việt nam định cư", "ngoài nước", "quốc tế")

AGENCY_CUES = ("cong an", "ngan hang", "hai quan", "thue", "kho bac", "toa an")


LEXICON_META = "compound_lexicon"  # kb_meta key of the stored lexicon (a JSON list of "dang_ky")


def build_lexicon(entries: Sequence[ProcedureEntry]) -> FrozenSet[Tuple[str, ...]]:
    """The compound words underthesea finds in the KB's names and aliases (a few seconds for the
    full portal dataset, so the KB build stores it; see procedures_kb.prepare)."""
    return compound_keys(t for e in entries for t in e.aliases)


OUTSIDE_PREFIX = "~"  # codes of the outside catalogue's entries: "~health.12"


def outside_entries(directory: Path = OUTSIDE_DIR) -> Tuple[List[ProcedureEntry], Dict[str, "OutsideField"]]:
    """The procedures of fields the KB does not cover (procedures_kb/data/outside), indexed next
    to the KB's so that a question about a clinic licence finds its own kind rather than the
    nearest KB procedure; and for each, the field and agency to point the person to."""
    entries, fields = [], {}
    for stem, record in load_outside(directory):
        info = OutsideField(record.field, record.agency)
        for n, proc in enumerate(record.procedures):
            names = tuple(dict.fromkeys([proc.name, *proc.aliases]))
            code = f"{OUTSIDE_PREFIX}{stem}.{n}"
            entries.append(ProcedureEntry(code=code, name=proc.name, aliases=names,
                                          alias_keys=tuple(match_key(a) for a in names),
                                          field=record.field, levels=(), agencies=(record.agency,)))
            fields[code] = info
    return entries, fields


@dataclass(frozen=True)
class OutsideField:
    """Where a question outside the KB belongs: the field and who to ask."""

    field: str
    agency: str

    def as_dict(self) -> Dict[str, str]:
        return {"field": self.field, "agency": self.agency}


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str
    score: float  # probability that this is the procedure meant (calibrated on the tuning set)

    @property
    def is_outside(self) -> bool:
        return self.code.startswith(OUTSIDE_PREFIX)

    def as_dict(self) -> Dict[str, object]:
        return {"code": self.code, "name": self.name, "score": round(self.score, 4)}


@dataclass(frozen=True)
class Resolution:
    status: str  # match | ambiguous | none
    candidates: Tuple[Candidate, ...] = field(default_factory=tuple)  # KB procedures only
    outside: Optional[OutsideField] = None  # set when the question is about an uncovered field

    @property
    def best(self) -> Optional[Candidate]:
        return self.candidates[0] if self.status == "match" and self.candidates else None

    @property
    def options(self) -> Tuple[Candidate, ...]:
        """The candidates offered as buttons when the status is `ambiguous` (at most three)."""
        if not self.candidates:
            return ()
        top = self.candidates[0].score
        return tuple(c for c in self.candidates[:3] if c.score >= top * OPTION_FLOOR)

    def as_dict(self) -> Dict[str, object]:
        data: Dict[str, object] = {"status": self.status, "candidates": [c.as_dict() for c in self.candidates]}
        if self.outside:
            data["outside"] = self.outside.as_dict()
        return data

    @classmethod
    def from_dict(cls, data: Dict[str, object]) -> "Resolution":
        """Back from as_dict (the NLU pipeline hands the resolution to the actions this way)."""
        candidates = tuple(Candidate(str(c["code"]), str(c["name"]), float(c["score"]))
                           for c in data.get("candidates") or [])
        outside = data.get("outside")
        return cls(str(data.get("status", "none")), candidates,
                   OutsideField(outside["field"], outside["agency"]) if isinstance(outside, dict) else None)


# Features of a (question, candidate) pair, in the order of the weights file.
FEATURES = ("recall", "order", "contiguity", "precision_name", "precision_all", "bm25_rel",
            "level_cue", "sibling_cue", "agency_cue", "unknown_share", "scope_cue",
            "alias_fit", "name_recall", "local_recall", "local_precision", "foreign_cue",
            "local_alias_fit")
DEFAULT_WEIGHTS = {
    "bias": -7.0, "recall": 3.5, "order": 1.0, "contiguity": 1.5, "precision_name": 4.0,
    "precision_all": 1.0, "bm25_rel": 2.0, "level_cue": 1.0, "sibling_cue": 1.0,
    "agency_cue": 0.8, "unknown_share": -2.0, "scope_cue": 2.0,
    "alias_fit": 2.0, "name_recall": 1.0, "local_recall": 0.0, "local_precision": 0.0,
    "foreign_cue": 0.0, "local_alias_fit": 0.0,
}


def load_weights(path: Path = WEIGHTS_FILE) -> Dict[str, float]:
    """The fitted model: feature weights plus `threshold` and `ambiguity_ratio`, or hand-set
    defaults when no fit was written yet."""
    weights = dict(DEFAULT_WEIGHTS, threshold=MATCH_THRESHOLD, ambiguity_ratio=AMBIGUITY_RATIO)
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        weights.update({k: float(v) for k, v in data["weights"].items()})
        weights["threshold"] = float(data.get("threshold", MATCH_THRESHOLD))
        weights["ambiguity_ratio"] = float(data.get("ambiguity_ratio", AMBIGUITY_RATIO))
    return weights


@dataclass
class Query:
    """A question prepared once for scoring against every candidate."""

    text: str  # NFC lower-case
    key: str  # folded, typo-corrected tokens joined by spaces
    tokens: Tuple[str, ...]
    terms: Tuple[str, ...]  # retrieval terms: content syllables and compounds
    content: Tuple[str, ...]  # known content words
    content_w: Dict[str, float]  # their IDF weights
    unknown: Tuple[str, ...]  # content words the KB has never seen
    bigrams: FrozenSet[Tuple[str, str]]
    levels: FrozenSet[str]
    sibling_phrases: Tuple[str, ...]
    agency_words: Tuple[str, ...]
    scope_words: Tuple[str, ...]  # words of fields the KB does not cover
    foreign: bool  # names a foreign country, a foreigner or life abroad

class _NameIndex:
    """Every procedure's words as sparse rows over one vocabulary: each of its names (aliases and
    official name) and what its whole record holds. The word-overlap features of all candidates
    of a question are then a few matrix products rather than a Python loop over every name."""

    def __init__(self, names: Sequence[Sequence[str]], official: Sequence[Tuple[str, ...]],
                 all_vocab: Sequence[FrozenSet[str]], weight: Callable[[str], float]):
        """`names`: each procedure's name keys (official name and aliases, match_key form);
        `official`: the content words of its official name; `all_vocab`: the words of its
        whole record; `weight`: a word's IDF weight (a repeated word counts each time)."""
        self.vocab: Dict[str, int] = {}
        self.pair_vocab: Dict[Tuple[str, str], int] = {}
        self.keys: List[str] = [k for keys in names for k in keys]
        self.start = np.cumsum([0] + [len(keys) for keys in names])  # entry i: rows start[i]:start[i+1]
        tokens = [tuple(k.split()) for k in self.keys]

        def weighed(words: Sequence[str]) -> Dict[str, float]:
            out: Dict[str, float] = {}
            for t in words:
                out[t] = out.get(t, 0.0) + weight(t)
            return out

        alias_rows = self._index([weighed(t) for t in tokens])
        official_rows = self._index([weighed(t) for t in official])
        # The words of each procedure's names, and of its whole record (names, field, agencies, documents).
        name_rows = self._index([dict.fromkeys((t for k in keys for t in k.split()), 1.0) for keys in names])
        record_rows = self._index([dict.fromkeys(v, 1.0) for v in all_vocab])
        width = len(self.vocab)
        self.alias_weights = self._csr(alias_rows, width)
        self.alias_total = self._total(self.alias_weights)
        self.alias_pairs = self._csr([[(self.pair_vocab.setdefault(p, len(self.pair_vocab)), 1.0)
                                       for p in set(zip(t, t[1:]))] for t in tokens], len(self.pair_vocab))
        self.n_pairs = np.array([max(len(t) - 1, 0) for t in tokens], dtype=np.float64)
        self.official_weights = self._csr(official_rows, width)
        self.official_total = self._total(self.official_weights)
        self.names = self._csr(name_rows, width)
        self.record = self._csr(record_rows, width)
        words = sorted(self.vocab, key=self.vocab.get)
        self.word_weight = np.array([weight(t) for t in words])

    def _index(self, rows: Sequence[Dict[str, float]]) -> List[List[Tuple[int, float]]]:
        """Rows of (column, value), growing the vocabulary with their words."""
        return [[(self.vocab.setdefault(t, len(self.vocab)), w) for t, w in r.items()] for r in rows]

    @staticmethod
    def _csr(rows: Sequence[Sequence[Tuple[int, float]]], width: int) -> sparse.csr_matrix:
        indptr = np.cumsum([0] + [len(r) for r in rows])
        indices = np.fromiter((j for r in rows for j, _ in r), dtype=np.int64, count=int(indptr[-1]))
        data = np.fromiter((v for r in rows for _, v in r), dtype=np.float64, count=int(indptr[-1]))
        return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), max(width, 1)))

    @staticmethod
    def _present(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
        out = matrix.copy()
        out.data[:] = 1.0
        return out

    @staticmethod
    def _total(matrix: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(matrix.sum(axis=1)).ravel()

    def vector(self, weights: Dict[str, float]) -> np.ndarray:
        out = np.zeros(len(self.vocab))
        for t, w in weights.items():
            j = self.vocab.get(t)
            if j is not None:
                out[j] = w
        return out

    def match(self, query: "Query", entries: np.ndarray, content_weight: float) -> Dict[str, np.ndarray]:
        """The word-overlap features of candidates `entries`, each an array over them.

        Per name: recall (the weighted share of the name's words the question holds), order
        (share of its word pairs in the question), contiguity (rapidfuzz partial_ratio) and an
        F-measure of name against question; the candidate keeps the name with the best recall +
        order + contiguity, and the best F-measures. Per procedure: the recall of its official
        name, and the share of the question its names (precision_name) and whole record
        (precision_all) explain. The `local_` variants weigh words by how rare they are among
        these candidates' names: the words that tell siblings apart."""
        in_question = self.vector(dict.fromkeys(query.tokens, 1.0))
        content = self.vector(query.content_w)
        names = self.names[entries]
        df = np.asarray(names.sum(axis=0)).ravel()
        rarity = np.where(df > 0, np.log((len(entries) + 1) / (df + 0.5)) * self.word_weight, 0.0)
        rare_content = rarity * (content > 0)
        local_total = float(rare_content.sum())

        def ratio(num: np.ndarray, den) -> np.ndarray:
            return np.divide(num, den, out=np.zeros(len(num)), where=np.asarray(den) > 0)

        def f_measure(r: np.ndarray, p: np.ndarray) -> np.ndarray:
            return ratio(2 * r * p, r + p)

        spans = [(int(self.start[i]), int(self.start[i + 1])) for i in entries]
        rows = np.concatenate([np.arange(a, b) for a, b in spans])
        weights = self.alias_weights[rows]
        present = self._present(weights)
        r = ratio(weights @ in_question, self.alias_total[rows])
        alias_fit = f_measure(r, ratio(present @ content, content_weight))
        local_fit = f_measure(ratio(present @ (rarity * in_question), present @ rarity),
                              ratio(present @ rare_content, local_total))
        bigrams = np.zeros(len(self.pair_vocab))
        bigrams[[self.pair_vocab[p] for p in query.bigrams if p in self.pair_vocab]] = 1.0
        n_pairs = self.n_pairs[rows]
        o = np.where(n_pairs > 0, ratio(self.alias_pairs[rows] @ bigrams, n_pairs), r)
        matched = r > 0
        base = np.where(matched, r + o, -np.inf)
        segments, pos = [], 0
        for a, b in spans:
            segments.append(slice(pos, pos + b - a))
            pos += b - a
        live = [seg for seg in segments if matched[seg].any()]
        # The best name is chosen on recall + order + contiguity, and contiguity (partial_ratio,
        # the costly part) is at most 1: it is computed first for each candidate's best name on
        # recall + order, then only for the names that could still beat that one.
        c = np.zeros(len(rows))
        firsts = [seg.start + int(np.argmax(base[seg])) for seg in live]
        self._contiguity(query.key, rows, firsts, c)
        bound = np.full(len(rows), np.inf)
        for seg, first in zip(live, firsts):
            bound[seg] = base[first] + c[first]
        done = set(firsts)
        self._contiguity(query.key, rows, [j for j in np.flatnonzero(matched & (base + 1.0 > bound))
                                           if j not in done], c)
        out = {k: np.zeros(len(entries)) for k in ("recall", "order", "contiguity", "alias_fit", "local_alias_fit")}
        for n, seg in enumerate(segments):
            m = matched[seg]
            if m.any():
                j = seg.start + int(np.argmax(np.where(m, base[seg] + c[seg], -np.inf)))
                out["recall"][n], out["order"][n], out["contiguity"][n] = r[j], o[j], c[j]
                out["alias_fit"][n] = alias_fit[seg][m].max()
                out["local_alias_fit"][n] = local_fit[seg][m].max()
        official_weights = self.official_weights[entries]
        official = self._present(official_weights)
        out["name_recall"] = ratio(official_weights @ in_question, self.official_total[entries])
        out["precision_name"] = ratio(names @ content, content_weight)
        out["precision_all"] = ratio(self.record[entries] @ content, content_weight)
        out["local_recall"] = ratio(official @ (rarity * in_question), official @ rarity)
        out["local_precision"] = ratio(names @ rare_content, local_total)
        return out

    def _contiguity(self, key: str, rows: np.ndarray, positions: Sequence[int], out: np.ndarray) -> None:
        """rapidfuzz partial_ratio of the question against the names at `positions`, into `out`."""
        if len(positions):
            out[list(positions)] = process.cdist([key], [self.keys[rows[j]] for j in positions],
                                                 scorer=fuzz.partial_ratio)[0] / 100.0


class ProcedureResolver:
    """An in-memory index over every procedure of the KB."""

    def __init__(self, entries: Sequence[ProcedureEntry], weights: Optional[Dict[str, float]] = None,
                 lexicon: Optional[FrozenSet[Tuple[str, ...]]] = None,
                 outside: Optional[Tuple[Sequence[ProcedureEntry], Dict[str, OutsideField]]] = None):
        self.by_code = {e.code: i for i, e in enumerate(entries)}  # the KB's procedures
        outside_list, self.outside_fields = outside if outside is not None else outside_entries()
        # The outside catalogue is indexed after the KB's entries, with the same features.
        self.entries: List[ProcedureEntry] = [*entries, *outside_list]
        self.weights = weights or load_weights()
        self.lexicon = lexicon if lexicon is not None else build_lexicon(self.entries)
        n = len(self.entries)

        field_terms: Dict[str, List[Counter]] = {f: [] for f in FIELD_WEIGHTS}
        self._all_vocab: List[FrozenSet[str]] = []
        self._agency_key: List[str] = []
        self._scope_text: List[str] = []
        self._scope_keys = tuple(dict.fromkeys(match_key(w) for w in load_outside_words()))
        for e in self.entries:
            name_tokens = [t for k in dict.fromkeys(e.alias_keys) for t in k.split()]
            parts = {
                "name": self._terms(name_tokens),
                "field": self._terms(match_key(e.field).split()),
                "agency": self._terms(match_key(" ; ".join(e.agencies)).split()),
                "document": self._terms(match_key(" ; ".join(e.documents)).split()),
            }
            for f, terms in parts.items():
                field_terms[f].append(Counter(terms))
            self._all_vocab.append(frozenset(t for terms in parts.values() for t in terms if "_" not in t))
            self._agency_key.append(" ".join(match_key(a) for a in e.agencies) + " " + " ".join(e.alias_keys))
            self._scope_text.append(f" {' | '.join(e.alias_keys)} | {match_key(e.field)} ")

        doc_freq: Counter = Counter()
        for i in range(n):
            doc_freq.update({t for f in FIELD_WEIGHTS for t in field_terms[f][i]})
        self.idf: Dict[str, float] = {
            t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in doc_freq.items()
        }
        self._max_idf = max(self.idf.values(), default=1.0)
        # Postings: for each term, the procedures holding it and its full BM25F contribution.
        avg_len = {f: max(sum(sum(c.values()) for c in field_terms[f]) / max(n, 1), 1.0)
                   for f in FIELD_WEIGHTS}
        acc: Dict[str, Dict[int, float]] = defaultdict(dict)
        for f, weight in FIELD_WEIGHTS.items():
            for i, counts in enumerate(field_terms[f]):
                norm = 1 - B + B * sum(counts.values()) / avg_len[f]
                for t, tf in counts.items():
                    acc[t][i] = acc[t].get(i, 0.0) + weight * tf / norm
        self._postings: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}
        for t, docs in acc.items():
            idx = np.fromiter(docs.keys(), dtype=np.int32, count=len(docs))
            tf = np.fromiter(docs.values(), dtype=np.float64, count=len(docs))
            self._postings[t] = (idx, self.idf[t] * tf * (K1 + 1) / (tf + K1))
        # The official name alone: its qualifiers ("chuyển đổi", "cấp Tỉnh") tell siblings apart
        # where the everyday names of both read the same.
        official = [tuple(t for t in match_key(e.name).split() if t not in STOPWORDS) for e in self.entries]
        self._index = _NameIndex([list(dict.fromkeys(k for k in e.alias_keys if k)) for e in self.entries],
                                 official, self._all_vocab, self._w)
        self._words = sorted({t for t in self.idf if "_" not in t and len(t) >= 3})
        # Which variant phrases each name holds (static, so scoring needs no regex).
        self._variants: List[FrozenSet[str]] = []  # the cue phrases each official name holds
        self._foreign = [_has_phrase(nfc(e.name).lower(), FOREIGN_NAME_PHRASES) for e in self.entries]
        for e in self.entries:
            names = nfc(e.name).lower()  # the official name: everyday aliases mix the variants
            self._variants.append(frozenset(p for p in NAME_PHRASES if _has_phrase(names, (p,))))

    @property
    def kb_entries(self) -> List[ProcedureEntry]:
        """The KB's procedures (the outside catalogue's entries follow them in `entries`)."""
        return self.entries[:len(self.by_code)]

    @classmethod
    def from_kb(cls, kb: KnowledgeBase) -> "ProcedureResolver":
        """The resolver of a KB, with the compound lexicon its build stored (if any)."""
        stored = kb.meta().get(LEXICON_META)
        lexicon = frozenset(tuple(w.split("_")) for w in json.loads(stored)) if stored else None
        return cls(kb.entries(), lexicon=lexicon)

    # -- text preparation ------------------------------------------------------------------

    def _terms(self, tokens: Sequence[str]) -> List[str]:
        """Retrieval terms of folded tokens: content syllables plus the compounds they form."""
        content = [t for t in tokens if t not in STOPWORDS]
        # A compound of question words only ("lệ phí", "thời gian") is no evidence either.
        return content + [c for c in join_compounds(tokens, self.lexicon)
                          if not all(p in STOPWORDS for p in c.split("_"))]

    def _w(self, token: str) -> float:
        base = self.idf.get(token, 1.0)
        return base * (0.25 if token in STOPWORDS else 1.0)

    def _fix_typos(self, tokens: Sequence[str]) -> Tuple[str, ...]:
        """Map a question word to a KB word when it is a likely typo of one (khai sihn)."""
        out, fixes = [], 0
        for t in tokens:
            if (t in self.idf or t in STOPWORDS or len(t) < 4 or t.isdigit() or fixes >= MAX_TYPO_FIXES):
                out.append(t)
                continue
            fixes += 1
            # Equally close words ("sihn": sinh, shcn): the more common one is the likelier.
            hits = process.extract(t, self._words, scorer=fuzz.ratio, score_cutoff=75, limit=5)
            out.append(max(hits, key=lambda h: (h[1], -self.idf[h[0]]))[0] if hits else t)
        return tuple(out)

    def prepare(self, text: str) -> Query:
        lowered = nfc(text).lower()
        raw = question_key(text)
        tokens = self._fix_typos(raw.split())
        key = " ".join(tokens)
        # Cue words are looked up in the folded question as typed and as typo-corrected: a word
        # the KB never uses ("người" in a small KB) may otherwise be "corrected" away.
        padded = f" {key} | {raw} "
        content = tuple(t for t in dict.fromkeys(tokens) if t in self.idf and t not in STOPWORDS)
        # Words the KB has never seen ("karaoke", "bhyt") are evidence of a procedure it does not
        # know: they weigh against every candidate.
        unknown = tuple(t for t in dict.fromkeys(tokens)
                        if t not in self.idf and t not in STOPWORDS and len(t) > 2 and not t.isdigit())

        def says(accented: Tuple[str, ...], folded: Tuple[str, ...]) -> bool:
            """Whether the question holds one of the accented phrases, or one of the folded ones."""
            return _has_phrase(lowered, accented) or any(f" {w} " in padded for w in folded)

        levels = frozenset(level for level, (accented, folded) in LEVEL_CUES.items() if says(accented, folded))
        sibling = tuple(p for cue in SIBLING_CUES if says(cue.accented, cue.folded) for p in cue.names)
        return Query(
            text=lowered, key=key, tokens=tokens, terms=tuple(dict.fromkeys(self._terms(tokens))),
            content=content, content_w={t: self._w(t) for t in content}, unknown=unknown,
            bigrams=frozenset(zip(tokens, tokens[1:])),
            levels=levels, sibling_phrases=sibling,
            agency_words=tuple(a for a in AGENCY_CUES if f" {a} " in padded),
            scope_words=tuple(w for w in self._scope_keys if f" {w} " in padded),
            foreign=says(*FOREIGN_CUES),
        )

    # -- scoring ---------------------------------------------------------------------------

    def bm25(self, query: Query) -> np.ndarray:
        scores = np.zeros(len(self.entries))
        for t in query.terms:
            posting = self._postings.get(t)
            if posting is not None:
                scores[posting[0]] += posting[1]
        return scores

    def _content_weight(self, query: Query) -> float:
        """What the question's content words weigh; a word the KB has never seen counts as a rare one."""
        return sum(query.content_w.values()) + 0.6 * self._max_idf * len(query.unknown)

    def cues(self, query: Query, i: int) -> Dict[str, float]:
        """The cue features of candidate i, each in [-1, 1]: level, sibling, agency, foreign and
        uncovered-field words of the question against what the candidate is."""
        entry = self.entries[i]
        level_cue = 0.0
        if query.levels:
            level_cue = 1.0 if query.levels & set(entry.levels) else -1.0
        variants = self._variants[i]
        if variants.intersection(query.sibling_phrases):
            sibling_cue = 1.0  # the name says what the question asks for
        elif variants & VARIANT_PHRASES or VARIANT_PHRASES.intersection(query.sibling_phrases):
            sibling_cue = -0.5  # a variant not asked for, or a plain name where a variant is asked
        else:
            sibling_cue = 0.0
        agency_cue = 0.0
        if query.agency_words:
            agency_cue = 1.0 if any(a in self._agency_key[i] for a in query.agency_words) else -0.5
        if query.foreign:
            foreign_cue = 1.0 if self._foreign[i] else -1.0
        else:
            foreign_cue = -0.5 if self._foreign[i] else 0.0
        n_words = len(query.content) + len(query.unknown)
        # A word of an uncovered field the candidate does not share: -1 (the person asks about
        # something else); 0 when the question has none or the candidate shares them all.
        scope_cue = -float(any(f" {w} " not in self._scope_text[i] for w in query.scope_words))
        return {
            "level_cue": level_cue, "sibling_cue": sibling_cue, "agency_cue": agency_cue,
            "unknown_share": len(query.unknown) / n_words if n_words else 0.0,
            "scope_cue": scope_cue, "foreign_cue": foreign_cue,
        }

    def _probability(self, feats: Dict[str, float]) -> float:
        z = self.weights["bias"] + sum(self.weights[k] * feats[k] for k in FEATURES)
        return 1.0 / (1.0 + math.exp(-z))

    def candidates(self, text: str, depth: int = RERANK_DEPTH) -> List[Tuple[int, Dict[str, float]]]:
        """The retrieved candidates of a question with their features (best BM25 first)."""
        query = self.prepare(text)
        if not query.terms:
            return []
        scores = self.bm25(query)
        top = float(scores.max()) if len(scores) else 0.0
        if top <= 0:
            return []
        k = min(depth, int((scores > 0).sum()))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        match = self._index.match(query, best, self._content_weight(query))
        return [(int(i), {"bm25_rel": float(scores[i]) / top, **{k: float(v[n]) for k, v in match.items()},
                          **self.cues(query, int(i))})
                for n, i in enumerate(best)]

    def score_all(self, text: str) -> List[Candidate]:
        """The retrieved procedures with their probabilities, most probable first."""
        scored = [
            Candidate(self.entries[i].code, self.entries[i].name, self._probability(f))
            for i, f in self.candidates(text)
        ]
        scored.sort(key=lambda c: (-c.score, c.code))
        return scored

    def resolve(self, text: str, limit: int = 5) -> Resolution:
        """Decide: one clear procedure, a few close ones, or none the KB knows."""
        return self.decide(self.score_all(text), limit)

    def decide(self, scored: Sequence[Candidate], limit: int = 5) -> Resolution:
        """The outcome for candidates ranked best first (outside-catalogue ones included)."""
        if scored and scored[0].is_outside:
            kb_only = tuple(c for c in scored if not c.is_outside)[:limit]
            return Resolution("none", kb_only, self.outside_fields.get(scored[0].code))
        scored = tuple(c for c in scored if not c.is_outside)[:limit]
        if not scored or scored[0].score < self.weights["threshold"]:
            return Resolution("none", scored)
        if len(scored) > 1 and scored[1].score >= scored[0].score * self.weights["ambiguity_ratio"]:
            return Resolution("ambiguous", scored)
        return Resolution("match", scored)


MAX_QUESTION_CHARS = 1000  # a 5,000-character message is resolved on its first part

_shared: Dict[str, ProcedureResolver] = {}
_shared_lock = threading.Lock()


def shared_resolver(kb: Optional[KnowledgeBase] = None) -> ProcedureResolver:
    """One resolver per KB per process, built on first use."""
    kb = kb or shared_kb()
    with _shared_lock:
        if kb.url not in _shared:
            _shared[kb.url] = ProcedureResolver.from_kb(kb)
        return _shared[kb.url]


def resolve_message(text: str, mentions: Sequence[str] = (), kb: Optional[KnowledgeBase] = None) -> Resolution:
    """Resolve a user message: on the whole text and on each extracted mention, keeping the
    most confident outcome (a mention cut short by the entity extractor cannot hide a name the
    full text contains, and a long message cannot drown a clear mention)."""
    resolver = shared_resolver(kb)
    outcomes = [resolver.resolve(text[:MAX_QUESTION_CHARS])]
    outcomes += [resolver.resolve(m[:MAX_QUESTION_CHARS]) for m in mentions if m and m.strip()]
    rank = {"match": 2, "ambiguous": 1, "none": 0}
    return max(outcomes, key=lambda r: (rank[r.status], r.candidates[0].score if r.candidates else 0))
