"""From compiled conditions to the durable-rules ruleset: the fact layout and every engine condition.

Facts are shared (issue 11 "Fewer, richer facts"): one fact per unit and one per item of each
distinct `for_each` list, carrying the indicator fields of every rule part that reads that list.
Field names are unique per part (`l<k>_<i>`, `n<k>_<i>`, `p<k>_<i>`, `d<k>_<i>` for part number
`k`, atom `i`), so a part's condition reads only its own fields; a fact lacking a part's fields
(its rule does not apply) never matches it, because a test on an absent field never matches.

Each part compiles to up to two engine rules:
- `R#p` fires when the condition is true — the engine matches every comparison with its
  threshold and the whole and/or/not structure;
- `?R#p` fires when the condition is false *because of* a missing value (packs.md null rules):
  the checklist state `missing_data`. Python sends the null outcome `n…` and the null flag `d…`.

Composites on findings only (X01–X05) match the unit's state: every first finding of a rule
bumps the state's counters (distinct rules per tag, per id list, per glob, per rule) and the
composite rule is a condition on those counters with a fire-once guard. Composites that also
read data or refer to a rule through an item (`fired(item.rule)`) get facts of their own whose
finding-dependent indicators the actions refresh (retract + assert); their missing-data rule
waits for the final version of the fact (`z: 1`).
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Callable

RULESET = "pbcheck"
MAX_FACT_FIELDS = 240          # durable-rules refuses facts with more than ~252 properties (error 302)
_RESERVED_PER_FACT = 4         # sid, fid, g, z
COMPOSITE_FUNCTIONS = {"distinct_rules", "fired", "fired_any"}

_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_NEGATE = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_MIRROR = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


# ---------------------------------------------------------------------------------------------
# Layout

@dataclass(frozen=True)
class Counter:
    """A state counter composites match on: distinct rules fired per tag, id list, glob or rule id."""

    name: str
    kind: str                      # "tag" | "ids" | "glob" | "rule"
    value: Any

    def counts(self, rule_id: str, tags: tuple[str, ...], composite: bool) -> bool:
        """Whether the first finding of `rule_id` increments this counter."""
        if self.kind == "tag":
            return not composite and self.value in tags
        if self.kind == "ids":
            return rule_id in self.value
        if self.kind == "glob":
            return fnmatch.fnmatchcase(rule_id, self.value)
        return rule_id == self.value


@dataclass(frozen=True)
class StateAtom:
    """A composite atom read from the state: `counter OP literal`."""

    counter: str
    op: str
    literal: Any


@dataclass
class PartPlan:
    """Where one rule part lives in the facts and how the engine decides it."""

    rule_id: str
    part_index: int
    key: int                       # the part's number: its fields are `?<key>_<atom>`
    mode: str                      # "plain" | "state" (composite on counters) | "fact" (composite with facts)
    group: int = -1                # which list's facts carry it (-1: none, state composites)
    slot: int = -1                 # the fact id `g` of its chunk in that group
    width: int = 0                 # fields it may put into a fact
    state_atoms: dict[int, StateAtom] = field(default_factory=dict)
    dynamic_atoms: frozenset[int] = frozenset()     # fact composites: atoms that read findings
    has_missing: bool = False

    @property
    def name(self) -> str:
        """The engine rule (and action) name of the part."""
        return f"{self.rule_id}#{self.part_index}"

    @property
    def guard(self) -> str:
        """The state field set once a state composite has fired (its fire-once guard)."""
        return f"x{self.key}"


@dataclass
class Group:
    """The facts of one list (`for_each` text) or of the unit (`for_each` None)."""

    index: int
    for_each_text: str | None
    composite: bool                # facts of composite parts, refreshed by actions
    slots: list[list[PartPlan]] = field(default_factory=list)     # parts per fact chunk
    slot_ids: list[int] = field(default_factory=list)


@dataclass
class Layout:
    """The fact layout of a compiled pack: groups of shared facts, counters, the plan of every part."""

    groups: list[Group]
    plans: dict[str, PartPlan]     # by part name `R#p`
    counters: list[Counter]
    bumps: dict[str, tuple[str, ...]]   # rule id -> counters its first finding increments

    def plan(self, rule_id: str, part_index: int) -> PartPlan:
        """The plan of one rule part."""
        return self.plans[f"{rule_id}#{part_index}"]

    def initial_state(self) -> dict[str, int]:
        """Every counter at zero (a test on an absent field would never match)."""
        return {c.name: 0 for c in self.counters}


def atom_width(atom: Any) -> int:
    """How many fields an atom can put into a fact (a comparison: `l` or `n`; a predicate: `p` and `d`)."""
    return 1 if atom.kind == "cmp" else 2


# ---------------------------------------------------------------------------------------------
# Boolean conditions with constants folded (True/False stand for "always"/"never")

def _and(items: list[Any]) -> Any:
    out: list[dict] = []
    for item in items:
        if item is False:
            return False
        if item is True:
            continue
        out.extend(item["$and"] if set(item) == {"$and"} else [item])
    if not out:
        return True
    return out[0] if len(out) == 1 else {"$and": out}


def _or(items: list[Any]) -> Any:
    out: list[dict] = []
    for item in items:
        if item is True:
            return True
        if item is False:
            continue
        out.extend(item["$or"] if set(item) == {"$or"} else [item])
    if not out:
        return False
    return out[0] if len(out) == 1 else {"$or": out}


def _compare(field_name: str, op: str, literal: Any) -> dict:
    if op == "==":
        return {field_name: literal}
    return {_OPS[op]: {field_name: literal}}


Leaf = Callable[[Any, str], Any]


def condition(skel: Any, atoms: list[Any], want: str, leaf: Leaf) -> Any:
    """The engine condition for `want` of a skeleton: "T" true, "F" false, "TD"/"FD" true/false
    and decided by a missing value (the rules of check's reference `evaluate_skeleton`)."""
    if skel.op == "atom":
        return leaf(atoms[skel.atom], want)
    if skel.op == "not":
        return condition(skel.children[0], atoms, {"T": "F", "F": "T", "TD": "FD", "FD": "TD"}[want], leaf)
    kids = skel.children

    def each(w: str) -> list[Any]:
        return [condition(c, atoms, w, leaf) for c in kids]

    if skel.op == "and":
        if want == "T":
            return _and(each("T"))
        if want == "F":
            return _or(each("F"))
        if want == "TD":
            return _and(each("T") + [_or(each("TD"))])
        return _and([_or([condition(c, atoms, "T", leaf), condition(c, atoms, "FD", leaf)]) for c in kids]
                    + [_or(each("F"))])
    if want == "T":
        return _or(each("T"))
    if want == "F":
        return _and(each("F"))
    if want == "TD":
        return _and([_or(each("T"))] + [_or([condition(c, atoms, "F", leaf), condition(c, atoms, "TD", leaf)])
                                        for c in kids])
    return _and(each("F") + [_or(each("FD"))])


def fact_leaf(key: int) -> Leaf:
    """Atom conditions on a fact: `l` the known left operand (or left − right), `n` the outcome of a
    comparison with a null operand, `p` a predicate's truth, `d` its null flag."""
    def leaf(atom: Any, want: str) -> Any:
        i = atom.index
        if atom.kind == "pred":
            p, d = f"p{key}_{i}", f"d{key}_{i}"
            if want == "T":
                return {p: 1}
            if want == "F":
                return {p: 0}
            return _and([{p: 1 if want == "TD" else 0}, {d: 1}])
        n, lf = f"n{key}_{i}", f"l{key}_{i}"
        literal = engine_value(atom.literal)
        if want in ("TD", "FD"):
            # a null operand decides every comparison but `!=` (packs.md)
            return False if atom.op == "!=" else {n: 1 if want == "TD" else 0}
        if want == "T":
            compare = _compare(lf, atom.op, literal)
            # null never makes an ordering comparison true
            return compare if atom.op in ("<", "<=", ">", ">=") else _or([{n: 1}, compare])
        return _or([{n: 0}, _compare(lf, _NEGATE[atom.op], literal)])
    return leaf


def state_leaf(state_atoms: dict[int, StateAtom]) -> Leaf:
    """Atom conditions on the state's counters (findings are never null)."""
    def leaf(atom: Any, want: str) -> Any:
        sa = state_atoms[atom.index]
        if want in ("TD", "FD"):
            return False
        op = sa.op if want == "T" else _NEGATE[sa.op]
        return _compare(sa.counter, op, sa.literal)
    return leaf


def engine_value(value: Any) -> Any:
    """A Python value as the engine sees it: dates as day numbers, booleans as 0/1."""
    import datetime as dt
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.date):
        return value.toordinal()
    return value


