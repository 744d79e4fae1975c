"""The reference evaluation of a compiled pack in plain Python: the test oracle of the engine.

A run never calls it (the engine decides, checker.engine.check); tests do, and so does
`pbcheck run --verify`, which stops on the first disagreement. `plain_python_check` is the same
evaluation used by the benchmark as the floor for matching.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from checker.engine.compile import Atom, CompiledPack, CompiledRule, Skel
from checker.errors import InternalError
from checker.expr.evaluate import Coll, Context, FindingsView, compare, evaluate, truthy
from checker.expr.nodes import Compare, Literal
from checker.findings import FIRED, MISSING_DATA, NOT_APPLICABLE, PASSED
from checker.inputs.records import UnitRecord


@dataclass
class AtomValue:
    """An atom evaluated in Python: its truth and whether a null decided it."""

    value: bool
    null_dependent: bool
    operands: tuple[Any, ...] = ()


def evaluate_atom(atom: Atom, ctx: Context) -> AtomValue:
    """Compute one atom in Python (null semantics of packs.md)."""
    if atom.kind == "cmp":
        left = evaluate(atom.left, ctx)
        right = atom.right.value if isinstance(atom.right, Literal) else evaluate(atom.right, ctx)
        if isinstance(left, Coll) or isinstance(right, Coll):
            raise InternalError(f"比较的操作数不是简单值：{atom.node}")
        value = compare(atom.op, left, right)
        if left is None or right is None:
            return AtomValue(value, atom.op != "!=", (left, right))
        return AtomValue(value, False, (left, right))
    node = atom.node
    if isinstance(node, Compare):
        left = evaluate(node.left, ctx)
        right = evaluate(node.right, ctx)
        value = compare(node.op, left, right)
        explicit_null = isinstance(node.left, Literal) and node.left.value is None or \
            isinstance(node.right, Literal) and node.right.value is None
        dependent = node.op == "in" and left is None and not explicit_null
        return AtomValue(value, dependent, (left, right))
    raw = evaluate(node, ctx)
    return AtomValue(truthy(raw), raw is None, (raw,))


def evaluate_skeleton(skel: Skel, atoms: list[AtomValue]) -> tuple[bool, bool]:
    """Combine atom results: (truth, whether the truth hinges on a missing value)."""
    if skel.op == "atom":
        a = atoms[skel.atom]
        return a.value, a.null_dependent
    if skel.op == "not":
        value, dep = evaluate_skeleton(skel.children[0], atoms)
        return not value, dep
    results = [evaluate_skeleton(c, atoms) for c in skel.children]
    if skel.op == "and":
        value = all(v for v, _ in results)
        if value:
            return True, any(d for _, d in results)
        return False, all(d for v, d in results if not v)
    value = any(v for v, _ in results)
    if value:
        return True, all(d for v, d in results if v)
    return False, any(d for _, d in results)


@dataclass
class ReferenceOutcome:
    """What the reference evaluation decided: the checklist and the fired contexts (rule, part, item key)."""

    checks: dict[str, str]
    hits: Counter


def _values(rule: CompiledRule, ctx: Context) -> Context:
    if not rule.values:
        return ctx
    values: dict[str, Any] = {}
    ctx = ctx.derive(values=values)
    for name, node, _ in rule.values:
        values[name] = evaluate(node, ctx)
    return ctx


def _item_key(value: dict, keys: dict) -> str | None:
    from checker.engine.check import item_identity
    return item_identity(value, keys)[1]


def reference_check(compiled: CompiledPack, record: UnitRecord) -> ReferenceOutcome:
    """Evaluate every rule on one unit in Python; composites by iterating to the fixed point."""
    from checker.engine.check import key_index
    view = FindingsView()
    period = record.period.as_dict()
    base = Context(unit=record.data, period=period, params=compiled.params, constants=compiled.constants,
                   fields=record.data, findings=view, period_obj=record.period)
    keys = key_index(record.data)
    checks: dict[str, str] = {}
    contexts: dict[str, list[tuple[int, str | None, Context]]] = {}
    for rule in compiled.rules:
        if rule.spec.history or (rule.applies is not None and not truthy(evaluate(rule.applies, base))):
            checks[rule.id] = NOT_APPLICABLE
            continue
        places = []
        applicable = False
        for part in rule.parts:
            if part.applies is not None and not truthy(evaluate(part.applies, base)):
                continue
            applicable = True
            if part.for_each is None:
                places.append((part.index, None, base))
                continue
            coll = evaluate(part.for_each, base)
            for value, _elem, parent in (coll.entries if isinstance(coll, Coll) else []):
                if isinstance(value, dict):
                    places.append((part.index, _item_key(value, keys), base.derive(item=value, parent=parent)))
        if not applicable:
            checks[rule.id] = NOT_APPLICABLE
            continue
        contexts[rule.id] = places
    hits: Counter = Counter()
    dependent: set[str] = set()

    def decide(rule: CompiledRule, record: bool = True) -> bool:
        fired = False
        for index, key, ctx in contexts[rule.id]:
            part = rule.parts[index]
            ctx = _values(rule, ctx)
            value, dep = evaluate_skeleton(part.skeleton, [evaluate_atom(a, ctx) for a in part.atoms])
            if value:
                fired = True
                if not record:
                    return True
                hits[(rule.id, index, key)] += 1
            elif dep and record:
                dependent.add(rule.id)
        return fired

    for rule in compiled.rules:
        if rule.id in contexts and not rule.spec.composite and decide(rule):
            view.add(rule.id, rule.spec.tags)
    composites = [r for r in compiled.rules if r.id in contexts and r.spec.composite]
    changed = True
    while changed:          # composites may rest on composites: iterate to the fixed point
        changed = False
        for rule in composites:
            if rule.id not in view.rules and decide(rule, record=False):
                view.add(rule.id, ())
                changed = True
    for rule in composites:   # conditions only grow true as findings arrive: judge them on the final findings
        decide(rule)
    for rule in compiled.rules:
        if rule.id in checks:
            continue
        checks[rule.id] = FIRED if rule.id in view.rules else MISSING_DATA if rule.id in dependent else PASSED
    return ReferenceOutcome({r.id: checks[r.id] for r in compiled.rules}, hits)


def plain_python_check(compiled: CompiledPack, record: UnitRecord) -> dict[str, str]:
    """The checklist of one unit decided in plain Python (the benchmark's floor for matching)."""
    return reference_check(compiled, record).checks


def engine_hits(session: Any) -> Counter:
    """The fired contexts of an engine session, keyed like `ReferenceOutcome.hits`."""
    return Counter((plan.rule_id, plan.part_index, entry.key) for plan, entry in session.hits)


def verify_against_reference(compiled: CompiledPack, record: UnitRecord, session: Any, checks: dict[str, str]) -> None:
    """Raise InternalError naming unit and rule where the engine and the reference disagree."""
    ref = reference_check(compiled, record)
    mine = engine_hits(session)
    for rule in compiled.rules:
        rid = rule.id
        got = {k: v for k, v in mine.items() if k[0] == rid}
        want = {k: v for k, v in ref.hits.items() if k[0] == rid}
        if checks.get(rid) != ref.checks.get(rid) or got != want:
            raise InternalError(
                f"规则引擎与参考求值不一致：单位 {record.unit_id} 规则 {rid}"
                f"（引擎：{checks.get(rid)}，{sorted(map(str, got))}；参考：{ref.checks.get(rid)}，{sorted(map(str, want))}）")
