"""Tests for checker.outputs.junit: one testcase per unit × rule, failures for open findings."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from checker.findings import FIRED, MISSING_DATA, NOT_APPLICABLE, PASSED, Finding, RuleMeta, RunInfo, UnitResult, \
    fingerprint
from checker.outputs.context import OutputContext
from checker.outputs.junit import build_junit, describe_finding, write_junit, xml_text
from checker.outputs.registry import writer
from checker.resources import resource_dir
from checker.pipeline.run import RunOptions, execute

PERIOD = "2025-01-01/2025-12-31"
RULES = {r.id: r for r in [
    RuleMeta("RS01", "支委会召开不足", "高", ("责任落实",), ()),
    RuleMeta("FM03", "决议无责任人或时限", "中", ("形式化",), ()),
    RuleMeta("FM05", "佐证材料缺失", "低", ("形式化",), ()),
    RuleMeta("FM10", "制度文件闲置", "中", ("形式化",), ()),
    RuleMeta("SY01", "同规划缺位", "高", ("四同",), ()),
]}
WAIVER = {"rule": "FM05", "unit": "GD-07", "item": None, "reason": "材料已补交", "approver": "审计处 李明",
          "expires": "2026-06-30", "source": "w.yaml:2"}


def finding(rule: str, item: str | None = None, unit: str = "GD-07", **kw) -> Finding:
    meta = RULES.get(rule)
    values = dict(period=PERIOD, severity=meta.severity if meta else "中", title=meta.title if meta else "人工问题",
                  tags=(), refs=(), message=f"{rule}问题 {item or ''}".strip(), remedy="按要求整改",
                  evidence=({"kind": "meeting", "key": item or unit},), deadline="2026-03-06",
                  fingerprint=fingerprint(rule, unit, [item or unit]), item=item)
    values.update(kw)
    return Finding(rule=rule, unit=unit, **values)


def make_ctx() -> OutputContext:
    gd07 = UnitResult("GD-07", "第七项目部党支部", "华东公司党委", "党支部", PERIOD, "GD-07.yaml", (
        finding("FM03", "M-1#1", message="决议“<无责任人>” & \x01控制字符"),
        finding("FM03", "M-1#2"),
        finding("FM05", "M-2", status="waived", waiver=WAIVER),
        finding("MAN-1", source="manual", title="党员活动室被挪作仓库"),
    ), {"RS01": PASSED, "FM03": FIRED, "FM05": FIRED, "FM10": MISSING_DATA, "SY01": NOT_APPLICABLE})
    gd01 = UnitResult("GD-01", "第一党支部", None, "党支部", PERIOD, "GD-01.yaml", (finding("RS01", unit="GD-01"),),
                      {"RS01": FIRED, "FM03": PASSED, "FM05": PASSED, "FM10": PASSED, "SY01": PASSED})
    bad = UnitResult("GD-09", "", None, None, "", "bad.yaml", (), {}, status="invalid",
                     problems=("bad.yaml:3:5: type-error members：期望 整数", "bad.yaml:9:1: required name"))
    run = RunInfo("0.1.0", "party-business-integration", "党建与生产经营融合检查", "1.0.0",
                  "2026-01-05T09:30:00+08:00", "2026-01-05", {}, 2, 1)
    return OutputContext(run, RULES, (gd07, gd01, bad))


def parse() -> ET.Element:
    (name, data), = write_junit(make_ctx())
    assert name == "junit.xml" and isinstance(data, bytes)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(data)


def cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name").split()[0]: c for c in suite.findall("testcase")}


def test_one_suite_per_unit_one_case_per_rule_and_manual_finding():
    root = parse()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["GD-07 第七项目部党支部", "GD-01 第一党支部", "GD-09"]
    assert list(cases(suites[0])) == ["FM03", "FM05", "FM10", "RS01", "SY01", "MAN-1"]    # rule-id order, then MAN
    assert all(c.get("classname") == "GD-07" and c.get("time") == "0" for c in suites[0].findall("testcase"))
    assert cases(suites[0])["FM03"].get("name") == "FM03 决议无责任人或时限"
    props = {p.get("name"): p.get("value") for p in suites[0].find("properties")}
    assert props == {"unit": "GD-07", "name": "第七项目部党支部", "parent": "华东公司党委", "period": PERIOD,
                     "source": "GD-07.yaml"}


def test_open_findings_fail_waived_ones_are_skipped_and_checklist_states_map():
    gd07 = cases(parse().findall("testsuite")[0])
    fm03 = gd07["FM03"].find("failure")
    assert fm03.get("type") == "中" and fm03.get("message").startswith("发现 2 处问题：决议“<无责任人>” & 控制字符")
    assert "M-1#1" in fm03.text and "M-1#2" in fm03.text and "整改要求：按要求整改" in fm03.text
    assert fingerprint("FM03", "GD-07", ["M-1#2"]) in fm03.text
    fm05 = gd07["FM05"]
    assert fm05.find("failure") is None
    assert fm05.find("skipped").get("message") == "已批准豁免：材料已补交（批准人：审计处 李明，有效期至 2026-06-30）"
    assert "M-2" in fm05.find("system-out").text
    assert gd07["FM10"].find("skipped").get("message") == "数据缺失"
    assert gd07["SY01"].find("skipped").get("message") == "不适用"
    assert list(gd07["RS01"]) == []                                                     # passed
    manual = gd07["MAN-1"]
    assert manual.get("name") == "MAN-1 党员活动室被挪作仓库" and manual.find("failure").get("message") == "MAN-1问题"


def test_counts_add_up_per_suite_and_overall():
    root = parse()
    gd07, gd01, bad = root.findall("testsuite")
    assert {k: gd07.get(k) for k in ("tests", "failures", "errors", "skipped")} == \
        {"tests": "6", "failures": "2", "errors": "0", "skipped": "3"}
    assert {k: gd01.get(k) for k in ("tests", "failures", "errors", "skipped")} == \
        {"tests": "5", "failures": "1", "errors": "0", "skipped": "0"}
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == \
        {"tests": "12", "failures": "3", "errors": "1", "skipped": "3"}
    assert root.get("name") == "pbcheck party-business-integration 1.0.0"
    assert root.get("timestamp") == gd07.get("timestamp") == "2026-01-05T09:30:00"
    (case,) = bad.findall("testcase")
    error = case.find("error")
    assert case.get("name") == "记录校验" and error.get("type") == "invalid-record"
    assert error.text.splitlines() == ["bad.yaml:3:5: type-error members：期望 整数", "bad.yaml:9:1: required name"]


def test_text_is_cleaned_for_xml_and_the_writer_is_registered_and_deterministic():
    assert xml_text("a\x00b\x0bc\td\ne\ufffe") == "abc\td\ne"
    assert xml_text(None) == ""
    assert writer("junit") is write_junit
    assert write_junit(make_ctx()) == write_junit(make_ctx())
    waived = finding("FM05", "M-2", status="waived", waiver=WAIVER)
    assert describe_finding(waived).splitlines()[-1] == "已批准豁免：材料已补交（批准人：审计处 李明，有效期至 2026-06-30）"
    assert build_junit(make_ctx()).tag == "testsuites"


def test_a_real_run_lists_every_rule_for_every_unit(tmp_path):
    out = tmp_path / "out"
    outcome = execute(RunOptions(inputs=[str(resource_dir("examples") / "records")], out_dir=out, formats=["junit"],
                                 as_of=dt.date(2026, 1, 5)))
    root = ET.parse(out / "junit.xml").getroot()
    suites = root.findall("testsuite")
    assert [s.find("testcase").get("classname") for s in suites] == [r.unit for r in outcome.results]
    n_rules = len(outcome.results[0].checks)
    assert all(int(s.get("tests")) == n_rules for s in suites)
    failing = {(c.get("classname"), c.get("name").split()[0]) for c in root.iter("testcase") if c.find("failure") is not None}
    assert failing == {(f.unit, f.rule) for r in outcome.results for f in r.findings if f.status == "open"}
    assert int(root.get("failures")) == len(failing)
