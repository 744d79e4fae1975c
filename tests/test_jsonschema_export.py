"""Tests of checker.inputs.jsonschema_export: the records JSON Schema generated from checker.inputs.schema."""
from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from checker.inputs import schema
from checker.inputs.jsonschema_export import records_json_schema
from checker.inputs.records import validate_unit
from checker.inputs.source import load_yaml


@pytest.fixture(scope="module")
def records_schema() -> dict:
    return records_json_schema()


@pytest.fixture(scope="module")
def validator(records_schema) -> Draft202012Validator:
    return Draft202012Validator(records_schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def plain(value: Any) -> Any:
    """Loaded YAML as JSON would carry it: plain containers, dates as ISO strings."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.fixture
def full_unit(full_unit_yaml) -> dict:
    data = plain(load_yaml(full_unit_yaml, "u.yaml"))
    data["prior_findings"][0]["period"] = "2024"     # JSON text fields hold strings
    return data


def error_paths(validator: Draft202012Validator, instance: Any) -> set[str]:
    """Where the instance fails, as JSON paths of the innermost errors (inside anyOf branches too)."""
    paths: set[str] = set()

    def walk(errors) -> None:
        for error in errors:
            if error.context:
                walk(error.context)
            else:
                paths.add(error.json_path)

    walk(validator.iter_errors(instance))
    return paths


def test_schema_is_valid_draft_2020_12(records_schema):
    Draft202012Validator.check_schema(records_schema)
    assert records_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    json.dumps(records_schema, ensure_ascii=False)     # plain JSON data


def test_full_unit_validates(validator, full_unit):
    assert list(validator.iter_errors(full_unit)) == []
    assert validate_unit(full_unit, "u.json")[1] == []


def test_units_wrapper_validates(validator, full_unit):
    second = copy.deepcopy(full_unit)
    second["unit_id"] = "GD-08"
    assert validator.is_valid({"units": [full_unit, second]})
    assert validator.is_valid({"units": []})
    assert not validator.is_valid({"units": [full_unit], "version": 1})
    assert not validator.is_valid({"units": full_unit})


def test_minimal_unit_validates(validator):
    unit = {"unit_id": "A", "name": "甲", "period": {"start": "2025-01-01", "end": "2025-12-31"}}
    assert validator.is_valid(unit)
    assert validator.is_valid({**unit, "staff": None, "meetings": None, "branch_committee": None, "org_type": None})


@pytest.mark.parametrize("change, path", [
    (lambda u: u["meetings"][0].update(present="3"), "$.meetings[0].present"),
    (lambda u: u["meetings"][0].update(present=True), "$.meetings[0].present"),
    (lambda u: u["meetings"][0].update(present=2.5), "$.meetings[0].present"),
    (lambda u: u.update(staff=-1), "$.staff"),
    (lambda u: u["assessment"].update(party_weight=1.5), "$.assessment.party_weight"),
    (lambda u: u["branch_committee"].update(term_years=0), "$.branch_committee.term_years"),
    (lambda u: u["meetings"][0].update(type="支委员会"), "$.meetings[0].type"),
    (lambda u: u["meetings"][0]["topics"].append("其他"), "$.meetings[0].topics[2]"),
    (lambda u: u.update(org_type="支部"), "$.org_type"),
    (lambda u: u["meetings"][0].update(date="2025/3/12"), "$.meetings[0].date"),
    (lambda u: u["meetings"][0].update(date="2025-02-30"), "$.meetings[0].date"),
    (lambda u: u["meetings"][0].update(secretary_present="yes"), "$.meetings[0].secretary_present"),
    (lambda u: u.update(parent="党" * 501), "$.parent"),
    (lambda u: u.update(name=" "), "$.name"),
    (lambda u: u["meetings"][0].update(presnt=4), "$.meetings[0]"),
    (lambda u: u.update(nmae="x"), "$"),
    (lambda u: u.pop("period"), "$"),
    (lambda u: u["meetings"][0].pop("date"), "$.meetings[0]"),
    (lambda u: u["assessment"].update(methods="综合评价法"), "$.assessment.methods"),
    (lambda u: u.update(kpis={"name": "x"}), "$.kpis"),
])
def test_bad_records_fail_where_pbcheck_fails(validator, full_unit, change, path):
    change(full_unit)
    assert not validator.is_valid(full_unit)
    assert path in error_paths(validator, full_unit)
    out, problems = validate_unit(full_unit, "u.json")
    assert out is None and problems


def test_every_schema_field_appears(records_schema):
    defs = records_schema["$defs"]
    seen: set[str] = set()

    def check(rec: schema.Record) -> None:
        if rec.name in seen:
            return
        seen.add(rec.name)
        node = defs[rec.name]
        assert node["type"] == "object"
        assert node["title"] == rec.label
        assert node["additionalProperties"] is False
        assert list(node["properties"]) == [f.name for f in rec.fields]
        assert node["required"] == [f.name for f in rec.fields if f.required]
        for f in rec.fields:
            prop = node["properties"][f.name]
            assert prop["title"] == f.label
            assert prop["description"].startswith(f.help)
            t = f.type
            if isinstance(t, schema.ListOf):
                t = t.item
            if isinstance(t, schema.Record):
                check(t)

    check(schema.UNIT)
    assert seen == {rec.name for _, rec in schema.walk_lists()} | {"unit", "period", "branch_committee", "assessment"}
    assert set(defs) == seen | {"units_file"}


def test_scalar_details(records_schema):
    meeting = records_schema["$defs"]["meeting"]["properties"]
    assert meeting["date"] == {"title": "会议日期", "description": "召开日期（必填）", "type": "string",
                               "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
    assert meeting["present"]["type"] == ["integer", "null"]
    assert (meeting["present"]["minimum"], meeting["present"]["maximum"]) == (0, schema.COUNT_MAX)
    assert meeting["type"]["enum"] == list(schema.MEETING_TYPES)
    assert meeting["topics"]["items"]["enum"] == list(schema.TOPICS)
    assert meeting["decisions"]["items"] == {"$ref": "#/$defs/meeting_decision"}
    assert meeting["lecturer_role"]["examples"] == list(schema.PARTY_ROLES)
    unit = records_schema["$defs"]["unit"]["properties"]
    assert unit["org_type"]["enum"] == [*schema.ORG_TYPES, None]
    assert unit["name"]["maxLength"] == schema.SHORT_TEXT
    assert unit["branch_committee"]["anyOf"] == [{"$ref": "#/$defs/branch_committee"}, {"type": "null"}]
    assert unit["period"]["$ref"] == "#/$defs/period"
    assert unit["assessment"]["title"] == "考核"
    weight = records_schema["$defs"]["assessment"]["properties"]["party_weight"]
    assert (weight["type"], weight["minimum"], weight["maximum"]) == (["number", "null"], 0, 1)


def test_semantic_rules_and_keys_are_described(records_schema):
    meeting = records_schema["$defs"]["meeting"]["description"]
    assert "present" in meeting and "expected" in meeting and "recorded_on" in meeting
    assert "键：id" in meeting
    assert "date + kind" in records_schema["$defs"]["inspection"]["description"]
    assert "prestudy_meeting" in records_schema["$defs"]["unit"]["description"]
    assert "end 不得早于 start" in records_schema["$defs"]["period"]["description"]
    assert "prestudy_meeting" in records_schema["description"]
