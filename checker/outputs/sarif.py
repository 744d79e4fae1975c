"""`--format sarif`: findings.sarif, the run as SARIF 2.1.0 for code-scanning dashboards and CI.

One SARIF run: `tool.driver.rules` holds every enabled rule of the pack (title, remedy, severity,
tags, refs) and one descriptor per auditor-entered finding (`MAN-<n>`); each finding is a result
with `level` from its severity (高 error, 中 warning, 低 note), logical locations unit › item
(`run.logicalLocations`, the item's parent is the unit), a physical location naming the unit's
record file, `partialFingerprints` with the finding's fingerprint (the ledger's 问题编号), and, when
waived, an accepted external suppression carrying the waiver. Invalid units are reported as
tool execution notifications. The output depends only on the OutputContext (no clock, no cwd).
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Mapping
from urllib.parse import quote

from checker.findings import Finding, RuleMeta, UnitResult
from checker.outputs.context import OutputContext
from checker.outputs.findings_json import TOOL_NAME, ordered_findings

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "pbcheck/v1"
FILE_NAME = "findings.sarif"
LEVELS = {"高": "error", "中": "warning", "低": "note"}
DEFAULT_LEVEL = "warning"
UNIT_KIND = "unit"
FQN_SEPARATOR = "::"


def level_of(severity: str) -> str:
    """The SARIF level of a severity: 高 error, 中 warning, 低 note; a pack's other severities warning."""
    return LEVELS.get(severity, DEFAULT_LEVEL)


def artifact_uri(path: str) -> str:
    """A record file path as a SARIF URI reference: relative paths percent-encoded, absolute ones file:// URIs."""
    if PureWindowsPath(path).drive:
        return PureWindowsPath(path).as_uri()
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute():
        return posix.as_uri()
    return quote(str(posix), safe="/")


def _unique(values: Any) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values))


def _text(value: str, fallback: str) -> dict[str, str]:
    return {"text": value if value and value.strip() else fallback}


def rule_descriptor(meta: RuleMeta) -> dict[str, Any]:
    """A pack rule as a SARIF reportingDescriptor."""
    out: dict[str, Any] = {"id": meta.id, "shortDescription": _text(meta.title, meta.id)}
    if meta.refs:
        out["fullDescription"] = {"text": f"{meta.title}（依据：{'；'.join(meta.refs)}）"}
    if meta.remedy and meta.remedy.strip():
        out["help"] = {"text": meta.remedy.strip()}
    out["defaultConfiguration"] = {"level": level_of(meta.severity)}
    out["properties"] = {"severity": meta.severity, "tags": _unique(meta.tags), "refs": list(meta.refs),
                         "composite": meta.composite, "source": "rule"}
    return out


def finding_descriptor(finding: Finding) -> dict[str, Any]:
    """A descriptor for a finding whose rule is not in the pack (auditor-entered MAN-<n>)."""
    out: dict[str, Any] = {"id": finding.rule, "shortDescription": _text(finding.title, finding.rule)}
    if finding.remedy and finding.remedy.strip():
        out["help"] = {"text": finding.remedy.strip()}
    out["defaultConfiguration"] = {"level": level_of(finding.severity)}
    out["properties"] = {"severity": finding.severity, "tags": _unique(finding.tags), "refs": list(finding.refs),
                         "composite": finding.composite, "source": finding.source}
    return out


def _utc(timestamp: str) -> str | None:
    """An ISO timestamp as SARIF's UTC form (…Z); None when it cannot be read."""
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _item_kind(finding: Finding) -> str:
    for e in finding.evidence:
        if str(e.get("key")) == finding.item and e.get("kind"):
            return str(e["kind"])
    return "item"


