"""Answer rendering: KB views → what the person reads (text plus buttons).

The one place where wording lives, so every channel (REST, shell, later Zalo and the kiosk)
shows the same facts the same way. Every procedure answer ends with its source. Nothing here
invents a fact: when the KB has no value, the answer says so and points to the agency.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence

from bot.text import fold
from procedures_kb.models import CHANNEL_LABELS
from procedures_kb.query import CaseView, ChannelView, DocumentView, FeeView, ProcedureView

if TYPE_CHECKING:  # the resolver pulls in numpy and rapidfuzz; rendering needs only the fields
    from procedures_kb.resolver import OutsideField

PORTAL_URL = "https://dichvucong.gov.vn"

TOPICS = ("overview", "documents", "fee", "time", "where", "steps", "conditions", "result",
          "legal_basis", "online")
TOPIC_INTENTS = {
    "overview": "ask_procedure", "documents": "ask_documents", "fee": "ask_fee",
    "time": "ask_processing_time", "where": "ask_where", "steps": "ask_steps",
    "conditions": "ask_conditions", "result": "ask_result", "legal_basis": "ask_legal_basis",
    "online": "ask_online",
}
TOPIC_BUTTON_TITLES = {
    "overview": "Tổng quan", "documents": "Xem thêm giấy tờ", "fee": "Lệ phí",
    "time": "Thời gian giải quyết", "where": "Nộp ở đâu", "steps": "Các bước thực hiện",
    "conditions": "Điều kiện", "result": "Kết quả nhận được", "legal_basis": "Căn cứ pháp lý",
    "online": "Nộp trực tuyến",
}
FOLLOW_UPS = {
    "overview": ("documents", "fee", "time", "where", "legal_basis"),
    "documents": ("fee", "time", "where"),
    "fee": ("documents", "time", "online", "legal_basis"),
    "time": ("documents", "fee", "where"),
    "where": ("documents", "online", "steps"),
    "steps": ("documents", "fee", "legal_basis"),
    "conditions": ("documents", "steps", "fee"),
    "result": ("documents", "time", "fee"),
    "legal_basis": ("documents", "fee", "time"),
    "online": ("documents", "fee", "time"),
}
CASE_STATUS_LABELS = {
    "received": "Đã tiếp nhận, đang chờ chuyển xử lý",
    "processing": "Đang giải quyết",
    "needs_supplement": "Cần bổ sung hồ sơ",
    "ready": "Đã có kết quả, đang chờ trả",
    "returned": "Đã trả kết quả",
    "overdue": "Quá hạn giải quyết",
}
WHERE_ELSE = (
    f"tra cứu trên Cổng Dịch vụ công quốc gia ({PORTAL_URL}) hoặc hỏi trực tiếp Bộ phận một cửa "
    "của UBND xã/phường nơi mình cư trú."
)
NOT_IN_KB = (
    "Dạ, hiện tôi chưa có thông tin về thủ tục này trong cơ sở dữ liệu nên không dám trả lời "
    f"sai ạ. Anh/chị có thể {WHERE_ELSE}"
)


@dataclass
class Reply:
    """One bot message: text and optional quick-reply buttons ({title, payload})."""

    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)


def button(title: str, intent: str, **entities: str) -> Dict[str, str]:
    payload = f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")
    return {"title": title, "payload": payload}


def date_vn(day: Optional[dt.date]) -> str:
    return day.strftime("%d/%m/%Y") if day else "chưa có"


def money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")


def source_line(proc: ProcedureView) -> str:
    """The citation every procedure answer ends with."""
    basis = proc.legal_bases[0] if proc.legal_bases else None
    parts = [f"Nguồn: Cổng Dịch vụ công quốc gia, thủ tục {proc.code} – {proc.source_url}"]
    if basis:
        parts.append(f"Căn cứ: {basis.number}" + (f" ({basis.title})" if basis.title else ""))
    if proc.checked_on:
        parts.append(f"Thông tin được đối chiếu ngày {date_vn(proc.checked_on)}.")
    return "\n".join(parts)


def follow_up_buttons(proc: ProcedureView, topic: str) -> List[Dict[str, str]]:
    return [
        button(TOPIC_BUTTON_TITLES[t], TOPIC_INTENTS[t], procedure_code=proc.code)
        for t in FOLLOW_UPS.get(topic, ())
    ]


def _counts(doc: DocumentView) -> str:
    parts = []
    if doc.originals:
        parts.append(f"{doc.originals} bản chính")
    if doc.copies:
        parts.append(f"{doc.copies} bản sao")
    return " + ".join(parts)


def _document_line(i: int, doc: DocumentView) -> str:
    line = f"{i}. {doc.name}"
    extras = [x for x in (_counts(doc), f"mẫu: {doc.form}" if doc.form else "") if x]
    if extras:
        line += f" ({'; '.join(extras)})"
    if doc.case:
        line += f" — trường hợp: {doc.case}"
    return line


def _clause(text: Optional[str]) -> str:
    """A KB sentence set inside our own sentence: no trailing full stop."""
    return (text or "").strip().rstrip(".").strip()


def _fee_text(fee: FeeView) -> str:
    note = f" ({_clause(fee.description)})" if fee.description else ""
    if fee.amount is None:
        text = f"{fee.kind}: {_clause(fee.description)}"
    elif fee.amount == 0:
        text = f"{fee.kind}: không thu{note}"
    else:
        text = f"{fee.kind}: {money(fee.amount)}{note}"
    if fee.exemptions:
        text += f". Miễn/giảm: {_clause(fee.exemptions)}"
    return text


def _channel_fees(channel: ChannelView) -> str:
    if not channel.fees:
        return "Cổng Dịch vụ công không ghi khoản phí, lệ phí nào"
    return "; ".join(_fee_text(f) for f in channel.fees)


def _channel_time(channel: ChannelView) -> str:
    if channel.time_value is None:
        base = "Cổng Dịch vụ công chưa ghi thời hạn cụ thể, anh/chị vui lòng hỏi cơ quan tiếp nhận"
    else:
        base = f"{_number(channel.time_value)} {channel.time_unit}"
    return base + (f" ({_clause(channel.time_note)})" if channel.time_note else "")


def _per_channel(proc: ProcedureView, describe) -> List[str]:
    return [f"• {CHANNEL_LABELS[c.channel]}: {describe(c)}" for c in proc.channels]


def _agencies(proc: ProcedureView, roles: Iterable[str] = ("thực hiện", "có thẩm quyền", "tiếp nhận")) -> List[str]:
    wanted = set(roles)
    return [name for role, name in proc.agencies if role in wanted] or [n for _, n in proc.agencies]


def _mentions_district(user_text: str) -> bool:
    folded = f" {fold(user_text or '')} "
    return any(w in folded for w in (" huyen ", " quan ", " thi xa ", " cap huyen "))


def render_topic(proc: ProcedureView, topic: str, user_text: str = "", page: int = 1) -> Reply:
    """The answer about one aspect of a procedure, with its source and follow-up buttons.

    Long lists (documents, steps, legal bases) come a page at a time, so a chat bubble stays
    readable; a "Xem thêm" button brings the next page."""
    body = _BODIES[topic](proc, user_text)
    buttons = follow_up_buttons(proc, topic)
    if isinstance(body, Paged):
        pages = body.pages()
        page = min(max(page, 1), len(pages))
        text = body.head + ("" if len(pages) == 1 else f" (phần {page}/{len(pages)})") + ":\n" + pages[page - 1]
        if page < len(pages):
            more = button(MORE_TITLES[topic], TOPIC_INTENTS[topic], procedure_code=proc.code, page=str(page + 1))
            buttons = [more, *[b for b in buttons if b["title"] != TOPIC_BUTTON_TITLES[topic]]]
        body = text + (f"\n{body.tail}" if body.tail and page == len(pages) else "")
    return Reply(f"{body}\n\n{source_line(proc)}", buttons[:MAX_BUTTONS])


MAX_BUTTONS = 5  # Zalo shows at most five buttons under a message
PAGE_CHARS = 1200  # a page of a long list stays well under a chat bubble's ~2,000 characters
PAGE_ITEMS = 6
MORE_TITLES = {"documents": "Xem thêm giấy tờ", "steps": "Xem thêm các bước",
               "legal_basis": "Xem thêm căn cứ pháp lý"}


@dataclass
class Paged:
    """A list answer: a heading, numbered lines cut into pages, and a closing line."""

    head: str
    lines: List[str]
    tail: str = ""

    def pages(self) -> List[str]:
        pages: List[List[str]] = [[]]
        size = 0
        for line in self.lines:
            if pages[-1] and (size + len(line) > PAGE_CHARS or len(pages[-1]) >= PAGE_ITEMS):
                pages.append([])
                size = 0
            pages[-1].append(line)
            size += len(line)
        return ["\n".join(p) for p in pages]


def _ask_agency(proc: ProcedureView) -> str:
    """Where to ask when the KB has no value: the procedure's agency, else the one-stop office."""
    agencies = _agencies(proc)
    who = agencies[0] if agencies else "Bộ phận một cửa nơi nộp hồ sơ"
    return f"anh/chị vui lòng hỏi {who} hoặc xem trang thủ tục {proc.source_url}"


