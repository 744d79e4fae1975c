"""The reference evaluator of the condition language: values, aggregates, helpers and null semantics.

Null semantics (packs.md): a missing value is null; `x == null` tests it; every other comparison
with null is false except `!=` (and `not in`), which is true. Arithmetic with null gives null;
`ratio(a, b)` is null when b is 0. Aggregates skip nulls; an absent list counts as empty.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import math
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from checker.inputs.period import Period, add_years
from checker.expr.nodes import Attr, BoolOp, Binary, Call, Compare, Expr, ListLit, Literal, Name, Unary, Where


class Coll:
    """A list value: entries of (value, element, parent); filters see the element, aggregates the value."""

    __slots__ = ("entries",)

    def __init__(self, entries: list[tuple[Any, Any, Any]]):
        self.entries = entries

    @classmethod
    def of(cls, values: Iterable[Any], parent: Any = None) -> "Coll":
        """A list of plain values, each its own element."""
        return cls([(v, v, parent) for v in values])

    def values(self) -> list[Any]:
        """The values, in order."""
        return [e[0] for e in self.entries]

    def __len__(self) -> int:
        return len(self.entries)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Coll) and self.values() == other.values()

    def __repr__(self) -> str:
        return f"Coll({self.values()!r})"


class FindingsView:
    """What composites can see of the findings so far: rule ids and their tags."""

    def __init__(self) -> None:
        self.rules: dict[str, tuple[str, ...]] = {}     # rule id -> tags

    def add(self, rule: str, tags: Iterable[str]) -> None:
        """Record that `rule` has fired."""
        self.rules.setdefault(rule, tuple(tags))

    def distinct_rules(self, tag: str | None = None, ids: Iterable[str] | None = None) -> int:
        """Number of distinct rules fired with `tag`, or among `ids`."""
        if tag is not None:
            return sum(1 for tags in self.rules.values() if tag in tags)
        wanted = set(ids or ())
        return sum(1 for rule in self.rules if rule in wanted)

    def fired(self, rule: str) -> bool:
        """Whether `rule` has fired."""
        return rule in self.rules

    def fired_any(self, pattern: str) -> bool:
        """Whether any rule matching the glob `pattern` (e.g. `RS*`) has fired."""
        return any(fnmatch.fnmatchcase(rule, pattern) for rule in self.rules)

    def matching(self, kind: str, value: Any) -> list[str]:
        """Rule ids a reference (`tag`, `id`, `glob`) points to, for composite evidence."""
        if kind == "tag":
            return [r for r, tags in self.rules.items() if value in tags]
        if kind == "id":
            return [r for r in self.rules if r == value]
        if kind == "ids":
            return [r for r in self.rules if r in set(value)]
        if kind == "glob":
            return [r for r in self.rules if fnmatch.fnmatchcase(r, value)]
        return []


@dataclass
class Context:
    """Everything names can refer to at one point of an evaluation.

    Filters set `it`/`fields`/`parent` on the context they are given while they run and restore
    them afterwards (much cheaper than a copy per element); nothing keeps a context across calls.
    """

    unit: Mapping[str, Any]
    period: Mapping[str, Any]
    params: Mapping[str, Any]
    constants: Mapping[str, Any]
    values: Mapping[str, Any] = field(default_factory=dict)
    item: Any = None
    parent: Any = None
    it: Any = None
    fields: Any = None                 # what bare names denote (the unit, or the element in a filter)
    findings: FindingsView | None = None
    period_obj: Period | None = None

    def for_element(self, elem: Any, parent: Any) -> "Context":
        """A copy of the context as seen inside a filter or element argument."""
        return self.derive(it=elem, fields=elem, parent=parent if parent is not None else self.parent)

    def derive(self, **changes: Any) -> "Context":
        """A copy with some names changed (cheaper than dataclasses.replace)."""
        new = object.__new__(Context)
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        return new


class EvalError(Exception):
    """A run-time evaluation problem the type checker could not rule out (reported as an internal error)."""


def truthy(value: Any) -> bool:
    """Truth of a condition value: null is false."""
    return bool(value) if value is not None else False


def evaluate(node: Expr, ctx: Context) -> Any:
    """Evaluate an expression node in `ctx`."""
    kind = type(node)
    if kind is Literal:
        return node.value
    if kind is Name:
        return _name(node.name, ctx)
    if kind is Attr:
        return get_field(evaluate(node.obj, ctx), node.name)
    if kind is Compare:
        return compare(node.op, evaluate(node.left, ctx), evaluate(node.right, ctx))
    if kind is BoolOp:
        if node.op == "and":
            return all(truthy(evaluate(o, ctx)) for o in node.operands)
        return any(truthy(evaluate(o, ctx)) for o in node.operands)
    if kind is Unary:
        value = evaluate(node.operand, ctx)
        if node.op == "not":
            return not truthy(value)
        return None if value is None else -value
    if kind is Binary:
        return arithmetic(node.op, evaluate(node.left, ctx), evaluate(node.right, ctx))
    if kind is Call:
        return _call(node, ctx)
    if kind is ListLit:
        return Coll.of(evaluate(i, ctx) for i in node.items)
    if kind is Where:
        raise EvalError("where outside an aggregate")
    raise EvalError(f"unknown node {kind.__name__}")


_ROOTS = {"unit", "item", "parent", "it", "params", "period", "values"}


def _name(name: str, ctx: Context) -> Any:
    if name in _ROOTS:
        value = getattr(ctx, name)
        return _as_coll(value) if isinstance(value, (list, tuple)) else value
    if name in ctx.constants:
        value = ctx.constants[name]
        return _as_coll(value) if isinstance(value, (list, tuple)) else value
    return get_field(ctx.fields, name)


def _as_coll(value: Any, parent: Any = None) -> Coll:
    return Coll([(v, v, parent) for v in value])


def get_field(base: Any, name: str) -> Any:
    """`base.name`: a mapping's field, or a projection/flattening over a list (nested lists flatten)."""
    if base is None:
        return None
    if isinstance(base, Coll):
        entries = []
        for value, elem, parent in base.entries:
            inner = get_field(value, name)
            if isinstance(inner, Coll):
                entries.extend((v, e, value) for v, e, _ in inner.entries)
            else:
                entries.append((inner, elem, parent))
        return Coll(entries)
    if isinstance(base, dict):
        value = base.get(name)
        if isinstance(value, (list, tuple)):
            return _as_coll(value, None)
        return value
    raise EvalError(f"cannot take field {name} of {type(base).__name__}")


