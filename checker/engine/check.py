"""Checking one unit: (compiled pack, parameters, one validated record) → UnitResult.

Python computes the indicator values of every rule context (the unit, or each item of a
`for_each`) and asserts them as facts; the durable-rules engine matches the conditions and fires
findings; each finding's action updates the facts of the composite rules (a Rete "modify"), so
composites fire by forward chaining in the same pass. The result is checked against the
reference evaluation of the same atoms so that a rule means the same whichever side evaluates it.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field
from typing import Any, Iterable

from checker import render
from checker.inputs import schema as S
from checker.engine.compile import Atom, CompiledPack, CompiledPart, CompiledRule, Skel, engine_value
from checker.engine.durable import Engine
from checker.errors import InternalError
from checker.expr.evaluate import Coll, Context, FindingsView, compare, evaluate, truthy
from checker.expr.nodes import Compare, Literal, source_text
from checker.findings import FIRED, MISSING_DATA, NOT_APPLICABLE, PASSED, Finding, UnitResult, fingerprint
from checker.inputs.records import UnitRecord

EVIDENCE_TEXT_LIMIT = 200


@dataclass
class AtomValue:
    """An atom evaluated in Python: its truth, whether a null decided it, and what the engine gets."""

    value: bool
    null_dependent: bool
    fields: dict[str, Any]
    operands: tuple[Any, ...] = ()


@dataclass
class RuleContext:
    """One place a rule part is evaluated: the unit itself or one item of its `for_each`."""

    rule: CompiledRule
    part: CompiledPart
    fid: int
    ctx: Context
    item: Any = None
    parent: Any = None
    key: str | None = None
    kind: str | None = None
    atoms: list[AtomValue] = field(default_factory=list)
    fact: dict | None = None
    fired: bool = False


# ---------------------------------------------------------------------------------------------
# Atoms and the skeleton

def evaluate_atom(atom: Atom, ctx: Context) -> AtomValue:
    """Compute one atom in Python (null semantics of packs.md)."""
    i = atom.index
    if atom.kind == "cmp":
        left = evaluate(atom.left, ctx)
        literal_right = isinstance(atom.right, Literal)
        right = atom.right.value if literal_right else evaluate(atom.right, ctx)
        if isinstance(left, Coll) or isinstance(right, Coll):
            raise InternalError(f"比较的操作数不是简单值：{atom.node}")
        value = compare(atom.op, left, right)
        if left is None or right is None:
            return AtomValue(value, atom.op != "!=", {f"n{i}": int(value)}, (left, right))
        # A literal right operand lives in the rule; otherwise the engine compares left − right with 0.
        engine_left = engine_value(left) if literal_right else engine_value(left) - engine_value(right)
        return AtomValue(value, False, {f"l{i}": engine_left}, (left, right))
    node = atom.node
    if isinstance(node, Compare):
        left = evaluate(node.left, ctx)
        right = evaluate(node.right, ctx)
        value = compare(node.op, left, right)
        explicit_null = isinstance(node.left, Literal) and node.left.value is None or \
            isinstance(node.right, Literal) and node.right.value is None
        dependent = node.op == "in" and left is None and not explicit_null
        return AtomValue(value, dependent, {f"p{i}": int(value)}, (left, right))
    raw = evaluate(node, ctx)
    return AtomValue(truthy(raw), raw is None, {f"p{i}": int(truthy(raw))}, (raw,))


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


# ---------------------------------------------------------------------------------------------
# Item keys and evidence

def key_index(unit: dict) -> dict[int, tuple[str, str, str | None]]:
    """Map every list element of the unit (by identity) to (kind, item key, parent key)."""
    index: dict[int, tuple[str, str, str | None]] = {}

    def walk(record: S.Record, container: dict, parent_key: str | None) -> None:
        for f in record.fields:
            if isinstance(f.type, S.ListOf) and isinstance(f.type.item, S.Record):
                for pos, elem in enumerate(container.get(f.name) or (), start=1):
                    if not isinstance(elem, dict):
                        continue
                    key = S.item_key(f.type.item, elem, pos, parent_key)
                    index[id(elem)] = (f.type.item.name, key, parent_key)
                    walk(f.type.item, elem, key)

    walk(S.UNIT, unit, None)
    return index


def _is_pair(value: dict, keys: dict[int, tuple[str, str, str | None]]) -> bool:
    """Whether a for_each item is an element of similar_pairs(…) (a, b, score), not a record of the unit."""
    return "a" in value and "b" in value and "score" in value and id(value) not in keys


def _is_group(value: dict, keys: dict[int, tuple[str, str, str | None]]) -> bool:
    """Whether a for_each item is an element of similar_groups(…) (items, pairs, size, score)."""
    return "items" in value and "pairs" in value and "size" in value and id(value) not in keys


def _pair_key(pair: dict, keys: dict[int, tuple[str, str, str | None]]) -> tuple[str, str]:
    """(kind, key) of a similar pair: `<kind>_pair` and the two item keys joined by `|`."""
    ka, kb = keys.get(id(pair["a"])), keys.get(id(pair["b"]))
    return (ka[0] + "_pair" if ka else "pair"), f"{ka[1] if ka else '?'}|{kb[1] if kb else '?'}"


def json_value(value: Any) -> Any:
    """A value as findings.json carries it (dates ISO, lists plain, long text cut)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Coll):
        return [json_value(v) for v in value.values()]
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, str) and len(value) > EVIDENCE_TEXT_LIMIT:
        return value[:EVIDENCE_TEXT_LIMIT] + "…"
    if isinstance(value, float):
        return round(value, 4)
    return value


