"""Checking one unit: (compiled pack, engine, one validated record, as-of) → UnitResult.

Python computes only what the engine's language cannot — the indicator values of every atom
(aggregates, filtered counts, ratios, date differences, similarity, null outcomes and flags) —
into one fact per unit and one per item of each list a rule walks (ruleset.py "Layout"). The
durable-rules engine decides everything else: every comparison with its threshold, the and/or/not
structure of every condition, which conditions are false only because data is missing, and the
composites, which fire by chaining on the unit state's counters that each first finding bumps.
Python never evaluates a condition; `checker.engine.reference` does, as the test oracle and for
`pbcheck run --verify`.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import time
from dataclasses import dataclass, field
from typing import Any

from checker import render
from checker.inputs import schema as S
from checker.engine.compile import Atom, CompiledPack, CompiledPart, CompiledRule
from checker.engine.durable import Engine
from checker.engine.ruleset import PartPlan, engine_value
from checker.errors import InternalError
from checker.expr.evaluate import Coll, Context, FindingsView, compare, evaluate, truthy
from checker.expr.nodes import Compare, Literal, source_text
from checker.findings import FIRED, MISSING_DATA, NOT_APPLICABLE, PASSED, Finding, UnitResult, make_finding
from checker.inputs.records import UnitRecord

EVIDENCE_TEXT_LIMIT = 200

_STATS = {"units": 0, "facts": 0, "indicator_seconds": 0.0, "engine_seconds": 0.0, "findings_seconds": 0.0}


def stats() -> dict[str, float]:
    """Counters of this process's checks: units, facts asserted, seconds in indicators/engine/findings."""
    return dict(_STATS)


def reset_stats() -> None:
    """Set the counters of `stats()` back to zero."""
    for name in _STATS:
        _STATS[name] = 0 if name in ("units", "facts") else 0.0


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


def is_pair(value: dict, keys: dict[int, tuple[str, str, str | None]]) -> bool:
    """Whether a for_each item is an element of similar_pairs(…) (a, b, score), not a record of the unit."""
    return "a" in value and "b" in value and "score" in value and id(value) not in keys


def is_group(value: dict, keys: dict[int, tuple[str, str, str | None]]) -> bool:
    """Whether a for_each item is an element of similar_groups(…) (items, pairs, size, score)."""
    return "items" in value and "pairs" in value and "size" in value and id(value) not in keys


def pair_key(pair: dict, keys: dict[int, tuple[str, str, str | None]]) -> tuple[str, str]:
    """(kind, key) of a similar pair: `<kind>_pair` and the two item keys joined by `|`."""
    ka, kb = keys.get(id(pair["a"])), keys.get(id(pair["b"]))
    return (ka[0] + "_pair" if ka else "pair"), f"{ka[1] if ka else '?'}|{kb[1] if kb else '?'}"


def item_identity(value: dict, keys: dict[int, tuple[str, str, str | None]]) -> tuple[str, str | None]:
    """(kind, key) of a for_each item: a record's key (records.md), `keyA|keyB` for a pair, the members' keys for a group."""
    if is_pair(value, keys):
        return pair_key(value, keys)
    if is_group(value, keys):
        members = [keys.get(id(e)) for e in value["items"]]
        kind = members[0][0] + "_group" if members and members[0] else "group"
        return kind, "|".join(m[1] if m else "?" for m in members)
    kind, key, _ = keys.get(id(value), ("item", None, None))
    return kind, key


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
# Indicators: what Python computes for the engine

