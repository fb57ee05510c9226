"""The national-portal importer: one record's parsers (procedures_kb.portal) on synthetic strings
and on real crawl files, one test per known data defect of each kind, and the import into a
KB database (procedures_kb.importer)."""
from __future__ import annotations

import json
import re
import shutil
import sqlite3
import unicodedata
from pathlib import Path

import pytest

from procedures_kb import importer
from procedures_kb.__main__ import main as cli
from procedures_kb.importer import NoPortalData, import_portal
from procedures_kb.portal import (
    _Notes,
    flag_kind,
    money_amounts,
    parse_channels,
    parse_conditions,
    parse_documents,
    parse_file,
    parse_legal_bases,
    parse_levels,
    parse_name,
    parse_record,
    parse_result,
    split_agencies,
    split_paragraphs,
)
from procedures_kb.records import (
    ImportedProcedureRecord,
    LegalBasisRecord,
    ProcedureRecord,
    RecordError,
)
from tests.conftest import PORTAL_DIR

HEAD = "Hình thức nộpThời gianPhí, lệ phíMô tả"
DOCS = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
LAWS = "Tên văn bản pháp lýMã văn bản"

needs_portal = pytest.mark.skipif(not PORTAL_DIR.is_dir(), reason="portal reference data not present")


def real(code: str):
    """Parse the crawl's file for a code (skips when the reference data is absent)."""
    hits = sorted(PORTAL_DIR.glob(f"*/{code}.json")) if PORTAL_DIR.is_dir() else []
    if not hits:
        pytest.skip(f"portal record {code} not present")
    return parse_file(hits[0])


def kinds(flags):
    return [flag_kind(f) for f in flags]


def channels(text: str, steps: str = ""):
    notes = _Notes()
    return {c["channel"]: c for c in parse_channels(text, steps, notes)}, notes


def minimal(**over) -> dict:
    data = {
        "ma_thu_tuc": "1.999999", "detail_url": "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/x",
        "ten_thu_tuc": "Thủ tục thử", "cap_thuc_hien": "Cấp xã", "linh_vuc": "Hộ tịch",
        "doi_tuong_thuc_hien": "Công dân Việt Nam", "co_quan_thuc_hien": "Ủy ban nhân dân cấp xã",
        "co_quan_co_tham_quyen": "", "co_quan_duoc_uy_quyen": "", "co_quan_phoi_hop": "",
        "dia_chi_tiep_nhan": "", "trinh_tu_thuc_hien": "- Nộp hồ sơ.\n- Nhận kết quả.",
        "cach_thuc_thuc_hien": f"{HEAD}Trực tiếp5 Ngày làm việcMiễn phí",
        "thanh_phan_ho_so": f"--{DOCS}Tờ khai1 bản chính",
        "can_cu_phap_ly": f"{LAWS}Luật Hộ tịch60/2014/QH13",
        "yeu_cau_dieu_kien": "Không có thông tin", "ket_qua_xu_ly": "Giấy xác nhậnMã: KQ.G15.000001Từ khóa",
        "thu_tuc_lien_quan": "", "raw_text": "",
    }
    data.update(over)
    return data


# --- simple fields ---------------------------------------------------------------------------

def test_name_is_collapsed_nfc_and_aliases_are_short_cleaned_variants():
    nfd = unicodedata.normalize("NFD", "Thủ tục đăng ký\n  khai sinh.")
    name, aliases = parse_name(nfd)
    assert name == "Thủ tục đăng ký khai sinh."
    assert unicodedata.is_normalized("NFC", name)
    assert aliases == ["Đăng ký khai sinh"]
    assert parse_name("Cấp hộ chiếu phổ thông (thực hiện tại cấp tỉnh)")[1] == ["Cấp hộ chiếu phổ thông"]
    assert parse_name("Thăm dò khoáng sản (cấp Bộ)")[1] == ["Thăm dò khoáng sản"]
    assert parse_name("Đổi giấy phép lái xe")[1] == []  # nothing to clean: no invented alias


