"""Conversation repair: fallback when the assistant is unsure, and hand-over to a person."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import message_resolution
from actions.procedure_answers import utter
from bot import render
from bot.text import has_letters
from procedures_kb.query import shared_kb



class ActionHandoff(Action):
    """The person asked for a human, or the bot failed twice: say how to reach one."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=render.HANDOFF)
        return [SlotSet("handoff", True), SlotSet("fallback_count", 0.0)]


class ActionFallback(Action):
    """Low NLU confidence. If the message clearly names a KB procedure, give its overview;
    otherwise ask to rephrase, and after two misses in a row offer a person."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        text = tracker.latest_message.get("text") or ""
        if not text.strip() or not has_letters(text):
            dispatcher.utter_message(text=render.EMPTY_MESSAGE)
            return []
        resolution, _ = message_resolution(tracker)
        if resolution.status == "match":
            proc = shared_kb().get_procedure(resolution.candidates[0].code)
            if proc:
                utter(dispatcher, render.render_topic(proc, "overview", text))
                return [SlotSet("procedure_code", proc.code), SlotSet("topic", "overview"),
                        SlotSet("fallback_count", 0.0)]
        if resolution.outside:  # recognisably a field the KB does not cover: say who handles it
            utter(dispatcher, render.render_unknown_procedure(resolution.outside))
            return [SlotSet("fallback_count", 0.0)]
        misses = int(tracker.get_slot("fallback_count") or 0) + 1
        if misses >= 2:
            dispatcher.utter_message(text=render.HANDOFF)
            return [SlotSet("fallback_count", 0.0), SlotSet("handoff", True)]
        dispatcher.utter_message(text=render.ASK_REPHRASE)
        return [SlotSet("fallback_count", float(misses))]