def atom_fields(atom: Atom, ctx: Context, key: int, out: dict[str, Any]) -> tuple[Any, ...]:
    """Put one atom's indicator fields into a fact; return its operands (for evidence).

    A comparison sends its left operand `l` (or left − right when the right side is computed
    too); when an operand is null it sends the comparison's outcome under the null rules `n`
    instead. A predicate sends its truth `p` and, when a missing value decided it, the flag `d`.
    """
    i = atom.index
    if atom.kind == "cmp":
        left = evaluate(atom.left, ctx)
        constant = atom.const_right or type(atom.right) is Literal
        right = atom.literal if atom.const_right else (atom.right.value if constant else evaluate(atom.right, ctx))
        if isinstance(left, Coll) or isinstance(right, Coll):
            raise InternalError(f"比较的操作数不是简单值：{atom.node}")
        if left is None or right is None:
            out[f"n{key}_{i}"] = int(compare(atom.op, left, right))
        elif constant:
            out[f"l{key}_{i}"] = engine_value(left)
        else:
            out[f"l{key}_{i}"] = engine_value(left) - engine_value(right)
        return left, right
    node = atom.node
    if type(node) is Compare:
        left = evaluate(node.left, ctx)
        right = evaluate(node.right, ctx)
        value = compare(node.op, left, right)
        explicit_null = isinstance(node.left, Literal) and node.left.value is None or \
            isinstance(node.right, Literal) and node.right.value is None
        dependent = node.op == "in" and left is None and not explicit_null
        operands: tuple[Any, ...] = (left, right)
    else:
        raw = evaluate(node, ctx)
        value, dependent, operands = truthy(raw), raw is None, (raw,)
    out[f"p{key}_{i}"] = int(value)
    if dependent:
        out[f"d{key}_{i}"] = 1
    return operands


@dataclass
class Entry:
    """One place rule parts are evaluated: the unit itself or one item of a list."""

    seq: int
    item: Any = None
    parent: Any = None
    kind: str | None = None
    key: str | None = None
    ctx: Context | None = None                      # the item's context (before values)
    contexts: dict[int, Context] = field(default_factory=dict)        # per part key: with the rule's values
    operands: dict[int, list[tuple]] = field(default_factory=dict)    # per part key (unit entries only)


@dataclass
class _CompositeFact:
    entry: Entry
    fact: dict
    plans: list[tuple[PartPlan, CompiledRule, CompiledPart]]


