"""Synthetic runs for the output tests and bench/bench_outputs.py: rules, findings, units, contexts."""
from __future__ import annotations

import random
from typing import Any

from checker.findings import (FIRED, MISSING_DATA, NOT_APPLICABLE, PASSED, Finding, RuleMeta, RunInfo, UnitResult, fingerprint)
from checker.outputs.context import OutputContext

PERIOD = "2025-01-01/2025-12-31"
XSS = "<script>alert(1)</script>"
INJECT = "{{ 7*7 }}"
FORMULA = "=HYPERLINK(\"http://x\",\"点我\")"

# catalogue order (FM, RS, BO, SY, X), deliberately not rule-id order
RULES: dict[str, RuleMeta] = {r.id: r for r in [
    RuleMeta("FM03", "决议无责任人或时限", "中", ("形式化",), ("论文§2.1",)),
    RuleMeta("FM05", "佐证材料缺失", "低", ("形式化",), ("论文§2.1",)),
    RuleMeta("RS01", "支委会召开不足", "高", ("责任落实",), ("支部工作条例第十条",)),
    RuleMeta("BO02", "党建考核权重过低", "中", ("重业务轻党建",), ("论文§2.3",)),
    RuleMeta("SY01", "同规划缺位", "高", ("四同",), ("论文表2",)),
    RuleMeta("X01", "党建工作形式化", "高", (), ("论文§2.1",), composite=True),
    RuleMeta("X04", "主体责任落实不到位", "高", (), ("论文§2.2",), composite=True),
]}


def finding(rule: str, unit: str = "GD-07", item: str | None = None, **kw: Any) -> Finding:
    """A finding of `rule` (from RULES) in `unit`; keyword arguments override any field."""
    meta = RULES[rule]
    evidence = kw.pop("evidence", ({"kind": "meeting", "key": item or f"{rule}-E1"},))
    values = dict(period=PERIOD, severity=meta.severity, title=meta.title, tags=meta.tags, refs=meta.refs,
                  message=f"{rule}的问题描述", remedy=f"{rule}的整改要求", evidence=evidence, deadline="2026-03-02",
                  fingerprint=fingerprint(rule, unit, [str(e["key"]) for e in evidence]), item=item,
                  composite=meta.composite)
    values.update(kw)
    return Finding(rule=rule, unit=unit, **values)


def waived(rule: str, unit: str = "GD-07", item: str | None = None, **kw: Any) -> Finding:
    """A waived finding with a complete waiver."""
    waiver = kw.pop("waiver", {"rule": rule, "unit": unit, "item": item, "reason": "该项目部已撤销，党员已转出",
                               "approver": "王主任", "expires": "2026-06-30"})
    return finding(rule, unit, item, status="waived", waiver=waiver, **kw)


def unit(uid: str, findings: tuple[Finding, ...], **kw: Any) -> UnitResult:
    """A checked unit whose checklist says fired for its findings' rules and passed for the rest."""
    checks = {r: PASSED for r in RULES} | {f.rule: FIRED for f in findings}
    values = dict(name=f"{uid}一车间党支部", parent="某某公司党委", org_type="党支部", period=PERIOD,
                  source=f"{uid}.yaml", findings=findings, checks=checks)
    values.update(kw)
    return UnitResult(unit=uid, **values)


def invalid_unit(uid: str, problems: tuple[str, ...], **kw: Any) -> UnitResult:
    """A unit whose record failed validation (未检查)."""
    values = dict(name=f"{uid}党支部", parent="某某公司党委", org_type=None, period="", source=f"{uid}.yaml",
                  findings=(), checks={}, status="invalid", problems=problems)
    values.update(kw)
    return UnitResult(unit=uid, **values)


def run_info(**kw: Any) -> RunInfo:
    """Run facts with fixed dates."""
    values = dict(tool_version="0.1.0", pack_id="party-business-integration", pack_title="党建与生产经营融合检查",
                  pack_version="1.2.0", started="2026-01-05T09:30:00+08:00", as_of="2026-01-05", params={},
                  units_checked=1, units_failed_validation=0, issuer="某某集团党委巡察办", doc_no="党建审〔2026〕{n}号")
    values.update(kw)
    return RunInfo(**values)