class _LogicalLocations:
    """run.logicalLocations: one entry per unit, one per (unit, item) with the unit as parent."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.index: dict[tuple[str, str | None], int] = {}

    def unit(self, unit: UnitResult | None, unit_id: str) -> int:
        key = (unit_id, None)
        if key not in self.index:
            entry: dict[str, Any] = {"name": unit_id, "fullyQualifiedName": unit_id, "kind": UNIT_KIND}
            if unit is not None and unit.name:
                entry["properties"] = {"unitName": unit.name, "parent": unit.parent, "orgType": unit.org_type}
            self.index[key] = len(self.entries)
            self.entries.append(entry)
        return self.index[key]

    def item(self, unit: UnitResult | None, finding: Finding) -> int:
        parent = self.unit(unit, finding.unit)
        if finding.item is None:
            return parent
        key = (finding.unit, finding.item)
        if key not in self.index:
            self.index[key] = len(self.entries)
            self.entries.append({"name": finding.item,
                                 "fullyQualifiedName": f"{finding.unit}{FQN_SEPARATOR}{finding.item}",
                                 "kind": _item_kind(finding), "parentIndex": parent})
        return self.index[key]


def _suppression(waiver: Mapping[str, Any]) -> dict[str, Any]:
    reason = str(waiver.get("reason") or "").strip()
    out: dict[str, Any] = {"kind": "external", "status": "accepted",
                           "justification": reason or "已批准豁免",
                           "properties": {k: waiver.get(k) for k in ("approver", "expires", "source", "rule", "unit", "item")
                                          if k in waiver}}
    source = str(waiver.get("source") or "")
    file, _, line = source.rpartition(":")
    if file and line.isdigit() and int(line) >= 1:
        out["location"] = {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(file)},
                                                "region": {"startLine": int(line)}}}
    return out


def sarif_result(finding: Finding, rule_index: int, location_index: int, unit: UnitResult | None) -> dict[str, Any]:
    """One finding as a SARIF result."""
    fqn = finding.unit if finding.item is None else f"{finding.unit}{FQN_SEPARATOR}{finding.item}"
    location: dict[str, Any] = {"logicalLocations": [{"index": location_index, "fullyQualifiedName": fqn}]}
    if unit is not None and unit.source and not unit.source.startswith("<"):
        location["physicalLocation"] = {"artifactLocation": {"uri": artifact_uri(unit.source)}}
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": level_of(finding.severity),
        "message": _text(finding.message, finding.title or finding.rule),
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {
            "unit": finding.unit, "item": finding.item, "period": finding.period, "severity": finding.severity,
            "title": finding.title, "tags": _unique(finding.tags), "refs": list(finding.refs),
            "remedy": finding.remedy, "deadline": finding.deadline, "status": finding.status,
            "source": finding.source, "composite": finding.composite,
            "evidence": [dict(e) for e in finding.evidence],
        },
    }
    if finding.status == "waived":
        result["suppressions"] = [_suppression(finding.waiver or {})]
    return result


def _notification(unit: UnitResult) -> dict[str, Any]:
    problems = "；".join(unit.problems) if unit.problems else "记录未通过校验"
    out: dict[str, Any] = {"level": "error", "descriptor": {"id": "invalid-record"},
                           "message": {"text": f"单位 {unit.unit} 的记录未通过校验，未检查：{problems}"}}
    if unit.source and not unit.source.startswith("<"):
        out["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": artifact_uri(unit.source)}}}]
    return out


def build_sarif(ctx: OutputContext) -> dict[str, Any]:
    """The SARIF 2.1.0 log of a run, as plain JSON data."""
    rules: list[dict[str, Any]] = [rule_descriptor(meta) for meta in ctx.rules.values()]
    rule_index = {meta.id: i for i, meta in enumerate(ctx.rules.values())}
    units = {u.unit: u for u in ctx.units}
    locations = _LogicalLocations()
    results = []
    for finding in ordered_findings(ctx.units):
        if finding.rule not in rule_index:
            rule_index[finding.rule] = len(rules)
            rules.append(finding_descriptor(finding))
        unit = units.get(finding.unit)
        results.append(sarif_result(finding, rule_index[finding.rule], locations.item(unit, finding), unit))
    run = ctx.run
    invalid = [u for u in ctx.units if u.status == "invalid"]
    invocation: dict[str, Any] = {
        "executionSuccessful": not invalid,
        "properties": {"asOf": run.as_of, "params": dict(run.params), "inputs": list(run.inputs),
                       "unitsChecked": run.units_checked, "unitsFailedValidation": run.units_failed_validation},
    }
    started = _utc(run.started)
    if started:
        invocation["startTimeUtc"] = started
    if invalid:
        invocation["toolExecutionNotifications"] = [_notification(u) for u in invalid]
    driver: dict[str, Any] = {"name": TOOL_NAME, "version": run.tool_version, "rules": rules}
    if _is_semver(run.tool_version):
        driver["semanticVersion"] = run.tool_version
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": driver},
            "invocations": [invocation],
            "logicalLocations": locations.entries,
            "results": results,
            "properties": {"pack": {"id": run.pack_id, "title": run.pack_title, "version": run.pack_version},
                           "waivers": {k: list(ctx.waivers.get(k) or ()) for k in ("applied", "expired", "unused")}},
        }],
    }


def _is_semver(version: str) -> bool:
    core = version.split("+")[0].split("-")[0].split(".")
    return len(core) == 3 and all(p.isdigit() for p in core)


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "to_json"):
        return value.to_json()
    return str(value)


def write_sarif(ctx: OutputContext) -> list[tuple[str, str]]:
    """Output format `sarif`: findings.sarif."""
    text = json.dumps(build_sarif(ctx), ensure_ascii=False, indent=2, default=_default, allow_nan=False)
    return [(FILE_NAME, text + "\n")]