def _overview(proc: ProcedureView, user_text: str) -> str:
    """The short answer: what, where, how long, how much; the details are behind buttons."""
    lines = [f"Thủ tục {proc.name} (mã {proc.code}, lĩnh vực {proc.field})."]
    if proc.summary:
        lines.append(proc.summary)
    agencies = _agencies(proc)
    lines.append(f"Cấp thực hiện: {', '.join(proc.levels)}."
                 + (f" Cơ quan: {'; '.join(agencies)}." if agencies else ""))
    main = proc.channel("in_person") or (proc.channels[0] if proc.channels else None)
    if main:
        lines.append(f"Thời hạn ({CHANNEL_LABELS[main.channel].lower()}): {_channel_time(main)}.")
        lines.append(f"Phí, lệ phí ({CHANNEL_LABELS[main.channel].lower()}): {_channel_fees(main)}.")
    else:
        lines.append(f"Cổng Dịch vụ công chưa ghi thời hạn và phí, lệ phí; {_ask_agency(proc)}.")
    if proc.documents:
        lines.append(f"Hồ sơ gồm {len(proc.documents)} loại giấy tờ; bấm nút bên dưới để xem chi tiết.")
    return "\n".join(lines)


def _documents(proc: ProcedureView, user_text: str):
    if not proc.documents:
        return f"Cổng Dịch vụ công chưa ghi thành phần hồ sơ của thủ tục {proc.name}; {_ask_agency(proc)}."
    submit = [d for d in proc.documents if d.kind == "submit"]
    present = [d for d in proc.documents if d.kind == "present"]
    lines = [_document_line(i, d) for i, d in enumerate(submit, 1)]
    if present:
        lines.append("Giấy tờ cần xuất trình (mang theo để cán bộ đối chiếu):")
        lines += [_document_line(i, d) for i, d in enumerate(present, 1)]
    return Paged(f"Hồ sơ thủ tục {proc.name} gồm", lines)


