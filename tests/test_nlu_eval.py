"""Held-out NLU evaluation through the trained model (figures printed; floors guard regressions)."""
import pytest

from tests.eval_nlu import HELDOUT, evaluate, read_examples, report

pytestmark = pytest.mark.model


def test_heldout_never_seen_in_training():
    train = {t.lower().strip() for t, _ in read_examples(HELDOUT.parent.parent.parent / "nlu_data" / "nlu.yml")}
    held = {t.lower().strip() for t, _ in read_examples(HELDOUT)}
    assert not (train & held)


def test_heldout_evaluation(capsys):
    results = evaluate()
    with capsys.disabled():
        print("\n" + report(results))
    assert results["intent (held-out, accented)"]["accuracy"] >= 0.75
    assert results["intent (held-out, typed unaccented)"]["accuracy"] >= 0.65
    assert results["procedure via model (first-slice set, all)"]["top1"] >= 0.75
