"""Tests of checker.inputs.records: validation of unit records (records.md) and streaming loading."""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from checker.inputs import loaders, records, schema
from checker.errors import Location, Problem, UsageError
from checker.inputs.period import Period
from checker.inputs.records import InvalidUnit, UnitRecord, validate_unit
from checker.inputs.loaders import load_units
from checker.inputs.source import load_file

# Three lines: whatever a test appends starts on line 4.
HEAD = """\
unit_id: GD-01
name: 测试支部
period: {start: 2025-01-01, end: 2025-12-31}
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run every test inside its tmp_path, so files show as plain names (`u.yaml`)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(name: str, text: str) -> str:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return name


def load_one(text: str, name: str = "u.yaml") -> UnitRecord | InvalidUnit:
    results = list(load_units([write(name, text)]))
    assert len(results) == 1
    return results[0]


def valid(text: str, name: str = "u.yaml") -> UnitRecord:
    result = load_one(text, name)
    assert isinstance(result, UnitRecord), [str(p) for p in result.problems]
    return result


def problems(text: str, name: str = "u.yaml") -> list[str]:
    """The problems of a one-unit file as `file:line:col: code [unit] message`."""
    result = load_one(text, name)
    assert isinstance(result, InvalidUnit), "expected the unit to be invalid"
    return [str(p) for p in result.problems]


def only_problem(text: str, name: str = "u.yaml") -> Problem:
    result = load_one(text, name)
    assert isinstance(result, InvalidUnit)
    assert len(result.problems) == 1, [str(p) for p in result.problems]
    return result.problems[0]


def meeting(extra: str = "", mid: str = "M-1") -> str:
    """A meetings list with one valid meeting (lines 4–7) plus `extra` lines (from line 8)."""
    return f"meetings:\n  - id: {mid}\n    type: 支委会\n    date: 2025-03-12\n{extra}"


# -- strict types ----------------------------------------------------------------------------

def test_string_is_not_a_number():
    p = only_problem(HEAD + meeting('    present: "3"\n'))
    assert str(p) == ('u.yaml:8:14: type-error [GD-01] meetings[0].present：期望 整数（0–10000000），'
                      '实际 字符串 "3"（数字不要加引号）')
    assert p.location == Location("u.yaml", 8, 14)
    assert (p.unit, p.field, p.expected, p.found) == ("GD-01", "meetings[0].present", "整数（0–10000000）", '字符串 "3"')


def test_bool_is_not_a_number():
    p = only_problem(HEAD + "staff: true\n")
    assert str(p) == "u.yaml:4:8: type-error [GD-01] staff：期望 整数（0–10000000），实际 布尔值 true"


def test_integer_field_rejects_fraction_and_accepts_whole_float():
    p = only_problem(HEAD + "members: 2.5\n")
    assert str(p) == "u.yaml:4:10: type-error [GD-01] members：期望 整数（0–10000000），实际 小数 2.5"
    unit = valid(HEAD + "members: 3.0\n")
    assert unit.data["members"] == 3
    assert type(unit.data["members"]) is int


def test_number_field_accepts_fraction_and_integer():
    unit = valid(HEAD + "member_training_hours_avg: 2.5\nassessment: {party_weight: 1}\n")
    assert unit.data["member_training_hours_avg"] == 2.5
    assert unit.data["assessment"]["party_weight"] == 1


def test_booleans_only_true_false():
    found = problems(HEAD + "branch_committee:\n  established: yes\n  members: 1\nleaders:\n  - {name: 张伟, annual_review: 1}\n")
    assert found == [
        'u.yaml:5:16: type-error [GD-01] branch_committee.established：期望 布尔值 true/false，实际 字符串 "yes"（只接受 true 或 false）',
        "u.yaml:8:31: type-error [GD-01] leaders[0].annual_review：期望 布尔值 true/false，实际 整数 1",
    ]


def test_text_field_rejects_bool_and_fraction():
    found = problems(HEAD + "parent: true\nleaders:\n  - {name: 1.5}\n")
    assert found == [
        "u.yaml:4:9: type-error [GD-01] parent：期望 字符串，实际 布尔值 true（如需文字请加引号）",
        "u.yaml:6:12: type-error [GD-01] leaders[0].name：期望 字符串，实际 小数 1.5（如需文字请加引号）",
    ]


@pytest.mark.parametrize("value, code, found", [
    ("2025/3/12", "type-error", '字符串 "2025/3/12"'),
    ("20250312", "type-error", "整数 20250312"),
    ("'2025-3-12'", "type-error", '字符串 "2025-3-12"'),
    ("'2025-02-30'", "bad-date", '字符串 "2025-02-30"'),
    ("true", "type-error", "布尔值 true"),
    ("[2025-03-12]", "type-error", "列表"),
])
def test_date_field_rejects_non_dates(value, code, found):
    p = only_problem(HEAD + f"meetings:\n  - id: M-1\n    type: 支委会\n    date: {value}\n")
    assert (p.code, p.field, p.found, p.expected) == (code, "meetings[0].date", found, "日期 YYYY-MM-DD")
    assert p.location == Location("u.yaml", 7, 11)
    assert p.message.startswith(f"meetings[0].date：期望 日期 YYYY-MM-DD，实际 {found}")


def test_date_field_accepts_iso_string():
    unit = valid(HEAD + meeting("    recorded_on: '2025-03-13'\n"))
    assert unit.data["meetings"][0]["recorded_on"] == dt.date(2025, 3, 13)


def test_list_field_must_be_a_list():
    found = problems(HEAD + "assessment:\n  methods: 综合评价法\nkpis: {name: 产值}\n")
    assert found == [
        'u.yaml:5:12: type-error [GD-01] assessment.methods：期望 列表（元素为字符串），实际 字符串 "综合评价法"',
        "u.yaml:6:7: type-error [GD-01] kpis：期望 列表（元素为经营指标记录），实际 映射",
    ]


def test_record_field_must_be_a_mapping():
    found = problems("unit_id: GD-01\nname: x\nperiod: 2025\n")
    assert found == ["u.yaml:3:9: type-error [GD-01] period：期望 检查期间记录（映射），实际 整数 2025"]


def test_list_elements_must_not_be_null():
    found = problems(HEAD + "meetings:\n  - null\n" + "zones:\n  - {id: Z-1, name: 责任区, kpis: [~]}\n")
    assert found == [
        "u.yaml:5:5: required [GD-01] meetings[0]：列表元素不能为空",
        "u.yaml:7:33: required [GD-01] zones[0].kpis[0]：列表元素不能为空",
    ]


# -- enumerations, bounds, NaN ---------------------------------------------------------------

def test_enum_lists_allowed_values_and_suggests():
    p = only_problem(HEAD + "org_type: 支部\n")
    assert str(p) == ('u.yaml:4:11: enum [GD-01] org_type：期望 以下之一：党支部、党总支、基层党委，'
                      '实际 字符串 "支部"；是否为 “党支部”？')
    assert p.expected == "以下之一：党支部、党总支、基层党委"


def test_enum_in_a_list_of_values():
    p = only_problem(HEAD + meeting("    topics: [党建, 其它事项]\n"))
    assert p.code == "enum"
    assert p.field == "meetings[0].topics[1]"
    assert p.location == Location("u.yaml", 8, 18)
    assert "党建、业务、融合、学习、人事、财务" in p.message


def test_enum_rejects_number():
    p = only_problem(HEAD + "kpis:\n  - {name: 产值, direction: 1}\n")
    assert (p.code, p.field, p.found) == ("enum", "kpis[0].direction", "整数 1")


def test_open_vocabulary_is_not_enforced():
    unit = valid(HEAD + "leaders:\n  - {name: 张伟, business_role: 项目总监}\n")
    assert unit.data["leaders"][0]["business_role"] == "项目总监"


@pytest.mark.parametrize("line, field, found, expected", [
    ("staff: -1", "staff", "整数 -1", "整数（0–10000000）"),
    ("staff: 10000001", "staff", "整数 10000001", "整数（0–10000000）"),
    ("branch_committee: {term_years: 0}", "branch_committee.term_years", "整数 0", "整数（1–10）"),
    ("branch_committee: {term_years: 11}", "branch_committee.term_years", "整数 11", "整数（1–10）"),
    ("assessment: {party_weight: 1.5}", "assessment.party_weight", "小数 1.5", "数值（0–1）"),
    ("assessment: {party_score: 101}", "assessment.party_score", "整数 101", "数值（0–100）"),
    ("member_training_hours_avg: 10001", "member_training_hours_avg", "整数 10001", "数值（0–10000）"),
    ("kpis: [{name: x, target: -1e14}]", "kpis[0].target", "小数 -100000000000000.0",
     "数值（-10000000000000–10000000000000）"),
])
def test_bounds(line, field, found, expected):
    p = only_problem(HEAD + line + "\n")
    assert (p.code, p.field, p.found, p.expected) == ("range", field, found, expected)
    assert p.message == f"{field}：期望 {expected}，实际 {found}"


def test_bounds_are_inclusive():
    unit = valid(HEAD + "staff: 0\nmembers: 10000000\nassessment: {party_weight: 1, party_score: 0}\n")
    assert (unit.data["staff"], unit.data["members"]) == (0, 10_000_000)


def test_max_length():
    p = only_problem(HEAD + "parent: " + "党" * 501 + "\n")
    assert (p.code, p.field, p.expected, p.found) == ("too-long", "parent", "字符串（最长 500 字）", "501 字")
    assert p.location == Location("u.yaml", 4, 9)
    assert isinstance(valid(HEAD + "parent: " + "党" * 500 + "\n"), UnitRecord)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_never_valid(value):
    data = {"unit_id": "GD-01", "name": "x", "period": {"start": "2025-01-01", "end": "2025-12-31"},
            "assessment": {"party_score": value}, "kpis": [{"name": "产值", "actual": value}]}
    out, found = validate_unit(data, "mem.json")
    assert out is None
    assert [(p.code, p.field) for p in found] == [("bad-number", "assessment.party_score"),
                                                    ("bad-number", "kpis[0].actual")]


# -- unknown and required fields -------------------------------------------------------------

def test_unknown_field_suggests_the_right_name():
    p = only_problem(HEAD + meeting("    presnt: 4\n"))
    assert str(p) == "u.yaml:8:5: unknown-field [GD-01] meetings[0].presnt：未知字段 “presnt”；是否为 “present”？"
    assert (p.field, p.found) == ("meetings[0].presnt", "presnt")


def test_unknown_field_case_and_chinese_label():
    found = problems(HEAD + "Staff: 3\n职工人数: 4\n")
    assert found == [
        "u.yaml:4:1: unknown-field [GD-01] Staff：未知字段 “Staff”；是否为 “staff”？",
        "u.yaml:5:1: unknown-field [GD-01] 职工人数：未知字段 “职工人数”；是否为 “staff”？",
    ]


def test_unknown_field_without_a_close_name_lists_the_fields():
    p = only_problem(HEAD + "branch_committee: {zzz: 1}\n")
    assert p.message == ("branch_committee.zzz：未知字段 “zzz”（支部委员会记录可用字段："
                         "established、elected_on、term_years、members）")
    assert p.location == Location("u.yaml", 4, 20)


def test_missing_required_field_is_reported_at_its_mapping():
    found = problems(HEAD + "meetings:\n  - id: M-1\n    type: 支委会\n")
    assert found == ["u.yaml:5:5: required [GD-01] meetings[0].date：缺少必填字段（会议日期）"]


def test_missing_required_fields_of_the_unit():
    result = load_one("org_type: 党支部\n")
    assert isinstance(result, InvalidUnit)
    assert result.unit_id is None
    assert [str(p) for p in result.problems] == [
        "u.yaml:1:1: required unit_id：缺少必填字段（单位编号）",
        "u.yaml:1:1: required name：缺少必填字段（党组织名称）",
        "u.yaml:1:1: required period：缺少必填字段（检查期间）",
    ]


def test_required_field_null_or_blank():
    found = problems("unit_id: GD-01\nname: '  '\nperiod: {start: 2025-01-01, end: null}\n")
    assert found == [
        'u.yaml:2:7: required [GD-01] name：必填字段（党组织名称）不能为空',
        "u.yaml:3:34: required [GD-01] period.end：必填字段（期间结束）不能为空",
    ]


# -- semantic checks -------------------------------------------------------------------------

def test_present_greater_than_expected():
    p = only_problem(HEAD + meeting("    expected: 5\n    present: 6\n"))
    assert str(p) == "u.yaml:9:14: inconsistent [GD-01] meetings[0].present：实到人数 6 大于应到人数 5"
    assert (p.expected, p.found) == ("不大于 5", "6")
    assert isinstance(valid(HEAD + meeting("    expected: 5\n    present: 5\n")), UnitRecord)


def test_recorded_before_the_meeting():
    p = only_problem(HEAD + meeting("    recorded_on: 2025-03-11\n"))
    assert str(p) == ("u.yaml:8:18: inconsistent [GD-01] meetings[0].recorded_on："
                      "记录归档日期 2025-03-11 早于会议日期 2025-03-12")
    assert isinstance(valid(HEAD + meeting("    recorded_on: 2025-03-12\n")), UnitRecord)


def test_period_start_after_end():
    p = only_problem("unit_id: GD-01\nname: x\nperiod: {start: 2025-12-31, end: 2025-01-01}\n")
    assert str(p) == "u.yaml:3:34: inconsistent [GD-01] period.end：期间结束 2025-01-01 早于期间开始 2025-12-31"
    one_day = valid("unit_id: GD-01\nname: x\nperiod: {start: 2025-01-01, end: 2025-01-01}\n")
    assert one_day.period.days == 1


DECISION = "major_decisions:\n  - {{id: D-1, title: 分包, category: 重大项目, decided_on: 2025-05-20, prestudy_meeting: {ref}}}\n"


def test_prestudy_meeting_must_resolve():
    text = HEAD + meeting(mid="M-2025-05") + DECISION.format(ref="M-2025-06")
    p = only_problem(text)
    assert str(p) == ("u.yaml:9:84: reference [GD-01] major_decisions[0].prestudy_meeting："
                      "前置研究会议 “M-2025-06” 不是本单位 meetings 中的会议编号；是否为 “M-2025-05”？")
    unit = valid(HEAD + meeting(mid="M-2025-05") + DECISION.format(ref="M-2025-05"))
    assert unit.data["major_decisions"][0]["prestudy_meeting"] == "M-2025-05"


def test_prestudy_meeting_without_meetings():
    p = only_problem(HEAD + DECISION.format(ref="M-1"))
    assert (p.code, p.field) == ("reference", "major_decisions[0].prestudy_meeting")


def test_no_reference_noise_when_a_meeting_id_is_unreadable():
    # the meeting's missing id is the one problem; the reference is not also reported
    text = HEAD + "meetings:\n  - {type: 支委会, date: 2025-03-12}\n" + DECISION.format(ref="M-1")
    assert [p.split(" ")[1] for p in problems(text)] == ["required"]


# -- item keys -------------------------------------------------------------------------------

@pytest.mark.parametrize("field, first, second, key", [
    ("meetings", "{id: M-1, type: 支委会, date: 2025-03-12}", "{id: M-1, type: 党课, date: 2025-04-12}", "M-1"),
    ("leaders", "{name: 张伟}", "{name: 张伟, party_role: 委员}", "张伟"),
    ("plans", "{title: 计划, kind: 党建}", "{title: 计划, kind: 经营}", "计划"),
    ("inspections", "{date: 2025-04-28, kind: 联合检查}", "{date: '2025-04-28', kind: 联合检查, party_items: 1}",
     "2025-04-28 联合检查"),
    ("trainings", "{date: 2025-04-10, kind: 理论学习, hours: 4}", "{date: 2025-04-10, kind: 理论学习, hours: 2}",
     "2025-04-10 理论学习"),
    ("major_decisions", "{id: D-1, title: a, category: 大额资金, decided_on: 2025-05-20}",
     "{id: D-1, title: b, category: 重大决策, decided_on: 2025-05-21}", "D-1"),
    ("zones", "{id: Z-1, name: a}", "{id: Z-1, name: b}", "Z-1"),
    ("sensitive_posts", "{post: 物资采购}", "{post: 物资采购, holder: 王磊}", "物资采购"),
    ("documents", "{title: 细则}", "{title: 细则, issued_on: 2021-05-01}", "细则"),
    ("kpis", "{name: 产值}", "{name: 产值, target: 1}", "产值"),
    ("prior_findings", "{rule: FM03, period: 2024, status: 已销号}", "{rule: FM03, period: '2024', status: 整改中}",
     "FM03 2024"),
])
def test_duplicate_item_keys(field, first, second, key):
    p = only_problem(HEAD + f"{field}:\n  - {first}\n  - {second}\n")
    assert p.code == "duplicate-key"
    assert p.location.line == 6
    assert p.found == key
    assert f"“{key}”" in p.message
    assert "第 5 行" in p.message and f"{field}[0]" in p.message
    assert p.field in (f"{field}[1]", f"{field}[1].{records.key_fields(schema.UNIT.field(field).type.item)[0]}")


def test_duplicate_key_message_and_position():
    p = only_problem(HEAD + "meetings:\n  - {id: M-1, type: 支委会, date: 2025-03-12}\n"
                            "  - {id: M-1, type: 党课, date: 2025-04-12}\n")
    assert str(p) == ("u.yaml:6:10: duplicate-key [GD-01] meetings[1].id：会议的键 “M-1”（id）"
                      "与第 5 行的 meetings[0] 重复，单位内必须唯一")


def test_same_key_in_different_lists_or_positional_keys_is_fine():
    unit = valid(HEAD + "meetings:\n  - id: X\n    type: 支委会\n    date: 2025-03-12\n"
                        "    decisions: [{text: 同一决议}, {text: 同一决议}]\n"
                        "zones:\n  - {id: X, name: 区, kpis: [{name: 进尺}, {name: 进尺}]}\n"
                        "plans:\n  - {title: P, kind: 党建, items: [{text: a}, {text: a}]}\n"
                        "inspections:\n  - {date: 2025-04-28, kind: 联合检查}\n  - {date: 2025-04-28, kind: 党建专项}\n")
    assert len(unit.data["meetings"][0]["decisions"]) == 2


# -- all problems at once --------------------------------------------------------------------

def test_all_problems_of_a_file_are_listed_in_order():
    text = (
        "unit_id: GD-09\n"                                   # 1
        "name: 测试\n"                                        # 2
        "org_type: 支部\n"                                    # 3
        "period: {start: 2025-01-01, end: 2025-12-31}\n"     # 4
        "staff: '180'\n"                                      # 5
        "nmae: x\n"                                           # 6
        "meetings:\n"                                         # 7
        "  - id: M-1\n"                                       # 8
        "    type: 支委员会\n"                                 # 9
        "    date: 2025-03-12\n"                              # 10
        "    expected: 3\n"                                   # 11
        "    present: 4\n"                                    # 12
        "  - id: M-1\n"                                       # 13
        "    type: 党课\n"                                     # 14
        "assessment: {party_weight: 2}\n"                     # 15
    )
    result = load_one(text)
    assert isinstance(result, InvalidUnit)
    assert result.unit_id == "GD-09"
    assert [(p.location.line, p.code, p.field) for p in result.problems] == [
        (3, "enum", "org_type"),
        (5, "type-error", "staff"),
        (6, "unknown-field", "nmae"),
        (9, "enum", "meetings[0].type"),
        (12, "inconsistent", "meetings[0].present"),
        (13, "required", "meetings[1].date"),
        (13, "duplicate-key", "meetings[1].id"),
        (15, "range", "assessment.party_weight"),
    ]
    assert all(p.unit == "GD-09" and p.location.file == "u.yaml" for p in result.problems)


def test_json_positions_in_problems():
    text = ('{\n  "unit_id": "GD-01",\n  "name": "x",\n  "period": {"start": "2025-01-01", "end": "2025-12-31"},\n'
            '  "meetings": [{"id": "M-1", "type": "支委会", "date": "2025-03-12", "present": "3"}]\n}\n')
    p = only_problem(text, "u.json")
    assert str(p).startswith("u.json:5:78: type-error [GD-01] meetings[0].present：期望 整数")


# -- normalisation ---------------------------------------------------------------------------

def assert_complete(data: dict, rec: schema.Record) -> None:
    """Every field of `rec` is present at every level, with the normalised absent values."""
    assert set(data) == {f.name for f in rec.fields}
    for f in rec.fields:
        value = data[f.name]
        if isinstance(f.type, schema.Record):
            assert isinstance(value, dict)
            assert_complete(value, f.type)
        elif isinstance(f.type, schema.ListOf):
            assert isinstance(value, list)
            if isinstance(f.type.item, schema.Record):
                for element in value:
                    assert_complete(element, f.type.item)


def test_minimal_unit_is_completed():
    unit = valid(HEAD)
    data = unit.data
    assert_complete(data, schema.UNIT)
    assert data["meetings"] == [] and data["kpis"] == [] and data["prior_findings"] == []
    assert data["staff"] is None and data["org_type"] is None and data["parent"] is None
    assert data["branch_committee"] == {"established": None, "elected_on": None, "term_years": None, "members": None}
    assert data["assessment"] == {"party_weight": None, "linked_to_pay": None, "uses_business_results": None,
                                  "political_accounting": None, "methods": [], "party_score": None,
                                  "leader_grades": []}
    assert data["period"] == {"start": dt.date(2025, 1, 1), "end": dt.date(2025, 12, 31)}


def test_nulls_and_blank_optional_text_normalise_to_absent():
    unit = valid(HEAD + "parent: ''\nstaff: null\nbranch_committee: ~\nmeetings:\n"
                        "leaders:\n  - {name: 张伟, party_role: '', business_role: null}\n")
    data = unit.data
    assert data["parent"] is None and data["staff"] is None and data["meetings"] == []
    assert data["branch_committee"]["members"] is None
    assert data["leaders"] == [{"name": "张伟", "party_role": None, "business_role": None, "in_business_team": None,
                                "dual_duty_letter": None, "party_work_report": None, "annual_review": None,
                                "training_hours": None}]


def test_numbers_and_dates_in_text_fields_become_text():
    unit = valid("unit_id: 007\nname: 2025-06-01\nperiod: {start: 2025-01-01, end: 2025-12-31}\n"
                 "prior_findings:\n  - {rule: 12, period: 2024, status: 超期}\n"
                 "kpis:\n  - {name: +5, unit: -3}\n")
    assert unit.unit_id == "007"
    assert unit.data["unit_id"] == "007"
    assert unit.name == "2025-06-01"
    assert unit.data["prior_findings"][0]["rule"] == "12"
    assert unit.data["prior_findings"][0]["period"] == "2024"
    assert (unit.data["kpis"][0]["name"], unit.data["kpis"][0]["unit"]) == ("+5", "-3")


def test_full_unit(full_unit_yaml):
    unit = valid(full_unit_yaml)
    assert_complete(unit.data, schema.UNIT)
    assert unit.unit_id == "GD-07"
    assert (unit.name, unit.parent, unit.org_type) == ("第七项目部党支部", "华东工程公司党委", "党支部")
    assert unit.period == Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert unit.source == "u.yaml"
    assert unit.location == Location("u.yaml", 1, 1)
    data = unit.data
    assert data["prior_findings"][0]["period"] == "2024"
    assert data["meetings"][0]["decisions"][0] == {"text": "成立攻坚小组", "owner": "李强",
                                                   "due": dt.date(2025, 4, 30), "done": True}
    assert data["kpis"][0]["direction"] is None
    assert data["kpis"][1]["direction"] == "lower"
    assert data["zones"][0]["kpis"] == [{"name": "月进尺", "target": 300, "actual": 312}]
    assert data["assessment"]["party_weight"] == 0.2
    # plain containers, not the marked ones of the loader
    assert type(data) is dict and type(data["meetings"]) is list and type(data["meetings"][0]) is dict


def test_json_unit_equals_yaml_unit(full_unit_yaml):
    yaml_unit = valid(full_unit_yaml)
    raw = load_file(Path("u.yaml")).data
    Path("u.json").write_text(json.dumps(raw, ensure_ascii=False, default=dt.date.isoformat, indent=2),
                              encoding="utf-8")
    [json_unit] = list(load_units(["u.json"]))
    assert isinstance(json_unit, UnitRecord)
    assert json_unit.data == yaml_unit.data
    assert json_unit.source == "u.json"


# -- validate_unit ---------------------------------------------------------------------------

def test_validate_unit_on_plain_data():
    data = {"unit_id": "GD-01", "name": "x", "period": {"start": dt.date(2025, 1, 1), "end": "2025-06-30"}}
    out, found = validate_unit(data, "mem.yaml")
    assert found == []
    assert out["period"] == {"start": dt.date(2025, 1, 1), "end": dt.date(2025, 6, 30)}
    assert data["period"]["end"] == "2025-06-30"      # the input is not modified
    out, found = validate_unit({**data, "staff": "3"}, "mem.yaml")
    assert out is None
    assert found == [Problem(Location("mem.yaml"), "type-error", 'staff：期望 整数（0–10000000），实际 字符串 "3"（数字不要加引号）',
                             "GD-01", "staff", "整数（0–10000000）", '字符串 "3"')]


def test_validate_unit_on_a_document():
    write("d.yaml", HEAD + "members: x\n")
    doc = load_file(Path("d.yaml"), "shown.yaml")
    out, found = validate_unit(doc.data, doc)
    assert out is None
    assert [str(p) for p in found] == ['shown.yaml:4:10: type-error [GD-01] members：期望 整数（0–10000000），实际 字符串 "x"']


def test_validate_unit_not_a_mapping():
    out, found = validate_unit(["a"], "x.yaml")
    assert out is None
    assert [(p.code, p.unit, p.field, p.message) for p in found] == [
        ("type-error", None, None, "单位记录：期望 单位记录（映射），实际 列表")]


def test_validate_unit_is_fast_for_many_meetings():
    meetings = [{"id": f"M-{i}", "type": "支委会", "date": dt.date(2025, 1, 1) + dt.timedelta(days=i % 365),
                 "expected": 5, "present": 4, "topics": ["党建", "业务"], "evidence": ["a.pdf"],
                 "decisions": [{"text": "决议", "owner": "李强", "due": "2025-12-31", "done": True}]}
                for i in range(200)]
    data = {"unit_id": "GD-01", "name": "x", "period": {"start": "2025-01-01", "end": "2025-12-31"},
            "meetings": meetings}
    started = time.perf_counter()
    for _ in range(5):
        out, found = validate_unit(data, "big.json")
    assert found == []
    assert len(out["meetings"]) == 200
    assert time.perf_counter() - started < 2.0


# -- load_units: files, lists, directories ---------------------------------------------------

def test_units_list_file():
    text = ("units:\n"
            "  - unit_id: A\n    name: 甲\n    period: {start: 2025-01-01, end: 2025-12-31}\n"
            "  - unit_id: B\n    name: 乙\n    parent: 上级\n    period: {start: 2025-01-01, end: 2025-12-31}\n"
            "    staff: many\n")
    results = list(load_units([write("all.yaml", text)]))
    assert [type(r).__name__ for r in results] == ["UnitRecord", "InvalidUnit"]
    assert results[0].location == Location("all.yaml", 2, 5)
    bad = results[1]
    assert (bad.unit_id, bad.name, bad.parent, bad.source) == ("B", "乙", "上级", "all.yaml")
    assert bad.location == Location("all.yaml", 5, 5)
    assert [str(p) for p in bad.problems] == [
        'all.yaml:9:12: type-error [B] staff：期望 整数（0–10000000），实际 字符串 "many"']


def test_units_list_with_other_top_level_keys():
    text = "version: 1\nunits:\n  - {unit_id: A, name: 甲, period: {start: 2025-01-01, end: 2025-12-31}}\n"
    results = list(load_units([write("all.yaml", text)]))
    assert isinstance(results[0], InvalidUnit) and results[0].unit_id is None
    assert [str(p) for p in results[0].problems] == [
        "all.yaml:1:1: unknown-field 含 units: 列表的文件只能有顶层键 units，不应有 “version”"]
    assert isinstance(results[1], UnitRecord) and results[1].unit_id == "A"


def test_units_list_must_be_a_list_of_mappings():
    [result] = list(load_units([write("a.yaml", "units: {unit_id: A}\n")]))
    assert isinstance(result, InvalidUnit)
    assert [str(p) for p in result.problems] == ["a.yaml:1:8: type-error units：期望 单位记录的列表，实际 映射"]
    results = list(load_units([write("b.yaml", "units:\n  - just text\n")]))
    assert [(r.unit_id, [str(p) for p in r.problems]) for r in results] == [
        (None, ['b.yaml:2:5: type-error 单位记录：期望 单位记录（映射），实际 字符串 "just text"'])]
    assert list(load_units([write("c.yaml", "units: []\n")])) == []


@pytest.mark.parametrize("text, code, message", [
    ("", "empty-file", "文件为空，没有单位记录"),
    ("- a\n- b\n", "type-error", "文件内容应为单位记录（映射）或含 units: 列表的映射，实际 列表"),
    ("just text\n", "type-error", '文件内容应为单位记录（映射）或含 units: 列表的映射，实际 字符串 "just text"'),
])
def test_file_that_is_not_a_unit(text, code, message):
    [result] = list(load_units([write("x.yaml", text)]))
    assert isinstance(result, InvalidUnit)
    assert (result.unit_id, result.source) == (None, "x.yaml")
    assert [(p.code, p.message, p.location) for p in result.problems] == [(code, message, Location("x.yaml", 1, 1))]


def test_unreadable_file_is_one_invalid_entry():
    write("a.yaml", HEAD)
    write("b.yaml", "unit_id: B\nname: [oops\n")
    Path("c.json").write_bytes('{"unit_id": "C", "name": "党支部"}'.encode("gbk"))
    results = list(load_units(["a.yaml", "b.yaml", "c.json"]))
    assert isinstance(results[0], UnitRecord)
    assert [(r.unit_id, r.source, r.problems[0].code, r.problems[0].location.line) for r in results[1:]] == [
        (None, "b.yaml", "yaml-syntax", 3), (None, "c.json", "encoding", 1)]
    assert "GBK" in results[2].problems[0].message


def test_directory_is_read_sorted_and_recursively():
    unit = "unit_id: {uid}\nname: n\nperiod: {{start: 2025-01-01, end: 2025-12-31}}\n"
    write("recs/b.yaml", unit.format(uid="B"))
    write("recs/a.yml", unit.format(uid="A"))
    write("recs/sub/c.json", json.dumps({"unit_id": "C", "name": "n",
                                         "period": {"start": "2025-01-01", "end": "2025-12-31"}}))
    write("recs/sub/z/d.YAML", unit.format(uid="D"))
    write("recs/notes.txt", "not a record")
    write("recs/.hidden.yaml", "broken: [")
    write("recs/.git/x.yaml", "broken: [")
    results = list(load_units(["recs"]))
    assert [(r.unit_id, r.source) for r in results] == [
        ("A", str(Path("recs/a.yml"))), ("B", str(Path("recs/b.yaml"))),
        ("C", str(Path("recs/sub/c.json"))), ("D", str(Path("recs/sub/z/d.YAML")))]
    assert all(isinstance(r, UnitRecord) for r in results)


def test_duplicate_unit_ids_across_files():
    write("one.yaml", HEAD)
    write("two.yaml", "# the same unit again\n" + HEAD + "staff: x\n")
    results = list(load_units(["one.yaml", "two.yaml"]))
    assert isinstance(results[0], UnitRecord)
    second = results[1]
    assert isinstance(second, InvalidUnit)
    assert second.unit_id == "GD-01"
    assert [str(p) for p in second.problems] == [
        "two.yaml:2:10: duplicate-unit [GD-01] unit_id：单位编号 “GD-01” 重复，首次出现于 one.yaml:1",
        'two.yaml:5:8: type-error [GD-01] staff：期望 整数（0–10000000），实际 字符串 "x"',
    ]


def test_duplicate_unit_ids_in_one_units_list():
    text = ("units:\n  - {unit_id: A, name: 甲, period: {start: 2025-01-01, end: 2025-12-31}}\n"
            "  - {unit_id: A, name: 乙, period: {start: 2025-01-01, end: 2025-12-31}}\n")
    results = list(load_units([write("all.yaml", text)]))
    assert isinstance(results[0], UnitRecord)
    assert [p.message for p in results[1].problems] == ["unit_id：单位编号 “A” 重复，首次出现于 all.yaml:2"]


def test_same_file_given_twice_is_read_once():
    write("recs/a.yaml", HEAD)
    results = list(load_units(["recs/a.yaml", "recs", "./recs/a.yaml"]))
    assert [r.unit_id for r in results] == ["GD-01"]


def test_missing_path_is_a_usage_error():
    write("a.yaml", HEAD)
    with pytest.raises(UsageError, match="找不到记录文件或目录：nope.yaml"):
        load_units(["a.yaml", "nope.yaml"])


@pytest.mark.parametrize("name, words", [
    ("units.xls", "97-2003"), ("meetings.csv", "units.csv"), ("notes.txt", "不支持的记录文件类型"),
    ("units.xlsm.bak", "不支持的记录文件类型"),
])
def test_unsupported_file_types_are_usage_errors(name, words):
    write(name, "x")
    with pytest.raises(UsageError) as info:
        load_units([name])
    assert words in str(info.value) and name in str(info.value)


def _csv_set(folder: str, unit_id: str) -> None:
    write(f"{folder}/units.csv", f"unit_id,name,period.start,period.end\n{unit_id},表格支部,2025-01-01,2025-12-31\n")


def test_spreadsheets_in_a_directory_are_read_in_path_order():
    from bad_inputs.build import two_units, write_book
    write("x/a.yaml", HEAD)
    write_book(Path("x/b.xlsx"), two_units())
    _csv_set("x/c", "CSV-1")
    write("x/c/notes.yaml", HEAD.replace("GD-01", "GD-09"))
    write("x/~$b.xlsx", "lock file of an open workbook")
    write("x/old.xls", "ignored in directories")
    results = list(load_units(["x"]))
    assert [(r.unit_id, r.source) for r in results] == [
        ("GD-01", str(Path("x/a.yaml"))), ("GD-A", str(Path("x/b.xlsx"))), ("GD-B", str(Path("x/b.xlsx"))),
        ("GD-09", str(Path("x/c/notes.yaml"))), ("CSV-1", str(Path("x/c")))]   # c/notes.yaml < c/units.csv
    assert all(isinstance(r, UnitRecord) for r in results)
    assert results[1].location == Location("x/b.xlsx", sheet="units", row=2)
    assert results[4].location == Location(str(Path("x/c/units.csv")), sheet="units", row=2)


def test_units_csv_names_its_csv_set():
    _csv_set("set", "CSV-1")
    [unit] = list(load_units(["set/units.csv"]))
    assert (unit.unit_id, unit.source) == ("CSV-1", "set")
    assert list(load_units(["set", "set/units.csv"])) == [unit]


def test_duplicate_unit_ids_across_yaml_and_workbook():
    from bad_inputs.build import two_units, write_book
    write("a.yaml", HEAD.replace("GD-01", "GD-B"))
    write_book(Path("b.xlsx"), two_units())
    results = list(load_units(["a.yaml", "b.xlsx"]))
    assert [type(r).__name__ for r in results] == ["UnitRecord", "UnitRecord", "InvalidUnit"]
    assert [str(p) for p in results[2].problems] == [
        "b.xlsx › units › 第3行 › 列A(unit_id): duplicate-unit [GD-B] unit_id：单位编号 “GD-B” 重复，首次出现于 a.yaml:1"]
    results = list(load_units(["b.xlsx", "a.yaml"]))
    assert [str(p) for p in results[2].problems] == [
        "a.yaml:1:10: duplicate-unit [GD-B] unit_id：单位编号 “GD-B” 重复，首次出现于 b.xlsx › units › 第3行 › 列A(unit_id)"]


def test_workbook_problems_use_the_same_validation_as_yaml():
    """The same mistake in YAML and in a workbook gives the same code, field, expected and found."""
    from bad_inputs.build import two_units, write_book
    write("u.yaml", HEAD + meeting("    expected: 5\n    present: 9\n    topics: [党建, 其它]\n"))
    book = two_units([["GD-B", "M-1", "支委会", dt.date(2025, 3, 12), 5, 9, "党建、其它"]])
    write_book(Path("u.xlsx"), book)
    [yaml_unit] = list(load_units(["u.yaml"]))
    sheet_unit = list(load_units(["u.xlsx"]))[1]
    facts = [(p.code, p.field, p.expected, p.found) for p in yaml_unit.problems]
    assert facts == [(p.code, p.field, p.expected, p.found) for p in sheet_unit.problems] == [
        ("inconsistent", "meetings[0].present", "不大于 5", "9"),
        ("enum", "meetings[0].topics[1]", "以下之一：党建、业务、融合、学习、人事、财务", '字符串 "其它"')]
    assert [str(p.location) for p in sheet_unit.problems] == [
        "u.xlsx › meetings › 第4行 › 列F(present)", "u.xlsx › meetings › 第4行 › 列G(topics)"]


def test_loading_is_lazy():
    write("a.yaml", HEAD)
    write("b.yaml", HEAD.replace("GD-01", "GD-02"))
    units = load_units(["a.yaml", "b.yaml"])
    assert iter(units) is units
    first = next(units)
    assert first.unit_id == "GD-01"
    # b.yaml has not been read yet: breaking it now shows in what the iterator yields next
    write("b.yaml", "unit_id: GD-02\nname: [\n")
    second = next(units)
    assert isinstance(second, InvalidUnit)
    assert second.problems[0].code == "yaml-syntax"
    with pytest.raises(StopIteration):
        next(units)


def test_reads_one_file_at_a_time(monkeypatch: pytest.MonkeyPatch):
    for name in ("a", "b", "c"):
        write(f"d/{name}.yaml", HEAD.replace("GD-01", name))
    opened: list[str] = []
    real = loaders.load_file

    def spy(path, display=None):
        opened.append(Path(path).name)
        return real(path, display)

    monkeypatch.setattr(loaders, "load_file", spy)
    units = load_units(["d"])
    assert opened == []
    assert next(units).unit_id == "a"
    assert opened == ["a.yaml"]
    assert next(units).unit_id == "b"
    assert opened == ["a.yaml", "b.yaml"]
