"""Which procedure the person means now: from a button, this message, or the conversation."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker

from procedures_kb.query import ProcedureView, shared_kb
from procedures_kb.resolver import RESOLUTION_KEY, Candidate, OutsideField, Resolution, resolve_message



@dataclass
class Pick:
    """Outcome of choosing the procedure for this turn."""

    status: str  # procedure | ambiguous | unknown | missing
    procedure: Optional[ProcedureView] = None
    options: Tuple[Candidate, ...] = ()
    outside: Optional[OutsideField] = None  # unknown because it belongs to an uncovered field


def latest_entity(tracker: Tracker, name: str) -> Optional[str]:
    for entity in tracker.latest_message.get("entities", []) or []:
        if entity.get("entity") == name and isinstance(entity.get("value"), str):
            return entity["value"]
    return None


def message_resolution(tracker: Tracker) -> Tuple[Resolution, Optional[str]]:
    """The NLU pipeline's resolution, or the same resolver run here when it is absent
    (messages injected without NLU, e.g. button payloads or test stories)."""
    data: Optional[Dict[str, Any]] = tracker.latest_message.get(RESOLUTION_KEY)
    mention = latest_entity(tracker, "procedure")
    if data and isinstance(data.get("candidates"), list):
        return Resolution.from_dict(data), data.get("mention") or mention
    text = tracker.latest_message.get("text") or ""
    if text.startswith("/"):
        return Resolution("none"), mention
    return resolve_message(text, [mention] if mention else []), mention


def pick_procedure(tracker: Tracker) -> Pick:
    """Decide the procedure for this turn.

    A button's code wins; then a clear match in the message; an ambiguous message falls back to
    the conversation's procedure only when that is one of the close options; a message that names
    no procedure keeps the conversation's one ("còn lệ phí thì sao?").
    """
    kb = shared_kb()
    chosen = latest_entity(tracker, "procedure_code")
    if chosen:
        proc = kb.get_procedure(chosen)
        return Pick("procedure", proc) if proc else Pick("unknown")
    resolution, mention = message_resolution(tracker)
    current = tracker.get_slot("procedure_code")
    if resolution.status == "match":
        proc = kb.get_procedure(resolution.candidates[0].code)
        if proc:
            return Pick("procedure", proc)
    if resolution.status == "ambiguous":
        options = resolution.options
        if current and any(c.code == current for c in options):
            return Pick("procedure", kb.get_procedure(current))
        return Pick("ambiguous", options=options)
    if resolution.outside:
        return Pick("unknown", outside=resolution.outside)
    if mention:
        return Pick("unknown")
    if current:
        proc = kb.get_procedure(current)
        if proc:
            return Pick("procedure", proc)
    return Pick("missing")
