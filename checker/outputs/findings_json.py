"""findings.json: the machine-readable result of a run (interface.md "Outputs")."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import PurePath
from typing import Any, Mapping, Sequence

from checker.errors import InternalError
from checker.findings import SEVERITY_ORDER, Finding, RunInfo, UnitResult

TOOL_NAME = "pbcheck"
WAIVER_LISTS = ("applied", "expired", "unused")
HISTORY_SECTIONS = ("diff", "rectification")

_DIGITS = re.compile(r"(\d+)")


def rule_id_key(rule_id: str) -> tuple[Any, ...]:
    """Sort key for rule ids that orders the numeric part as a number (FM2 before FM10)."""
    return tuple(int(p) if p.isdigit() else p for p in _DIGITS.split(rule_id))


def severity_rank(severity: str) -> int:
    """0 for 高, 1 for 中, 2 for 低; unknown severities after all of them."""
    try:
        return SEVERITY_ORDER.index(severity)
    except ValueError:
        return len(SEVERITY_ORDER)


def finding_sort_key(finding: Finding) -> tuple[Any, ...]:
    """Within a unit: severity (高 中 低), then rule id, then item (unit-level findings first)."""
    return (severity_rank(finding.severity), rule_id_key(finding.rule),
            finding.item is not None, finding.item or "", finding.fingerprint)


def ordered_findings(units: Sequence[UnitResult]) -> list[Finding]:
    """Every finding of the run: units in input order, then `finding_sort_key` within each unit."""
    out: list[Finding] = []
    for unit in units:
        out.extend(sorted(unit.findings, key=finding_sort_key))
    return out


def _plain(value: Any) -> Any:
    """A waiver entry (dict, dataclass or object with to_json) as plain JSON data."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _waivers(waivers: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    waivers = waivers or {}
    unknown = set(waivers) - set(WAIVER_LISTS)
    if unknown:
        raise InternalError(f"findings.json 的 waivers 只有 applied/expired/unused，收到了 {sorted(unknown)}")
    return {name: [_plain(w) for w in (waivers.get(name) or ())] for name in WAIVER_LISTS}


def build_findings_document(run: RunInfo, units: Sequence[UnitResult],
                            waivers: Mapping[str, Any] | None = None,
                            extras: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The findings.json document of a run, in the shape of interface.md (+ `diff`/`rectification` with history)."""
    doc = {
        "tool": {"name": TOOL_NAME, "version": run.tool_version},
        "pack": {"id": run.pack_id, "version": run.pack_version},
        "run": {
            "started": run.started,
            "as_of": run.as_of,
            "params": dict(run.params),
            "units_checked": run.units_checked,
            "units_failed_validation": run.units_failed_validation,
            "inputs": list(run.inputs),
        },
        "findings": [f.to_json() for f in ordered_findings(units)],
        "units": [u.to_json() for u in units],
        "waivers": _waivers(waivers),
    }
    for key in HISTORY_SECTIONS:    # from the run history (checker.history), when it is on
        if extras and extras.get(key) is not None:
            doc[key] = extras[key]
    return doc


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, PurePath):
        return str(value)
    if hasattr(value, "to_json"):
        return value.to_json()
    raise TypeError(f"{type(value).__name__} 不能写入 JSON")


def dumps(doc: Mapping[str, Any]) -> str:
    """The document as UTF-8-ready JSON text (no ASCII escaping, indent 2, dates ISO, final newline)."""
    try:
        return json.dumps(doc, ensure_ascii=False, indent=2, default=_default, allow_nan=False) + "\n"
    except (TypeError, ValueError) as err:  # NaN or an unknown type: a bug upstream, not the user's
        raise InternalError(f"findings.json 无法序列化：{err}") from err