def compare(op: str, left: Any, right: Any) -> bool:
    """A comparison with the language's null semantics."""
    if op == "in" or op == "not in":
        result = _contains(right, left)
        return result if op == "in" else not result
    if left is None or right is None:
        if op == "==":
            return left is None and right is None
        if op == "!=":
            return not (left is None and right is None)
        return False
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    raise EvalError(f"unknown operator {op}")


def _contains(container: Any, value: Any) -> bool:
    if value is None or container is None:
        return False
    if isinstance(container, str):
        return isinstance(value, str) and value in container
    if isinstance(container, Coll):
        return value in container.values()
    return False


def arithmetic(op: str, left: Any, right: Any) -> Any:
    """`+ - * /` with null propagation; dates ± days, date − date = days; x / 0 is null."""
    if left is None or right is None:
        return None
    if isinstance(left, dt.date) and isinstance(right, dt.date):
        return (left - right).days
    if isinstance(left, dt.date):
        delta = dt.timedelta(days=right)
        return left + delta if op == "+" else left - delta
    if isinstance(right, dt.date):
        return right + dt.timedelta(days=left)
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return None if right == 0 else left / right
    raise EvalError(f"unknown operator {op}")


# ---------------------------------------------------------------------------------------------
# Functions

def _filtered(arg: Expr, ctx: Context) -> Coll:
    if isinstance(arg, Where):
        coll = evaluate(arg.source, ctx)
        if coll is None:
            return Coll([])
        saved = (ctx.it, ctx.fields, ctx.parent)
        kept = []
        condition = arg.filter
        try:
            for entry in coll.entries:
                ctx.it = ctx.fields = entry[1]
                ctx.parent = entry[2] if entry[2] is not None else saved[2]
                if truthy(evaluate(condition, ctx)):
                    kept.append(entry)
        finally:
            ctx.it, ctx.fields, ctx.parent = saved
        return Coll(kept)
    coll = evaluate(arg, ctx)
    return coll if isinstance(coll, Coll) else Coll([])


def _numbers(values: Iterable[Any]) -> list[Any]:
    return [v for v in values if v is not None]


