"""Fit the resolver's weights and thresholds on the tuning set (never on the dev set).

    python -m tests.calibrate_resolver [--db URL] [--cv]

For every tuning question the resolver retrieves its candidates and computes their features; a
pairwise logistic regression learns from them which candidate should come first, and a Platt fit
turns that score into the probability that a candidate is the procedure meant (so the scores the
resolver reports are calibrated probabilities). Then the reject threshold and the ambiguity ratio
are chosen to make the most right decisions on the same questions. The result goes to
procedures_kb/resolver_weights.json, which the resolver reads at start.

`--cv` writes nothing: it prints 5-fold cross-validation figures on the tuning set for this fit
and for a plain pointwise logistic fit, the way feature and method choices are compared without
looking at the dev set.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import dataclass
from typing import Callable, FrozenSet, List, Optional, Sequence, Tuple

import numpy as np
from sklearn.linear_model import LogisticRegression

from procedures_kb.query import KnowledgeBase
from procedures_kb.resolver import FEATURES, OUTSIDE_PREFIX, WEIGHTS_FILE, Candidate, ProcedureResolver
from tests.procedure_questions import tune_questions

AMBIGUOUS_CREDIT = 0.7  # a right answer among the buttons is worth less than a direct one
FOLDS = 5


@dataclass
class Group:
    """One tuning question: its right codes and its retrieved candidates' features."""

    gold: FrozenSet[str]
    codes: List[str]
    matrix: np.ndarray  # candidates × FEATURES

    def labelled(self) -> Tuple[np.ndarray, np.ndarray]:
        """Rows and labels to fit on. A question outside the KB may well be about one of the
        outside catalogue's entries, so those rows carry no label there."""
        keep = np.array([bool(self.gold) or not c.startswith(OUTSIDE_PREFIX) for c in self.codes], dtype=bool)
        labels = np.array([int(c in self.gold) for c in self.codes])
        return self.matrix[keep], labels[keep]

    def pairs(self) -> List[np.ndarray]:
        """The right candidate's features minus each wrong one's."""
        right = [j for j, c in enumerate(self.codes) if c in self.gold]
        if not right:
            return []
        return [self.matrix[right[0]] - self.matrix[j] for j, c in enumerate(self.codes) if c not in self.gold]


Fit = Callable[[Sequence[Group]], Tuple[float, np.ndarray]]


def collect(resolver: ProcedureResolver, questions) -> List[Group]:
    known = set(resolver.by_code)
    groups = []
    for q in questions:
        feats = resolver.candidates(q.text)
        matrix = np.array([[f[k] for k in FEATURES] for _, f in feats]).reshape(len(feats), len(FEATURES))
        groups.append(Group(q.gold_in(known), [resolver.entries[i].code for i, _ in feats], matrix))
    return groups


def _stack(groups: Sequence[Group]) -> Tuple[np.ndarray, np.ndarray]:
    parts = [g.labelled() for g in groups if g.codes]
    return np.vstack([x for x, _ in parts]), np.concatenate([y for _, y in parts])


def fit_pairwise(groups: Sequence[Group]) -> Tuple[float, np.ndarray]:
    """Weights that put the right candidate first, scaled into probabilities.

    A pairwise logistic regression on feature differences (right minus wrong candidate of the
    same question) learns the ranking direction, which top-1 accuracy depends on; a
    one-dimensional logistic fit of the labels on that score then gives the scale and bias that
    make the resolver's output a calibrated probability."""
    diffs = np.array([d for g in groups for d in g.pairs()])
    ranker = LogisticRegression(C=1.0, max_iter=4000, fit_intercept=False).fit(
        np.vstack([diffs, -diffs]), np.r_[np.ones(len(diffs)), np.zeros(len(diffs))])
    direction = ranker.coef_[0]
    X, y = _stack(groups)
    platt = LogisticRegression(C=100.0, max_iter=2000, class_weight={0: 1.0, 1: 3.0}).fit(
        (X @ direction).reshape(-1, 1), y)
    return float(platt.intercept_[0]), direction * float(platt.coef_[0][0])


def fit_pointwise(groups: Sequence[Group]) -> Tuple[float, np.ndarray]:
    """A plain logistic regression of right/wrong on each candidate (the comparison point)."""
    X, y = _stack(groups)
    model = LogisticRegression(C=1.0, max_iter=3000, class_weight={0: 1.0, 1: 3.0}).fit(X, y)
    return float(model.intercept_[0]), model.coef_[0]