def test_levels_agencies_result_steps_conditions():
    assert parse_levels("Cấp bộ, Cấp tỉnh, Cấp xã") == ["Cấp bộ", "Cấp tỉnh", "Cấp xã"]
    assert split_agencies("Ủy ban nhân dân tỉnh, thành phố trực thuộc trung ương, Sở Tư pháp") == [
        "Ủy ban nhân dân tỉnh, thành phố trực thuộc trung ương", "Sở Tư pháp"]
    assert split_agencies("Bộ Văn hóa, Thể thao và Du lịch, Bộ Xây dựng") == [
        "Bộ Văn hóa, Thể thao và Du lịch", "Bộ Xây dựng"]
    assert split_agencies("Không có thông tin") == []
    assert split_agencies("Số 10 Tôn Thất Thuyết, Cầu Giấy, Hà Nội", commas=False) == [
        "Số 10 Tôn Thất Thuyết, Cầu Giấy, Hà Nội"]
    junk = ("Giấy khai sinhMã: KQ.G15.000031Từ khóaKhông có thông tinMô tảKhông có thông tin"
            "Chọn cơ quan thực hiệnTỉnh/ Thành phốBộ ngành-- Chọn Tỉnh/ Thành phố --Nộp hồ sơ")
    assert parse_result(junk) == "Giấy khai sinh"
    assert parse_result("Giấy phépMã: KQ.G04.000501Văn bản từ chốiMã: KQ.G04.000495Từ khóa") == \
        "Giấy phép; Văn bản từ chối"
    assert parse_result("") is None
    steps = split_paragraphs("- Bước 1: Nộp hồ sơ tại Trung \nnộp hồ sơ.\n\n+ Bước 2: Nhận kết quả.  \n-  \n")
    assert steps == ["Bước 1: Nộp hồ sơ tại Trung nộp hồ sơ.", "Bước 2: Nhận kết quả."]
    assert split_paragraphs("Bước 1: Nộp.Bước 2: Chờ.") == ["Bước 1: Nộp.", "Bước 2: Chờ."]
    assert parse_conditions("Không có thông tin") == [] and parse_conditions("Không") == []
    assert parse_conditions("+ Đủ 18 tuổi;\n+ Không bị kết án.") == ["Đủ 18 tuổi;", "Không bị kết án."]


def test_money_amounts():
    assert money_amounts("Lệ phí: 135.000 đồng/lần; 20.000đ/tờ khai; 1,200,000 VNĐ") == [135000, 20000, 1200000]
    assert money_amounts("10.000.0000 đồng (lỗi gõ)") == []


# --- defect 1: flattened tables --------------------------------------------------------------

def test_flattened_channel_table_is_split_on_channel_names():
    text = (f"{HEAD}Trực tiếp7 Ngày làm việcLệ phí : 20.000 đồng (cấp mới)Trong thời hạn 07 ngày làm "
            "việc kể từ ngày nhận đủ hồ sơ hợp lệ.Trực tuyến3 Ngày20,000 Việt Nam Đồng(20.000 đồng/hồ sơ)"
            "Nộp qua Cổng Dịch vụ công quốc gia.Dịch vụ bưu chính72 GiờMiễn phíTrực tuyến3 Ngày50,000 "
            "Việt Nam Đồng(cấp lại)")
    chans, notes = channels(text)
    assert list(chans) == ["in_person", "online", "post"]
    p = chans["in_person"]
    assert p["time_limit"] == {"value": 7, "unit": "ngày làm việc"}
    assert "kể từ ngày nhận đủ hồ sơ hợp lệ" in p["time_note"]
    assert [(f["kind"], f["amount"]) for f in p["fees"]] == [("Lệ phí", 20000)]
    o = chans["online"]
    assert o["time_limit"] == {"value": 3, "unit": "ngày"}
    assert [f["amount"] for f in o["fees"]] == [20000, 50000]  # two table rows, one channel
    assert chans["post"]["time_limit"] == {"value": 72, "unit": "giờ"}
    assert chans["post"]["fees"] == [{"kind": "Phí, lệ phí", "amount": 0, "description": None, "exemptions": None}]
    assert notes.flags == []


def test_time_and_fee_digits_glued_across_cells():
    text = f"{HEAD}Trực tuyến1100 VNĐ(Phí công bố nội dung đăng ký doanh nghiệp: 100.000 đồng/lần)"
    chans, notes = channels(text)
    online = chans["online"]
    assert online["time_limit"] is None and "'1'" in online["time_note"]
    assert online["fees"][0]["amount"] == 100000
    assert {"table", "time-no-unit", "absurd-fee"} <= set(kinds(notes.flags))