def _call(node: Call, ctx: Context) -> Any:
    name = node.func
    args = node.args
    if name == "count":
        # aggregates skip nulls: count(meetings.present) counts the meetings whose `present` is known
        return sum(1 for v in _filtered(args[0], ctx).values() if v is not None)
    if name == "len":
        if not isinstance(args[0], Where):
            value = evaluate(args[0], ctx)
            if isinstance(value, str):
                return len(value)
            if value is None:
                return 0
        return len(_filtered(args[0], ctx))
    if name == "sum":
        return sum(_numbers(_filtered(args[0], ctx).values()))
    if name in ("avg", "min", "max"):
        values = _numbers(_filtered(args[0], ctx).values())
        if not values:
            return None
        if name == "avg":
            return sum(values) / len(values)
        return min(values) if name == "min" else max(values)
    if name in ("any", "all"):
        coll = _filtered(args[0], ctx)
        if isinstance(args[0], Where):
            if name == "any":
                return len(coll) > 0
            return len(coll) == len(_filtered(args[0].source, ctx))
        values = coll.values()
        if values and all(isinstance(v, bool) or v is None for v in values):
            return any(truthy(v) for v in values) if name == "any" else all(truthy(v) for v in values)
        return len(values) > 0 if name == "any" else True
    if name == "distinct":
        return len({_hashable(v) for v in _filtered(args[0], ctx).values() if v is not None})
    if name == "ratio":
        a, b = evaluate(args[0], ctx), evaluate(args[1], ctx)
        if a is None or b is None or b == 0:
            return None
        return a / b
    if name == "abs":
        value = evaluate(args[0], ctx)
        return None if value is None else abs(value)
    if name == "add_years":
        day, years = evaluate(args[0], ctx), evaluate(args[1], ctx)
        if day is None or years is None:
            return None
        return add_years(day, int(years))
    if name == "in_period":
        day = evaluate(args[0], ctx)
        return day is not None and ctx.period["start"] <= day <= ctx.period["end"]
    if name == "contains_count":
        text = evaluate(args[0], ctx)
        words = evaluate(args[1], ctx)
        if not text or not isinstance(words, Coll):
            return 0
        return sum(1 for w in dict.fromkeys(words.values()) if w and w in text)
    if name == "similar_pairs":
        return _similar_pairs(node, ctx)
    if name == "similar_groups":
        return _similar_groups(node, ctx)
    if name in ("distinct_rules", "fired", "fired_any"):
        view = ctx.findings or FindingsView()
        if name == "distinct_rules":
            key, value_node, _ = node.kwargs[0]
            value = evaluate(value_node, ctx)
            if key == "tag":
                return view.distinct_rules(tag=value)
            return view.distinct_rules(ids=value.values() if isinstance(value, Coll) else ())
        target = evaluate(args[0], ctx)
        if target is None:
            return False
        return view.fired(target) if name == "fired" else view.fired_any(target)
    raise EvalError(f"unknown function {name}")


def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


# ---------------------------------------------------------------------------------------------
# Similarity (diagnostics.md "FM01 similarity")

MIN_SIMILARITY_LENGTH = 10


def normalise_text(text: str) -> str:
    """Remove whitespace and every Unicode punctuation or symbol character (digits kept)."""
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] not in ("P", "S"))


