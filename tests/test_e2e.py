"""End to end: real action server + real Rasa server, Vietnamese conversations over HTTP."""
from __future__ import annotations

import uuid

import pytest
import requests

from tests.servers import running_assistant

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory, kb_url):
    with running_assistant(tmp_path_factory.mktemp("e2e"), kb_url) as running:
        yield running


def say(server, sender: str, message) -> list:
    base, _, _ = server
    resp = requests.post(f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60)
    assert resp.status_code == 200, resp.text
    return resp.json()


def text_of(replies: list) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_documents_then_fee_then_time_keep_the_procedure(server, kb):
    who = f"u-{uuid.uuid4().hex[:6]}"
    proc = kb.get_procedure("1.001193")
    docs = text_of(say(server, who, "cho em hỏi làm giấy khai sinh cho con cần những giấy tờ gì ạ"))
    assert proc.documents[0].name in docs
    assert proc.source_url in docs
    fee = text_of(say(server, who, "còn lệ phí thì sao?"))
    assert "Phí, lệ phí" in fee and proc.name in fee
    time_ = text_of(say(server, who, "mất bao lâu thì có vậy"))
    assert "Thời hạn" in time_ and proc.name in time_


def test_imported_procedure_answer_and_more_documents_button(server, kb):
    """A procedure known only from the portal import: short answer, then the next page by button."""
    from procedures_kb.resolver import shared_resolver

    if not kb.meta().get("portal_procedures"):
        pytest.skip("the served KB is the curated core alone")
    resolver = shared_resolver(kb)
    proc = None
    for entry in kb.entries():
        view = kb.get_procedure(entry.code)
        if view.origin != "portal" or len(view.documents) < 8 or len(view.name) > 70:
            continue
        result = resolver.resolve(f"thủ tục {view.name} cần giấy tờ gì")
        if result.status == "match" and result.candidates[0].code == view.code:
            proc = view
            break
    assert proc is not None
    who = f"u-{uuid.uuid4().hex[:6]}"
    replies = say(server, who, f"cho hỏi thủ tục {proc.name.lower()} cần những giấy tờ gì")
    first = text_of(replies)
    assert proc.source_url in first and proc.name in first
    # Whether the first reply is the short overview or the first page of documents, the
    # "Xem thêm giấy tờ" button brings (more of) the documents.
    more = next(b for r in replies for b in r.get("buttons", []) if b["title"] == "Xem thêm giấy tờ")
    second = text_of(say(server, who, more["payload"]))
    assert second != first and proc.source_url in second
    assert any(d.name in second for d in proc.documents)


def test_unaccented_question_gets_the_same_procedure(server, kb):
    who = f"u-{uuid.uuid4().hex[:6]}"
    proc = kb.get_procedure("3.000347")
    reply = text_of(say(server, who, "doi bang lai xe het bao nhieu tien"))
    assert proc.name in reply and "Phí, lệ phí" in reply


def test_fee_then_switch_procedure_keeps_the_question(server, kb):
    who = f"u-{uuid.uuid4().hex[:6]}"
    say(server, who, "lệ phí đăng ký kết hôn bao nhiêu")
    reply = text_of(say(server, who, "thế còn đăng ký khai tử thì sao"))
    assert kb.get_procedure("1.000656").name in reply and "Phí, lệ phí" in reply


def test_question_of_an_uncovered_field_is_pointed_to_its_agency(server):
    """Health is not in the KB: the reply says so and names who handles it, with no KB fee."""
    who = f"u-{uuid.uuid4().hex[:6]}"
    reply = text_of(say(server, who, "em muốn mở phòng khám nha khoa tư nhân thì cần giấy tờ gì ạ"))
    assert "y tế" in reply and "Sở Y tế" in reply
    assert "Phí, lệ phí" not in reply


def test_case_status_over_two_turns(server):
    who = f"u-{uuid.uuid4().hex[:6]}"
    first = text_of(say(server, who, "tra cứu tình trạng hồ sơ giúp tôi"))
    assert "mã hồ sơ" in first
    second = text_of(say(server, who, "000.00.15.H26-261103-0107"))
    assert "Đang giải quyết" in second and "24/11/2026" in second


def test_unknown_case_code(server):
    reply = text_of(say(server, "u-x", "hồ sơ 000.00.15.H26-261103-9999 của tôi đến đâu rồi"))
    assert "không tìm thấy" in reply


@pytest.mark.parametrize("message", [
    "",
    "   ",
    "khai sinh " * 500,
    "😀😀😀🙏",
    "<script>alert('x')</script><b>hi</b>",
    "tra cứu hồ sơ '; DROP TABLE cases; --",
    "Đăng ký 结婚 регистрация kết hôn",
])
def test_bad_input_gets_a_polite_reply(server, message):
    replies = say(server, f"bad-{uuid.uuid4().hex[:6]}", message)
    assert replies and all(r.get("text") for r in replies)
    assert "DROP TABLE" not in text_of(replies)


@pytest.mark.parametrize("body, status", [
    ('{"sender": "a", "message": ', 400),
    ("not json", 400),
    ('{"sender": "a", "message": 5}', 400),
    ('["a", "b"]', 400),
    ('{"sender": {"x": 1}, "message": "chào"}', 400),
    ('{"sender": "a", "message": "' + "a" * 20_001 + '"}', 413),
])
def test_malformed_http_body_is_a_client_error(server, body, status):
    base, _, _ = server
    resp = requests.post(f"{base}/webhooks/rest/webhook", data=body.encode(),
                         headers={"Content-Type": "application/json"}, timeout=30)
    assert resp.status_code == status, resp.text[:300]


def test_no_errors_in_server_logs(server):
    # Runs last in this module: every conversation above has gone through both servers.
    _, rasa_log, action_log = server
    for log in (rasa_log, action_log):
        content = log.read_text(errors="replace")
        assert "Traceback" not in content, content[-3000:]