def test_flattened_document_table_is_split_on_the_count_pattern():
    text = (f"--{DOCS}- Tờ khai theo mẫu thống nhấtMẫu TK01.docx1 bản chính+ Bản sao giấy tờ tùy thân"
            "0 bản chính,1 bản sao- Văn bản đề nghị theo Nghị định số 56/2023/NĐ-CP ngày 24/07/20231 bản chính"
            "Bản sao hợp đồng, giấy tờ liên quan1 bản chính,2 bản sao"
            f"* Giấy tờ phải xuất trình:{DOCS}Hộ chiếu còn giá trị1 bản chính"
            f"Trường hợp ủy quyền:{DOCS}Văn bản ủy quyền1 bản chính")
    notes = _Notes()
    docs = parse_documents(text, notes)
    assert [d["name"] for d in docs] == [
        "Tờ khai theo mẫu thống nhất", "Bản sao giấy tờ tùy thân",
        "Văn bản đề nghị theo Nghị định số 56/2023/NĐ-CP ngày 24/07/2023",
        "Bản sao hợp đồng, giấy tờ liên quan", "Hộ chiếu còn giá trị", "Văn bản ủy quyền"]
    assert docs[0]["form"] == "Mẫu TK01.docx" and docs[1]["form"] is None
    assert [(d["originals"], d["copies"]) for d in docs] == [(1, 0), (0, 1), (1, 0), (1, 2), (1, 0), (1, 0)]
    assert [d["kind"] for d in docs] == ["submit"] * 4 + ["present", "submit"]
    assert docs[-1]["case"] == "Trường hợp ủy quyền" and docs[0]["case"] is None
    assert "table" in kinds(notes.flags)  # '20231 bản chính' = year 2023 + count 1


@needs_portal
def test_real_flattened_tables():
    birth = real("1.001193").record
    assert [c.channel for c in birth.channels] == ["online", "post", "in_person"]
    assert any(d.name.startswith("Giấy chứng sinh") for d in birth.documents)
    assert {d.kind for d in birth.documents} == {"submit", "present"}
    glued = real("2.002011")  # 'Trực tuyến1100 VNĐ(… 100.000 đồng/lần …)'
    online = next(c for c in glued.record.channels if c.channel == "online")
    assert online.time_limit is None and online.fees[0].amount == 100000
    assert any(f.startswith("table: online time and fee digits glued") for f in glued.flags)
    counted = real("1.014980")  # '… ngày 24/07/20231 bản chính'
    assert counted.record.documents[0].name.endswith("24/07/2023")
    assert counted.record.documents[0].originals == 1


# --- defect 2: 'Miễn phí' while the description states a fee --------------------------------

def test_free_with_a_fee_in_the_description():
    one = f"{HEAD}Trực tiếp5 Ngày làm việcMiễn phí(Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.)"
    chans, notes = channels(one)
    fee = chans["in_person"]["fees"][0]
    assert (fee["kind"], fee["amount"]) == ("Lệ phí", 135000)
    assert kinds(notes.flags) == ["free-vs-description"] and notes.corrections
    several = f"{HEAD}Trực tiếp5 NgàyMiễn phí(Dưới 5 tấn: 50.000 đồng/giấy; trên 5 tấn: 100.000 đồng/giấy.)"
    chans, notes = channels(several)
    fee = chans["in_person"]["fees"][0]
    assert fee["amount"] is None and "100.000 đồng" in fee["description"]
    assert kinds(notes.flags) == ["free-vs-description"]
    unstated = f"{HEAD}Trực tiếp10 NgàyMiễn phí(Thực hiện theo Thông tư số 244/2016/TT-BTC quy định mức thu phí.)"
    chans, notes = channels(unstated)
    assert chans["in_person"]["fees"][0]["amount"] is None
    assert kinds(notes.flags) == ["free-vs-description"]
    expired = (f"{HEAD}Trực tuyến5 Ngày làm việcMiễn phí(- Lệ phí: 135.000 đồng/lần. - Nộp trực tuyến: "
               "Kể từ ngày 01/12/2023 đến hết ngày 31/12/2025, áp dụng mức thu 115.000 đồng/lần.)")
    chans, notes = channels(expired)
    assert chans["online"]["fees"][0]["amount"] == 135000  # the expired temporary rate is ignored
    for really_free in ("Miễn phí(Không có)", "Miễn phí(Miễn lệ phí đối với hộ nghèo.)", "Miễn phí"):
        chans, notes = channels(f"{HEAD}Trực tiếp5 Ngày{really_free}")
        assert chans["in_person"]["fees"][0]["amount"] == 0 and notes.flags == []


