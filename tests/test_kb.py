"""KB records, build and queries; curated facts checked against the portal data."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from procedures_kb.build import build
from procedures_kb.query import KnowledgeBase
from procedures_kb.records import PROCEDURES_DIR, RecordError, load_aliases, load_outside, load_procedures
from tests.conftest import _portal_dir, portal_record

CORE = {
    "1.001193": "khai sinh", "1.000894": "kết hôn", "1.000656": "khai tử",
    "1.004873": "tình trạng hôn nhân", "1.001022": "nhận cha, mẹ, con",
    "2.000635": "trích lục", "1.004222": "thường trú", "1.004194": "tạm trú",
    "1.014061": "căn cước", "1.014063": "căn cước", "1.014064": "căn cước",
    "2.000815": "chứng thực", "2.000884": "chữ ký", "3.000333": "lý lịch tư pháp",
    "1.013225": "giấy phép xây dựng", "1.001612": "hộ kinh doanh",
    "1.013978": "lần đầu", "1.013831": "chuyển nhượng", "3.000347": "giấy phép lái xe",
}


def test_curated_core_has_at_least_30_procedures_including_the_most_asked():
    codes = {r.code for _, r in load_procedures()}
    assert len(codes) >= 30
    assert set(CORE) <= codes


def test_core_names_match_their_codes(kb):
    for code, word in CORE.items():
        assert word in kb.get_procedure(code).name.lower(), code


def test_no_district_level_after_july_2025():
    """Since 1 July 2025 there is no district level; it may only be named as the old one."""
    for path, _ in load_procedures():
        for line in path.read_text(encoding="utf-8").lower().splitlines():
            if "cấp huyện" in line:
                assert "trước" in line or "2025" in line, (path.name, line)


def test_build_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    first = build(url)
    second = build(url)
    assert first == second
    kb = KnowledgeBase(url)
    assert kb.count() == first[0]


def _copy_records(tmp_path: Path) -> Path:
    target = tmp_path / "procedures"
    shutil.copytree(PROCEDURES_DIR, target)
    return target


def test_invalid_record_names_file_and_field(tmp_path):
    records = _copy_records(tmp_path)
    path = records / "1.001193.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["channels"][0]["time_limit"] = {"value": 3, "unit": "tuần"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RecordError) as err:
        build(f"sqlite:///{tmp_path / 'kb.sqlite'}", procedures_dir=records)
    assert "1.001193.yml" in str(err.value) and "channels.0.time_limit.unit" in str(err.value)


def test_district_level_is_rejected(tmp_path):
    records = _copy_records(tmp_path)
    path = records / "1.000894.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["levels"] = ["Cấp huyện"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RecordError, match="levels"):
        build(f"sqlite:///{tmp_path / 'kb.sqlite'}", procedures_dir=records)


def test_failed_build_keeps_the_previous_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    count, _ = build(url)
    records = _copy_records(tmp_path)
    (records / "9.999999.yml").write_text("code: [broken", encoding="utf-8")
    with pytest.raises(RecordError):
        build(url, procedures_dir=records)
    assert KnowledgeBase(url).count() == count


def test_procedure_view_has_every_part(kb):
    proc = kb.get_procedure("1.001193")
    assert proc.documents and proc.channels and proc.steps and proc.legal_bases
    assert proc.source_url.startswith("https://dichvucong.gov.vn/")
    assert kb.get_procedure("9.999999") is None


def test_find_case_is_exact(kb):
    assert kb.find_case("000.00.04.H51-200221-0001").status == "returned"
    assert kb.find_case("000.00.04.H51-200221-000") is None
    assert kb.find_case("' OR '1'='1") is None


def test_demo_cases_cover_every_status(kb):
    from procedures_kb.models import CASE_STATUSES
    from procedures_kb.records import load_cases

    assert {c.status for c in load_cases()} == set(CASE_STATUSES)


# --- facts against the portal crawl ----------------------------------------------------------

def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.mark.parametrize("path,record", list(load_procedures()), ids=lambda x: getattr(x, "code", ""))
def test_curated_facts_agree_with_the_portal(path, record):
    portal = portal_record(record.code)
    if portal is None:
        pytest.skip("portal reference data not present")
    assert record.source_url == portal["detail_url"]
    # A curated value may differ from the portal only where `corrections` explains it.
    explained = " ".join(record.corrections)
    portal_levels = {x.strip() for x in portal["cap_thuc_hien"].split(",")}
    for level in set(record.levels) - portal_levels:
        assert level in explained, (level, portal_levels)
    raw = portal["raw_text"] + portal["can_cu_phap_ly"] + portal["cach_thuc_thuc_hien"]
    raw_digits = _digits(raw)
    for basis in record.legal_bases:
        # The number's digits must be on the portal page (defect 5 glues them to other text).
        assert _digits(basis.number) in raw_digits, basis.number
    for channel in record.channels:
        for fee in channel.fees:
            if fee.amount:
                shown = f"{fee.amount:,}"
                assert any(form in raw or form in explained for form in (shown, shown.replace(",", "."))), \
                    (channel.channel, fee.amount)


def test_everyday_names_are_valid_and_name_real_procedures():
    """Every code of procedures_kb/data/aliases is a curated or portal procedure."""
    names = load_aliases()
    assert len(names) > 2000 and all(2 <= len(v) <= 20 for v in names.values())
    curated = {r.code for _, r in load_procedures()}
    portal = _portal_dir()
    if portal is None:  # without the crawl, at least the curated codes are covered
        assert set(names) & curated
        return
    known = curated | {json.loads(p.read_text(encoding="utf-8"))["ma_thu_tuc"] for p in portal.rglob("*.json")}
    assert not set(names) - known


def test_bad_everyday_name_names_file_and_code(tmp_path):
    (tmp_path / "x.yml").write_text('aliases:\n  "1.001193": ["làm giấy khai sinh", ""]\n', encoding="utf-8")
    with pytest.raises(RecordError, match=r"x\.yml.*aliases\.1\.001193"):
        load_aliases(tmp_path)
    (tmp_path / "x.yml").write_text('aliases:\n  "khai sinh": ["làm giấy khai sinh"]\n', encoding="utf-8")
    with pytest.raises(RecordError, match="national procedure code"):
        load_aliases(tmp_path)


def test_everyday_names_reach_the_kb(kb):
    """The curated record of khai sinh gets the everyday names written for its code too."""
    extra = load_aliases()["1.001193"]
    aliases = {e.code: e.aliases for e in kb.entries()}["1.001193"]
    assert set(extra) <= set(aliases)


def test_outside_catalogue_is_valid_and_kept_apart_from_the_kb():
    catalogue = load_outside()
    assert sum(len(r.procedures) for _, r in catalogue) > 300
    assert all(r.field and r.agency for _, r in catalogue)


def test_bad_outside_catalogue_names_file_and_field(tmp_path):
    (tmp_path / "y.yml").write_text('field: "y tế"\nprocedures: [{name: "Mở phòng khám"}]\n', encoding="utf-8")
    with pytest.raises(RecordError, match=r"y\.yml.*agency"):
        load_outside(tmp_path)
