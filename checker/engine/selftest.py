"""Running a pack's own test cases (`pbcheck test`, and the pytest module that does the same).

Each case's `unit` is deep-merged onto the pack's `tests/base.yaml` (mappings merge, lists
replace), validated like any record, and checked through the real engine; the number of findings
of the rule under test must equal `fires`, rules in `also` must fire, rules in `not_also` must not,
and `status` / `evidence` are compared when given.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Iterator

from checker.engine.check import check_unit
from checker.engine.compile import CompiledPack, compile_pack
from checker.engine.durable import Engine
from checker.errors import Location, PackError, Problem
from checker.findings import UnitResult
from checker.pack.loader import Pack, RuleSpec, TestCase
from checker.inputs.records import UnitRecord, validate_unit
from checker.inputs.source import load_file


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one test case."""

    rule: str
    case: TestCase
    passed: bool
    failures: tuple[str, ...] = ()
    found: int = 0

    @property
    def test_id(self) -> str:
        """`RULE-case`, the id pytest shows."""
        return f"{self.rule}-{self.case.name}"


def deep_merge(base: Any, patch: Any) -> Any:
    """Merge `patch` onto `base`: mappings merge key by key, everything else (lists too) replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = {k: copy.deepcopy(v) for k, v in base.items()}
        for key, value in patch.items():
            out[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(patch)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class PackTester:
    """Runs test cases of one pack, compiling one engine per distinct set of test parameters."""

    def __init__(self, pack: Pack):
        self.pack = pack
        if pack.base_record is None:
            raise PackError(f"规则包 {pack.id} 缺少 tests/base.yaml（测试用例的合规基准记录）", [
                Problem(Location(str(pack.directory / "tests" / "base.yaml"), 1, 1), "missing-base",
                        "缺少 tests/base.yaml：测试用例在此记录上合并后运行")])
        doc = load_file(pack.base_record)
        self.base_path = doc.path
        self.base = _plain(doc.data)
        self._variants: dict[tuple, tuple[CompiledPack, Engine]] = {}

    def _variant(self, params: dict[str, Any]) -> tuple[CompiledPack, Engine]:
        key = tuple(sorted((k, repr(v)) for k, v in params.items()))
        if key not in self._variants:
            compiled = compile_pack(self.pack, params)
            self._variants[key] = (compiled, Engine(compiled.ruleset))
        return self._variants[key]

    def check_record(self, unit_patch: Any, params: dict[str, Any], where: Location) -> UnitResult | list[Problem]:
        """Merge a patch onto the base record, validate it and check it; problems if it is invalid."""
        merged = deep_merge(self.base, _plain(unit_patch))
        data, problems = validate_unit(merged, f"{where.file}:{where.line}")
        if problems:
            return problems
        compiled, engine = self._variant(params)
        record = UnitRecord(str(data["unit_id"]), data, where.file, where)
        return check_unit(compiled, engine, record, record.period.end)

    def case_params(self, rule: RuleSpec, case: TestCase) -> dict[str, Any]:
        """The parameters a case runs with: for a rule inherited from a parent pack, the values that pack
        (or its ancestors) set, so that a child's stricter thresholds do not break the parent's cases;
        then the case's own `params`."""
        params: dict[str, Any] = {}
        if rule.pack_id != self.pack.id and rule.pack_id in self.pack.chain:
            written_by = set(self.pack.chain[self.pack.chain.index(rule.pack_id):])
            for name, decl in self.pack.parameters.items():
                for pack_id, value in reversed(decl.history):
                    if pack_id in written_by:
                        if value != decl.default:
                            params[name] = value
                        break
        params.update(case.params)
        return params

    def run_case(self, rule: RuleSpec, case: TestCase) -> CaseResult:
        """Run one case and compare what was found with what the case expects."""
        outcome = self.check_record(case.unit, self.case_params(rule, case), case.location)
        if isinstance(outcome, list):
            lines = tuple(f"测试记录无效：{p.field or ''} {p.message}".strip() for p in outcome)
            return CaseResult(rule.id, case, False, lines)
        mine = [f for f in outcome.findings if f.rule == rule.id]
        fired_rules = {f.rule for f in outcome.findings}
        failures: list[str] = []
        if len(mine) != case.fires:
            shown = "；".join(f.item or f.unit for f in mine) or "无"
            failures.append(f"{rule.id} 期望发现 {case.fires} 条，实际 {len(mine)} 条（{shown}）")
        for other in case.also:
            if other not in fired_rules:
                failures.append(f"期望 {other} 也被触发，实际未触发")
        for other in case.not_also:
            if other in fired_rules:
                failures.append(f"期望 {other} 不被触发，实际触发")
        if case.status is not None and outcome.checks.get(rule.id) != case.status:
            failures.append(f"{rule.id} 的检查结果期望为 {case.status}，实际为 {outcome.checks.get(rule.id)}")
        if case.evidence is not None:
            keys = sorted(f.item or f.unit for f in mine)
            if keys != sorted(case.evidence):
                failures.append(f"{rule.id} 的证据期望为 {sorted(case.evidence)}，实际为 {keys}")
        return CaseResult(rule.id, case, not failures, tuple(failures), len(mine))

    def cases(self, rule_ids: set[str] | None = None) -> Iterator[tuple[RuleSpec, TestCase]]:
        """Every (rule, case) of the pack's enabled rules, optionally only some rules."""
        for rule in self.pack.enabled_rules():
            if rule_ids and rule.id not in rule_ids:
                continue
            for case in rule.tests:
                yield rule, case

    def run(self, rule_ids: set[str] | None = None) -> list[CaseResult]:
        """Run all (or some rules') test cases."""
        return [self.run_case(rule, case) for rule, case in self.cases(rule_ids)]


def coverage_problems(pack: Pack) -> list[str]:
    """Rules lacking a case that fires or a case that does not (the meta-test's check)."""
    out = []
    for rule in pack.enabled_rules():
        if rule.history:
            continue    # judged from run history; tested with the history module, not with record cases
        if not any(c.fires > 0 for c in rule.tests):
            out.append(f"{rule.id}：没有会触发的测试用例（fires ≥ 1）")
        if not any(c.fires == 0 for c in rule.tests):
            out.append(f"{rule.id}：没有不触发的测试用例（fires: 0）")
    return out
