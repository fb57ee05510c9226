"""The REST channel with Vietnamese input hygiene at the boundary.

Rasa's own RestInput accepts any JSON value as the message and silently answers nothing when it
is not text (a lost message). This channel (same URL: /webhooks/rest/webhook) answers such
requests with a clear HTTP 400, refuses oversized bodies with 413, and NFC-normalises the text
(stripping control and zero-width characters) before the NLU sees it.
"""
from __future__ import annotations

from typing import Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request

from bot.text import nfc

MAX_MESSAGE_CHARS = 20_000
MAX_SENDER_CHARS = 128


class VietnameseRestInput(RestInput):
    """`rest` channel: POST {"sender": str, "message": str}."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @staticmethod
    def _body(req: Request) -> dict:
        body = req.json  # malformed JSON already raises a 400 in Sanic
        if not isinstance(body, dict):
            raise InvalidUsage('Body must be a JSON object: {"sender": "...", "message": "..."}')
        return body

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = self._body(req).get("sender")
        if sender is None:
            return None
        if not isinstance(sender, (str, int)) or len(str(sender)) > MAX_SENDER_CHARS:
            raise InvalidUsage(f'"sender" must be a string of at most {MAX_SENDER_CHARS} characters')
        return str(sender)

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = self._body(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage('"message" must be a string')
        if len(message) > MAX_MESSAGE_CHARS:
            raise PayloadTooLarge(f'"message" is longer than {MAX_MESSAGE_CHARS} characters')
        return nfc(message)
