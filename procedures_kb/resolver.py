"""Procedure resolution: from a person's words to KB procedures with scores.

One module, used by the Rasa pipeline (bot.nlu.procedure_resolver) and by the actions, so the
server, `python -m bot ask` and the tests all decide the same way.

Scoring, per procedure, on accent-folded, abbreviation-expanded keys (bot.text.match_key):
- recall: how much of the best alias (IDF-weighted words) the question contains, words matched
  exactly or, for longer words, with a rapidfuzz typo tolerance;
- precision: how much of the question's KB vocabulary belongs to this procedure, which tells
  siblings apart ("cấp lại căn cước" vs "cấp căn cước");
- contiguity: rapidfuzz partial_ratio of the alias inside the question.
A clear winner is a `match`; close runners-up make it `ambiguous` (ask with buttons); a low best
score is `none` (the KB does not know it).
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from rapidfuzz import fuzz, process

from bot.text import match_key
from procedures_kb.query import KnowledgeBase, ProcedureEntry, shared_kb

# Words of questions, not of procedure names: they must not make a procedure look relevant.
STOPWORDS: FrozenSet[str] = frozenset(
    """a ah ak anh ban bao be bi biet cac cach can chi cho chu co con cua cung da dang day de den
    di duoc e em gi gio giup ha hay hoi khi khong la lam len luc ma may minh mot muon nao ne
    neu nhe nhieu nhu nhung no nua o oi phai qua ra rang roi sao se tai the thi thoi thu tren
    toi tuc uh va vay ve voi vui xin xong
    le phi lau nop dau mat tien gian thoi huong dan buoc truc tuyen online quy trinh""".split()
)

MATCH_THRESHOLD = 0.65  # best score below this: the KB does not know the procedure (tuned on dev)
AMBIGUITY_MARGIN = 0.06  # runners-up within this of the best: ask which one
UNKNOWN_WORD_WEIGHT = 0.6  # share of the rarest KB word's weight given to an unknown word

# Key under which the NLU pipeline puts a message's resolution (read back by the actions).
RESOLUTION_KEY = "procedure_resolution"


@dataclass(frozen=True)
class Candidate:
    code: str
    name: str
    score: float

    def as_dict(self) -> Dict[str, object]:
        return {"code": self.code, "name": self.name, "score": round(self.score, 4)}


@dataclass(frozen=True)
class Resolution:
    status: str  # match | ambiguous | none
    candidates: Tuple[Candidate, ...] = field(default_factory=tuple)

    @property
    def best(self) -> Optional[Candidate]:
        return self.candidates[0] if self.status == "match" and self.candidates else None

    @property
    def options(self) -> Tuple[Candidate, ...]:
        """The candidates worth offering as buttons when the status is `ambiguous`."""
        if not self.candidates:
            return ()
        top = self.candidates[0].score
        return tuple(c for c in self.candidates[:3] if top - c.score <= AMBIGUITY_MARGIN * 2)

    def as_dict(self) -> Dict[str, object]:
        return {"status": self.status, "candidates": [c.as_dict() for c in self.candidates]}


@dataclass
class _Alias:
    key: str
    tokens: Tuple[str, ...]
    weight: float  # sum of IDF of its tokens


class ProcedureResolver:
    """An in-memory index over every procedure's names and aliases."""

    def __init__(self, entries: Sequence[ProcedureEntry]):
        self.entries = {e.code: e for e in entries}
        self._aliases: Dict[str, List[_Alias]] = {}
        self._vocab: Dict[str, FrozenSet[str]] = {}
        doc_freq: Counter = Counter()
        for e in entries:
            words = {t for key in e.alias_keys for t in key.split()}
            self._vocab[e.code] = frozenset(words)
            doc_freq.update(words)
        n = max(len(entries), 1)
        self.idf: Dict[str, float] = {
            t: math.log(1 + n / df) for t, df in doc_freq.items()
        }
        self._all_words = sorted(self.idf)
        self._max_idf = max(self.idf.values(), default=1.0)
        for e in entries:
            self._aliases[e.code] = [
                _Alias(k, tuple(k.split()), sum(self._w(t) for t in k.split()))
                for k in dict.fromkeys(e.alias_keys) if k
            ]
        self._word_index: Dict[str, List[str]] = defaultdict(list)
        for code, words in self._vocab.items():
            for w in words:
                self._word_index[w].append(code)

    @classmethod
    def from_kb(cls, kb: KnowledgeBase) -> "ProcedureResolver":
        return cls(kb.entries())

    def _w(self, token: str) -> float:
        base = self.idf.get(token, 1.0)
        return base * (0.25 if token in STOPWORDS else 1.0)

    def _normalise_tokens(self, tokens: Iterable[str]) -> Tuple[str, ...]:
        """Map each question word to a KB word when it is a likely typo of one (khai sihn)."""
        out = []
        for t in tokens:
            if t in self.idf or t in STOPWORDS or len(t) < 4 or t.isdigit():
                out.append(t)
                continue
            hit = process.extractOne(t, self._all_words, scorer=fuzz.ratio, score_cutoff=80)
            out.append(hit[0] if hit else t)
        return tuple(out)

    def score_all(self, text: str) -> List[Candidate]:
        """Every procedure that shares a word with the question, best first."""
        key = match_key(text)
        tokens = self._normalise_tokens(key.split())
        if not tokens:
            return []
        qkey = " ".join(tokens)
        qset = set(tokens)
        # Bigrams let word order count: "khai sinh" is not "sinh ... khai".
        qbigrams = set(zip(tokens, tokens[1:]))
        content = [t for t in qset if t in self.idf and t not in STOPWORDS]
        # Words the KB has never seen ("karaoke", "bhxh") are evidence of a procedure it does not
        # know: they weigh in the precision denominator but can match no procedure.
        unknown = [t for t in qset if t not in self.idf and t not in STOPWORDS and len(t) > 2
                   and not t.isdigit()]
        content_weight = sum(self._w(t) for t in content) + UNKNOWN_WORD_WEIGHT * self._max_idf * len(unknown)
        touched = {code for t in qset for code in self._word_index.get(t, ())}
        results = []
        for code in touched:
            entry = self.entries[code]
            vocab = self._vocab[code]
            precision = (
                sum(self._w(t) for t in content if t in vocab) / content_weight if content_weight else 0.0
            )
            best = 0.0
            for alias in self._aliases[code]:
                if not alias.weight:
                    continue
                got = sum(self._w(t) for t in alias.tokens if t in qset)
                recall = got / alias.weight
                if recall == 0:
                    continue
                pairs = list(zip(alias.tokens, alias.tokens[1:]))
                order = sum(p in qbigrams for p in pairs) / len(pairs) if pairs else recall
                contiguity = fuzz.partial_ratio(alias.key, qkey) / 100.0
                score = 0.45 * recall + 0.15 * order + 0.15 * contiguity + 0.25 * precision
                best = max(best, score)
            if best > 0:
                results.append(Candidate(code, entry.name, best))
        results.sort(key=lambda c: (-c.score, c.code))
        return results

    def resolve(self, text: str, limit: int = 5) -> Resolution:
        """Decide: one clear procedure, a few close ones, or none the KB knows."""
        scored = self.score_all(text)[:limit]
        if not scored or scored[0].score < MATCH_THRESHOLD:
            return Resolution("none", tuple(scored))
        if len(scored) > 1 and scored[0].score - scored[1].score < AMBIGUITY_MARGIN:
            return Resolution("ambiguous", tuple(scored))
        return Resolution("match", tuple(scored))


MAX_QUESTION_CHARS = 1000  # a 5,000-character message is resolved on its first part

_shared: Dict[str, ProcedureResolver] = {}


def shared_resolver(kb: Optional[KnowledgeBase] = None) -> ProcedureResolver:
    """One resolver per KB per process, built on first use."""
    kb = kb or shared_kb()
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
