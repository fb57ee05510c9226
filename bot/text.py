"""Vietnamese text handling: the one place that normalises, folds and splits user text.

Everything that compares user words with KB words (the Rasa tokenizer, the procedure resolver,
the KB build) goes through these functions, so accented, unaccented, NFD and abbreviated input
all meet the KB on the same keys.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

# A "syllable" is a run of letters/digits (combining marks included, so NFD input is not cut
# inside a letter); dots, dashes and slashes inside keep codes like 000.00.04.H51-200221-0001
# and 68/2020/QH14 in one piece.
_WORD_CHARS = r"[^\W_]|[\u0300-\u036f]"
SYLLABLE_RE = re.compile(rf"(?:{_WORD_CHARS})+(?:[./\-](?:{_WORD_CHARS})+)*")
_SPACES_RE = re.compile(r"\s+")
_CONTROL_RE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\ufeff]")

# Abbreviations and chat spellings, keyed by their folded form. Values are folded too.
# Multi-word keys are matched on whole-word boundaries.
ABBREVIATIONS: Dict[str, str] = {
    "gks": "giay khai sinh",
    "cccd": "can cuoc cong dan",
    "cmnd": "chung minh nhan dan",
    "cmt": "chung minh nhan dan",
    "gpxd": "giay phep xay dung",
    "hkd": "ho kinh doanh",
    "dkkd": "dang ky kinh doanh",
    "dkkh": "dang ky ket hon",
    "dkks": "dang ky khai sinh",
    "xntthn": "xac nhan tinh trang hon nhan",
    "gplx": "giay phep lai xe",
    "bang lai xe": "giay phep lai xe",
    "bang lai": "giay phep lai xe",
    "lltp": "ly lich tu phap",
    "gcn": "giay chung nhan",
    "gcnqsdd": "giay chung nhan quyen su dung dat",
    "qsdd": "quyen su dung dat",
    "so hong": "so do",
    "ubnd": "uy ban nhan dan",
    "dvc": "dich vu cong",
    "tthc": "thu tuc hanh chinh",
    "dk": "dang ky",
    "dky": "dang ky",
    "ko": "khong",
    "k": "khong",
    "kh": "khong",
    "hok": "khong",
    "bn": "bao nhieu",
    "bnhieu": "bao nhieu",
    "ntn": "nhu the nao",
    "j": "gi",
    "dc": "duoc",
    "ki": "ky",
    "qui": "quy",
    "vs": "voi",
    "mk": "minh",
    "ng": "nguoi",
    "dt": "dien thoai",
    "sdt": "so dien thoai",
    "hs": "ho so",
    "tt": "thu tuc",
    "vneid": "vneid",
    # Business, tax and insurance shorthand (also written so in portal names, e.g. "đóng BHXH").
    "bhxh": "bao hiem xa hoi",
    "bhyt": "bao hiem y te",
    "bhtn": "bao hiem that nghiep",
    "mst": "ma so thue",
    "tndn": "thu nhap doanh nghiep",
    "tncn": "thu nhap ca nhan",
    "gtgt": "gia tri gia tang",
    "ttdb": "tieu thu dac biet",
    "cty": "cong ty",
    "tnhh": "trach nhiem huu han",
    "dn": "doanh nghiep",
    "gpkd": "giay phep kinh doanh",
    "dkdn": "dang ky doanh nghiep",
    "xnk": "xuat nhap khau",
    "xk": "xuat khau",
    "nk": "nhap khau",
    "vpdd": "van phong dai dien",
    "pccc": "phong chay chua chay",
    "atvstp": "an toan ve sinh thuc pham",
    "attp": "an toan thuc pham",
    "tmdt": "thuong mai dien tu",
    "hdnd": "hoi dong nhan dan",
    "qsd": "quyen su dung",
    # Banking, securities, environment and traffic shorthand.
    "nhnn": "ngan hang nha nuoc",
    "tctd": "to chuc tin dung",
    "qtdnd": "quy tin dung nhan dan",
    "ubck": "uy ban chung khoan",
    "ubcknn": "uy ban chung khoan nha nuoc",
    "ctck": "cong ty chung khoan",
    "ndt": "nha dau tu",
    "htx": "hop tac xa",
    "kd": "kinh doanh",
    "sx": "san xuat",
    "bds": "bat dong san",
    "dtm": "danh gia tac dong moi truong",
    "tnmt": "tai nguyen moi truong",
    "csgt": "canh sat giao thong",
    "xkld": "xuat khau lao dong",
}


def nfc(text: str) -> str:
    """NFC-normalise and drop control and zero-width characters (channel boundary hygiene)."""
    return _CONTROL_RE.sub("", unicodedata.normalize("NFC", text or ""))


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case and strip diacritics, with đ → d: 'Đăng ký' → 'dang ky'."""
    decomposed = unicodedata.normalize("NFD", (text or "").lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "d")