def count_tests(cond: Any) -> int:
    """The number of alpha tests a condition compiles to."""
    if isinstance(cond, dict):
        total = 0
        for key, value in cond.items():
            if key in ("$and", "$or"):
                total += sum(count_tests(c) for c in value)
            else:
                total += 1
        return total
    return 1


# ---------------------------------------------------------------------------------------------
# The ruleset

def _terms(slot: int, cond: Any, extra: list[dict] | None = None) -> list[dict]:
    return [{"m": _and([{"g": slot}] + (extra or []) + [cond])}]


def part_rules(plan: PartPlan, skeleton: Any, atoms: list[Any]) -> dict[str, dict]:
    """The engine rules of one part: `R#p` (fires) and, when a null can decide it, `?R#p` (missing data)."""
    if plan.mode == "state":
        cond = condition(skeleton, atoms, "T", state_leaf(plan.state_atoms))
        return {plan.name: {"all": [{"st": _and([cond, {"$nex": {plan.guard: 1}}, {"$s": 1}])}], "run": plan.name}}
    leaf = fact_leaf(plan.key)
    out = {plan.name: {"all": _terms(plan.slot, condition(skeleton, atoms, "T", leaf)), "run": plan.name}}
    missing = condition(skeleton, atoms, "FD", leaf)
    plan.has_missing = missing is not False
    if missing is not False:
        extra = [{"z": 1}] if plan.mode == "fact" else []
        for n, piece in enumerate(split(missing)):
            out["?" + plan.name + (f"/{n}" if n else "")] = {"all": _terms(plan.slot, piece, extra), "run": "?" + plan.name}
    return out