def item_evidence(elem: dict, keys: dict[int, tuple[str, str, str | None]]) -> dict[str, Any]:
    """Evidence for one list element: kind, key and its scalar fields."""
    kind, key, parent_key = keys.get(id(elem), ("item", "?", None))
    out: dict[str, Any] = {"kind": kind, "key": key}
    if parent_key is not None:
        out["parent"] = parent_key
    for name, value in elem.items():
        if isinstance(value, (list, dict)):
            continue
        out["item_" + name if name in ("kind", "key", "parent") else name] = json_value(value)
    return out


# ---------------------------------------------------------------------------------------------
# The per-unit session the engine drives

class UnitSession:
    """The facts of one unit and the bookkeeping of what fired, for one engine run."""

    def __init__(self, compiled: CompiledPack, record: UnitRecord, params: dict[str, Any] | None = None):
        self.compiled = compiled
        self.record = record
        self.view = FindingsView()
        self.params = params if params is not None else compiled.params
        self.period = record.period.as_dict()
        self.base = Context(unit=record.data, period=self.period, params=self.params,
                            constants=compiled.constants, fields=record.data, findings=self.view,
                            period_obj=record.period)
        self.keys = key_index(record.data)
        self.contexts: list[RuleContext] = []
        self.composites: list[RuleContext] = []
        self.status: dict[str, str] = {}
        self.hits: list[RuleContext] = []
        self.by_fid: dict[int, RuleContext] = {}
        self._unit_values: dict[str, dict[str, Any]] = {}
        self._fid = 0
        self._build()

    def _next_fid(self) -> int:
        self._fid += 1
        return self._fid

    def _build(self) -> None:
        for rule in self.compiled.rules:
            if rule.spec.history:
                # Judged from the run history after the check (checker.history), not from the record.
                self.status[rule.id] = NOT_APPLICABLE
                continue
            if rule.applies is not None and not truthy(evaluate(rule.applies, self.base)):
                self.status[rule.id] = NOT_APPLICABLE
                continue
            for part in rule.parts:
                for rc in self._contexts(rule, part):
                    (self.composites if rule.spec.composite else self.contexts).append(rc)

    def _contexts(self, rule: CompiledRule, part: CompiledPart) -> Iterable[RuleContext]:
        if part.for_each is None:
            yield self._evaluated(RuleContext(rule, part, self._next_fid(), self._with_values(rule, self.base)))
            return
        coll = evaluate(part.for_each, self.base)
        if not isinstance(coll, Coll):
            return
        for value, _elem, parent in coll.entries:
            if not isinstance(value, dict):
                continue
            ctx = self.base.derive(item=value, parent=parent)
            rc = RuleContext(rule, part, self._next_fid(), self._with_values(rule, ctx), value, parent)
            if _is_pair(value, self.keys):
                rc.kind, rc.key = _pair_key(value, self.keys)
            elif _is_group(value, self.keys):
                members = [self.keys.get(id(e)) for e in value["items"]]
                rc.kind = members[0][0] + "_group" if members and members[0] else "group"
                rc.key = "|".join(m[1] if m else "?" for m in members)
            else:
                kind, key, _ = self.keys.get(id(value), ("item", None, None))
                rc.kind, rc.key = kind, key
            yield self._evaluated(rc)

    def _with_values(self, rule: CompiledRule, ctx: Context, fresh: bool = False) -> Context:
        """`ctx` with the rule's `values` computed; values that do not use the item are computed once per unit."""
        if not rule.values:
            return ctx
        cached = None if fresh or rule.spec.composite else self._unit_values.get(rule.id)
        if cached is None:
            cached = {}
            unit_ctx = self.base.derive(values=cached)
            for name, node, per_item in rule.values:
                if not per_item:
                    cached[name] = evaluate(node, unit_ctx)
            if not (fresh or rule.spec.composite):
                self._unit_values[rule.id] = cached
        values = dict(cached)
        ctx = ctx.derive(values=values)
        for name, node, per_item in rule.values:
            if per_item:
                values[name] = evaluate(node, ctx)
        return ctx

    def _evaluated(self, rc: RuleContext) -> RuleContext:
        rc.atoms = [evaluate_atom(a, rc.ctx) for a in rc.part.atoms]
        rc.fact = self._fact(rc)
        self.by_fid[rc.fid] = rc
        return rc

    def _fact(self, rc: RuleContext) -> dict:
        fact: dict[str, Any] = {"kind": "ctx", "rule": rc.rule.id, "part": rc.part.index, "fid": rc.fid}
        for a in rc.atoms:
            fact.update(a.fields)
        return fact

    # -- engine protocol -----------------------------------------------------------------------
    def facts(self) -> list[dict]:
        """Composite contexts first (they are modified as findings arrive), then the rule contexts."""
        return [rc.fact for rc in self.composites] + [rc.fact for rc in self.contexts]

    def on_fired(self, fact: dict, closure: Any) -> None:
        """A rule context fired: record it, then refresh the composite facts that depend on findings."""
        rc = self.by_fid.get(fact["fid"])
        if rc is None:
            raise InternalError(f"规则引擎返回了未知的事实 {fact.get('fid')}")
        if rc.fired:
            return
        rc.fired = True
        self.hits.append(rc)
        if rc.rule.id not in self.view.rules:
            self.view.add(rc.rule.id, rc.rule.spec.tags if not rc.rule.spec.composite else ())
            self._refresh_composites(closure)

    def _refresh_composites(self, closure: Any) -> None:
        for rc in self.composites:
            if rc.fired:
                continue
            old = rc.fact
            rc.fid = self._next_fid()
            ctx = self._with_values(rc.rule, rc.ctx, fresh=True)
            rc.ctx = ctx
            rc.atoms = [evaluate_atom(a, ctx) for a in rc.part.atoms]
            new = self._fact(rc)
            if {k: v for k, v in new.items() if k not in ("fid", "sid")} == \
                    {k: v for k, v in old.items() if k not in ("fid", "sid")}:
                rc.fid = old["fid"]
                continue
            rc.fact = new
            del self.by_fid[old["fid"]]
            self.by_fid[rc.fid] = rc
            closure.retract_fact(old)
            closure.assert_fact(new)