class UnitSession:
    """The facts of one unit, and what the engine's actions report back, for one engine run."""

    def __init__(self, compiled: CompiledPack, record: UnitRecord, params: dict[str, Any] | None = None):
        self.compiled = compiled
        self.layout = compiled.layout
        self.record = record
        self.view = FindingsView()
        self.params = params if params is not None else compiled.params
        self.period = record.period.as_dict()
        self.base = Context(unit=record.data, period=self.period, params=self.params,
                            constants=compiled.constants, fields=record.data, findings=self.view,
                            period_obj=record.period)
        self.keys = key_index(record.data)
        self.status: dict[str, str] = {}
        self.missing: set[str] = set()
        self.hits: list[tuple[PartPlan, Entry]] = []
        self._seen: set[tuple[str, int]] = set()
        self._by_fid: dict[int, Entry] = {}
        self._facts: list[dict] = []
        self._composite_facts: list[_CompositeFact] = []
        self._unit_values: dict[str, dict[str, Any]] = {}
        self._fid = 0
        self._seq = 0
        self.unit_entry = self._entry()
        self.unit_entry.ctx = self.base
        self._build()

    def _next_fid(self) -> int:
        self._fid += 1
        return self._fid

    def _entry(self, **fields: Any) -> Entry:
        self._seq += 1
        return Entry(self._seq, **fields)

    # -- building the facts --------------------------------------------------------------------
    def _active_parts(self) -> set[str]:
        active: set[str] = set()
        for rule in self.compiled.rules:
            if rule.spec.history:
                # Judged from the run history after the check (checker.history), not from the record.
                self.status[rule.id] = NOT_APPLICABLE
                continue
            if rule.applies is not None and not truthy(evaluate(rule.applies, self.base)):
                self.status[rule.id] = NOT_APPLICABLE
                continue
            parts = [p for p in rule.parts if p.applies is None or truthy(evaluate(p.applies, self.base))]
            if not parts:
                self.status[rule.id] = NOT_APPLICABLE
            active.update(f"{rule.id}#{p.index}" for p in parts)
        return active

    def _build(self) -> None:
        active = self._active_parts()
        parts = {f"{r.id}#{p.index}": (r, p) for r in self.compiled.rules for p in r.parts}
        for group in self.layout.groups:
            slots = [(slot_id, [(plan, *parts[plan.name]) for plan in plans if plan.name in active])
                     for slot_id, plans in zip(group.slot_ids, group.slots)]
            slots = [(slot_id, plans) for slot_id, plans in slots if plans]
            if not slots:
                continue
            if group.for_each_text is None:
                entries = [self.unit_entry]
            else:
                entries = self._entries(slots[0][1][0][2])
            for entry in entries:
                for slot_id, plans in slots:
                    fid = self._next_fid()
                    fact: dict[str, Any] = {"fid": fid, "g": slot_id}
                    for plan, rule, part in plans:
                        ctx = self._with_values(rule, entry.ctx, fresh=rule.spec.composite)
                        entry.contexts[plan.key] = ctx
                        operands = [atom_fields(a, ctx, plan.key, fact) for a in part.atoms]
                        if entry.item is None:
                            entry.operands[plan.key] = operands
                    self._by_fid[fid] = entry
                    if group.composite:
                        self._composite_facts.append(_CompositeFact(entry, fact, plans))
                    else:
                        self._facts.append(fact)
        self._facts.extend(cf.fact for cf in self._composite_facts)

    def _entries(self, part: CompiledPart) -> list[Entry]:
        coll = evaluate(part.for_each, self.base)
        if not isinstance(coll, Coll):
            return []
        out = []
        derive = self.base.derive
        for value, _elem, parent in coll.entries:
            if not isinstance(value, dict):
                continue
            kind, key = item_identity(value, self.keys)
            out.append(self._entry(item=value, parent=parent, kind=kind, key=key,
                                   ctx=derive(item=value, parent=parent)))
        return out

    def _with_values(self, rule: CompiledRule, ctx: Context, fresh: bool = False) -> Context:
        """`ctx` with the rule's `values`; values that do not use the item are computed once per unit."""
        if not rule.values:
            return ctx
        cached = None if fresh else self._unit_values.get(rule.id)
        if cached is None:
            cached = {}
            unit_ctx = self.base.derive(values=cached)
            for name, node, per_item in rule.values:
                if not per_item:
                    cached[name] = evaluate(node, unit_ctx)
            if not fresh:
                self._unit_values[rule.id] = cached
        if not any(per_item for _, _, per_item in rule.values):
            return ctx.derive(values=cached)
        values = dict(cached)
        ctx = ctx.derive(values=values)
        for name, node, per_item in rule.values:
            if per_item:
                values[name] = evaluate(node, ctx)
        return ctx

    # -- engine protocol -----------------------------------------------------------------------
    def initial_state(self) -> dict[str, Any]:
        """The unit state's counters, all zero."""
        return self.layout.initial_state()

    def facts(self) -> list[dict]:
        """One fact per unit and per item of every list a rule walks (composites' facts last)."""
        return self._facts

    def on_action(self, name: str, closure: Any) -> None:
        """A rule fired: a part's condition is true (`R#p`) or false for want of data (`?R#p`)."""
        if name.startswith("?"):
            self.missing.add(self.layout.plans[name[1:]].rule_id)
            return
        plan = self.layout.plans[name]
        if plan.mode == "state":
            entry = self.unit_entry
            closure.s[plan.guard] = 1
        else:
            entry = self._by_fid.get(closure.m["fid"])
            if entry is None:
                raise InternalError(f"规则引擎返回了未知的事实 {closure.m['fid']}")
        seen = (name, entry.seq)
        if seen in self._seen:
            return                      # a refreshed composite fact matched again
        self._seen.add(seen)
        self.hits.append((plan, entry))
        rule_id = plan.rule_id
        if rule_id in self.view.rules:
            return
        rule = self.compiled.rule(rule_id)
        self.view.add(rule_id, rule.spec.tags if not rule.spec.composite else ())
        for counter in self.layout.bumps[rule_id]:
            closure.s[counter] = closure.s[counter] + 1
        if self._composite_facts:
            self._refresh(closure)

    def _refresh(self, closure: Any) -> None:
        """Composite facts whose finding indicators (e.g. `fired(item.rule)`) changed are replaced."""
        for cf in self._composite_facts:
            new = {k: v for k, v in cf.fact.items() if k != "sid"}
            for plan, rule, part in cf.plans:
                if not plan.dynamic_atoms:
                    continue
                ctx = self._with_values(rule, cf.entry.ctx, fresh=True)
                cf.entry.contexts[plan.key] = ctx
                for atom in part.atoms:
                    if atom.index in plan.dynamic_atoms:
                        for letter in "lnpd":
                            new.pop(f"{letter}{plan.key}_{atom.index}", None)
                        atom_fields(atom, ctx, plan.key, new)
            old = cf.fact
            if {k: v for k, v in new.items() if k != "fid"} == {k: v for k, v in old.items() if k not in ("fid", "sid")}:
                continue
            new["fid"] = self._next_fid()
            self._by_fid[new["fid"]] = cf.entry
            closure.retract_fact(old)
            new["sid"] = old["sid"]
            cf.fact = new
            closure.assert_fact(new)

    def final_facts(self) -> list[tuple[dict, dict]]:
        """Composite facts re-asserted once with `z: 1`: their missing-data rules read the final findings."""
        out = []
        for cf in self._composite_facts:
            if not any(plan.has_missing and plan.rule_id not in self.view.rules for plan, _, _ in cf.plans):
                continue
            new = {k: v for k, v in cf.fact.items() if k != "sid"}
            new["fid"] = self._next_fid()
            new["z"] = 1
            self._by_fid[new["fid"]] = cf.entry
            out.append((cf.fact, new))
            cf.fact = new
        return out

    def fact_count(self) -> int:
        """How many facts this unit asserts (before the final composite facts)."""
        return len(self._facts)