def _fee(proc: ProcedureView, user_text: str) -> str:
    if not proc.channels:
        return f"Cổng Dịch vụ công chưa ghi phí, lệ phí của thủ tục {proc.name}; {_ask_agency(proc)}."
    return "\n".join([f"Phí, lệ phí thủ tục {proc.name} theo từng hình thức nộp:",
                      *_per_channel(proc, _channel_fees)])


def _time(proc: ProcedureView, user_text: str) -> str:
    if not proc.channels:
        return f"Cổng Dịch vụ công chưa ghi thời hạn giải quyết thủ tục {proc.name}; {_ask_agency(proc)}."
    return "\n".join([f"Thời hạn giải quyết thủ tục {proc.name}:",
                      *_per_channel(proc, _channel_time)])


def _where(proc: ProcedureView, user_text: str) -> str:
    lines = [f"Thủ tục {proc.name} do {', '.join(proc.levels).lower()} thực hiện."]
    for role, name in proc.agencies:
        lines.append(f"• Cơ quan {role}: {name}")
    if not proc.agencies:
        lines.append("Cổng Dịch vụ công chưa ghi tên cơ quan cụ thể; anh/chị nộp tại Bộ phận một cửa "
                     "của cấp thực hiện nêu trên.")
    ways = ", ".join(CHANNEL_LABELS[c.channel].lower() for c in proc.channels)
    if ways:
        lines.append(f"Hình thức nộp: {ways}.")
    if _mentions_district(user_text):
        lines.append(
            "Lưu ý: từ ngày 01/7/2025 chính quyền địa phương chỉ còn hai cấp (tỉnh và xã), không còn "
            f"cấp huyện; thủ tục này nay thuộc {', '.join(proc.levels).lower()}."
        )
    return "\n".join(lines)


