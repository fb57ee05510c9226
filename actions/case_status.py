"""Case status by its code (mã hồ sơ)."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import latest_entity
from actions.procedure_answers import utter
from bot import render
from procedures_kb.query import shared_kb
from procedures_kb.records import CASE_CODE_PATTERN

CASE_CODE_RE = re.compile(rf"\b({CASE_CODE_PATTERN})\b", re.IGNORECASE)
# Something the person probably meant as a code: a run of digits with dots or dashes.
CODE_LIKE_RE = re.compile(r"[0-9A-Za-z]*\d[0-9A-Za-z]*(?:[.\-/_][0-9A-Za-z]+){1,}")


def normalise_case_code(code: str) -> str:
    return code.strip().upper()


def find_case_code(text: str) -> Optional[str]:
    match = CASE_CODE_RE.search(text or "")
    return normalise_case_code(match.group(1)) if match else None


def find_code_like(text: str) -> Optional[str]:
    candidates = [m.group(0) for m in CODE_LIKE_RE.finditer(text or "") if len(m.group(0)) >= 8]
    return max(candidates, key=len)[:60] if candidates else None


class ActionCaseStatus(Action):
    """Look the case up by its exact code; reveal nothing about any other case."""

    def name(self) -> Text:
        return "action_case_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        text = tracker.latest_message.get("text") or ""
        code = latest_entity(tracker, "case_code") or find_case_code(text)
        if not code:
            utter(dispatcher, render.render_case_code_help(find_code_like(text)))
            return [SlotSet("case_code", None)]
        code = normalise_case_code(code)
        if not CASE_CODE_RE.fullmatch(code):
            utter(dispatcher, render.render_case_code_help(code[:60]))
            return [SlotSet("case_code", None)]
        case = shared_kb().find_case(code)
        if case is None:
            utter(dispatcher, render.render_case_not_found(code))
        else:
            utter(dispatcher, render.render_case(case))
        return [SlotSet("case_code", code)]