MAX_RULE_TESTS = 28            # a longer sequence of expressions fails with error 113


def split(cond: Any) -> list[Any]:
    """A condition as a disjunction of conditions small enough for one engine rule each
    (`a and (b or c)` → `a and b`, `a and c`); the rules share one action."""
    if count_tests(cond) <= MAX_RULE_TESTS or not isinstance(cond, dict):
        return [cond]
    if set(cond) == {"$or"}:
        return [piece for item in cond["$or"] for piece in split(item)]
    if set(cond) == {"$and"}:
        items = cond["$and"]
        ors = [i for i, item in enumerate(items) if isinstance(item, dict) and set(item) == {"$or"}]
        if ors:
            widest = max(ors, key=lambda i: count_tests(items[i]))
            rest = items[:widest] + items[widest + 1:]
            return [piece for alt in items[widest]["$or"] for piece in split(_and(rest + [alt]))]
    return [cond]


def scaffolding() -> dict[str, dict]:
    """The rules every ruleset needs (durable_rules.md)."""
    return {
        # A state in which no action ever ran does not exist for the C engine, and delete_state on
        # it segfaults: every unit starts with a `begin` fact whose action sets the counters.
        "__begin__": {"all": [{"m": {"kind": "begin"}}], "run": "begin"},
        # Every fact must match some rule or durable-rules raises MessageNotHandledException (and a
        # batch assert with an unmatched fact crashed the interpreter).
        "__catch_all__": {"all": [{"m": {"$ex": {"fid": 1}}}, {"never": {"kind": "__never__"}}], "run": "noop"},
    }
