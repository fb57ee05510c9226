"""`make eval`, part 2: procedure recognition on the dev set, against two naive baselines.

Prints, for the resolver (procedures_kb.resolver) and, in the same run, for rapidfuzz
token_set_ratio over names and plain BM25 over names: top-1 and top-3 accuracy on in-KB questions
(accented and unaccented), out-of-KB precision / recall / F1 ("not in the KB" is the positive
class) and p50 / p95 resolution time. An in-KB question answered "not known" counts as a miss.
The baselines' reject thresholds are tuned on the tuning set, like the resolver's.

    python -m tests.eval_procedures [--db URL] [--misses]
"""
from __future__ import annotations

import argparse
import math
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from rapidfuzz import fuzz, process

from bot.text import fold, syllables
from procedures_kb.query import KnowledgeBase, ProcedureEntry
from procedures_kb.resolver import ProcedureResolver
from tests.procedure_questions import Question, dev_questions, tune_questions

# A system answers a question with (known?, ranked codes).
Answer = Tuple[bool, List[str]]


class FuzzBaseline:
    """rapidfuzz token_set_ratio of the folded question against every folded official name."""

    def __init__(self, entries: Sequence[ProcedureEntry]):
        self.codes = [e.code for e in entries]
        self.names = [fold(e.name) for e in entries]
        self.threshold = 0.0

    def scores(self, text: str) -> List[Tuple[str, float]]:
        hits = process.extract(fold(text), self.names, scorer=fuzz.token_set_ratio, limit=3)
        return [(self.codes[i], s) for _, s, i in hits]


class NameBM25Baseline:
    """Plain BM25 (k1 1.2, b 0.75) over the folded syllables of the official names only."""

    def __init__(self, entries: Sequence[ProcedureEntry]):
        self.codes = [e.code for e in entries]
        docs = [syllables(fold(e.name)) for e in entries]
        self.lengths = [len(d) for d in docs]
        self.avg = sum(self.lengths) / max(len(docs), 1)
        self.tf: List[Counter] = [Counter(d) for d in docs]
        df = Counter(t for d in docs for t in set(d))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.index: Dict[str, List[int]] = {}
        for i, d in enumerate(docs):
            for t in set(d):
                self.index.setdefault(t, []).append(i)
        self.threshold = 0.0

    def scores(self, text: str) -> List[Tuple[str, float]]:
        acc: Dict[int, float] = {}
        for t in set(syllables(fold(text))):
            for i in self.index.get(t, ()):
                tf = self.tf[i][t]
                norm = tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * self.lengths[i] / self.avg))
                acc[i] = acc.get(i, 0.0) + self.idf[t] * norm
        best = sorted(acc.items(), key=lambda kv: -kv[1])[:3]
        return [(self.codes[i], s) for i, s in best]


def baseline_answer(system, text: str) -> Answer:
    ranked = system.scores(text)
    known = bool(ranked) and ranked[0][1] >= system.threshold
    return known, [c for c, _ in ranked]


def tune_threshold(system, questions: Sequence[Question], known_codes) -> float:
    """The reject threshold that makes the most right decisions on the tuning set."""
    scored = [(q.gold_in(known_codes), system.scores(q.text)) for q in questions]
    candidates = sorted({round(r[0][1], 4) for _, r in scored if r})
    best, best_right = 0.0, -1
    for th in [0.0, *candidates]:
        right = sum(
            (bool(gold) and bool(r) and r[0][1] >= th and r[0][0] in gold)
            or (not gold and (not r or r[0][1] < th))
            for gold, r in scored
        )
        if right > best_right:
            best, best_right = th, right
    return best


def resolver_answer(resolver: ProcedureResolver, text: str) -> Answer:
    result = resolver.resolve(text)
    return result.status != "none", [c.code for c in result.candidates]


@dataclass
class Figures:
    top1: Dict[str, float]
    top3: Dict[str, float]
    counts: Dict[str, int]
    ook_p: float
    ook_r: float
    ook_f1: float
    p50_ms: float
    p95_ms: float
    misses: List[Tuple[Question, Answer]]