# ---------------------------------------------------------------------------------------------
# From hits to findings

def check_unit(compiled: CompiledPack, engine: Engine, record: UnitRecord, as_of: dt.date) -> UnitResult:
    """Check one validated unit and return its findings and checklist."""
    session = UnitSession(compiled, record)
    engine.run(session)
    _cross_check(session)
    findings = _findings(session, as_of)
    checks = _checks(session)
    return UnitResult(record.unit_id, record.name, record.parent, record.org_type, record.period.label(),
                      record.source, tuple(findings), checks)


def _cross_check(session: UnitSession) -> None:
    for rc in session.contexts + session.composites:
        value, _ = evaluate_skeleton(rc.part.skeleton, rc.atoms)
        if value != rc.fired:
            raise InternalError(
                f"规则引擎与参考求值不一致：{rc.rule.id} 第{rc.part.index + 1}部分 {rc.key or session.record.unit_id}"
                f"（引擎：{'触发' if rc.fired else '未触发'}，参考：{'触发' if value else '未触发'}）")


def _checks(session: UnitSession) -> dict[str, str]:
    out: dict[str, str] = {}
    by_rule: dict[str, list[RuleContext]] = {}
    for rc in session.contexts + session.composites:
        by_rule.setdefault(rc.rule.id, []).append(rc)
    for rule in session.compiled.rules:
        if rule.id in session.status:
            out[rule.id] = session.status[rule.id]
            continue
        contexts = by_rule.get(rule.id, [])
        if any(rc.fired for rc in contexts):
            out[rule.id] = FIRED
        elif any(evaluate_skeleton(rc.part.skeleton, rc.atoms)[1] for rc in contexts):
            out[rule.id] = MISSING_DATA
        else:
            out[rule.id] = PASSED
    return out


def _deadline(compiled: CompiledPack, severity: str, as_of: dt.date) -> str:
    days = compiled.pack.severities.get(severity, 60)
    return (as_of + dt.timedelta(days=days)).isoformat()


