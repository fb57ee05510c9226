"""The hand-written procedure questions: the dev set (tests/data/dev/*.yml) and the tuning set
(tests/data/tune/*.yml plus the first slice's tests/data/procedure_dev.yml).

The tuning set fits the resolver's weights and thresholds (tests.calibrate_resolver); the dev set
is only ever measured (tests.eval_procedures). A gold code the served KB does not hold makes the
question an out-of-KB one for that KB: with the curated core alone, a question about a fisheries
licence must be answered "not known".
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import FrozenSet, Iterable, List, Optional

import yaml

from bot.text import is_unaccented, nfc

DATA = Path(__file__).parent / "data"
DEV_FILES = sorted((DATA / "dev").glob("*.yml"))
# The first slice's dev questions tuned its resolver, so they now belong to the tuning side.
TUNE_FILES = sorted((DATA / "tune").glob("*.yml")) + [DATA / "procedure_dev.yml"]


@dataclass(frozen=True)
class Question:
    text: str
    codes: FrozenSet[str]  # every right answer (the gold code and its `also`); empty = outside
    style: str  # accented | unaccented
    source: str

    def gold_in(self, known: Iterable[str]) -> FrozenSet[str]:
        """The right answers the served KB holds (empty: the KB should say it does not know)."""
        return self.codes & frozenset(known)


def load_questions(files: Iterable[Path]) -> List[Question]:
    out: List[Question] = []
    for path in files:
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
            text = nfc(item["q"])
            code: Optional[str] = item.get("code")
            codes = frozenset([code, *item.get("also", [])]) if code else frozenset()
            style = item.get("style") or ("unaccented" if is_unaccented(text) else "accented")
            out.append(Question(text, codes, style, path.name))
    return out


def dev_questions() -> List[Question]:
    return load_questions(DEV_FILES)


def tune_questions() -> List[Question]:
    return load_questions(TUNE_FILES)
