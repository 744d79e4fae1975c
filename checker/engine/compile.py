"""Compiling a loaded pack: parse and type-check every expression, split each condition into
Python-computed atoms and a boolean skeleton, and emit the durable-rules JSON ruleset.

How a condition is split (packs.md "The checker compiles each condition once per run"):
- `and` / `or` / `not` form the skeleton; it becomes `$and` / `$or` in the engine (negations are
  pushed down to the atoms).
- A comparison `a OP b` of scalars is an atom whose operands `a` and `b` (aggregates, helpers,
  arithmetic, paths) are computed in Python as indicator values; the engine compares them. Dates
  are asserted as day numbers, booleans as 0/1. When an operand is null the comparison's outcome
  is fixed by the null rules and sent as a flag (`k`), so the engine never sees a null.
- Everything else that yields true/false (`in`, null tests, `any(…)`, `fired(…)`, a boolean field)
  is an atom computed in Python and asserted as 0/1.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2 import meta as jinja_meta
from jinja2 import nodes as jnodes

from checker import render
from checker.inputs import schema as S
from checker.errors import Location, PackError, ParameterError, Problem, TemplateError
from checker.expr import types as T
from checker.expr.nodes import BoolOp, Compare, Expr, Literal, Unary
from checker.expr.parser import ExprSyntaxError, parse
from checker.pack.loader import Pack, RuleSpec, Text, check_param_value
from checker.engine.durable import Engine
from checker.engine.ruleset import (MAX_FACT_FIELDS, RULESET, Counter, Group, Layout, PartPlan,
                                    StateAtom, atom_width, condition, count_tests, engine_value, fact_leaf,
                                    part_rules, scaffolding)
from checker.expr.evaluate import Context, evaluate
from checker.expr.nodes import Attr, Binary, Call, ListLit, Name

MAX_ALPHA_TESTS = 60          # durable-rules refuses > 64 alpha tests in one node (error 303)
MAX_ATOMS = 40


# ---------------------------------------------------------------------------------------------
# Compiled structures

@dataclass(frozen=True)
class Atom:
    """A leaf of a condition: a scalar comparison (`cmp`) or a Python-computed predicate (`pred`)."""

    index: int
    kind: str                      # "cmp" | "pred"
    node: Expr
    op: str | None = None
    left: Expr | None = None
    right: Expr | None = None
    literal: Any = None            # the constant the engine compares with: the right literal, or 0 (left − right)
    const_right: bool = False      # the right operand is a constant of the run (params, constants): folded into `literal`


@dataclass(frozen=True)
class Skel:
    """A node of the boolean skeleton: ("and"|"or", children), ("not", child) or ("atom", index)."""

    op: str
    children: tuple["Skel", ...] = ()
    atom: int = -1


@dataclass
class CompiledPart:
    """One part of a rule, ready to evaluate: its list to walk, its atoms and skeleton, its message."""

    index: int
    for_each: Expr | None
    for_each_text: str | None
    item_type: Any
    atoms: list[Atom]
    skeleton: Skel
    when: Expr
    when_text: str
    message: Any                   # jinja2.Template or None (then the rule's message is used)
    message_text: Text | None
    durable: dict                  # the part's condition as the engine matches it (for size checks and explain)
    applies: Expr | None = None    # a part-level applicability condition: false → the part is not applicable


@dataclass
class CompiledRule:
    """A rule with its expressions compiled."""

    spec: RuleSpec
    applies: Expr | None
    values: list[tuple[str, Expr, bool]]     # (name, expression, depends on the item)
    parts: list[CompiledPart]
    message: Any
    remedy: Any
    refs_used: list[tuple[str, Any]] = field(default_factory=list)   # composite references, for evidence
    dynamic_ref: bool = False      # uses fired(item.rule)-style references

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass
class CompiledPack:
    """A pack compiled for one run: parameters resolved, rules compiled, durable ruleset built."""

    pack: Pack
    params: dict[str, Any]
    param_sources: dict[str, str]
    constants: dict[str, Any]
    rules: list[CompiledRule]
    ruleset: dict
    layout: Layout = field(default_factory=lambda: Layout([], {}, [], {}))

    def rule(self, rule_id: str) -> CompiledRule:
        """The compiled rule `rule_id`."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


# ---------------------------------------------------------------------------------------------
# Compiling