# ---------------------------------------------------------------------------------------------
# From hits to findings

def check_unit(compiled: CompiledPack, engine: Engine, record: UnitRecord, as_of: dt.date,
               verify: bool = False) -> UnitResult:
    """Check one validated unit and return its findings and checklist.

    With `verify`, the engine's decisions are compared with the reference evaluator's
    (checker.engine.reference) and any disagreement is an InternalError naming unit and rule.
    """
    t0 = time.perf_counter()
    session = UnitSession(compiled, record)
    t1 = time.perf_counter()
    engine.run(session)
    t2 = time.perf_counter()
    checks = unit_checks(session)
    findings = _findings(session, as_of)
    t3 = time.perf_counter()
    _STATS["units"] += 1
    _STATS["facts"] += session.fact_count()
    _STATS["indicator_seconds"] += t1 - t0
    _STATS["engine_seconds"] += t2 - t1
    _STATS["findings_seconds"] += t3 - t2
    if verify:
        from checker.engine.reference import verify_against_reference
        verify_against_reference(compiled, record, session, checks)
    return UnitResult(record.unit_id, record.name, record.parent, record.org_type, record.period.label(),
                      record.source, tuple(findings), checks)


def unit_checks(session: UnitSession) -> dict[str, str]:
    """The checklist state of every rule, as the engine decided it."""
    out: dict[str, str] = {}
    for rule in session.compiled.rules:
        if rule.id in session.status:
            out[rule.id] = session.status[rule.id]
        elif rule.id in session.view.rules:
            out[rule.id] = FIRED
        elif rule.id in session.missing:
            out[rule.id] = MISSING_DATA
        else:
            out[rule.id] = PASSED
    return out


def _render_context(entry: Entry, ctx: Context, session: UnitSession) -> dict[str, Any]:
    return {"unit": session.record.data, "item": entry.item, "parent": entry.parent, "params": session.params,
            "values": ctx.values, "period": session.period}


def _render(template: Any, text: Any, context: dict[str, Any]) -> str:
    if template is None:
        return ""
    # The template's first line: block scalars (| >) start on the line after their key.
    span = text.span if text is not None else None
    line = (span.line + (1 if span.style in ("|", ">") else 0)) if span is not None else 1
    file = text.file if text is not None else "<pack>"
    return render.render(template, context, file=file, line=line).strip()