def _build_abbreviation_re(table: Dict[str, str]) -> re.Pattern:
    keys = sorted(table, key=len, reverse=True)
    return re.compile(r"(?<![\w.\-/])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w\-/])")


_ABBREVIATION_RE = _build_abbreviation_re(ABBREVIATIONS)


def expand_abbreviations(folded: str) -> str:
    """Replace known abbreviations in already folded text by their full folded form."""
    return _ABBREVIATION_RE.sub(lambda m: ABBREVIATIONS[m.group(1)], folded)


def syllables(text: str) -> List[str]:
    """The syllables of a text, in order (punctuation and emoji dropped)."""
    return SYLLABLE_RE.findall(text)


COLLOQUIAL_FILE = Path(__file__).with_name("colloquial.yml")


@lru_cache(maxsize=1)
def _colloquial() -> Tuple[Dict[Tuple[str, ...], str], Dict[Tuple[str, ...], str], int]:
    """Everyday phrases → official words (bot/colloquial.yml), keyed by their syllables, as an
    accented and a folded table, plus the longest phrase length."""
    accented: Dict[Tuple[str, ...], str] = {}
    folded: Dict[Tuple[str, ...], str] = {}
    if COLLOQUIAL_FILE.exists():
        data = yaml.safe_load(COLLOQUIAL_FILE.read_text(encoding="utf-8")) or {}
        for term in data.get("terms", []):
            official = nfc(term["official"]).lower()
            for say in term["say"]:
                say = nfc(say).lower()
                accented.setdefault(tuple(syllables(say)), official)
                folded.setdefault(tuple(syllables(fold(say))), official)
    longest = max((len(k) for k in accented), default=0)
    return accented, folded, longest


def expand_colloquial(text: str) -> str:
    """Lower-case syllables of a text with the official words inserted after each everyday
    phrase ('sang tên sổ đỏ' → 'sang tên sổ đỏ giấy chứng nhận quyền sử dụng đất …'), so a
    question meets the portal's names. Accented phrases are matched on accented text only:
    folded, 'sổ đỏ' would also catch 'sơ đồ'."""
    accented, folded, longest = _colloquial()
    words = syllables(nfc(text).lower())
    table = folded if is_unaccented(text) else accented
    inserts: Dict[int, List[str]] = {}  # word index → official words to insert after it
    for i in range(len(words)):
        for n in range(min(longest, len(words) - i), 0, -1):
            official = table.get(tuple(words[i:i + n]))
            if official:
                inserts.setdefault(i + n - 1, []).append(official)
                break
    out: List[str] = []
    for i, word in enumerate(words):
        out.append(word)
        out.extend(inserts.get(i, ()))
    return " ".join(out)


@lru_cache(maxsize=16384)
def match_key(text: str) -> str:
    """The key KB names and user text are compared on: NFC, folded, abbreviations expanded,
    punctuation dropped, single spaces. 'Làm GKS cho bé?' → 'lam giay khai sinh cho be'."""
    folded = fold(nfc(text))
    return expand_abbreviations(" ".join(syllables(folded)))


@lru_cache(maxsize=16384)
def question_key(text: str) -> str:
    """match_key of a person's question, with everyday phrases completed by the official words
    (bot/colloquial.yml) so it meets the portal's names: 'sang tên sổ đỏ' → '… so do giay chung
    nhan quyen su dung dat …'. KB text keeps plain match_key: it is official already."""
    return match_key(expand_colloquial(text))


def has_letters(text: str) -> bool:
    """True when the text holds at least one letter or digit (not only emoji/punctuation)."""
    return bool(SYLLABLE_RE.search(text or ""))


def is_unaccented(text: str) -> bool:
    """True when the text has letters but no Vietnamese diacritics at all."""
    t = nfc(text)
    return has_letters(t) and fold(t) == t.lower()


# --- word segmentation -------------------------------------------------------------------------


@dataclass(frozen=True)
class WordSpan:
    """A word of the original text: `text` is verbatim, `start`/`end` index the original."""

    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        """Folded, abbreviation-expanded form with syllables joined by '_' (e.g. 'can_cuoc')."""
        folded = fold(nfc(self.text))
        parts = SYLLABLE_RE.findall(folded)
        return expand_abbreviations(" ".join(parts)).replace(" ", "_")


def _alnum_fold(text: str) -> str:
    return "".join(ch for ch in fold(text) if ch.isalnum())


def _syllable_spans(text: str) -> List[Tuple[int, int]]:
    return [(m.start(), m.end()) for m in SYLLABLE_RE.finditer(text)]