@needs_portal
def test_real_free_shown_but_fee_in_description():
    licence = real("3.000347")  # Đổi giấy phép lái xe
    for channel in licence.record.channels:
        assert [f.amount for f in channel.fees] == [135000]
    assert "free-vs-description" in kinds(licence.flags)
    assert any("Miễn phí" in c for c in licence.record.corrections)
    criminal = real("3.000333")  # Cấp Phiếu lý lịch tư pháp
    for channel in criminal.record.channels:
        assert channel.fees[0].amount is None
        assert "244/2016/TT-BTC" in channel.fees[0].description
    assert "free-vs-description" in kinds(criminal.flags)


# --- defect 3: time without unit -------------------------------------------------------------

def test_time_without_unit_is_not_guessed():
    chans, notes = channels(f"{HEAD}Trực tiếp3Miễn phí")
    assert chans["in_person"]["time_limit"] is None
    assert "'3'" in chans["in_person"]["time_note"] and "đơn vị" in chans["in_person"]["time_note"]
    assert kinds(notes.flags) == ["time-no-unit"] and notes.corrections
    steps = "Nếu tiếp nhận hồ sơ sau 15 giờ thì trả kết quả trong ngày làm việc tiếp theo."
    chans, notes = channels(f"{HEAD}Trực tiếp1Miễn phí", steps)
    assert chans["in_person"]["time_limit"] == {"value": 1, "unit": "ngày làm việc"}
    assert "trình tự" in chans["in_person"]["time_note"]
    assert kinds(notes.flags) == ["time-no-unit"]


@needs_portal
def test_real_civil_status_times_without_unit():
    marital = real("1.004873")  # Cấp Giấy xác nhận tình trạng hôn nhân: portal shows '3'
    for channel in marital.record.channels:
        assert channel.time_limit is None and "'3'" in channel.time_note
    assert "time-no-unit" in kinds(marital.flags)
    birth = real("1.001193")  # '1', the steps say same day / next working day after 15:00
    for channel in birth.record.channels:
        assert (channel.time_limit.value, channel.time_limit.unit) == (1, "ngày làm việc")
        assert "trình tự" in channel.time_note


# --- defect 4: '0 bản chính' note lines ------------------------------------------------------

def test_note_lines_with_zero_copies_are_not_documents():
    text = (f"--{DOCS}Tờ khai1 bản chínhTrường hợp đã có dữ liệu điện tử thì không phải nộp bản giấy."
            "0 bản chínhBản sao giấy chứng nhận0 bản chính,1 bản sao")
    notes = _Notes()
    docs = parse_documents(text, notes)
    assert [d["name"] for d in docs] == ["Tờ khai", "Bản sao giấy chứng nhận"]
    assert kinds(notes.flags) == ["note-line"] and "1 '0 bản chính'" in notes.flags[0]
    notes = _Notes()
    assert parse_documents(f"--{DOCS}Do ủy ban nhân dân cấp tỉnh quy định0 bản chính", notes) == []
    assert "documents" in notes.missing


@needs_portal
def test_real_note_lines_left_out():
    birth = real("1.001193")
    names = [d.name for d in birth.record.documents]
    assert not any(n.startswith("Trường hợp người yêu cầu đã nộp bản điện tử") for n in names)
    assert all(d.originals + d.copies > 0 for d in birth.record.documents)
    assert any(f.startswith("note-line: 25 ") for f in birth.flags)


# --- defect 5: legal-basis numbers glued to the text before them -----------------------------

