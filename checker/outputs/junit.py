"""`--format junit`: junit.xml, the run as JUnit test results for CI dashboards (GitLab, Jenkins, Azure…).

One `<testsuite>` per unit (name "<unit id> <name>"), one `<testcase>` per rule of the pack in the
checklist order (rule-id order) plus one per auditor-entered finding (MAN-<n>) of the unit:
- open findings of the rule → `<failure type="<severity>">`, message the finding (or the count),
  text every finding with item, deadline and 问题编号;
- only waived findings → `<skipped message="已批准豁免…">`; not applicable → `<skipped>` 不适用;
  missing data → `<skipped>` 数据缺失; passed → an empty testcase.
An invalid unit is a suite with one `<testcase name="记录校验">` holding an `<error>` with its problems.
Text is cleaned of characters XML 1.0 cannot carry; the output depends only on the OutputContext.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Sequence

from checker.findings import CHECK_LABELS, FIRED, MISSING_DATA, NOT_APPLICABLE, Finding, UnitResult
from checker.outputs.context import OutputContext
from checker.outputs.findings_json import TOOL_NAME, finding_sort_key, rule_id_key

FILE_NAME = "junit.xml"
VALIDATION_CASE = "记录校验"
# XML 1.0 Char production: everything else (most C0 controls, surrogates, U+FFFE/U+FFFF) is dropped
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """Text safe for XML 1.0 (characters it cannot represent removed); None → ""."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def describe_finding(finding: Finding) -> str:
    """One finding as lines of the failure text."""
    lines = [f"[{finding.severity}] {finding.title}" + (f"（{finding.item}）" if finding.item else "")]
    lines.append(finding.message)
    if finding.remedy:
        lines.append(f"整改要求：{finding.remedy}")
    lines.append(f"整改时限：{finding.deadline}；问题编号：{finding.fingerprint}")
    if finding.status == "waived" and finding.waiver:
        w = finding.waiver
        lines.append(f"已批准豁免：{w.get('reason')}（批准人：{w.get('approver')}，有效期至 {w.get('expires')}）")
    return "\n".join(lines)


def _case_rules(unit: UnitResult, ctx: OutputContext) -> list[str]:
    """The unit's testcases: every pack rule in rule-id order, then its findings' other rules (MAN-<n>)."""
    ids = sorted(ctx.rules, key=rule_id_key)
    extra = sorted({f.rule for f in unit.findings if f.rule not in ctx.rules}, key=rule_id_key)
    return ids + extra


def _testcase(suite: ET.Element, unit: UnitResult, rule: str, title: str, findings: Sequence[Finding]) -> str:
    """Add one testcase; returns its outcome: failure, skipped or passed."""
    case = ET.SubElement(suite, "testcase", {"classname": xml_text(unit.unit), "name": xml_text(f"{rule} {title}".strip()),
                                             "time": "0"})
    open_ = sorted((f for f in findings if f.status == "open"), key=finding_sort_key)
    waived = sorted((f for f in findings if f.status == "waived"), key=finding_sort_key)
    if open_:
        message = open_[0].message if len(open_) == 1 else f"发现 {len(open_)} 处问题：{open_[0].message}…"
        failure = ET.SubElement(case, "failure", {"message": xml_text(message), "type": xml_text(open_[0].severity)})
        failure.text = xml_text("\n\n".join(describe_finding(f) for f in open_ + waived))
        return "failure"
    if waived:
        w = waived[0].waiver or {}
        ET.SubElement(case, "skipped", {"message": xml_text(f"已批准豁免：{w.get('reason')}（批准人：{w.get('approver')}，"
                                                            f"有效期至 {w.get('expires')}）")})
        out = ET.SubElement(case, "system-out")
        out.text = xml_text("\n\n".join(describe_finding(f) for f in waived))
        return "skipped"
    state = unit.checks.get(rule)
    if state in (NOT_APPLICABLE, MISSING_DATA):
        ET.SubElement(case, "skipped", {"message": CHECK_LABELS[state]})
        return "skipped"
    if state == FIRED:              # the checklist says fired but no finding is listed: never report a pass
        ET.SubElement(case, "failure", {"message": f"{CHECK_LABELS[FIRED]}（详见 findings.json）", "type": "unknown"})
        return "failure"
    return "passed"


def _suite_attrs(name: str, counts: dict[str, int], timestamp: str | None) -> dict[str, str]:
    attrs = {"name": xml_text(name), "tests": str(counts["tests"]), "failures": str(counts["failure"]),
             "errors": str(counts["error"]), "skipped": str(counts["skipped"]), "time": "0"}
    if timestamp:
        attrs["timestamp"] = timestamp
    return attrs


def _unit_suite(root: ET.Element, unit: UnitResult, ctx: OutputContext, timestamp: str | None) -> dict[str, int]:
    counts = {"tests": 0, "failure": 0, "error": 0, "skipped": 0, "passed": 0}
    suite = ET.SubElement(root, "testsuite")
    props = ET.SubElement(suite, "properties")
    for key, value in (("unit", unit.unit), ("name", unit.name), ("parent", unit.parent), ("period", unit.period),
                       ("source", unit.source)):
        if value:
            ET.SubElement(props, "property", {"name": key, "value": xml_text(value)})
    if unit.status == "invalid":
        case = ET.SubElement(suite, "testcase", {"classname": xml_text(unit.unit), "name": VALIDATION_CASE, "time": "0"})
        error = ET.SubElement(case, "error", {"message": "记录未通过校验，未检查", "type": "invalid-record"})
        error.text = xml_text("\n".join(unit.problems))
        counts["tests"] += 1
        counts["error"] += 1
    else:
        by_rule: dict[str, list[Finding]] = {}
        for f in unit.findings:
            by_rule.setdefault(f.rule, []).append(f)
        for rule in _case_rules(unit, ctx):
            meta = ctx.rules.get(rule)
            findings = by_rule.get(rule, [])
            title = meta.title if meta else (findings[0].title if findings else "")
            counts[_testcase(suite, unit, rule, title, findings)] += 1
            counts["tests"] += 1
    suite.attrib.update(_suite_attrs(f"{unit.unit} {unit.name}".strip(), counts, timestamp))
    return counts


def _timestamp(started: str) -> str | None:
    """JUnit's timestamp: local ISO date-time without zone (the common XSD's pattern)."""
    text = started[:19]
    return text if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", text) else None


def build_junit(ctx: OutputContext) -> ET.Element:
    """The `<testsuites>` element of the run."""
    root = ET.Element("testsuites")
    timestamp = _timestamp(ctx.run.started)
    total = {"tests": 0, "failure": 0, "error": 0, "skipped": 0}
    for unit in ctx.units:
        counts = _unit_suite(root, unit, ctx, timestamp)
        for key in total:
            total[key] += counts[key]
    root.attrib.update({"name": xml_text(f"{TOOL_NAME} {ctx.run.pack_id} {ctx.run.pack_version}"),
                        "tests": str(total["tests"]), "failures": str(total["failure"]),
                        "errors": str(total["error"]), "skipped": str(total["skipped"]), "time": "0"})
    if timestamp:
        root.attrib["timestamp"] = timestamp
    return root


def write_junit(ctx: OutputContext) -> list[tuple[str, bytes]]:
    """Output format `junit`: junit.xml (UTF-8)."""
    root = build_junit(ctx)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return [(FILE_NAME, ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8"))]