def _segmenter():
    # underthesea is heavy to import; import it only when segmentation is really used.
    from underthesea import word_tokenize

    return word_tokenize


def segment(text: str, use_underthesea: bool = True, max_syllables: int = 400) -> List[WordSpan]:
    """Split text into words whose spans point into the *original* string.

    underthesea only decides which neighbouring syllables belong to one word; the spans are found
    on the original text, so NFD input or tone-mark rewriting (hoà → hòa) cannot misalign them.
    If underthesea's output cannot be aligned, the syllables are returned ungrouped; so is text
    typed without diacritics, where underthesea's model (trained on accented text) groups
    syllables at random ("chieu thi") and would split entity annotations.
    Text beyond `max_syllables` is not tokenised (bounds the cost of a 5,000-character message).
    """
    spans = _syllable_spans(text)[:max_syllables]
    if not spans:
        return []
    groups: List[List[Tuple[int, int]]] = [[s] for s in spans]
    if use_underthesea and len(spans) > 1 and not is_unaccented(text):
        groups = _group_with_underthesea(text, spans) or groups
    return [WordSpan(text[g[0][0]:g[-1][1]], g[0][0], g[-1][1]) for g in groups]


def _group_with_underthesea(
    text: str, spans: Sequence[Tuple[int, int]]
) -> Optional[List[List[Tuple[int, int]]]]:
    covered = nfc(text[spans[0][0]:spans[-1][1]])
    try:
        words = _segmenter()(covered, use_token_normalize=False)
    except Exception:  # underthesea failure must never cost the user's message
        return None
    # Character-level alignment on folded alphanumerics: owner[i] = underthesea word index.
    owner: List[int] = []
    for idx, word in enumerate(words):
        owner.extend([idx] * len(_alnum_fold(word)))
    ours = "".join(_alnum_fold(text[s:e]) for s, e in spans)
    theirs = "".join(_alnum_fold(w) for w in words)
    if ours != theirs:
        return None
    groups: List[List[Tuple[int, int]]] = []
    pos = 0
    prev_owner: Optional[int] = None
    for s, e in spans:
        n = len(_alnum_fold(text[s:e]))
        if n == 0:
            groups.append([(s, e)])
            prev_owner = None
            continue
        first, last = owner[pos], owner[pos + n - 1]
        pos += n
        same_word = first == last
        if same_word and prev_owner == first and groups:
            groups[-1].append((s, e))
        else:
            groups.append([(s, e)])
        prev_owner = first if same_word else None
    return groups


def unique(items: Iterable[str]) -> List[str]:
    """Keep first occurrences, drop empties."""
    seen, out = set(), []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def compound_keys(texts: Iterable[str]) -> frozenset:
    """Multi-syllable words of accented texts as underthesea segments them, folded
    ('Đăng ký khai sinh' → {('dang', 'ky'), ('khai', 'sinh')}): the lexicon `join_compounds`
    uses to segment text that underthesea cannot (unaccented questions, long document lists).
    Only the grouping matters here, so underthesea's words are folded directly (no alignment)."""
    tokenize = _segmenter()
    found = set()
    for text in texts:
        text = nfc(text)
        if is_unaccented(text):
            continue
        try:
            words = tokenize(text)
        except Exception:  # one odd name must not stop the index
            continue
        for word in words:
            parts = tuple(syllables(fold(word)))
            if len(parts) > 1:
                found.add(parts)
    return frozenset(found)


def join_compounds(tokens: Sequence[str], lexicon: frozenset, max_len: int = 4) -> List[str]:
    """Greedy longest-match of folded syllables against a compound lexicon: the compounds found,
    joined with '_' ('dang ky khai sinh' → ['dang_ky', 'khai_sinh'])."""
    out: List[str] = []
    i = 0
    while i < len(tokens):
        for n in range(min(max_len, len(tokens) - i), 1, -1):
            if tuple(tokens[i:i + n]) in lexicon:
                out.append("_".join(tokens[i:i + n]))
                i += n
                break
        else:
            i += 1
    return out


def syllable_keys(text: str) -> List[Tuple[str, int, int]]:
    """Folded, abbreviation-expanded tokens of a text, each with the span of the syllable it
    came from ('Làm GKS' → [('lam', 0, 3), ('giay', 4, 7), ('khai', 4, 7), ('sinh', 4, 7)]):
    for matchers that must point back into the original message."""
    out: List[Tuple[str, int, int]] = []
    for m in SYLLABLE_RE.finditer(text or ""):
        for token in expand_abbreviations(fold(nfc(m.group()))).split():
            out.append((token, m.start(), m.end()))
    return out
