"""Tests for checker.outputs.findings_json: document shape, ordering and serialisation."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from checker.errors import InternalError
from checker.findings import FIRED, PASSED, Finding, RunInfo, UnitResult, fingerprint
from checker.outputs.findings_json import build_findings_document, dumps, finding_sort_key, ordered_findings, rule_id_key

PERIOD = "2025-01-01/2025-12-31"


def finding(rule: str, unit: str, severity: str, item: str | None = None, **kw) -> Finding:
    keys = [item or f"{unit}-{rule}"]
    values = dict(period=PERIOD, title=f"{rule}标题", tags=("形式化",), refs=("论文§2.1",), message=f"{rule}消息",
                  remedy="整改", evidence=tuple({"kind": "meeting", "key": k} for k in keys),
                  deadline="2026-03-02", fingerprint=fingerprint(rule, unit, keys), item=item)
    values.update(kw)
    return Finding(rule=rule, unit=unit, severity=severity, **values)


def unit(uid: str, findings: tuple[Finding, ...] = (), **kw) -> UnitResult:
    values = dict(name=f"{uid}党支部", parent="公司党委", org_type="党支部", period=PERIOD, source=f"{uid}.yaml",
                  findings=findings, checks={f.rule: FIRED for f in findings} | {"SY01": PASSED})
    values.update(kw)
    return UnitResult(unit=uid, **values)


def run_info(**kw) -> RunInfo:
    values = dict(tool_version="0.1.0", pack_id="party-business-integration", pack_title="党建与生产经营融合",
                  pack_version="1.2.0", started="2026-01-05T09:30:00+08:00", as_of="2026-01-05",
                  params={"party_weight_min": 0.2}, units_checked=2, units_failed_validation=1,
                  inputs=("records/a.yaml", "records/b.yaml"))
    values.update(kw)
    return RunInfo(**values)


def test_document_shape():
    doc = build_findings_document(run_info(), [unit("GD-07", (finding("FM03", "GD-07", "中"),))])
    assert list(doc) == ["tool", "pack", "run", "findings", "units", "waivers"]
    assert doc["tool"] == {"name": "pbcheck", "version": "0.1.0"}
    assert doc["pack"] == {"id": "party-business-integration", "version": "1.2.0"}
    assert doc["run"] == {"started": "2026-01-05T09:30:00+08:00", "as_of": "2026-01-05",
                          "params": {"party_weight_min": 0.2}, "units_checked": 2, "units_failed_validation": 1,
                          "inputs": ["records/a.yaml", "records/b.yaml"]}
    assert doc["waivers"] == {"applied": [], "expired": [], "unused": []}


def test_findings_and_units_use_to_json():
    f = finding("FM03", "GD-07", "中", item="M-2025-03#1", evidence=({"kind": "meeting_decision",
                                                                       "key": "M-2025-03#1", "owner": None},))
    u = unit("GD-07", (f,))
    bad = unit("GD-08", status="invalid", checks={}, problems=("records/b.yaml:3:1: record-type 类型错误",))
    doc = build_findings_document(run_info(), [u, bad])
    assert doc["findings"] == [f.to_json()]
    assert doc["findings"][0]["evidence"] == [{"kind": "meeting_decision", "key": "M-2025-03#1", "owner": None}]
    assert doc["units"] == [u.to_json(), bad.to_json()]
    assert doc["units"][1]["status"] == "invalid"


def test_findings_ordered_by_unit_then_severity_rule_item():
    a = unit("A", (
        finding("FM01", "A", "低"),
        finding("FM03", "A", "中", item="b"),
        finding("RS01", "A", "高"),
        finding("FM03", "A", "中", item="a"),
        finding("FM03", "A", "中"),
        finding("BO02", "A", "中"),
    ))
    b = unit("B", (finding("FM05", "B", "低"), finding("AS01", "B", "高")))
    doc = build_findings_document(run_info(), [b, a])
    order = [(f["unit"], f["rule"], f["item"]) for f in doc["findings"]]
    assert order == [
        ("B", "AS01", None), ("B", "FM05", None),
        ("A", "RS01", None), ("A", "BO02", None), ("A", "FM03", None), ("A", "FM03", "a"), ("A", "FM03", "b"),
        ("A", "FM01", None),
    ]
    assert [f.rule for f in ordered_findings([b])] == ["AS01", "FM05"]


def test_rule_ids_sort_numerically():
    assert sorted(["R10", "R9", "R1", "X02", "AS3"], key=rule_id_key) == ["AS3", "R1", "R9", "R10", "X02"]
    f9, f10 = finding("R9", "A", "中"), finding("R10", "A", "中")
    assert sorted([f10, f9], key=finding_sort_key) == [f9, f10]


def test_waivers_lists_are_copied_as_plain_data():
    class Entry:
        def to_json(self):
            return {"rule": "FM05", "unit": "A", "until": "2026-06-30"}

    doc = build_findings_document(run_info(), [], {"applied": [Entry()], "expired": ({"rule": "RS01"},)})
    assert doc["waivers"] == {"applied": [{"rule": "FM05", "unit": "A", "until": "2026-06-30"}],
                              "expired": [{"rule": "RS01"}], "unused": []}


def test_unknown_waiver_list_is_an_internal_error():
    with pytest.raises(InternalError):
        build_findings_document(run_info(), [], {"ignored": []})


def test_dumps_is_readable_utf8_json_with_iso_dates():
    doc = build_findings_document(run_info(params={"since": dt.date(2025, 1, 1), "名称": "一车间"}),
                                  [unit("GD-07", (finding("FM03", "GD-07", "中"),))])
    text = dumps(doc)
    assert text.endswith("}\n")
    assert '"name": "GD-07党支部"' in text              # Chinese as-is, not \uXXXX
    assert '\n  "tool": {\n    "name": "pbcheck",' in text   # indent 2
    loaded = json.loads(text)
    assert loaded["run"]["params"] == {"since": "2025-01-01", "名称": "一车间"}
    assert list(loaded) == ["tool", "pack", "run", "findings", "units", "waivers"]
    assert loaded["findings"][0]["rule"] == "FM03"


def test_dumps_refuses_nan():
    doc = build_findings_document(run_info(params={"x": float("nan")}), [])
    with pytest.raises(InternalError):
        dumps(doc)