def test_legal_basis_pairs_and_glued_years():
    text = (f"{LAWS}Luật Cư trú 202068/2020/QH14Nghị định 62/2021/NĐ-CP62/2021/NĐ-CPThông tư số "
            "55/2021/TT-BCA ngày 15/5/2021 của Bộ Công an55/2021/TT-BCALuật 60/2014/QH1360/2014/QH13"
            "Thông tư sửa đổi Thông tư 02/2020/TT-BTP.04/2024/TT-BTPNghị định về hộ tịch18/2026/NĐ-CP "
            "Nghị định về căn cước70/2024/NĐ-CPThông tư số 03/2023/TT-BTP ngày 02/8/2023 của Bộ Tư pháp"
            "Thông tư số 03/2023/TT-BTP")
    notes = _Notes()
    bases = parse_legal_bases(text, notes)
    assert [b["number"] for b in bases] == [
        "68/2020/QH14", "62/2021/NĐ-CP", "55/2021/TT-BCA", "60/2014/QH13", "04/2024/TT-BTP",
        "18/2026/NĐ-CP", "70/2024/NĐ-CP", "03/2023/TT-BTP"]
    assert bases[0]["title"] == "Luật Cư trú 2020"
    assert bases[1]["title"] == "Nghị định 62/2021/NĐ-CP"
    assert bases[2]["title"] == "Thông tư số 55/2021/TT-BCA ngày 15/5/2021 của Bộ Công an"
    assert bases[3]["title"] == "Luật 60/2014/QH13"
    assert bases[4]["title"] == "Thông tư sửa đổi Thông tư 02/2020/TT-BTP"
    assert [b["title"] for b in bases[5:7]] == ["Nghị định về hộ tịch", "Nghị định về căn cước"]
    assert bases[-1]["title"] == "Thông tư số 03/2023/TT-BTP ngày 02/8/2023 của Bộ Tư pháp"
    assert kinds(notes.flags) == ["glued-number"]
    for b in bases:
        LegalBasisRecord(**b)  # the record rule against year-glued numbers holds
    assert parse_legal_bases("Không có thông tin", _Notes()) == []


@needs_portal
def test_real_legal_bases():
    birth = real("1.001193").record
    numbers = [b.number for b in birth.legal_bases]
    assert {"123/2015/NĐ-CP", "60/2014/QH13", "87/2020/NĐ-CP", "66.7/2025/NQ-CP", "01/2022/TT-BTP"} <= set(numbers)
    assert len(numbers) == 15
    residence = real("1.002755")  # '… Luật Cư trú 202068/2020/QH14 …'
    assert "68/2020/QH14" in [b.number for b in residence.record.legal_bases]
    assert "glued-number" in kinds(residence.flags)
    assert not any(re.match(r"^(19|20)\d{2}\d+/", b.number) for b in residence.record.legal_bases)


# --- defect 6: outliers ----------------------------------------------------------------------

def test_outlier_time_and_absurd_fees_are_flagged():
    text = (f"{HEAD}Trực tuyến18 Ngày làm việcMiễn phíDịch vụ bưu chính4 Ngày làm việcMiễn phí"
            "Trực tiếp18 Ngày làm việcMiễn phí")
    data = minimal(cach_thuc_thuc_hien=text)
    parsed = parse_record(data, Path("x.json"))
    post = next(c for c in parsed.record.channels if c.channel == "post")
    assert post.time_limit.value == 4  # kept
    assert kinds(parsed.flags) == ["outlier-time"]
    assert "post time 4 ngày làm việc vs online/in_person 18 ngày làm việc" in parsed.flags[0]
    assert any("bưu chính" in c for c in parsed.record.corrections)
    chans, notes = channels(f"{HEAD}Trực tiếp5 Ngày làm việc135 VNĐ(Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.)")
    assert chans["in_person"]["fees"][0]["amount"] == 135000
    assert kinds(notes.flags) == ["absurd-fee"]
    chans, notes = channels(f"{HEAD}Trực tiếp5 Ngày làm việc50 VNĐ")
    assert chans["in_person"]["fees"][0]["amount"] == 50 and kinds(notes.flags) == ["absurd-fee"]
    chans, notes = channels(f"{HEAD}Trực tiếp5 Ngày làm việc155 VNĐ(Thẻ tạm trú: 155 USD/thẻ.)")
    fee = chans["in_person"]["fees"][0]
    assert fee["amount"] is None and fee["description"].startswith("155 USD")


