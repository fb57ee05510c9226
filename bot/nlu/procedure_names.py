"""Rasa component that finds procedure names in a message with spaCy's PhraseMatcher.

The patterns are every name and alias of the KB (accent-folded, abbreviations expanded, one token
per syllable, see bot.text.syllable_keys), read when the model loads. So a procedure mentioned by
its name is found even if no training example ever used that name, and a KB import needs no
retraining. Each hit becomes a `procedure` entity whose value is the KB's own wording of the
name; the resolver (bot.nlu.procedure_resolver) then weighs it like any other mention.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

import spacy
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import filter_spans

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.text import syllable_keys
from procedures_kb.query import KBNotBuilt, ProcedureEntry, shared_kb

logger = logging.getLogger(__name__)

ENTITY = "procedure"
MIN_PATTERN_TOKENS = 2  # one-syllable aliases ("visa") match too much running text


class NameMatcher:
    """PhraseMatcher over the KB's names; independent of Rasa so it can be tested alone."""

    def __init__(self, entries: Sequence[ProcedureEntry]):
        # A blank multi-language pipeline: only its vocabulary is used (Docs are built from our
        # own tokens), so nothing is downloaded and the Vietnamese pyvi tokenizer is not needed.
        self.nlp = spacy.blank("xx")
        self.matcher = PhraseMatcher(self.nlp.vocab)
        self.names: Dict[str, str] = {}  # match id string → the KB's wording of the name
        patterns: Dict[Tuple[str, ...], str] = {}
        for entry in entries:
            for alias in entry.aliases:
                tokens = tuple(t for t, _, _ in syllable_keys(alias))
                if len(tokens) >= MIN_PATTERN_TOKENS:
                    patterns.setdefault(tokens, alias)
        for i, (tokens, alias) in enumerate(patterns.items()):
            key = f"N{i}"
            self.names[key] = alias
            self.matcher.add(key, [Doc(self.nlp.vocab, words=list(tokens))])

    def __len__(self) -> int:
        return len(self.names)

    def find(self, text: str) -> List[Dict[str, Any]]:
        """The longest non-overlapping names in the text, as Rasa entities."""
        tokens = syllable_keys(text)
        if not tokens:
            return []
        doc = Doc(self.nlp.vocab, words=[t for t, _, _ in tokens])
        ids = {(s, e): self.nlp.vocab.strings[m] for m, s, e in self.matcher(doc)}
        found = []
        for span in filter_spans([doc[s:e] for s, e in ids]):
            match_id = ids[(span.start, span.end)]
            start, end = tokens[span.start][1], tokens[span.end - 1][2]
            found.append({
                "entity": ENTITY, "start": start, "end": end, "value": self.names[match_id],
                "confidence_entity": 1.0, "extractor": ProcedureNameMatcher.__name__,
            })
        return found


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ProcedureNameMatcher(GraphComponent):
    """Adds a `procedure` entity for every KB procedure name found in the message."""

    def __init__(self, matcher: Optional[NameMatcher]):
        self._matcher = matcher

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ProcedureNameMatcher":
        try:
            matcher = NameMatcher(shared_kb().entries())
            logger.info("Procedure name matcher: %d names", len(matcher))
        except KBNotBuilt as exc:
            logger.error("%s Procedure names will not be matched until it is built.", exc)
            matcher = None
        return cls(matcher)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        if self._matcher is None:
            return messages
        for message in messages:
            found = self._matcher.find(message.get(TEXT) or "")
            if found:
                message.set(ENTITIES, [*(message.get(ENTITIES) or []), *found], add_to_output=True)
        return messages
