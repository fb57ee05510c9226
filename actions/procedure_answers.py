"""Answers about a procedure: one small action per question kind, all reading the KB."""
from __future__ import annotations

import abc
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import latest_entity, pick_procedure
from bot import render


def requested_page(tracker: Tracker) -> int:
    """The page of a long list a "Xem thêm" button asked for (1 when none or not a number)."""
    value = latest_entity(tracker, "page") or "1"
    return int(value) if value.isdigit() and len(value) < 4 else 1


def utter(dispatcher: CollectingDispatcher, reply: render.Reply) -> None:
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)


class ProcedureAnswerAction(Action, abc.ABC):
    """Base: find the procedure, then render one topic of it (or ask which procedure)."""

    topic = "overview"

    @abc.abstractmethod
    def name(self) -> Text:
        """The action's name in domain.yml."""

    def topic_for(self, tracker: Tracker) -> str:
        return self.topic

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        topic = self.topic_for(tracker)
        pick = pick_procedure(tracker)
        if pick.status == "procedure":
            text = tracker.latest_message.get("text") or ""
            utter(dispatcher, render.render_topic(pick.procedure, topic, text, page=requested_page(tracker)))
            return [SlotSet("procedure_code", pick.procedure.code), SlotSet("topic", topic)]
        if pick.status == "ambiguous":
            utter(dispatcher, render.render_choices(pick.options))
        elif pick.status == "unknown":
            utter(dispatcher, render.render_unknown_procedure(pick.outside))
        else:
            utter(dispatcher, render.render_which_procedure())
        return [SlotSet("topic", topic)]


class ActionAnswerProcedure(ProcedureAnswerAction):
    topic = "overview"

    def name(self) -> Text:
        return "action_answer_procedure"


class ActionAnswerDocuments(ProcedureAnswerAction):
    topic = "documents"

    def name(self) -> Text:
        return "action_answer_documents"


class ActionAnswerFee(ProcedureAnswerAction):
    topic = "fee"

    def name(self) -> Text:
        return "action_answer_fee"


class ActionAnswerTime(ProcedureAnswerAction):
    topic = "time"

    def name(self) -> Text:
        return "action_answer_time"


class ActionAnswerWhere(ProcedureAnswerAction):
    topic = "where"

    def name(self) -> Text:
        return "action_answer_where"


class ActionAnswerSteps(ProcedureAnswerAction):
    topic = "steps"

    def name(self) -> Text:
        return "action_answer_steps"


class ActionAnswerConditions(ProcedureAnswerAction):
    topic = "conditions"

    def name(self) -> Text:
        return "action_answer_conditions"


class ActionAnswerResult(ProcedureAnswerAction):
    topic = "result"

    def name(self) -> Text:
        return "action_answer_result"


class ActionAnswerLegalBasis(ProcedureAnswerAction):
    topic = "legal_basis"

    def name(self) -> Text:
        return "action_answer_legal_basis"


class ActionAnswerOnline(ProcedureAnswerAction):
    topic = "online"

    def name(self) -> Text:
        return "action_answer_online"


class ActionAnswerFromContext(ProcedureAnswerAction):
    """The person named (or picked) a procedure: answer what they were asking about before."""

    def name(self) -> Text:
        return "action_answer_from_context"

    def topic_for(self, tracker: Tracker) -> str:
        topic = tracker.get_slot("topic")
        return topic if topic in render.TOPICS else "overview"
