"""NLU evaluation on data the model never trained on (`make eval`, and tests/test_nlu_eval.py).

Prints intent accuracy and macro-F1 on the held-out split (accented, the same folded to no
diacritics, and hand-typed unaccented), and procedure top-1 on the dev questions, all through
the trained model's full pipeline as the server runs it.
"""
from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

from bot.text import fold

DATA = Path(__file__).parent / "data"
HELDOUT = DATA / "nlu_heldout.yml"
HELDOUT_UNACCENTED = DATA / "nlu_heldout_unaccented.yml"
DEV = DATA / "procedure_dev.yml"
_MARKUP = re.compile(r"\[([^\]]+)\]\([^)]+\)|\[([^\]]+)\]\{[^}]+\}")


def read_examples(path: Path) -> List[Tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU YAML file, entity markup removed."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs = []
    for block in data.get("nlu", []):
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                text = _MARKUP.sub(lambda m: m.group(1) or m.group(2), line[2:].strip())
                pairs.append((text, block["intent"]))
    return pairs


def intent_scores(gold: List[str], predicted: List[str]) -> Dict[str, float]:
    labels = sorted(set(gold))
    f1s = []
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted))
        fp = sum(p == label and g != label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / len(gold)
    return {"accuracy": accuracy, "macro_f1": sum(f1s) / len(f1s), "n": len(gold)}


class ModelEvaluator:
    def __init__(self):
        from bot.assistant import Assistant

        self.assistant = Assistant()

    def predict(self, texts: List[str]) -> List[dict]:
        return [self.assistant.parse(t) for t in texts]

    def intents(self, pairs: List[Tuple[str, str]]) -> Dict[str, float]:
        parses = self.predict([t for t, _ in pairs])
        predicted = [p["intent"]["name"] for p in parses]
        scores = intent_scores([i for _, i in pairs], predicted)
        scores["errors"] = Counter(
            f"{g}→{p}" for (_, g), p in zip(pairs, predicted) if g != p).most_common(5)
        return scores

    def procedures(self, questions: List[dict]) -> Dict[str, float]:
        in_kb = [q for q in questions if q["code"]]
        out_kb = [q for q in questions if not q["code"]]
        started = time.perf_counter()
        parses = self.predict([q["q"] for q in in_kb])
        hits = sum(
            bool(p["procedure_resolution"]["candidates"])
            and p["procedure_resolution"]["candidates"][0]["code"] == q["code"]
            for q, p in zip(in_kb, parses))
        out_parses = self.predict([q["q"] for q in out_kb])
        rejected = sum(p["procedure_resolution"]["status"] == "none" for p in out_parses)
        elapsed = time.perf_counter() - started
        return {"top1": hits / len(in_kb), "n": len(in_kb),
                "out_of_kb_rejected": rejected / len(out_kb) if out_kb else 0.0, "n_out": len(out_kb),
                "ms_per_parse": 1000 * elapsed / (len(in_kb) + len(out_kb))}


def evaluate() -> Dict[str, Dict[str, float]]:
    evaluator = ModelEvaluator()
    accented = read_examples(HELDOUT)
    results = {
        "intent (held-out, accented)": evaluator.intents(accented),
        "intent (held-out, folded to unaccented)": evaluator.intents([(fold(t), i) for t, i in accented]),
        "intent (held-out, typed unaccented)": evaluator.intents(read_examples(HELDOUT_UNACCENTED)),
    }
    dev = yaml.safe_load(DEV.read_text(encoding="utf-8"))["questions"]
    results["procedure via model (first-slice set, all)"] = evaluator.procedures(dev)
    accented_dev = [q for q in dev if fold(q["q"]) != q["q"].lower()]
    results["procedure via model (first-slice set, accented)"] = evaluator.procedures(accented_dev)
    results["procedure via model (first-slice set, accented folded)"] = evaluator.procedures(
        [{**q, "q": fold(q["q"])} for q in accented_dev])
    results["procedure via model (first-slice set, typed unaccented)"] = evaluator.procedures(
        [q for q in dev if fold(q["q"]) == q["q"].lower()])
    return results


def report(results: Dict[str, Dict[str, float]]) -> str:
    lines = []
    for name, r in results.items():
        if "accuracy" in r:
            lines.append(f"{name:45s} accuracy {r['accuracy']:.3f}  macro-F1 {r['macro_f1']:.3f}  (n={r['n']})"
                         + (f"  top errors: {r['errors']}" if r.get("errors") else ""))
        else:
            lines.append(f"{name:45s} top-1 {r['top1']:.3f} (n={r['n']})  out-of-KB rejected "
                         f"{r['out_of_kb_rejected']:.3f} (n={r['n_out']})  {r['ms_per_parse']:.1f} ms/parse")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(evaluate()))