def trigrams(text: str) -> frozenset[str]:
    """The set of character 3-grams of a normalised text."""
    return frozenset(text[i:i + 3] for i in range(len(text) - 2))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two sets (0 when both are empty)."""
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def similarity(text_a: str, text_b: str) -> float | None:
    """Character 3-gram Jaccard of two minutes; None when either is shorter than 10 characters."""
    a, b = normalise_text(text_a or ""), normalise_text(text_b or "")
    if len(a) < MIN_SIMILARITY_LENGTH or len(b) < MIN_SIMILARITY_LENGTH:
        return None
    return jaccard(trigrams(a), trigrams(b))


def _similar_pair_list(node: Call, ctx: Context) -> tuple[list[object], list[dict]]:
    """The elements compared (input order) and their similar pairs {a, b, score} (`similar_pairs`, `similar_groups`)."""
    coll = _filtered(node.args[0], ctx)
    field_expr = node.kwarg("field")
    by_expr = node.kwarg("by")
    min_expr = node.kwarg("min")
    threshold = evaluate(min_expr, ctx) if min_expr is not None else 0.85
    prepared = []
    for value, elem, parent in coll.entries:
        sub = ctx.for_element(elem, parent)
        text = evaluate(field_expr, sub)
        norm = normalise_text(text) if isinstance(text, str) else ""
        if len(norm) < MIN_SIMILARITY_LENGTH:
            continue
        group = evaluate(by_expr, sub) if by_expr is not None else None
        prepared.append((value, group, trigrams(norm)))
    grams = [g for _value, _group, g in prepared]
    groups = [group for _value, group, _g in prepared] if by_expr is not None else None
    pairs = [{"a": prepared[i][0], "b": prepared[j][0], "score": round(score, 4)}
             for i, j, score in similar_index_pairs(grams, groups, threshold)]
    return [value for value, _group, _grams in prepared], pairs


EXACT_BELOW = 48       # this few texts are compared pair by pair


def similar_index_pairs(grams: list[frozenset[str]], groups: list[Any] | None,
                        threshold: float | None) -> list[tuple[int, int, float]]:
    """(i, j, Jaccard) for every i < j whose 3-gram sets are at least `threshold` similar (and in the
    same non-null group when `groups` is given), in (i, j) order.

    Sub-quadratic and exact (prefix filtering, as in AllPairs/PPJoin): with the grams ordered from
    rarest to commonest, two sets with Jaccard ≥ t share at least ⌈t·|x|⌉ grams, so they share a
    gram within the first |x| − ⌈t·|x|⌉ + 1 grams of each; only those candidates get the exact
    Jaccard, computed by the same `jaccard` as the pairwise method, whose results it equals."""
    if threshold is None or threshold <= 0 or len(grams) < EXACT_BELOW:
        return exact_index_pairs(grams, groups, threshold)
    frequency: dict[str, int] = {}
    for g in grams:
        for gram in g:
            frequency[gram] = frequency.get(gram, 0) + 1
    index: dict[str, list[int]] = {}
    out: list[tuple[int, int, float]] = []
    for j, g in enumerate(grams):
        size = len(g)
        # the epsilon keeps the prefix long enough whatever the rounding of threshold × size
        need = max(1, math.ceil(threshold * size - 1e-9))
        prefix = sorted(g, key=lambda gram: (frequency[gram], gram))[:max(0, size - need + 1)]
        candidates: set[int] = set()
        for gram in prefix:
            bucket = index.get(gram)
            if bucket is not None:
                candidates.update(bucket)
                bucket.append(j)
            else:
                index[gram] = [j]
        for i in candidates:
            if groups is not None and (groups[i] is None or groups[i] != groups[j]):
                continue
            score = jaccard(grams[i], g)
            if score >= threshold:
                out.append((i, j, score))
    out.sort(key=lambda t: (t[0], t[1]))
    return out


def exact_index_pairs(grams: list[frozenset[str]], groups: list[Any] | None,
                      threshold: float | None) -> list[tuple[int, int, float]]:
    """The pairwise method `similar_index_pairs` must equal: every pair compared."""
    out = []
    for i in range(len(grams)):
        for j in range(i + 1, len(grams)):
            if groups is not None and (groups[i] is None or groups[i] != groups[j]):
                continue
            score = jaccard(grams[i], grams[j])
            if threshold is None or score >= threshold:
                out.append((i, j, score))
    return out


def _similar_pairs(node: Call, ctx: Context) -> Coll:
    _elements, pairs = _similar_pair_list(node, ctx)
    return Coll([(pair, pair, None) for pair in pairs])


def _similar_groups(node: Call, ctx: Context) -> Coll:
    """Connected components of the similar pairs: each group's `items` in date order, its `pairs`, `size`, `score`."""
    elements, pairs = _similar_pair_list(node, ctx)
    position = {id(e): n for n, e in enumerate(elements)}
    root = list(range(len(elements)))

    def find(n: int) -> int:
        while root[n] != n:
            root[n] = root[root[n]]
            n = root[n]
        return n

    for pair in pairs:
        ra, rb = find(position[id(pair["a"])]), find(position[id(pair["b"])])
        if ra != rb:
            root[max(ra, rb)] = min(ra, rb)
    members: dict[int, dict[int, None]] = {}
    by_group: dict[int, list[dict]] = {}
    for pair in pairs:
        for side in ("a", "b"):
            n = position[id(pair[side])]
            members.setdefault(find(n), {})[n] = None
        by_group.setdefault(find(position[id(pair["a"])]), []).append(pair)
    groups = []
    for top, indexes in members.items():
        items = sorted((elements[n] for n in indexes), key=lambda e: (_date_key(e), position[id(e)]))
        own = by_group[top]
        scores = [p["score"] for p in own]
        groups.append({"items": items, "pairs": own, "size": len(items), "score": max(scores),
                       "min_score": min(scores)})
    groups.sort(key=lambda g: min(position[id(e)] for e in g["items"]))
    return Coll([(g, g, None) for g in groups])


def _date_key(element: object) -> str:
    """Sort key of a record by its `date` (ISO text sorts as dates; undated last)."""
    value = element.get("date") if isinstance(element, dict) else None
    return value.isoformat() if isinstance(value, dt.date) else "9999-99-99"
