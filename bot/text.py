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
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

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


@lru_cache(maxsize=16384)
def match_key(text: str) -> str:
    """The key user text and KB names are compared on: NFC, folded, abbreviations expanded,
    punctuation dropped, single spaces. 'Làm GKS cho bé?' → 'lam giay khai sinh cho be'."""
    folded = fold(nfc(text))
    return expand_abbreviations(" ".join(syllables(folded)))


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