def measure(answer: Callable[[str], Answer], questions: Sequence[Question], known_codes) -> Figures:
    hits1: Counter = Counter()
    hits3: Counter = Counter()
    counts: Counter = Counter()
    tp = fp = fn = 0
    times: List[float] = []
    misses = []
    for q in questions:
        start = time.perf_counter()
        known, codes = answer(q.text)
        times.append((time.perf_counter() - start) * 1000)
        gold = q.gold_in(known_codes)
        if gold:
            counts[q.style] += 1
            hit1 = known and bool(codes) and codes[0] in gold
            hits1[q.style] += hit1
            hits3[q.style] += known and bool(gold & set(codes[:3]))
            fp += not known
            if not hit1:
                misses.append((q, (known, codes)))
        else:
            tp += not known
            fn += known
            if known:
                misses.append((q, (known, codes)))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    times.sort()
    return Figures(
        top1={s: hits1[s] / counts[s] for s in counts},
        top3={s: hits3[s] / counts[s] for s in counts},
        counts=dict(counts), ook_p=p, ook_r=r, ook_f1=f1,
        p50_ms=statistics.median(times), p95_ms=times[int(0.95 * (len(times) - 1))], misses=misses,
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="KB database URL (default: the one `make run` serves)")
    parser.add_argument("--misses", action="store_true", help="list the questions got wrong")
    args = parser.parse_args(argv)

    kb = KnowledgeBase(args.db) if args.db else KnowledgeBase()
    meta = kb.meta()
    start = time.perf_counter()
    resolver = ProcedureResolver.from_kb(kb)  # exactly as served
    entries = resolver.kb_entries
    build_s = time.perf_counter() - start
    known = {e.code for e in entries}
    dev, tune = dev_questions(), tune_questions()
    in_kb = [q for q in dev if q.gold_in(known)]
    procedures = {c for q in in_kb for c in q.gold_in(known)}
    print(f"KB: {kb.url}: {len(entries)} procedures "
          f"({meta.get('curated_procedures', '?')} curated, {meta.get('portal_procedures', 0)} imported"
          f"{' from ' + meta['portal_source'] if meta.get('portal_source') else ''}); index built in {build_s:.1f} s")
    print(f"Dev set: {len(dev)} questions: {len(in_kb)} in the KB about {len(procedures)} procedures, "
          f"{len(dev) - len(in_kb)} outside it ({(len(dev) - len(in_kb)) / len(dev):.0%}); "
          f"{sum(q.style == 'unaccented' for q in dev)} typed without diacritics. "
          f"Tuning set (thresholds only): {len(tune)} questions.")

    fuzz_base, bm25_base = FuzzBaseline(entries), NameBM25Baseline(entries)
    for base in (fuzz_base, bm25_base):
        base.threshold = tune_threshold(base, tune, known)
    systems = {
        "resolver": lambda t: resolver_answer(resolver, t),
        "fuzz token_set (names)": lambda t: baseline_answer(fuzz_base, t),
        "BM25 (names)": lambda t: baseline_answer(bm25_base, t),
    }
    header = (f"{'system':<24}{'top1 acc':>9}{'top3 acc':>9}{'top1 unacc':>11}{'top3 unacc':>11}"
              f"{'OOK P':>7}{'OOK R':>7}{'OOK F1':>7}{'p50 ms':>8}{'p95 ms':>8}")
    print(header)
    results = {}
    for label, system in systems.items():
        f = measure(system, dev, known)
        results[label] = f
        print(f"{label:<24}{f.top1.get('accented', 0):>9.3f}{f.top3.get('accented', 0):>9.3f}"
              f"{f.top1.get('unaccented', 0):>11.3f}{f.top3.get('unaccented', 0):>11.3f}"
              f"{f.ook_p:>7.3f}{f.ook_r:>7.3f}{f.ook_f1:>7.3f}{f.p50_ms:>8.2f}{f.p95_ms:>8.2f}")
    ours = results["resolver"]
    for label in list(systems)[1:]:
        base = results[label]
        ratios = [ours.top1[s] / base.top1[s] for s in ours.top1 if base.top1.get(s)]
        print(f"resolver / {label}: top-1 × " + " / ".join(f"{r:.2f}" for r in ratios)
              + " (accented / unaccented)")
    print(f"in-KB questions: {ours.counts}")
    if args.misses:
        names = {e.code: e.name for e in entries}
        for q, (ok, codes) in ours.misses:
            gold = ", ".join(sorted(q.gold_in(known))) or "outside the KB"
            got = f"{codes[0]} {names.get(codes[0], '')[:60]}" if codes else "-"
            print(f"  MISS [{q.style[:5]}] {q.text[:80]!r}\n       gold {gold}; got {'' if ok else '(none) '}{got}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