def _steps(proc: ProcedureView, user_text: str):
    if not proc.steps:
        return f"Cổng Dịch vụ công chưa ghi các bước của thủ tục {proc.name}; {_ask_agency(proc)}."
    return Paged(f"Các bước thực hiện thủ tục {proc.name}",
                 [f"{i}. {s}" for i, s in enumerate(proc.steps, 1)])


def _conditions(proc: ProcedureView, user_text: str) -> str:
    if not proc.conditions:
        return (f"Cổng Dịch vụ công không nêu điều kiện riêng cho thủ tục {proc.name}; "
                "anh/chị chỉ cần chuẩn bị đủ hồ sơ theo quy định."
                + (f"\nĐối tượng thực hiện: {proc.applicants}." if proc.applicants else ""))
    lines = [f"Điều kiện thực hiện thủ tục {proc.name}:"]
    lines += [f"• {c}" for c in proc.conditions]
    if proc.applicants:
        lines.append(f"Đối tượng thực hiện: {proc.applicants}.")
    return "\n".join(lines)


def _result(proc: ProcedureView, user_text: str) -> str:
    return f"Kết quả của thủ tục {proc.name}: {proc.result or 'Cổng Dịch vụ công chưa ghi rõ.'}"


def _legal_basis(proc: ProcedureView, user_text: str):
    if not proc.legal_bases:
        return f"Cổng Dịch vụ công chưa ghi căn cứ pháp lý của thủ tục {proc.name}; {_ask_agency(proc)}."
    return Paged(f"Căn cứ pháp lý của thủ tục {proc.name}",
                 [f"• {b.number}" + (f" – {b.title}" if b.title else "") for b in proc.legal_bases])


def _online(proc: ProcedureView, user_text: str) -> str:
    online = proc.channel("online")
    if online is None:
        return (f"Theo dữ liệu của Cổng Dịch vụ công, thủ tục {proc.name} hiện chưa có hình thức "
                "nộp trực tuyến; anh/chị nộp trực tiếp"
                + (" hoặc qua bưu chính" if proc.channel("post") else "") + ".")
    return "\n".join([
        f"Thủ tục {proc.name} nộp trực tuyến được, qua Cổng Dịch vụ công quốc gia ({PORTAL_URL}) "
        "hoặc cổng dịch vụ công của tỉnh; đăng nhập bằng tài khoản định danh điện tử (VNeID).",
        f"• Thời hạn: {_channel_time(online)}",
        f"• Phí, lệ phí: {_channel_fees(online)}",
        f"Trang thủ tục: {proc.source_url}",
    ])


_BODIES = {
    "overview": _overview, "documents": _documents, "fee": _fee, "time": _time, "where": _where,
    "steps": _steps, "conditions": _conditions, "result": _result, "legal_basis": _legal_basis,
    "online": _online,
}


def render_choices(options: Sequence) -> Reply:
    """Ask which of several close procedures the person means."""
    return Reply(
        "Dạ, anh/chị đang hỏi thủ tục nào dưới đây ạ?",
        [button(c.name, "inform_procedure", procedure_code=c.code) for c in options],
    )


def render_unknown_procedure(outside: Optional["OutsideField"] = None) -> Reply:
    """The KB does not know the procedure; when the question is recognisably about a field the
    KB does not cover (procedures_kb/data/outside), say which and who handles it."""
    if outside:
        return Reply(
            f"Dạ, câu hỏi này có vẻ thuộc lĩnh vực {outside.field}. Lĩnh vực này chưa có trong cơ sở "
            f"dữ liệu của tôi nên tôi không dám trả lời sai ạ. Anh/chị vui lòng hỏi {outside.agency}; "
            f"hoặc có thể {WHERE_ELSE}"
        )
    return Reply(NOT_IN_KB)