@needs_portal
def test_real_outliers():
    land = real("1.013831")  # 4 days by post against 18 in person
    post = next(c for c in land.record.channels if c.channel == "post")
    assert post.time_limit.value == 4
    assert any(f.startswith("outlier-time: post time 4 ngày làm việc") for f in land.flags)
    assert any("4 ngày làm việc" in c for c in land.record.corrections)
    military = real("3.000349")  # '135 VNĐ(Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.)'
    assert military.record.channels[0].fees[0].amount == 135000
    assert "absurd-fee" in kinds(military.flags)


# --- whole records and files -----------------------------------------------------------------

def test_minimal_record_and_unparseable_records(tmp_path):
    parsed = parse_record(minimal(), Path("x.json"))
    r = parsed.record
    assert isinstance(r, ImportedProcedureRecord)
    assert (r.code, r.name, r.aliases, r.summary, r.checked_on) == ("1.999999", "Thủ tục thử", ["Thử"], None, None)
    assert r.agencies[0].role == "thực hiện" and r.result == "Giấy xác nhận"
    assert "conditions" in parsed.missing
    for over, field in [({"ma_thu_tuc": ""}, "ma_thu_tuc"), ({"ma_thu_tuc": "1.00119"}, "ma_thu_tuc"),
                        ({"ten_thu_tuc": " \n"}, "ten_thu_tuc"), ({"detail_url": ""}, "detail_url"),
                        ({"cap_thuc_hien": ""}, "cap_thuc_hien"), ({"cap_thuc_hien": "Cấp huyện"}, "cap_thuc_hien")]:
        with pytest.raises(RecordError) as err:
            parse_record(minimal(**over), Path("bad.json"))
        assert err.value.field == field
    bad_json = tmp_path / "a.json"
    bad_json.write_text('{"ma_thu_tuc": ', encoding="utf-8")
    not_utf8 = tmp_path / "b.json"
    not_utf8.write_bytes(b'{"ten_thu_tuc": "\xd0ang k\xfd"}')  # Latin-1, not UTF-8
    a_list = tmp_path / "c.json"
    a_list.write_text("[]", encoding="utf-8")
    for path in (bad_json, not_utf8, a_list):
        with pytest.raises(RecordError) as err:
            parse_file(path)
        assert err.value.field == "-"


def test_relaxed_record_class_keeps_the_curated_rules():
    base = dict(code="1.000001", name="X", field="F", levels=["Cấp xã"], source_url="https://x")
    empty = dict(agencies=[], documents=[], channels=[], steps=[], legal_bases=[], conditions=[])
    assert ImportedProcedureRecord(**base, **empty).summary is None
    with pytest.raises(ValueError):
        ImportedProcedureRecord(**{**base, "levels": []})
    with pytest.raises(ValueError):
        ImportedProcedureRecord(**base, legal_bases=[{"number": "202068/2020/QH14"}])
    with pytest.raises(ValueError):
        ProcedureRecord(**base, **empty, summary="s", result="r", checked_on="2026-01-01")


@needs_portal
def test_real_record_1_001193_basic_fields():
    r = real("1.001193").record
    assert r.code == "1.001193" and r.name == "Thủ tục đăng ký khai sinh" and r.aliases == ["Đăng ký khai sinh"]
    assert r.levels == ["Cấp xã"] and r.field == "Hộ tịch" and r.result == "Giấy khai sinh"
    assert r.source_url.startswith("https://dichvucong.gov.vn/thu-tuc-hanh-chinh/")
    assert r.summary is None and r.checked_on is None
    assert r.steps and not any(s.strip() == "" for s in r.steps)


# --- import into the database ----------------------------------------------------------------

SAMPLE = [
    "bo-tu-phap/1.001193", "bo-tu-phap/1.004873", "bo-tu-phap/2.000815", "bo-cong-an/3.000347",
    "bo-cong-an/3.000333", "bo-cong-an/3.000349", "bo-cong-an/1.002755", "bo-cong-an/1.014980",
    "bo-cong-an/1.003358", "bo-tai-chinh/2.002011", "bo-tai-chinh/1.007689", "bo-tai-chinh/1.001612",
    "bo-nong-nghiep-mt/1.013831", "bo-nong-nghiep-mt/2.000873", "bo-xay-dung/1.003135",
    "bo-xay-dung/2.002617", "ngan-hang-nha-nuoc/1.000823", "ngan-hang-nha-nuoc/2.000630",
    "toa-an-nhan-dan", "bo-nong-nghiep-mt/1.000969",
]
CURATED_IN_SAMPLE = {"1.001193", "1.004873", "2.000815", "3.000347", "3.000333", "1.001612", "1.013831",
                     "1.002755"}