def _evidence(plan: PartPlan, part: CompiledPart, entry: Entry, ctx: Context,
              session: UnitSession) -> list[dict[str, Any]]:
    if entry.item is None:
        values = dict(ctx.values) if ctx.values else _operand_values(part, entry.operands.get(plan.key, []))
        return [{"kind": "unit", "key": session.record.unit_id, "values": json_value(values)}]
    item = entry.item
    if is_pair(item, session.keys):
        out = []
        for side in ("a", "b"):
            ev = item_evidence(item[side], session.keys)
            ev["score"] = item["score"]
            out.append(ev)
        return out
    if is_group(item, session.keys):
        out = [item_evidence(member, session.keys) for member in item["items"]]
        for pair in item["pairs"]:
            kind, key = pair_key(pair, session.keys)
            out.append({"kind": kind, "key": key, "score": pair["score"]})
        return out
    return [item_evidence(item, session.keys)]


def _operand_values(part: CompiledPart, operands: list[tuple]) -> dict[str, Any]:
    text = part.when_text
    values: dict[str, Any] = {}
    for atom, ops in zip(part.atoms, operands):
        if atom.kind == "cmp":
            values[source_text(atom.left, text)] = ops[0]
            if not isinstance(atom.right, Literal):
                values[source_text(atom.right, text)] = ops[1]
    return values


def _findings(session: UnitSession, as_of: dt.date) -> list[Finding]:
    compiled = session.compiled
    order = {r.id: n for n, r in enumerate(compiled.rules)}
    plain = sorted(((p, e) for p, e in session.hits if not compiled.rule(p.rule_id).spec.composite),
                   key=lambda h: (order[h[0].rule_id], h[0].part_index, h[1].seq))
    composites = [(p, e) for p, e in session.hits if compiled.rule(p.rule_id).spec.composite]
    unit_id = session.record.unit_id
    period = session.record.period.label()
    done: list[Finding] = []
    for plan, entry in plain + composites:
        rule = compiled.rule(plan.rule_id)
        part = rule.parts[plan.part_index]
        spec = rule.spec
        ctx = entry.contexts.get(plan.key) or entry.ctx or session.base
        if spec.composite:
            ctx = session._with_values(rule, entry.ctx or session.base, fresh=True)   # final values for the message
        context = _render_context(entry, ctx, session)
        template, text = (part.message, part.message_text) if part.message is not None else (rule.message, spec.message)
        message = _render(template, text, context)
        remedy = _render(rule.remedy, spec.remedy, context)
        evidence = _composite_evidence(rule, entry, done, session.keys) if spec.composite \
            else _evidence(plan, part, entry, ctx, session)
        # A composite is the same diagnosis whatever findings it rests on today: its identity (the
        # ledger key, the history) is the rule, the unit and its own item, not its evidence.
        # A group (similar_groups) is one problem known by its own key, whichever pairs link it today.
        keys = ([entry.key] if entry.key else []) if spec.composite or is_group(entry.item or {}, session.keys) \
            else [str(e.get("key")) for e in evidence]
        done.append(make_finding(spec, unit=unit_id, period=period, message=message, remedy=remedy,
                                 evidence=evidence, evidence_keys=keys, as_of=as_of,
                                 severities=compiled.pack.severities, item=entry.key))
    return done


def _composite_evidence(rule: CompiledRule, entry: Entry, found: list[Finding],
                        session_keys: dict) -> list[dict[str, Any]]:
    view_rules: set[str] = set()
    for kind, value in rule.refs_used:
        if kind == "tag":
            view_rules.update(f.rule for f in found if value in f.tags and not f.composite)
        elif kind == "id":
            view_rules.add(value)
        elif kind == "glob":
            view_rules.update(f.rule for f in found if fnmatch.fnmatchcase(f.rule, value))
    if rule.dynamic_ref and isinstance(entry.item, dict) and entry.item.get("rule"):
        view_rules.add(str(entry.item["rule"]))
    out: list[dict[str, Any]] = []
    if entry.item is not None:
        out.append(item_evidence(entry.item, session_keys))
    for f in found:
        if f.rule in view_rules:
            out.append({"kind": "finding", "key": f"{f.rule}:{f.item or f.unit}", "rule": f.rule, "item": f.item,
                        "title": f.title, "fingerprint": f.fingerprint})
    return out