class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.seen: set[tuple] = set()

    def add(self, location: Location, code: str, message: str) -> None:
        key = (location.file, location.line, location.col, code, message)
        if key not in self.seen:
            self.seen.add(key)
            self.items.append(Problem(location, code, message))


def resolve_params(pack: Pack, overrides: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Parameter values for a run: pack defaults (parents first), then `--param` overrides."""
    values = {name: decl.default for name, decl in pack.parameters.items()}
    sources = {name: f"规则包 {decl.origin}" for name, decl in pack.parameters.items()}
    for name, value in (overrides or {}).items():
        decl = pack.parameters.get(name)
        if decl is None:
            raise ParameterError(f"未知参数 {name}", [Problem(None, "unknown-parameter", f"规则包没有参数 {name}")])
        checked, error = check_param_value(decl, value)
        if error:
            raise ParameterError(error, [Problem(None, "bad-parameter", error)])
        values[name] = checked
        sources[name] = "命令行 --param"
    return values, sources


def compile_pack(pack: Pack, overrides: dict[str, Any] | None = None) -> CompiledPack:
    """Compile every enabled rule of `pack`; raise PackError listing every problem found."""
    params, sources = resolve_params(pack, overrides)
    constants = dict(T.BUILTIN_CONSTANTS)
    constants.update(pack.constants)
    problems = _Problems()
    compiled: list[CompiledRule] = []
    all_ids = set(pack.rules)
    for spec in pack.rules.values():
        rule = _compile_rule(spec, pack, constants, problems, all_ids)
        if rule is not None and spec.enabled:
            compiled.append(rule)
    if problems.items:
        raise PackError(f"规则包 {pack.id} 有 {len(problems.items)} 处错误", problems.items)
    compiled = [_folded(rule, params, constants) for rule in compiled]
    layout, ruleset = build_layout(compiled, params, constants)
    _check_engine_accepts(compiled, ruleset)
    return CompiledPack(pack, params, sources, constants, compiled, ruleset, layout)


def _check_engine_accepts(rules: list[CompiledRule], ruleset: dict) -> None:
    """Build the ruleset in a scratch engine so that engine limits are pack errors, not crashes at run time."""
    try:
        Engine(ruleset)
        return
    except Exception:      # durable-rules raises its own error type with a numeric code
        pass
    problems = _Problems()
    catch_all = {k: v for k, v in ruleset[RULESET].items() if k.startswith("__")}
    for rule in rules:
        for part in rule.parts:
            name = f"{rule.id}#{part.index}"
            mine = {k: v for k, v in ruleset[RULESET].items() if k in (name, "?" + name)}
            try:
                Engine({RULESET: {**mine, **catch_all}})
            except Exception as exc:
                where = rule.spec.parts[part.index].when.location() if part.index < len(rule.spec.parts) else rule.spec.location
                problems.add(where, "engine-limit",
                             f"规则引擎无法编译该条件（{exc}）：条件过于复杂，请把一部分写进 values，或拆分为 checks 的多个部分")
    if not problems.items:
        problems.add(rules[0].spec.location if rules else Location("<pack>", 1, 1), "engine-limit",
                     "规则引擎无法编译本规则包（规则过多或过于复杂）")
    raise PackError("规则包超出规则引擎的限制", problems.items)


def _param_scope_type(pack: Pack) -> T.MapT:
    fields = []
    for name, decl in pack.parameters.items():
        if decl.type == "list":
            fields.append((name, T.literal_type(decl.default)))
        else:
            fields.append((name, T.PARAM_TYPES[decl.type]))
    return T.MapT("参数", tuple(fields))


def _constants_types(constants: dict[str, Any]) -> dict[str, Any]:
    return {name: T.literal_type(value) for name, value in constants.items()}


def _parse(text: Text, problems: _Problems) -> Expr | None:
    try:
        return parse(text.value)
    except ExprSyntaxError as exc:
        problems.add(text.location(exc.pos), "syntax-error", f"表达式语法错误：{exc}")
        return None


def _typecheck(node: Expr, text: Text, scope: T.Scope, problems: _Problems, condition: bool) -> tuple[Any, T.Checker]:
    checker = T.Checker(scope)
    if condition:
        checker.check_condition(node)
        result = T.BOOL
    else:
        result = checker.check(node)
    for p in checker.problems:
        problems.add(text.location(p.pos), p.code, p.message)
    return result, checker


def _compile_rule(spec: RuleSpec, pack: Pack, constants: dict[str, Any], problems: _Problems,
                  all_ids: set[str]) -> CompiledRule | None:
    before = len(problems.items)
    const_types = _constants_types(constants)
    roots: dict[str, Any] = {"unit": T.RecT(S.UNIT), "params": _param_scope_type(pack), "period": T.PERIOD_TYPE}
    base_scope = T.Scope(dict(roots), T.RecT(S.UNIT), const_types, composite=spec.composite)

    applies = None
    if spec.applies is not None:
        applies = _parse(spec.applies, problems)
        if applies is not None:
            _typecheck(applies, spec.applies, base_scope, problems, condition=True)
            for call in _calls(applies, COMPOSITE_FUNCTIONS):
                # applies is decided before any rule has fired, so it would never see a finding
                problems.add(spec.applies.location(call.pos), "composite-only",
                             f"applies 中不能使用 {call.func}：适用条件在检查开始前判断，此时还没有任何发现")

    refs_used: list[tuple[str, Any]] = []
    dynamic = False
    parts: list[CompiledPart] = []
    part_scopes: list[tuple[T.Scope, bool]] = []
    parsed_values = {name: _parse(text, problems) for name, text in spec.values.items()}
    values_exprs = _values_with_dependency(parsed_values)

    for index, part in enumerate(spec.parts):
        scope = T.Scope(dict(roots), T.RecT(S.UNIT), const_types, composite=spec.composite)
        item_type = None
        for_each = None
        if part.for_each is not None:
            for_each = _parse(part.for_each, problems)
            if for_each is not None:
                t, _ = _typecheck(for_each, part.for_each, scope, problems, condition=False)
                if t is not None:
                    if not isinstance(t, T.CollT) or not isinstance(t.value, (T.RecT, T.MapT)):
                        problems.add(part.for_each.location(), "bad-for-each",
                                     f"for_each 应为记录列表（如 meetings、meetings.decisions、similar_pairs(…)），实际为{T.describe(t)}")
                    else:
                        item_type = t.value
                        scope.roots["item"] = t.value
                        if t.parent is not None:
                            scope.roots["parent"] = t.parent
        # values are typed in each part's scope (they may use `item`)
        value_types = []
        value_refs: list[tuple[str, Any, int, Text]] = []
        for name, text in spec.values.items():
            node = parsed_values.get(name)
            if node is None:
                continue
            scope.roots["values"] = T.MapT("values", tuple(value_types))
            vt, value_checker = _typecheck(node, text, scope, problems, condition=False)
            value_types.append((name, vt if vt is not None else T.ANY))
            value_refs.extend((kind, value, pos, text) for kind, value, pos in value_checker.used_rule_refs)
        scope.roots["values"] = T.MapT("values", tuple(value_types))

        when = _parse(part.when, problems)
        if when is None:
            continue
        _, checker = _typecheck(when, part.when, scope, problems, condition=True)
        # references in `values` count too: a composite whose condition reads `values.n` rests on them
        for kind, value, pos, text in [(k, v, p, part.when) for k, v, p in checker.used_rule_refs] + \
                (value_refs if index == 0 else []):
            if kind == "dynamic":
                dynamic = True
                continue
            if kind == "id" and value not in all_ids:
                problems.add(text.location(pos), "unknown-rule", f"规则 {value} 不存在")
            if (kind, value) not in refs_used:
                refs_used.append((kind, value))
        if spec.composite:
            _check_monotonic(when, part.when, problems, values_nodes={v[0]: v[1] for v in values_exprs})
        elif checker.used_rule_refs:
            problems.add(part.when.location(), "composite-only", "引用其他规则结果的条件只能用于 composite: true 的规则")
        atoms: list[Atom] = []
        skeleton = _skeleton(when, atoms, lambda node: T.Checker(scope).check(node))
        if len(atoms) > MAX_ATOMS:
            problems.add(part.when.location(), "engine-limit", f"条件过于复杂：{len(atoms)} 个比较，上限 {MAX_ATOMS}")
        message = None
        if part.message is not None:
            message = _compile_template(part.message, problems, scope)
        durable = condition(skeleton, atoms, "T", fact_leaf(0))
        tests = max(count_tests(durable), count_tests(condition(skeleton, atoms, "FD", fact_leaf(0))))
        if tests > MAX_ALPHA_TESTS:
            problems.add(part.when.location(), "engine-limit",
                         f"条件编译后有 {tests} 个测试，超过规则引擎单节点上限 {MAX_ALPHA_TESTS}，请拆分为 checks 的多个部分")
        part_scopes.append((scope, part.message is None))
        parts.append(CompiledPart(index, for_each, part.for_each.value if part.for_each else None, item_type, atoms,
                                  skeleton, when, part.when.value, message, part.message, durable))

    # The rule-level message/remedy must make sense in every part that uses them.
    message = remedy = None
    for part_scope, uses_rule_message in part_scopes or [(T.Scope(dict(roots), T.RecT(S.UNIT), const_types), True)]:
        if spec.message and uses_rule_message:
            message = _compile_template(spec.message, problems, part_scope)
        if spec.remedy:
            remedy = _compile_template(spec.remedy, problems, part_scope)
    for test in spec.tests:
        for rid in test.also + test.not_also:
            if rid not in all_ids:
                problems.add(test.location, "unknown-rule", f"测试 {spec.id}/{test.name} 的 also/not_also 引用了不存在的规则 {rid}")
        for name, value in test.params.items():
            if name not in pack.parameters:
                problems.add(test.location, "unknown-parameter", f"测试 {spec.id}/{test.name} 的 params 中没有参数 {name}")
                continue
            _, error = check_param_value(pack.parameters[name], value)
            if error:
                problems.add(test.location, "bad-parameter", f"测试 {spec.id}/{test.name} 的 params：{error}")
    if len(problems.items) > before:
        return None
    return CompiledRule(spec, applies, values_exprs, parts, message, remedy, refs_used, dynamic)


def _values_with_dependency(parsed: dict[str, Expr | None]) -> list[tuple[str, Expr, bool]]:
    """(name, expression, uses the item) for each value; a value using an item-dependent value uses the item."""
    from checker.expr.nodes import Attr, Name
    per_item: dict[str, bool] = {}
    out = []
    for name, node in parsed.items():
        if node is None:
            continue
        uses = False
        for sub in _walk(node):
            if isinstance(sub, Name) and sub.name in ("item", "parent"):
                uses = True
            elif isinstance(sub, Attr) and isinstance(sub.obj, Name) and sub.obj.name == "values" and per_item.get(sub.name):
                uses = True
        per_item[name] = uses
        out.append((name, node, uses))
    return out


def _walk(node: Any):
    yield node
    if hasattr(node, "__dataclass_fields__"):
        for name in node.__dataclass_fields__:
            child = getattr(node, name)
            if isinstance(child, tuple):
                for c in child:
                    if isinstance(c, tuple):      # call kwargs: (name, expr, pos)
                        yield from _walk(c[1])
                    elif hasattr(c, "__dataclass_fields__"):
                        yield from _walk(c)
            elif hasattr(child, "__dataclass_fields__"):
                yield from _walk(child)


def _check_monotonic(node: Expr, text: Text, problems: _Problems, negated: bool = False,
                     values_nodes: dict[str, Expr] | None = None) -> None:
    """Composite conditions may only grow true as findings arrive (they are chained, not re-checked).

    `values.x` is looked through to the expression of `x`, so `values.n < 3` with
    `n: distinct_rules(…)` is refused like `distinct_rules(…) < 3`.
    """
    from checker.expr.nodes import Call
    values_nodes = values_nodes or {}
    if isinstance(node, BoolOp):
        for o in node.operands:
            _check_monotonic(o, text, problems, negated, values_nodes)
        return
    if isinstance(node, Unary) and node.op == "not":
        _check_monotonic(node.operand, text, problems, not negated, values_nodes)
        return
    calls = list(_calls(node, COMPOSITE_FUNCTIONS, values_nodes))
    if not calls:
        return
    ok = not negated
    if isinstance(node, Compare):
        left, right = _through_values(node.left, values_nodes), _through_values(node.right, values_nodes)
        left_is = isinstance(left, Call) and left.func == "distinct_rules"
        right_is = isinstance(right, Call) and right.func == "distinct_rules"
        ok = ok and ((left_is and node.op in (">=", ">")) or (right_is and node.op in ("<=", "<")))
    elif not isinstance(_through_values(node, values_nodes), Call):
        ok = False
    if not ok:
        problems.add(text.location(node.pos), "non-monotonic",
                     "综合诊断的条件须随发现增多而成立：distinct_rules(…) 只能用 >= 或 > 与数值比较，fired/fired_any 不能取反")


COMPOSITE_FUNCTIONS = {"distinct_rules", "fired", "fired_any"}


def _values_ref(node: Any) -> str | None:
    from checker.expr.nodes import Attr, Name
    if isinstance(node, Attr) and isinstance(node.obj, Name) and node.obj.name == "values":
        return node.name
    return None


def _through_values(node: Any, values_nodes: dict[str, Expr], depth: int = 0) -> Any:
    """`values.x` replaced by the expression of `x` (values may refer to earlier values)."""
    name = _values_ref(node)
    if name is not None and name in values_nodes and depth < len(values_nodes) + 1:
        return _through_values(values_nodes[name], values_nodes, depth + 1)
    return node


def _calls(node: Any, names: set[str], values_nodes: dict[str, Expr] | None = None, depth: int = 0):
    from checker.expr.nodes import Call
    values_nodes = values_nodes or {}
    ref = _values_ref(node)
    if ref is not None:
        if ref in values_nodes and depth <= len(values_nodes):
            yield from _calls(values_nodes[ref], names, values_nodes, depth + 1)
        return
    if isinstance(node, Call):
        if node.func in names:
            yield node
        for a in node.args:
            yield from _calls(a, names, values_nodes, depth)
        for _, v, _ in node.kwargs:
            yield from _calls(v, names, values_nodes, depth)
    elif hasattr(node, "__dataclass_fields__"):
        for name in node.__dataclass_fields__:
            child = getattr(node, name)
            if isinstance(child, tuple):
                for c in child:
                    if hasattr(c, "__dataclass_fields__"):
                        yield from _calls(c, names, values_nodes, depth)
            elif hasattr(child, "__dataclass_fields__"):
                yield from _calls(child, names, values_nodes, depth)


# ---------------------------------------------------------------------------------------------
# Skeleton and atoms

_SCALAR_CMP = ("==", "!=", "<", "<=", ">", ">=")


def _skeleton(node: Expr, atoms: list[Atom], type_of) -> Skel:
    """Split a condition into its boolean skeleton and atoms (see the module docstring)."""
    if isinstance(node, BoolOp):
        return Skel(node.op, tuple(_skeleton(o, atoms, type_of) for o in node.operands))
    if isinstance(node, Unary) and node.op == "not":
        return Skel("not", (_skeleton(node.operand, atoms, type_of),))
    index = len(atoms)
    if isinstance(node, Compare) and node.op in _SCALAR_CMP and not _is_null(node.left) and not _is_null(node.right):
        lit = isinstance(node.right, Literal)
        # Two computed operands are compared as (left - right) OP 0, so the rule never needs a
        # field-to-field reference ($m): those go to the beta network, which allows only 32
        # expressions per node (ERR_EXPRESSION_LIMIT_EXCEEDED). Text has no difference: a
        # comparison of two computed texts is a Python predicate.
        if lit or {type_of(node.left), type_of(node.right)} <= {T.NUMBER, T.DATE, T.BOOL}:
            atoms.append(Atom(index, "cmp", node, node.op, node.left, node.right, node.right.value if lit else 0))
            return Skel("atom", atom=index)
    atoms.append(Atom(index, "pred", node))
    return Skel("atom", atom=index)


def _is_null(node: Expr) -> bool:
    return isinstance(node, Literal) and node.value is None


def _folded(rule: CompiledRule, params: dict[str, Any], constants: dict[str, Any]) -> CompiledRule:
    """Comparisons with a constant of the run (`params.x`, a pack constant) get it as their literal,
    so the engine compares with the threshold itself instead of a Python-computed difference."""
    for part in rule.parts:
        atoms = []
        for atom in part.atoms:
            if atom.kind == "cmp" and not isinstance(atom.right, Literal):
                known, value = constant_value(atom.right, params, constants)
                if known and value is not None and isinstance(value, (int, float, dt.date)):
                    atom = dataclasses.replace(atom, literal=value, const_right=True)
            atoms.append(atom)
        part.atoms = atoms
    return rule


def constant_value(node: Expr, params: dict[str, Any], constants: dict[str, Any]) -> tuple[bool, Any]:
    """(True, value) when `node` reads only literals, parameters and pack constants, else (False, None)."""
    if not _is_constant(node, constants):
        return False, None
    ctx = Context(unit={}, period={}, params=params, constants=constants, fields={})
    return True, evaluate(node, ctx)


def _is_constant(node: Expr, constants: dict[str, Any]) -> bool:
    from checker.expr.evaluate import _ROOTS
    if isinstance(node, Literal):
        return True
    if isinstance(node, Attr):
        return isinstance(node.obj, Name) and node.obj.name == "params"
    if isinstance(node, Name):
        return node.name not in _ROOTS and node.name in constants and not isinstance(constants[node.name], (list, tuple))
    if isinstance(node, Unary):
        return node.op == "-" and _is_constant(node.operand, constants)
    if isinstance(node, Binary):
        return _is_constant(node.left, constants) and _is_constant(node.right, constants)
    return False


def _state_atoms(rule: CompiledRule, part: CompiledPart, counter, params: dict, constants: dict) -> dict[int, StateAtom] | None:
    """A composite part on findings only, as conditions on state counters; None if it reads anything else."""
    if part.for_each is not None:
        return None
    values_nodes = {name: node for name, node, _ in rule.values}
    out: dict[int, StateAtom] = {}
    for atom in part.atoms:
        node = atom.node
        if atom.kind == "cmp":
            left, right = _through_values(atom.left, values_nodes), _through_values(atom.right, values_nodes)
            op = atom.op
            if isinstance(right, Call) and right.func == "distinct_rules":
                left, right, op = right, left, _MIRROR[op]
            if not (isinstance(left, Call) and left.func == "distinct_rules"):
                return None
            known, value = constant_value(right, params, constants)
            if not known or not isinstance(value, (int, float)) or isinstance(value, bool):
                return None
            key, arg, _ = left.kwargs[0]
            if key == "tag" and isinstance(arg, Literal):
                name = counter("tag", arg.value)
            elif key == "ids" and isinstance(arg, ListLit) and all(isinstance(i, Literal) for i in arg.items):
                name = counter("ids", tuple(i.value for i in arg.items))
            else:
                return None
            out[atom.index] = StateAtom(name, op, value)
            continue
        call = _through_values(node, values_nodes)
        if not (isinstance(call, Call) and call.func in ("fired", "fired_any") and isinstance(call.args[0], Literal)):
            return None
        name = counter("rule" if call.func == "fired" else "glob", call.args[0].value)
        out[atom.index] = StateAtom(name, ">", 0)
    return out


_MIRROR = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def build_layout(rules: list[CompiledRule], params: dict | None = None, constants: dict | None = None) -> tuple[Layout, dict]:
    """The fact layout (shared unit/item facts, counters) and the durable-rules ruleset of compiled rules."""
    params = params if params is not None else {}
    constants = constants if constants is not None else dict(T.BUILTIN_CONSTANTS)
    counters: dict[tuple, Counter] = {}

    def counter(kind: str, value: Any) -> str:
        if (kind, value) not in counters:
            counters[(kind, value)] = Counter(f"c{len(counters)}", kind, value)
        return counters[(kind, value)].name

    groups: dict[tuple, Group] = {}
    plans: dict[str, PartPlan] = {}
    key = 0
    for rule in rules:
        values_nodes = {name: node for name, node, _ in rule.values}
        for part in rule.parts:
            mode, state = "plain", None
            if rule.spec.composite:
                state = _state_atoms(rule, part, counter, params, constants)
                mode = "state" if state is not None else "fact"
            plan = PartPlan(rule.id, part.index, key, mode, state_atoms=state or {})
            key += 1
            plans[plan.name] = plan
            if mode == "state":
                continue
            if mode == "fact":
                plan.dynamic_atoms = frozenset(a.index for a in part.atoms
                                               if list(_calls(a.node, COMPOSITE_FUNCTIONS, values_nodes)))
            group = groups.setdefault((part.for_each_text, mode == "fact"),
                                      Group(len(groups), part.for_each_text, mode == "fact"))
            plan.group = group.index
            plan.width = sum(atom_width(a) for a in part.atoms)
            last = group.slots[-1] if group.slots else None
            if last is None or sum(p.width for p in last) + plan.width > MAX_FACT_FIELDS - 4:
                group.slots.append([])
            group.slots[-1].append(plan)
    slot_id = 0
    for group in groups.values():
        for parts in group.slots:
            group.slot_ids.append(slot_id)
            for plan in parts:
                plan.slot = slot_id
            slot_id += 1
    definitions: dict[str, Any] = {}
    by_name = {f"{r.id}#{p.index}": (r, p) for r in rules for p in r.parts}
    for name, plan in plans.items():
        _, part = by_name[name]
        definitions.update(part_rules(plan, part.skeleton, part.atoms))
    definitions.update(scaffolding())
    counter_list = list(counters.values())
    bumps = {r.id: tuple(c.name for c in counter_list if c.counts(r.id, r.spec.tags, r.spec.composite)) for r in rules}
    return Layout(list(groups.values()), plans, counter_list, bumps), {RULESET: definitions}


def build_ruleset(rules: list[CompiledRule]) -> dict:
    """The durable-rules JSON ruleset of compiled rules (see `build_layout`)."""
    return build_layout(rules)[1]


# ---------------------------------------------------------------------------------------------
# Templates

_TEMPLATE_ROOTS = {"unit", "item", "parent", "params", "values", "period"}


def _compile_template(text: Text | None, problems: _Problems, scope: T.Scope) -> Any:
    if text is None:
        return None
    try:
        # Compiled at line 1 so that the problem's line is the template's own line; it is mapped to
        # the file through the scalar's source (folded `>` and quoted scalars do not keep lines).
        template = render.compile_template(text.value, file=text.file, line=1, col=1)
    except TemplateError as exc:
        for p in exc.problems:
            value_line = p.location.line if p.location is not None and p.location.line else 1
            message = re.sub(r"^模板语法错误：第\d+行：", "模板语法错误：", p.message)   # the file line is in the location
            problems.add(text.location(_template_error_offset(text.value, value_line, p.message)), p.code, message)
        return None
    env = render.message_environment()
    try:
        ast = env.parse(text.value)
    except jinja2.TemplateSyntaxError:
        return template
    for name in sorted(jinja_meta.find_undeclared_variables(ast)):
        if name not in _TEMPLATE_ROOTS or (name in ("item", "parent") and name not in scope.roots):
            allowed = "、".join(sorted(r for r in _TEMPLATE_ROOTS if r not in ("item", "parent") or r in scope.roots))
            problems.add(text.location(_find_name(text.value, name)), "template-variable",
                         f"模板变量 {name} 不存在（可用：{allowed}）")
    for node in ast.find_all(jnodes.Getattr):
        chain = []
        cur: Any = node
        while isinstance(cur, jnodes.Getattr):
            chain.append(cur.attr)
            cur = cur.node
        if not isinstance(cur, jnodes.Name) or cur.name not in scope.roots or cur.name == "values":
            continue
        chain.reverse()
        checker = T.Checker(scope)
        base = scope.roots[cur.name]
        for attr in chain:
            try:
                base = checker.field_of(base, attr, 0, bare=False, scope=scope)
            except T.TypeCheckError:
                p = checker.problems[-1]
                problems.add(text.location(_find_name(text.value, attr)), "template-variable",
                             f"模板中 {cur.name}.{'.'.join(chain)}：{p.message}")
                break
    return template


def _template_error_offset(source: str, line: int, message: str) -> int:
    """Where in a template a syntax error on template line `line` sits: at the tag the message
    names (`'endfo'`, the unclosed `'if'`) if it is on that line or before it, else at the line's start."""
    lines = source.split("\n")
    line = min(max(line, 1), len(lines))
    start = sum(len(x) + 1 for x in lines[:line - 1])
    end = start + len(lines[line - 1])
    for name in re.findall(r"'(\w+)'", message):
        tags = list(re.finditer(r"\{%[-+]?\s*" + re.escape(name) + r"\b", source[:end]))
        if tags:
            return tags[-1].start()
    stripped = lines[line - 1]
    return start + (len(stripped) - len(stripped.lstrip()))


def _find_name(source: str, name: str) -> int:
    m = re.search(r"\b" + re.escape(name) + r"\b", source)
    return m.start() if m else 0