def _sample_dir(tmp_path: Path) -> Path:
    target = tmp_path / "portal"
    for item in SAMPLE:
        src = PORTAL_DIR / f"{item}.json"
        files = [src] if src.exists() else sorted((PORTAL_DIR / item).glob("*.json"))[:1]
        assert files, item
        for f in files:
            (target / f.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(f, target / f.parent.name / f.name)
    (target / "broken").mkdir()
    (target / "broken" / "9.999999.json").write_text('{"ma_thu_tuc": "9.999999", ', encoding="utf-8")
    (target / "broken" / "no-code.json").write_text(json.dumps(minimal(ma_thu_tuc="")), encoding="utf-8")
    return target


def _dump(url: str) -> dict:
    con = sqlite3.connect(url[len("sqlite:///"):])
    try:
        tables = [t for (t,) in con.execute("select name from sqlite_master where type='table'")]
        out = {t: con.execute(f'select * from "{t}" order by 1').fetchall() for t in tables}
    finally:
        con.close()
    out["kb_meta"] = [row for row in out["kb_meta"] if row[0] != "portal_imported_at"]
    return out


@needs_portal
def test_import_small_directory_is_idempotent_and_keeps_curated_rows(tmp_path, monkeypatch):
    portal = _sample_dir(tmp_path)
    files = sorted(portal.rglob("*.json"))
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"

    first = import_portal(portal, url, progress=False)  # no KB yet: the curated core is built first
    assert first.built_core and first.files == len(files) == 22
    assert sorted(Path(f).name for f, _, _ in first.skipped) == ["9.999999.json", "no-code.json"]
    reasons = {Path(f).name: (fld, why) for f, fld, why in first.skipped}
    assert reasons["9.999999.json"][0] == "-" and "JSON" in reasons["9.999999.json"][1]
    assert reasons["no-code.json"][0] == "ma_thu_tuc"
    assert first.kept_curated == len(CURATED_IN_SAMPLE)
    assert first.imported == 20 - len(CURATED_IN_SAMPLE) and first.updated == 0
    assert first.portal_procedures == first.imported
    assert first.flags and first.missing["conditions"] > 0
    text = first.format()
    for needle in ("imported (new): 12", "kept curated: 8", "no-code.json", "free-vs-description", "Missing fields"):
        assert needle in text

    db = _dump(url)
    procs = {row[1]: row for row in db["procedures"]}  # code → row
    origin = {code: row[-1] for code, row in procs.items()}
    assert all(origin[c] == "curated" for c in CURATED_IN_SAMPLE)
    assert origin["3.000349"] == "portal" and origin["1.003358"] == "portal"
    assert procs["1.001193"][2] == "Đăng ký khai sinh" and procs["1.001193"][6]  # curated name, summary
    assert procs["3.000349"][6] is None  # no summary copied from the portal
    assert "9.999999" not in procs
    meta = dict(db["kb_meta"])
    assert meta["portal_procedures"] == str(first.imported) and meta["portal_source"] == str(portal.resolve())
    assert "fingerprint" in meta  # the curated build's metadata is still there

    monkeypatch.setattr(importer, "_PARALLEL_FROM", 1)  # second run through the worker pool
    second = import_portal(portal, url, progress=False)
    assert (second.imported, second.updated, second.kept_curated) == (0, first.imported, first.kept_curated)
    assert second.flags == first.flags and second.missing == first.missing
    assert _dump(url) == db


def test_cli_import_portal_exit_codes(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    assert cli(["import-portal", str(tmp_path / "missing"), "--db", url, "--no-progress"]) == 2
    (tmp_path / "empty").mkdir()
    assert cli(["import-portal", str(tmp_path / "empty"), "--db", url, "--no-progress"]) == 2
    with pytest.raises(NoPortalData):
        import_portal(tmp_path / "empty", url, progress=False)
    one = tmp_path / "one"
    one.mkdir()
    (one / "1.999999.json").write_text(json.dumps(minimal(), ensure_ascii=False), encoding="utf-8")
    assert cli(["import-portal", str(one), "--db", url, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "imported (new): 1" in out and "Skipped files: none" in out
