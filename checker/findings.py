"""Findings and per-unit results: the immutable output of checking one unit against a pack."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping

if TYPE_CHECKING:
    from checker.index import UnitIndex

SEVERITY_ORDER = ("高", "中", "低")
SEVERITY_WEIGHT = {"高": 3, "中": 2, "低": 1}

# Checklist states of one rule for one unit (interface.md `checks`)
FIRED = "fired"
PASSED = "passed"
NOT_APPLICABLE = "not_applicable"
MISSING_DATA = "missing_data"
CHECK_LABELS = {FIRED: "发现问题", PASSED: "未发现问题", NOT_APPLICABLE: "不适用", MISSING_DATA: "数据缺失"}
DEFAULT_DEADLINE_DAYS = 60     # a severity the pack gives no `deadline_days` for


def fingerprint(rule: str, unit: str, evidence_keys: list[str] | tuple[str, ...]) -> str:
    """A stable hash of rule + unit + evidence keys (order-independent), 16 hex digits."""
    payload = json.dumps([rule, unit, sorted(evidence_keys)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Finding:
    """One problem the checker found in one unit (per item for per-item rules)."""

    rule: str
    unit: str
    period: str                    # "YYYY-MM-DD/YYYY-MM-DD"
    severity: str
    title: str
    tags: tuple[str, ...]
    refs: tuple[str, ...]
    message: str
    remedy: str
    evidence: tuple[Mapping[str, Any], ...]
    deadline: str                  # ISO date: as-of + the severity's deadline_days
    fingerprint: str
    item: str | None = None        # the item key for per-item rules (records.md "Item keys")
    composite: bool = False
    status: str = "open"           # "open" | "waived"
    waiver: Mapping[str, Any] | None = None
    source: str = "rule"           # "rule" | "manual" (auditor-entered, later issue)

    @property
    def evidence_keys(self) -> tuple[str, ...]:
        """The keys of the evidence items (what the fingerprint is made of)."""
        return tuple(str(e.get("key")) for e in self.evidence if e.get("key") is not None)

    def to_json(self) -> dict[str, Any]:
        """The finding as findings.json shows it."""
        out: dict[str, Any] = {
            "rule": self.rule, "unit": self.unit, "period": self.period, "severity": self.severity,
            "title": self.title, "tags": list(self.tags), "refs": list(self.refs), "message": self.message,
            "evidence": [dict(e) for e in self.evidence], "remedy": self.remedy, "deadline": self.deadline,
            "status": self.status, "fingerprint": self.fingerprint, "item": self.item,
            "composite": self.composite, "source": self.source,
        }
        if self.waiver is not None:
            out["waiver"] = dict(self.waiver)
        return out


def deadline(as_of: dt.date, days: int) -> str:
    """The rectification deadline: `days` after the as-of date, ISO."""
    return (as_of + dt.timedelta(days=days)).isoformat()


def deadline_days(severities: Mapping[str, int], severity: str) -> int:
    """The days a severity allows for rectification (the pack's `severities`)."""
    return severities.get(severity, DEFAULT_DEADLINE_DAYS)


def make_finding(spec: Any, *, unit: str, period: str, message: str, remedy: str,
                 evidence: Iterable[Mapping[str, Any]], as_of: dt.date, severities: Mapping[str, int] | None = None,
                 days: int | None = None, evidence_keys: Iterable[str] | None = None, item: str | None = None,
                 fingerprint_value: str | None = None, source: str = "rule") -> Finding:
    """The one way findings are made: from a rule (or manual entry) `spec` with id, severity, title,
    tags, refs (and `composite`), the deadline from its severity, the fingerprint from the evidence keys."""
    evidence = tuple(evidence)
    if days is None:
        days = deadline_days(severities or {}, spec.severity)
    rule_id = getattr(spec, "id", None) or spec.rule
    if fingerprint_value is None:
        keys = list(evidence_keys) if evidence_keys is not None else [str(e.get("key")) for e in evidence]
        fingerprint_value = fingerprint(rule_id, unit, keys)
    return Finding(rule=rule_id, unit=unit, period=period, severity=spec.severity, title=spec.title,
                   tags=tuple(spec.tags), refs=tuple(spec.refs), message=message, remedy=remedy, evidence=evidence,
                   deadline=deadline(as_of, days), fingerprint=fingerprint_value, item=item,
                   composite=bool(getattr(spec, "composite", False)), source=source)


@dataclass(frozen=True)
class UnitResult:
    """Everything the check of one unit produced: its findings and the checklist of every rule."""

    unit: str
    name: str
    parent: str | None
    org_type: str | None
    period: str
    source: str
    findings: tuple[Finding, ...]
    checks: Mapping[str, str]      # rule id -> fired | passed | not_applicable | missing_data
    status: str = "checked"        # "checked" | "invalid"
    problems: tuple[str, ...] = field(default_factory=tuple)   # for invalid units: the validation errors
    index: "UnitIndex | None" = None   # the 融合度指数 of a checked unit (checker.pipeline.scoring), once computed

    def to_json(self) -> dict[str, Any]:
        """The unit entry of findings.json."""
        out: dict[str, Any] = {"unit": self.unit, "name": self.name, "parent": self.parent,
                               "org_type": self.org_type, "period": self.period, "source": self.source,
                               "status": self.status, "checks": dict(self.checks)}
        if self.problems:
            out["problems"] = list(self.problems)
        if self.index is not None:
            out["index"] = self.index.to_json()
        return out


@dataclass(frozen=True)
class RuleMeta:
    """What reports need to know about a rule (its text comes from the pack, never from code)."""

    id: str
    title: str
    severity: str
    tags: tuple[str, ...]
    refs: tuple[str, ...]
    composite: bool = False
    remedy: str = ""


@dataclass(frozen=True)
class RunInfo:
    """Facts about one run, for findings.json and the report headers."""

    tool_version: str
    pack_id: str
    pack_title: str
    pack_version: str
    started: str                   # ISO timestamp
    as_of: str                     # ISO date deadlines count from
    params: Mapping[str, Any]
    units_checked: int
    units_failed_validation: int
    inputs: tuple[str, ...] = ()
    issuer: str | None = None      # --issuer: the issuing body shown in notice headers
    doc_no: str | None = None      # --doc-no pattern; `{n}` numbers notices in unit order
