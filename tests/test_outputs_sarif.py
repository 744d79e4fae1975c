"""Tests for checker.outputs.sarif: SARIF 2.1.0, validated against the official OASIS schema (tests/fixtures)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from checker.findings import FIRED, NOT_APPLICABLE, Finding, RuleMeta, RunInfo, UnitResult, fingerprint
from checker.outputs.context import OutputContext
from checker.outputs.registry import writer
from checker.outputs.sarif import FINGERPRINT_KEY, artifact_uri, build_sarif, level_of, write_sarif
from checker.resources import resource_dir
from checker.pipeline.run import RunOptions, execute

SCHEMA_PATH = Path(__file__).parent / "fixtures" / "sarif-2.1.0.json"
PERIOD = "2025-01-01/2025-12-31"
RULES = {r.id: r for r in [
    RuleMeta("FM03", "决议无责任人或时限", "中", ("形式化",), ("论文§2.1",), remedy="明确责任人和时限"),
    RuleMeta("FM05", "佐证材料缺失", "低", ("形式化",), ()),
    RuleMeta("RS01", "支委会召开不足", "高", ("责任落实", "责任落实"), ("支部工作条例第十条",)),
    RuleMeta("X01", "党建工作形式化", "高", (), (), composite=True),
]}
WAIVER = {"rule": "FM05", "unit": "GD-07", "item": "M-2", "reason": "材料已补交", "approver": "审计处 李明",
          "expires": "2026-06-30", "source": "豁免 清单.yaml:7"}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json") and "result" in schema["definitions"]
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def finding(rule: str, unit: str = "GD-07", item: str | None = None, kind: str = "meeting", **kw) -> Finding:
    meta = RULES.get(rule)
    evidence = kw.pop("evidence", ({"kind": kind, "key": item or unit, "date": "2025-03-01"},))
    values = dict(period=PERIOD, severity=meta.severity if meta else "中", title=meta.title if meta else "人工问题",
                  tags=meta.tags if meta else ("阵地建设",), refs=meta.refs if meta else (), message=f"{rule}：{item}",
                  remedy="整改", evidence=evidence, deadline="2026-03-06",
                  fingerprint=fingerprint(rule, unit, [str(e["key"]) for e in evidence]), item=item,
                  composite=bool(meta and meta.composite))
    values.update(kw)
    return Finding(rule=rule, unit=unit, **values)


def make_ctx() -> OutputContext:
    gd07 = UnitResult("GD-07", "第七项目部党支部", "华东公司党委", "党支部", PERIOD, "记录/第七 项目部.yaml", (
        finding("FM03", item="M-1#1", kind="meeting_decision", message="决议无责任人\x0b<script>"),
        finding("FM03", item="M-1#2", kind="meeting_decision"),
        finding("FM05", item="M-2", status="waived", waiver=WAIVER),
        finding("RS01", message=""),
        finding("X01", evidence=({"kind": "finding", "key": "FM03:M-1#1"},)),
        finding("MAN-1", source="manual", title="党员活动室被挪作仓库", severity="中", message="现场发现"),
    ), {"FM03": FIRED, "FM05": FIRED, "RS01": FIRED, "X01": FIRED})
    gd01 = UnitResult("GD-01", "第一党支部", None, "党支部", PERIOD, "/data/GD-01.yaml",
                      (finding("FM05", unit="GD-01", item="M-9"),), {"FM05": FIRED, "RS01": NOT_APPLICABLE})
    bad = UnitResult("GD-09", "", None, None, "", "bad.yaml", (), {}, status="invalid",
                     problems=("bad.yaml:3:5: type-error members：期望 整数",))
    run = RunInfo("0.1.0", "party-business-integration", "党建与生产经营融合检查", "1.0.0",
                  "2026-01-05T09:30:00+08:00", "2026-01-05", {"min_attendance": 0.8, "since": "2025-01-01"}, 2, 1,
                  ("记录",))
    return OutputContext(run, RULES, (gd07, gd01, bad), waivers={"applied": [{**WAIVER, "findings": ["x"]}],
                                                                "expired": [], "unused": []})


def test_the_log_validates_against_the_sarif_2_1_0_schema(validator):
    doc = build_sarif(make_ctx())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-schema-2.1.0.json")


def test_the_schema_check_is_real(validator):
    doc = build_sarif(make_ctx())
    doc["runs"][0]["results"][0]["level"] = "fatal"
    doc["runs"][0]["results"][1]["suppressions"] = [{"kind": "sometimes"}]
    assert len(list(validator.iter_errors(doc))) >= 2


def test_rules_carry_their_metadata_and_manual_findings_get_descriptors():
    driver = build_sarif(make_ctx())["runs"][0]["tool"]["driver"]
    assert driver["name"] == "pbcheck" and driver["version"] == "0.1.0" and driver["semanticVersion"] == "0.1.0"
    ids = [r["id"] for r in driver["rules"]]
    assert ids == ["FM03", "FM05", "RS01", "X01", "MAN-1"]
    fm03 = driver["rules"][0]
    assert fm03["shortDescription"] == {"text": "决议无责任人或时限"}
    assert fm03["help"] == {"text": "明确责任人和时限"}
    assert fm03["defaultConfiguration"] == {"level": "warning"}
    assert fm03["properties"] == {"severity": "中", "tags": ["形式化"], "refs": ["论文§2.1"], "composite": False,
                                  "source": "rule"}
    assert driver["rules"][2]["properties"]["tags"] == ["责任落实"]          # property-bag tags are unique
    assert driver["rules"][3]["properties"]["composite"] is True
    assert driver["rules"][4]["shortDescription"] == {"text": "党员活动室被挪作仓库"}
    assert driver["rules"][4]["properties"]["source"] == "manual"


def test_results_have_levels_locations_fingerprints_and_rule_indexes():
    run = build_sarif(make_ctx())["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("RS01", "error"), ("X01", "error"), ("FM03", "warning"), ("FM03", "warning"), ("MAN-1", "warning"),
        ("FM05", "note"), ("FM05", "note")]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    fm03 = results[2]
    assert fm03["partialFingerprints"] == {FINGERPRINT_KEY: fingerprint("FM03", "GD-07", ["M-1#1"])}
    assert fm03["message"]["text"] == "决议无责任人\x0b<script>"
    assert results[0]["message"]["text"] == "支委会召开不足"                   # empty message falls back to the title
    logical = run["logicalLocations"]
    (loc,) = fm03["locations"]
    entry = logical[loc["logicalLocations"][0]["index"]]
    assert entry == {"name": "M-1#1", "fullyQualifiedName": "GD-07::M-1#1", "kind": "meeting_decision",
                     "parentIndex": logical.index(next(e for e in logical if e["fullyQualifiedName"] == "GD-07"))}
    assert logical[entry["parentIndex"]]["kind"] == "unit"
    assert logical[entry["parentIndex"]]["properties"]["unitName"] == "第七项目部党支部"
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "%E8%AE%B0%E5%BD%95/%E7%AC%AC%E4%B8%83%20" \
                                                                 "%E9%A1%B9%E7%9B%AE%E9%83%A8.yaml"
    rs01 = results[0]["locations"][0]["logicalLocations"][0]
    assert rs01["fullyQualifiedName"] == "GD-07" and logical[rs01["index"]]["kind"] == "unit"
    assert results[-1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "file:///data/GD-01.yaml"
    assert results[1]["properties"]["composite"] is True and results[4]["properties"]["source"] == "manual"


def test_only_waived_findings_are_suppressed_with_the_waiver():
    results = build_sarif(make_ctx())["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 1 and suppressed[0]["properties"]["status"] == "waived"
    (s,) = suppressed[0]["suppressions"]
    assert s["kind"] == "external" and s["status"] == "accepted" and s["justification"] == "材料已补交"
    assert s["properties"]["approver"] == "审计处 李明" and s["properties"]["expires"] == "2026-06-30"
    assert s["location"]["physicalLocation"] == {"artifactLocation": {"uri": "%E8%B1%81%E5%85%8D%20%E6%B8%85%E5%8D%95.yaml"},
                                                 "region": {"startLine": 7}}


def test_invalid_units_become_error_notifications_and_the_run_is_described():
    run = build_sarif(make_ctx())["runs"][0]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["startTimeUtc"] == "2026-01-05T01:30:00Z"
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and "GD-09" in note["message"]["text"] and "members" in note["message"]["text"]
    assert invocation["properties"]["asOf"] == "2026-01-05"
    assert run["properties"]["pack"] == {"id": "party-business-integration", "title": "党建与生产经营融合检查",
                                         "version": "1.0.0"}
    assert run["properties"]["waivers"]["applied"][0]["source"] == "豁免 清单.yaml:7"


def test_writer_is_registered_deterministic_and_utf8_json():
    ctx = make_ctx()
    assert writer("sarif") is write_sarif
    (name, text), = write_sarif(ctx)
    assert name == "findings.sarif" and text == write_sarif(ctx)[0][1]
    assert "第七项目部党支部" in text and json.loads(text) == json.loads(json.dumps(build_sarif(ctx)))


def test_levels_and_uris():
    assert [level_of(s) for s in ("高", "中", "低", "严重")] == ["error", "warning", "note", "warning"]
    assert artifact_uri("a b/c#1.yaml") == "a%20b/c%231.yaml"
    assert artifact_uri("C:\\记录\\a.yaml") == "file:///C:/%E8%AE%B0%E5%BD%95/a.yaml"
    assert artifact_uri("/tmp/x y.yaml") == "file:///tmp/x%20y.yaml"


def test_a_real_run_with_waivers_and_manual_findings_validates(validator, tmp_path):
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - {rule: DC01, unit: GD-07, reason: 已报备, approver: 李明, expires: 2026-06-30}\n",
                       encoding="utf-8")
    manual = tmp_path / "manual.yaml"
    manual.write_text("findings:\n  - {unit: GD-07, title: 活动室挪用, severity: 中, message: 现场发现, remedy: 恢复}\n",
                      encoding="utf-8")
    out = tmp_path / "out"
    execute(RunOptions(inputs=[str(resource_dir("examples") / "records")], out_dir=out, formats=["sarif"],
                       as_of=dt.date(2026, 1, 5), waivers=waivers, manual=manual))
    doc = json.loads((out / "findings.sarif").read_text(encoding="utf-8"))
    errors = list(validator.iter_errors(doc))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))["findings"]
    results = doc["runs"][0]["results"]
    assert [r["partialFingerprints"][FINGERPRINT_KEY] for r in results] == [f["fingerprint"] for f in findings]
    assert [r["ruleId"] for r in results if "suppressions" in r] == \
        [f["rule"] for f in findings if f["status"] == "waived"] == ["DC01"]
    assert any(r["ruleId"] == "MAN-1" for r in results)
