"""Vietnamese tokenizer for the Rasa pipeline, backed by underthesea word segmentation.

Token text and offsets always point into the original message (see bot.text.segment), which
avoids the `substring not found` crash of the usual underthesea snippet on NFD input and on
words underthesea re-accents. The lemma is the accent-folded, abbreviation-expanded word with
syllables joined by '_' ("Căn cước" → "can_cuoc", "gks" → "giay_khai_sinh"), so the
featurizers see accented and unaccented input alike.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.text import segment


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Splits Vietnamese text into words (or syllables, with `word_segmentation: false`)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            # Group syllables into words with underthesea; false keeps one token per syllable.
            "word_segmentation": True,
            # Words beyond this are not tokenised (bounds the cost of a very long message).
            "max_syllables": 400,
        }

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["vi"]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["underthesea"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "VietnameseTokenizer":
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        words = segment(
            text,
            use_underthesea=self._config["word_segmentation"],
            max_syllables=self._config["max_syllables"],
        )
        if not words:
            # Emoji- or punctuation-only text: one token, as Rasa's own tokenizers do, so the
            # featurizers and classifiers still run and the bot can reply politely.
            return [Token(text, 0, lemma=text.strip().lower() or "_")]
        tokens = [Token(w.text, w.start, w.end, lemma=w.key) for w in words]
        return self._apply_token_pattern(tokens)
