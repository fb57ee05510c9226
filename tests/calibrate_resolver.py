"""Fit the resolver's weights and thresholds on the tuning set (never on the dev set).

    python -m tests.calibrate_resolver [--db URL]

For every tuning question the resolver retrieves its candidates and computes their features; a
logistic regression learns from them the probability that a candidate is the procedure meant
(so the scores the resolver reports are calibrated probabilities). Then the reject threshold and
the ambiguity ratio are chosen to make the most right decisions on the same questions. The result
goes to procedures_kb/resolver_weights.json, which the resolver reads at start.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import List, Optional, Sequence, Tuple

import numpy as np
from sklearn.linear_model import LogisticRegression

from procedures_kb.query import KnowledgeBase
from procedures_kb.resolver import FEATURES, OUTSIDE_PREFIX, WEIGHTS_FILE, Candidate, ProcedureResolver
from tests.procedure_questions import tune_questions

AMBIGUOUS_CREDIT = 0.7  # a right answer among the buttons is worth less than a direct one


def decisions_right(resolver: ProcedureResolver, ranked: Sequence[Tuple[frozenset, List[Candidate]]]) -> float:
    score = 0.0
    for gold, candidates in ranked:
        result = resolver.decide(candidates)
        if not gold:
            score += result.status == "none"
        elif result.status == "match":
            score += result.candidates[0].code in gold
        elif result.status == "ambiguous":
            score += AMBIGUOUS_CREDIT * any(c.code in gold for c in result.options)
    return score


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="KB database URL (default: the served KB)")
    args = parser.parse_args(argv)
    kb = KnowledgeBase(args.db) if args.db else KnowledgeBase()
    resolver = ProcedureResolver(kb.entries())
    known = set(resolver.by_code)
    questions = tune_questions()
    rows, labels, groups = [], [], []
    for q in questions:
        gold = q.gold_in(known)
        feats = resolver.candidates(q.text)
        matrix = np.array([[f[k] for k in FEATURES] for _, f in feats]).reshape(len(feats), len(FEATURES))
        groups.append((gold, [i for i, _ in feats], matrix))
        for (i, _), row in zip(feats, matrix):
            code = resolver.entries[i].code
            if not gold and code.startswith(OUTSIDE_PREFIX):
                continue  # a question outside the KB may well be about this one: no label
            rows.append(row)
            labels.append(int(code in gold))
    X, y = np.array(rows), np.array(labels)
    model = LogisticRegression(C=1.0, max_iter=3000, class_weight={0: 1.0, 1: 3.0}).fit(X, y)
    resolver.weights.update({"bias": float(model.intercept_[0]),
                             **{k: float(w) for k, w in zip(FEATURES, model.coef_[0])}})
    # Rank each question's candidates with the fitted probabilities, then pick the thresholds.
    ranked = []
    for gold, idxs, matrix in groups:
        probs = model.predict_proba(matrix)[:, 1] if len(idxs) else []
        cands = [Candidate(resolver.entries[i].code, "", float(p)) for i, p in zip(idxs, probs)]
        cands.sort(key=lambda c: (-c.score, c.code))
        ranked.append((gold, cands))
    best = (-1.0, 0.5, 0.6)
    for threshold in np.arange(0.05, 0.96, 0.01):
        for ratio in np.arange(0.3, 1.01, 0.05):
            resolver.weights.update(threshold=float(threshold), ambiguity_ratio=float(ratio))
            right = decisions_right(resolver, ranked)
            if right > best[0]:
                best = (right, float(threshold), float(ratio))
    right, threshold, ratio = best
    WEIGHTS_FILE.write_text(json.dumps({
        "weights": {"bias": resolver.weights["bias"], **{k: resolver.weights[k] for k in FEATURES}},
        "threshold": round(threshold, 2),
        "ambiguity_ratio": round(ratio, 2),
        "fitted_on": {
            "questions": len(questions), "outside_kb": sum(not g for g, _, _ in groups),
            "candidates": len(y), "kb_procedures": len(known), "date": dt.date.today().isoformat(),
            "right_decisions": round(right / len(questions), 3),
        },
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"Fitted on {len(questions)} tuning questions ({len(y)} candidates, KB of {len(known)}): "
          f"threshold {threshold:.2f}, ambiguity ratio {ratio:.2f}, right decisions {right / len(questions):.3f}"
          f" → {WEIGHTS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