def _render_context(rc: RuleContext, session: UnitSession) -> dict[str, Any]:
    return {"unit": session.record.data, "item": rc.item, "parent": rc.parent, "params": session.params,
            "values": rc.ctx.values, "period": session.period}


def _render(template: Any, text: Any, context: dict[str, Any]) -> str:
    if template is None:
        return ""
    # The template's first line: block scalars (| >) start on the line after their key.
    span = text.span if text is not None else None
    line = (span.line + (1 if span.style in ("|", ">") else 0)) if span is not None else 1
    file = text.file if text is not None else "<pack>"
    return render.render(template, context, file=file, line=line).strip()


def _evidence(rc: RuleContext, session: UnitSession) -> list[dict[str, Any]]:
    if rc.item is None:
        values = dict(rc.ctx.values) if rc.ctx.values else _operand_values(rc)
        return [{"kind": "unit", "key": session.record.unit_id, "values": json_value(values)}]
    item = rc.item
    if _is_pair(item, session.keys):
        out = []
        for side in ("a", "b"):
            ev = item_evidence(item[side], session.keys)
            ev["score"] = item["score"]
            out.append(ev)
        return out
    if _is_group(item, session.keys):
        out = [item_evidence(member, session.keys) for member in item["items"]]
        for pair in item["pairs"]:
            kind, key = _pair_key(pair, session.keys)
            out.append({"kind": kind, "key": key, "score": pair["score"]})
        return out
    return [item_evidence(item, session.keys)]


def _operand_values(rc: RuleContext) -> dict[str, Any]:
    text = rc.part.when_text
    values: dict[str, Any] = {}
    for atom, av in zip(rc.part.atoms, rc.atoms):
        if atom.kind == "cmp":
            values[source_text(atom.left, text)] = av.operands[0]
            if not isinstance(atom.right, Literal):
                values[source_text(atom.right, text)] = av.operands[1]
    return values


def _findings(session: UnitSession, as_of: dt.date) -> list[Finding]:
    compiled = session.compiled
    unit_id = session.record.unit_id
    period = session.record.period.label()
    done: list[Finding] = []
    for rc in sorted(session.hits, key=lambda r: r.rule.spec.composite):
        rule = rc.rule
        spec = rule.spec
        context = _render_context(rc, session)
        if spec.composite:
            rc.ctx = session._with_values(rule, rc.ctx, fresh=True)   # final values for the message
            context["values"] = rc.ctx.values
        template, text = (rc.part.message, rc.part.message_text) if rc.part.message is not None else (rule.message, spec.message)
        message = _render(template, text, context)
        remedy = _render(rule.remedy, spec.remedy, context)
        evidence = _composite_evidence(rc, done, session.keys) if spec.composite else _evidence(rc, session)
        # A composite is the same diagnosis whatever findings it rests on today: its identity (the
        # ledger key, the history) is the rule, the unit and its own item, not its evidence.
        # A group (similar_groups) is one problem known by its own key, whichever pairs link it today.
        keys = ([rc.key] if rc.key else []) if spec.composite or _is_group(rc.item or {}, session.keys) \
            else [str(e.get("key")) for e in evidence]
        done.append(Finding(
            rule=spec.id, unit=unit_id, period=period, severity=spec.severity, title=spec.title,
            tags=spec.tags, refs=spec.refs, message=message, remedy=remedy, evidence=tuple(evidence),
            deadline=_deadline(compiled, spec.severity, as_of), fingerprint=fingerprint(spec.id, unit_id, keys),
            item=rc.key, composite=spec.composite))
    return done


def _composite_evidence(rc: RuleContext, found: list[Finding], session_keys: dict) -> list[dict[str, Any]]:
    view_rules: set[str] = set()
    for kind, value in rc.rule.refs_used:
        if kind == "tag":
            view_rules.update(f.rule for f in found if value in f.tags and not f.composite)
        elif kind == "id":
            view_rules.add(value)
        elif kind == "glob":
            view_rules.update(f.rule for f in found if fnmatch.fnmatchcase(f.rule, value))
    if rc.rule.dynamic_ref and isinstance(rc.item, dict) and rc.item.get("rule"):
        view_rules.add(str(rc.item["rule"]))
    out: list[dict[str, Any]] = []
    if rc.item is not None:
        out.append(item_evidence(rc.item, session_keys))
    for f in found:
        if f.rule in view_rules:
            out.append({"kind": "finding", "key": f"{f.rule}:{f.item or f.unit}", "rule": f.rule, "item": f.item,
                        "title": f.title, "fingerprint": f.fingerprint})
    return out