def render_which_procedure() -> Reply:
    return Reply(
        "Dạ, anh/chị đang hỏi về thủ tục nào ạ? Anh/chị nhắn giúp tên thủ tục, ví dụ: "
        "“đăng ký khai sinh”, “cấp lại căn cước”, “đăng ký tạm trú”. Nếu thủ tục chưa có trong dữ "
        f"liệu của tôi, anh/chị có thể {WHERE_ELSE}"
    )


HANDOFF = (
    "Dạ, tôi xin chuyển anh/chị tới cán bộ hỗ trợ. Cán bộ Bộ phận một cửa sẽ xem lại cuộc trò "
    "chuyện này; anh/chị cũng có thể đến trực tiếp Bộ phận một cửa (Trung tâm phục vụ hành chính "
    "công) của UBND xã/phường trong giờ hành chính, hoặc dùng mục Hỗ trợ trên Cổng Dịch vụ công "
    "quốc gia (https://dichvucong.gov.vn)."
)
ASK_REPHRASE = (
    "Dạ, tôi chưa hiểu rõ ý anh/chị. Anh/chị nói rõ giúp tôi tên thủ tục và điều cần hỏi (ví dụ: "
    "“làm giấy khai sinh cần giấy tờ gì”, “lệ phí đổi bằng lái xe”), hoặc nhắn mã hồ sơ để tra cứu ạ."
)
EMPTY_MESSAGE = (
    "Dạ, tôi chưa nhận được nội dung câu hỏi. Anh/chị nhắn giúp tôi câu hỏi về thủ tục hành chính "
    "bằng chữ nhé."
)

CASE_CODE_FORMAT = (
    "Mã hồ sơ có dạng 000.00.04.H51-200221-0001 (in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả): "
    "gồm mã cơ quan, dấu chấm, mã tỉnh, rồi ngày nộp (năm-tháng-ngày, 6 số) và số thứ tự (4 số)."
)


def render_case(case: CaseView) -> Reply:
    lines = [f"Hồ sơ {case.code}" + (f" – {case.procedure_name}" if case.procedure_name else "") + ":"]
    lines.append(f"• Trạng thái: {CASE_STATUS_LABELS.get(case.status, case.status)}")
    lines.append(f"• Nơi tiếp nhận: {case.agency}")
    lines.append(f"• Ngày tiếp nhận: {date_vn(case.received_on)}")
    lines.append(f"• Ngày hẹn trả: {date_vn(case.appointment_on)}")
    if case.returned_on:
        lines.append(f"• Ngày trả kết quả: {date_vn(case.returned_on)}")
    if case.status == "needs_supplement":
        lines.append(f"Hồ sơ cần bổ sung: {case.note or 'anh/chị vui lòng liên hệ nơi tiếp nhận'}.")
    elif case.status == "ready":
        lines.append("Anh/chị mang Giấy tiếp nhận hồ sơ và hẹn trả kết quả cùng giấy tờ tùy thân đến nhận kết quả nhé.")
    elif case.status == "overdue":
        lines.append("Hồ sơ đã quá ngày hẹn. Thành thật xin lỗi anh/chị; anh/chị có thể liên hệ nơi tiếp nhận "
                     "để được giải thích và nhận văn bản xin lỗi, hẹn lại theo quy định.")
    elif case.note:
        lines.append(case.note)
    return Reply("\n".join(lines))


def render_case_not_found(code: str) -> Reply:
    return Reply(
        f"Dạ, tôi không tìm thấy hồ sơ có mã {code}. Anh/chị kiểm tra lại mã trên Giấy tiếp nhận "
        "hồ sơ và hẹn trả kết quả, hoặc liên hệ nơi đã nộp hồ sơ giúp tôi nhé."
    )


def render_case_code_help(bad: Optional[str] = None) -> Reply:
    head = (f"Dạ, “{bad}” chưa đúng định dạng mã hồ sơ. " if bad else
            "Dạ, anh/chị cho tôi xin mã hồ sơ để tra cứu ạ. ")
    return Reply(head + CASE_CODE_FORMAT)