def rank(groups: Sequence[Group], bias: float, coef: np.ndarray) -> List[Tuple[FrozenSet[str], List[Candidate]]]:
    ranked = []
    for g in groups:
        probs = 1.0 / (1.0 + np.exp(-(g.matrix @ coef + bias))) if g.codes else []
        cands = sorted((Candidate(c, "", float(p)) for c, p in zip(g.codes, probs)),
                       key=lambda c: (-c.score, c.code))
        ranked.append((g.gold, cands))
    return ranked


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


THRESHOLDS = np.round(np.arange(0.02, 0.96, 0.01), 2)
RATIOS = np.round(np.arange(0.3, 1.01, 0.05), 2)
SMOOTHING = 5  # thresholds averaged around each one (the right-decision curve is flat and noisy)


def choose_thresholds(resolver: ProcedureResolver, ranked) -> Tuple[float, float, float]:
    """(right decisions, threshold, ambiguity ratio) making the most right decisions.

    Near its best the count moves by a few questions from one threshold to the next, so the
    threshold is chosen on the count averaged over SMOOTHING neighbouring thresholds: a fit
    does not jump between the ends of a plateau."""
    right = np.zeros((len(THRESHOLDS), len(RATIOS)))
    for a, threshold in enumerate(THRESHOLDS):
        for b, ratio in enumerate(RATIOS):
            resolver.weights.update(threshold=float(threshold), ambiguity_ratio=float(ratio))
            right[a, b] = decisions_right(resolver, ranked)
    pad = SMOOTHING // 2
    padded = np.pad(right, ((pad, pad), (0, 0)), mode="edge")
    smoothed = np.stack([padded[a:a + len(THRESHOLDS)] for a in range(SMOOTHING)]).mean(axis=0)
    a, b = np.unravel_index(int(np.argmax(smoothed)), smoothed.shape)
    resolver.weights.update(threshold=float(THRESHOLDS[a]), ambiguity_ratio=float(RATIOS[b]))
    return float(right[a, b]), float(THRESHOLDS[a]), float(RATIOS[b])


def cross_validate(resolver: ProcedureResolver, groups: Sequence[Group], fit: Fit) -> Tuple[float, float]:
    """(top-1 on in-KB questions, share of right decisions) over FOLDS held-out folds."""
    folds = np.random.RandomState(0).randint(0, FOLDS, len(groups))
    top1 = in_kb = 0
    right = 0.0
    for k in range(FOLDS):
        train = [g for g, f in zip(groups, folds) if f != k]
        test = [g for g, f in zip(groups, folds) if f == k]
        bias, coef = fit(train)
        choose_thresholds(resolver, rank(train, bias, coef))
        held_out = rank(test, bias, coef)
        right += decisions_right(resolver, held_out)
        for gold, cands in held_out:
            if gold:
                in_kb += 1
                result = resolver.decide(cands)
                top1 += result.status != "none" and result.candidates[0].code in gold
    return top1 / in_kb, right / len(groups)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="KB database URL (default: the served KB)")
    parser.add_argument("--cv", action="store_true", help="print cross-validation figures, write nothing")
    args = parser.parse_args(argv)
    kb = KnowledgeBase(args.db) if args.db else KnowledgeBase()
    resolver = ProcedureResolver.from_kb(kb)  # exactly as served
    questions = tune_questions()
    groups = collect(resolver, questions)
    if args.cv:
        for label, fit in (("pairwise + Platt", fit_pairwise), ("pointwise", fit_pointwise)):
            top1, right = cross_validate(resolver, groups, fit)
            print(f"{FOLDS}-fold CV on {len(groups)} tuning questions, {label}: "
                  f"top-1 (in KB) {top1:.3f}, right decisions {right:.3f}")
        return 0
    bias, coef = fit_pairwise(groups)
    resolver.weights.update({"bias": bias, **{k: float(w) for k, w in zip(FEATURES, coef)}})
    right, threshold, ratio = choose_thresholds(resolver, rank(groups, bias, coef))
    WEIGHTS_FILE.write_text(json.dumps({
        "weights": {"bias": bias, **{k: resolver.weights[k] for k in FEATURES}},
        "threshold": round(threshold, 2),
        "ambiguity_ratio": round(ratio, 2),
        "fitted_on": {
            "questions": len(questions), "outside_kb": sum(not g.gold for g in groups),
            "candidates": sum(len(g.codes) for g in groups), "kb_procedures": len(resolver.by_code),
            "date": dt.date.today().isoformat(), "right_decisions": round(right / len(questions), 3),
        },
    }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"Fitted on {len(questions)} tuning questions (KB of {len(resolver.by_code)}): threshold "
          f"{threshold:.2f}, ambiguity ratio {ratio:.2f}, right decisions {right / len(questions):.3f} → {WEIGHTS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