def sample_findings(uid: str = "GD-07") -> tuple[Finding, ...]:
    """Five open findings of one unit: a composite, injected markup, evidence with odd values."""
    return (
        finding("FM05", uid, item="M-2025-07", message="7月支委会无佐证材料"),
        finding("FM03", uid, item="M-2025-03#1", message=f"决议“{XSS}”无责任人，纪要写着 {INJECT}",
                evidence=({"kind": "meeting_decision", "key": "M-2025-03#1", "parent": "M-2025-03",
                           "text": f"决议{XSS}", "owner": None, "due": None, "done": False},)),
        finding("RS01", uid, message="全年召开支委会8次，少于规定的12次", deadline="2026-02-04",
                evidence=({"kind": "unit", "key": uid, "values": {"committee": 8, "assessment.party_weight": 0.15}},)),
        finding("X01", uid, message="形式化问题涉及2项规则", evidence=(
            {"kind": "finding", "key": "FM03:M-2025-03#1", "rule": "FM03", "item": "M-2025-03#1",
             "title": "决议无责任人或时限", "fingerprint": fingerprint("FM03", uid, ["M-2025-03#1"])},
            {"kind": "finding", "key": "FM05:M-2025-07", "rule": "FM05", "item": "M-2025-07",
             "title": "佐证材料缺失", "fingerprint": fingerprint("FM05", uid, ["M-2025-07"])})),
        finding("BO02", uid, message="党建考核权重15%，低于20%", deadline="2026-03-06"),
    )


def sample_context(**run_kw: Any) -> OutputContext:
    """A small run: a unit with open and waived findings, a clean unit, a waived-only unit, an invalid unit."""
    a = unit("GD-07", sample_findings("GD-07") + (waived("SY01", "GD-07"),),
             checks={"FM03": FIRED, "FM05": FIRED, "RS01": FIRED, "BO02": FIRED, "SY01": FIRED, "X01": FIRED,
                     "X04": MISSING_DATA})
    b = unit("GD-08", (finding("RS01", "GD-08"), finding("FM05", "GD-08", item="M-1", message=FORMULA)),
             parent="另一公司党委", name="第八项目部党支部")
    c = unit("GD-09", (), checks={r: PASSED for r in RULES} | {"SY01": NOT_APPLICABLE}, parent=None)
    d = unit("GD-10", (waived("BO02", "GD-10"),))
    e = invalid_unit("GD-11", ("GD-11.yaml:3:7: record-type [GD-11] members 应为整数，实际为 \"二十\"",))
    return OutputContext(run_info(**run_kw), RULES, (a, b, c, d, e))


def synthetic_context(n_units: int, seed: int = 7, parents: int = 60) -> OutputContext:
    """A large run of `n_units` checked units with 0–12 findings each, for size and speed checks."""
    rng = random.Random(seed)
    rule_ids = [r for r in RULES if not RULES[r].composite]
    units = []
    for i in range(n_units):
        uid = f"U{i:05d}"
        findings = []
        for k in range(rng.choice((0, 1, 2, 3, 5, 8, 12))):
            rule = rng.choice(rule_ids)
            item = f"M-{k}" if rule in ("FM03", "FM05") else None
            if item is None and any(f.rule == rule for f in findings):
                continue
            findings.append(finding(rule, uid, item=item, message=f"{rule}在{uid}的问题描述，涉及会议{k}次。"))
        if sum(1 for f in findings if "形式化" in f.tags) >= 2:
            findings.append(finding("X01", uid, message="形式化问题较多"))
        if findings and rng.random() < 0.05:
            findings[0] = waived(findings[0].rule, uid, findings[0].item)
        units.append(unit(uid, tuple(findings), name=f"第{i}项目部党支部", parent=f"第{i % parents}分公司党委"))
    return OutputContext(run_info(units_checked=n_units), RULES, tuple(units))
