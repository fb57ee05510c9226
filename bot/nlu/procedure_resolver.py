"""Rasa component that names the procedure a message is about, from the KB.

It runs procedures_kb.resolver (the same code the actions and `python -m bot ask` use) on the
message and on the `procedure` mention DIET found, and adds the outcome to the parse result as
`procedure_resolution`: {"status": match|ambiguous|none, "candidates": [...], "mention": str}.
The KB is read when the component loads, not at training time, so a KB rebuild needs no retraining.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from procedures_kb.query import KBNotBuilt
from procedures_kb.resolver import RESOLUTION_KEY, Resolution, resolve_message, shared_resolver

logger = logging.getLogger(__name__)

@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ProcedureResolverComponent(GraphComponent):
    """Adds `procedure_resolution` to every parsed message."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ProcedureResolverComponent":
        # Build the KB index when the model loads, not on the first user's message.
        try:
            shared_resolver()
        except KBNotBuilt as exc:
            logger.error("%s Procedures will not be recognised until it is built.", exc)
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            mentions = [
                e.get("value") for e in message.get(ENTITIES, []) or []
                if e.get("entity") == "procedure" and isinstance(e.get("value"), str)
            ]
            resolution: Resolution = resolve_message(text, mentions)
            data = resolution.as_dict()
            data["mention"] = mentions[0] if mentions else None
            message.set(RESOLUTION_KEY, data, add_to_output=True)
        return messages
