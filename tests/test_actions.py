"""Each action with a real rasa-sdk Tracker and CollectingDispatcher, against the test KB."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.case_status import ActionCaseStatus
from bot import render
from actions.conversation import ActionFallback, ActionHandoff
from actions.procedure_answers import (
    ActionAnswerDocuments,
    ActionAnswerFee,
    ActionAnswerFromContext,
    ActionAnswerLegalBasis,
    ActionAnswerOnline,
    ActionAnswerProcedure,
    ActionAnswerTime,
    ActionAnswerWhere,
    ProcedureAnswerAction,
)


def tracker(text: str, intent: str = "ask_documents", slots: Optional[Dict[str, Any]] = None,
            entities: Optional[List[Dict[str, Any]]] = None) -> Tracker:
    return Tracker(
        sender_id="test",
        slots=slots or {},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9},
                        "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run(action, t: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


def slot(events, name):
    return next((e["value"] for e in events if e.get("event") == "slot" and e["name"] == name), "unset")


def test_documents_answer_lists_kb_documents_with_source(kb):
    messages, events = run(ActionAnswerDocuments(), tracker("làm giấy khai sinh cần giấy tờ gì"))
    proc = kb.get_procedure("1.001193")
    text = messages[0]["text"]
    assert proc.documents[0].name in text
    assert proc.source_url in text
    assert slot(events, "procedure_code") == "1.001193"
    assert messages[0]["buttons"], "follow-up buttons are offered"
    # The rest of a long list comes page by page from the "Xem thêm giấy tờ" button.
    pages = [text]
    while any(b["title"] == "Xem thêm giấy tờ" for b in messages[0]["buttons"]):
        more = next(b for b in messages[0]["buttons"] if b["title"] == "Xem thêm giấy tờ")
        assert '"page"' in more["payload"]
        messages, _ = run(ActionAnswerDocuments(), tracker("", entities=[
            {"entity": "procedure_code", "value": "1.001193"},
            {"entity": "page", "value": str(len(pages) + 1)}]))
        pages.append(messages[0]["text"])
    assert all(any(d.name in page for page in pages) for d in proc.documents)


def test_fee_answer_is_per_channel_and_from_kb(kb):
    messages, _ = run(ActionAnswerFee(), tracker("lệ phí đổi bằng lái xe bao nhiêu", "ask_fee"))
    proc = kb.get_procedure("3.000347")
    text = messages[0]["text"]
    assert "Trực tiếp" in text or "Trực tuyến" in text
    for channel in proc.channels:
        for fee in channel.fees:
            if fee.amount:
                assert f"{fee.amount:,}".replace(",", ".") in text


def test_follow_up_keeps_the_procedure_from_the_slot(kb):
    messages, events = run(ActionAnswerTime(), tracker("còn mất bao lâu", "ask_processing_time",
                                                       slots={"procedure_code": "1.000894"}))
    assert kb.get_procedure("1.000894").name in messages[0]["text"]
    assert slot(events, "procedure_code") == "1.000894"


def test_button_code_wins_over_text():
    messages, events = run(ActionAnswerFromContext(), tracker(
        '/inform_procedure{"procedure_code":"1.014064"}', "inform_procedure",
        slots={"topic": "fee", "procedure_code": "1.001193"},
        entities=[{"entity": "procedure_code", "value": "1.014064"}]))
    assert slot(events, "procedure_code") == "1.014064"
    assert slot(events, "topic") == "fee"
    assert "Phí, lệ phí" in messages[0]["text"]


def test_unknown_procedure_is_said_not_invented():
    messages, events = run(ActionAnswerFee(), tracker(
        "lệ phí đăng ký nhãn hiệu cho sản phẩm", "ask_fee",
        slots={"procedure_code": "1.001193"},
        entities=[{"entity": "procedure", "value": "đăng ký nhãn hiệu cho sản phẩm"}]))
    text = messages[0]["text"]
    assert "chưa có" in text and "dichvucong.gov.vn" in text
    assert "đồng" not in text, "no fee is stated for a procedure the KB does not hold"
    assert slot(events, "procedure_code") == "unset"


def test_uncovered_field_is_named_with_who_to_ask():
    """A clinic licence belongs to health, which the KB does not cover: say so, point to it."""
    messages, events = run(ActionAnswerDocuments(), tracker("mở phòng khám nha khoa tư nhân cần giấy tờ gì"))
    text = messages[0]["text"]
    assert "lĩnh vực y tế" in text and "Sở Y tế" in text
    assert slot(events, "procedure_code") == "unset"


def test_no_procedure_at_all_asks_which():
    messages, _ = run(ActionAnswerFee(), tracker("lệ phí bao nhiêu", "ask_fee"))
    assert "thủ tục nào" in messages[0]["text"]


def test_where_mentions_two_level_government_when_asked_about_district():
    messages, _ = run(ActionAnswerWhere(), tracker("đăng ký kết hôn nộp ở ubnd huyện được không", "ask_where"))
    assert "không còn" in messages[0]["text"] and "cấp huyện" in messages[0]["text"]


@pytest.mark.parametrize("action", [ActionAnswerProcedure(), ActionAnswerLegalBasis(), ActionAnswerOnline()])
def test_every_topic_renders_with_source(action, kb):
    messages, _ = run(action, tracker("đăng ký thường trú", "ask_procedure"))
    assert kb.get_procedure("1.004222").source_url in messages[0]["text"]


def test_case_status_found(kb):
    messages, events = run(ActionCaseStatus(), tracker(
        "tra cứu hồ sơ 000.00.21.H56-261002-0230", "check_case_status"))
    assert "Quá hạn" in messages[0]["text"] and "06/11/2026" in messages[0]["text"]
    assert slot(events, "case_code") == "000.00.21.H56-261002-0230"


def test_case_status_lowercase_code_is_accepted():
    messages, _ = run(ActionCaseStatus(), tracker("000.00.07.h31-261028-0015", "check_case_status"))
    assert "Cần bổ sung" in messages[0]["text"]


def test_case_status_unknown_code_reveals_nothing():
    messages, _ = run(ActionCaseStatus(), tracker("000.00.04.H51-200221-9999", "check_case_status"))
    text = messages[0]["text"]
    assert "không tìm thấy" in text
    assert "Tân Định" not in text and "khai sinh" not in text.lower()


@pytest.mark.parametrize("text", ["000.00.04-H51", "' OR 1=1; DROP TABLE cases;-- 123.45.678", "mã 12345678"])
def test_case_status_malformed_code_explains_format(text):
    messages, _ = run(ActionCaseStatus(), tracker(text, "check_case_status"))
    assert "000.00.04.H51-200221-0001" in messages[0]["text"]


def test_case_status_without_code_asks_for_it():
    messages, _ = run(ActionCaseStatus(), tracker("tra cứu hồ sơ giúp tôi", "check_case_status"))
    assert "mã hồ sơ" in messages[0]["text"]


def test_handoff():
    messages, events = run(ActionHandoff(), tracker("cho tôi gặp cán bộ", "request_human"))
    assert "cán bộ" in messages[0]["text"]
    assert slot(events, "handoff") is True


def test_fallback_answers_a_clear_procedure_then_hands_over():
    messages, _ = run(ActionFallback(), tracker("đăng ký khai tử", "nlu_fallback"))
    assert "khai tử" in messages[0]["text"].lower()
    messages, events = run(ActionFallback(), tracker("asdf qwer", "nlu_fallback"))
    assert messages[0]["text"] == render.ASK_REPHRASE
    messages, _ = run(ActionFallback(), tracker("asdf qwer", "nlu_fallback", slots={"fallback_count": 1.0}))
    assert "cán bộ" in messages[0]["text"]


def test_fallback_points_an_uncovered_field_to_its_agency():
    messages, events = run(ActionFallback(), tracker("cho hỏi thủ tục cấp giấy phép lao động cho người nước ngoài",
                                                     "nlu_fallback"))
    assert "Sở Nội vụ" in messages[0]["text"]
    assert slot(events, "handoff") == "unset"


def test_fallback_on_emoji_only():
    messages, _ = run(ActionFallback(), tracker("😀😀", "nlu_fallback"))
    assert messages[0]["text"] == render.EMPTY_MESSAGE
