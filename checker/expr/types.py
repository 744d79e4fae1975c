"""Static types of the condition language and the type checker that resolves every name.

The checker walks an expression in a `Scope` built from the record schema, the pack's parameters
and constants, and reports unknown fields, unknown functions and ill-typed operations (comparing a
date with a number, summing strings…) with the offset of the offending node. The same scope rules
are used by the evaluator, so what type-checks here means the same at run time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Iterable

from checker.inputs import schema as S
from checker.expr.nodes import Attr, BoolOp, Binary, Call, Compare, Expr, ListLit, Literal, Name, Unary, Where

# ---------------------------------------------------------------------------------------------
# Types


@dataclass(frozen=True)
class Prim:
    """A scalar type: number, string, boolean, date, null or any (unknown element of a list param)."""

    name: str

    def __str__(self) -> str:
        return {"number": "数值", "string": "字符串", "boolean": "布尔值", "date": "日期", "null": "null",
                "any": "任意值"}[self.name]


NUMBER = Prim("number")
STRING = Prim("string")
BOOL = Prim("boolean")
DATE = Prim("date")
NULL = Prim("null")
ANY = Prim("any")


@dataclass(frozen=True)
class RecT:
    """A record of the schema (unit, meeting, …)."""

    record: S.Record

    def __str__(self) -> str:
        return f"{self.record.label}记录"


@dataclass(frozen=True)
class MapT:
    """A fixed mapping such as `params`, `period` or `values`."""

    label: str
    fields: tuple[tuple[str, object], ...]

    def get(self, name: str):
        """The type of field `name`, or None."""
        for key, typ in self.fields:
            if key == name:
                return typ
        return None

    def names(self) -> list[str]:
        """All field names."""
        return [k for k, _ in self.fields]

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class CollT:
    """A list: `value` is what aggregates see, `elem` what a filter sees, `parent` the element's parent."""

    value: object
    elem: object
    parent: object | None = None

    def __str__(self) -> str:
        return f"列表（{self.value}）"


def pair_type(record_type: object) -> MapT:
    """The type of an element of `similar_pairs(…)` over records of `record_type`."""
    return MapT(f"{record_type}对", (("a", record_type), ("b", record_type), ("score", NUMBER)))


def group_type(record_type: object) -> MapT:
    """The type of an element of `similar_groups(…)` over records of `record_type`."""
    ptype = pair_type(record_type)
    return MapT(f"{record_type}组", (("items", CollT(record_type, record_type, None)), ("pairs", CollT(ptype, ptype, None)),
                                    ("size", NUMBER), ("score", NUMBER), ("min_score", NUMBER)))


def field_type(f: S.Field) -> object:
    """The expression type of a schema field."""
    return schema_type(f.type)


def schema_type(t: S.FieldType) -> object:
    """Map a schema type to an expression type."""
    if isinstance(t, S.Scalar):
        return {"string": STRING, "integer": NUMBER, "number": NUMBER, "boolean": BOOL, "date": DATE}[t.kind]
    if isinstance(t, S.ListOf):
        inner = schema_type(t.item)
        return CollT(inner, inner, None)
    return RecT(t)


PARAM_TYPES = {"number": NUMBER, "integer": NUMBER, "string": STRING, "boolean": BOOL, "date": DATE}

PERIOD_TYPE = MapT("期间", (("start", DATE), ("end", DATE), ("days", NUMBER), ("months", NUMBER),
                         ("quarters", NUMBER), ("year_long", BOOL)))

BUILTIN_CONSTANTS: dict[str, tuple[str, ...]] = {
    "PARTY_MEETINGS": S.PARTY_MEETINGS,
    "BUSINESS_MEETINGS": S.BUSINESS_MEETINGS,
    "COMMITTEE_MEETINGS": S.COMMITTEE_MEETINGS,
}


def literal_type(value: object) -> object:
    """The type of a Python constant (parameters, pack constants)."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    import datetime as _dt
    if isinstance(value, _dt.date):
        return DATE
    if isinstance(value, (list, tuple)):
        inner = ANY
        kinds = {literal_type(v) for v in value}
        if len(kinds) == 1:
            inner = kinds.pop()
        return CollT(inner, inner, None)
    return ANY


def describe(t: object) -> str:
    """A type in words for messages."""
    return str(t)


# ---------------------------------------------------------------------------------------------
# Scopes

RESERVED = ("unit", "item", "parent", "it", "params", "period", "values")


@dataclass
class Scope:
    """What names mean at one point of a condition."""

    roots: dict[str, object]                     # reserved roots available here
    fields: object | None                        # type whose fields bare names denote
    constants: dict[str, object]
    in_filter: bool = False
    composite: bool = False

    def child_for_element(self, coll: CollT) -> "Scope":
        """The scope inside `where` / element arguments: bare names are the element's fields."""
        roots = dict(self.roots)
        roots["it"] = coll.elem
        if coll.parent is not None:
            roots["parent"] = coll.parent
        return Scope(roots, coll.elem, self.constants, True, self.composite)


@dataclass(frozen=True)
class TypeProblem:
    """A type error at `pos` (0-based offset) with a stable code."""

    pos: int
    code: str
    message: str


class TypeCheckError(Exception):
    """Raised internally to abandon a sub-expression after its first problem."""


# ---------------------------------------------------------------------------------------------
# The checker

AGGREGATES = {"count", "sum", "avg", "min", "max", "any", "all", "len", "distinct"}
FUNCTIONS = AGGREGATES | {"ratio", "add_years", "in_period", "similar_pairs", "similar_groups", "contains_count", "abs",
                          "distinct_rules", "fired", "fired_any"}
COMPOSITE_ONLY = {"distinct_rules", "fired", "fired_any"}


@dataclass
class Checker:
    """Type-checks expressions; collects problems instead of stopping at the first one."""

    scope: Scope
    problems: list[TypeProblem] = field(default_factory=list)
    used_params: set[str] = field(default_factory=set)
    used_rule_refs: list[tuple[str, str, int]] = field(default_factory=list)   # (kind, value, pos): fired ids / globs / tags

    def check(self, node: Expr) -> object | None:
        """The type of `node`, or None after reporting a problem."""
        try:
            return self.visit(node, self.scope)
        except TypeCheckError:
            return None

    def check_condition(self, node: Expr) -> None:
        """Type-check a condition: it must be boolean."""
        t = self.check(node)
        if t is not None and t not in (BOOL, NULL, ANY):
            self.problems.append(TypeProblem(node.pos, "type-error", f"条件的结果应为真/假，实际为{describe(t)}"))

    def fail(self, pos: int, code: str, message: str):
        self.problems.append(TypeProblem(pos, code, message))
        raise TypeCheckError

    # -- visitors ------------------------------------------------------------------------------
    def visit(self, node: Expr, scope: Scope) -> object:
        method = getattr(self, "v_" + type(node).__name__)
        return method(node, scope)

    def v_Literal(self, node: Literal, scope: Scope) -> object:
        return literal_type(node.value)

    def v_ListLit(self, node: ListLit, scope: Scope) -> object:
        kinds = []
        for item in node.items:
            t = self.visit(item, scope)
            if isinstance(t, (CollT, RecT, MapT)):
                self.fail(item.pos, "type-error", "列表的元素应为简单值")
            if t != NULL:
                kinds.append(t)
        distinct = set(kinds)
        if len(distinct) > 1:
            self.fail(node.pos, "type-error", "列表中的值类型不一致：" + "、".join(sorted(map(describe, distinct))))
        inner = distinct.pop() if distinct else ANY
        return CollT(inner, inner, None)

    def v_Name(self, node: Name, scope: Scope) -> object:
        name = node.name
        if name in scope.roots:
            return scope.roots[name]
        if name in RESERVED:
            where = {"item": "只能在 for_each 规则中使用", "parent": "只能在嵌套 for_each 或嵌套列表的筛选条件中使用",
                     "it": "只能在 where 筛选条件中使用", "values": "本规则未定义 values"}
            self.fail(node.pos, "unknown-name", f"{name} {where.get(name, '此处不可用')}")
        if name in scope.constants:
            return scope.constants[name]
        return self.field_of(scope.fields, name, node.pos, bare=True, scope=scope)

    def v_Attr(self, node: Attr, scope: Scope) -> object:
        base = self.visit(node.obj, scope)
        return self.field_of(base, node.name, node.pos + (node.end - node.pos) - len(node.name), bare=False, scope=scope)

    def field_of(self, base: object, name: str, pos: int, *, bare: bool, scope: Scope) -> object:
        """The type of `base.name` (records: field; lists: projection or flattening)."""
        if isinstance(base, RecT):
            f = base.record.field(name)
            if f is None:
                self.unknown_field(base.record, [x.name for x in base.record.fields], name, pos, bare, scope)
            return field_type(f)
        if isinstance(base, MapT):
            t = base.get(name)
            if t is None and name not in base.names():
                self.unknown_in_map(base, name, pos)
            if base.label == "参数":
                self.used_params.add(name)
            return t if t is not None else ANY
        if isinstance(base, CollT):
            inner = self.field_of(base.value, name, pos, bare=False, scope=scope) if isinstance(base.value, (RecT, MapT)) else None
            if inner is None:
                self.fail(pos, "type-error", f"{describe(base.value)}的列表没有字段 {name}")
            if isinstance(inner, CollT):          # flatten a nested list: its elements' parent is the outer element
                return CollT(inner.value, inner.elem, base.value)
            return CollT(inner, base.elem, base.parent)   # project a field; filters still see the element
        if bare and (base is None or base in (NUMBER, STRING, BOOL, DATE)):
            self.fail(pos, "unknown-name", f"未知名称 {name}（此处元素为简单值，请用 it）")
        if base in (NULL, ANY):
            return ANY
        self.fail(pos, "type-error", f"{describe(base)}没有字段 {name}")
        raise AssertionError

    def unknown_field(self, record: S.Record, names: list[str], name: str, pos: int, bare: bool, scope: Scope):
        guess = get_close_matches(name, names + (list(scope.constants) if bare else []), n=1)
        hint = f"，是否应为 {guess[0]}？" if guess else ""
        where = "（筛选条件中的裸名称指元素的字段；单位字段请写 unit.{0}）".format(name) if bare and scope.in_filter else ""
        if bare and not name.isascii():
            # field names are English; a bare Chinese word is almost always a value missing its quotes
            where = f"（文字值请加引号，如 \"{name}\"）"
        self.fail(pos, "unknown-field", f"{record.label}记录没有字段 {name}{hint}{where}")

    @staticmethod
    def shadow_hint(node: Expr, scope: Scope) -> str:
        """A hint when a reserved root (e.g. `period`) hides an element field of the same name."""
        if isinstance(node, Name) and node.name in RESERVED and isinstance(scope.fields, RecT) \
                and scope.fields.record.field(node.name) is not None:
            return f"（{node.name} 指保留名称；元素自己的 {node.name} 字段请写 it.{node.name}）"
        return ""

    def unknown_in_map(self, base: MapT, name: str, pos: int):
        guess = get_close_matches(name, base.names(), n=1)
        hint = f"，是否应为 {guess[0]}？" if guess else ""
        code = "unknown-parameter" if base.label == "参数" else "unknown-field"
        self.fail(pos, code, f"{base.label}中没有 {name}{hint}")

    def v_Where(self, node: Where, scope: Scope) -> object:
        self.fail(node.pos, "syntax-error", "where 只能用在 count/sum/any/all 等聚合函数的第一个参数中")

    def v_Unary(self, node: Unary, scope: Scope) -> object:
        t = self.visit(node.operand, scope)
        if node.op == "not":
            self.expect_bool(t, node.operand.pos)
            return BOOL
        if t not in (NUMBER, NULL, ANY):
            self.fail(node.pos, "type-error", f"负号只能用于数值，实际为{describe(t)}")
        return NUMBER

    def v_BoolOp(self, node: BoolOp, scope: Scope) -> object:
        for operand in node.operands:
            try:
                self.expect_bool(self.visit(operand, scope), operand.pos)
            except TypeCheckError:
                pass
        return BOOL

    def both(self, left: Expr, right: Expr, scope: Scope) -> tuple[object, object]:
        """Types of both operands; a problem in the left one does not hide a problem in the right one."""
        types = []
        failed = False
        for side in (left, right):
            try:
                types.append(self.visit(side, scope))
            except TypeCheckError:
                failed = True
        if failed:
            raise TypeCheckError
        return types[0], types[1]

    def expect_bool(self, t: object, pos: int) -> None:
        if t not in (BOOL, NULL, ANY):
            self.fail(pos, "type-error", f"此处应为真/假条件，实际为{describe(t)}")

    def v_Binary(self, node: Binary, scope: Scope) -> object:
        left, right = self.both(node.left, node.right, scope)
        op = node.op
        if left in (NULL, ANY) or right in (NULL, ANY):
            other = right if left in (NULL, ANY) else left
            if other == DATE and op in "+-":
                return ANY
            return NUMBER if other in (NUMBER, NULL, ANY) else other
        if left == NUMBER and right == NUMBER:
            return NUMBER
        if op == "-" and left == DATE and right == DATE:
            return NUMBER
        if op in "+-" and left == DATE and right == NUMBER:
            return DATE
        if op == "+" and left == NUMBER and right == DATE:
            return DATE
        self.fail(node.pos, "type-error", f"不能对{describe(left)}和{describe(right)}做 “{op}” 运算"
                  + ("（日期只能加减天数，或两个日期相减得天数）" if DATE in (left, right) else ""))
        raise AssertionError

    def v_Compare(self, node: Compare, scope: Scope) -> object:
        left, right = self.both(node.left, node.right, scope)
        op = node.op
        if op in ("in", "not in"):
            if isinstance(right, CollT):
                if not _comparable(left, right.value):
                    self.fail(node.pos, "type-error", f"{describe(left)}不能与{describe(right)}的元素比较")
                return BOOL
            if right == STRING and left in (STRING, NULL, ANY):
                return BOOL    # substring test
            self.fail(node.right.pos, "type-error", f"in 的右边应为列表或字符串，实际为{describe(right)}")
        for side, t in ((node.left, left), (node.right, right)):
            if isinstance(t, (CollT, RecT, MapT)):
                hint = self.shadow_hint(side, scope) or "（请用 count/len/any 等函数）"
                self.fail(side.pos, "type-error", f"不能直接比较{describe(t)}{hint}")
        if not _comparable(left, right):
            self.fail(node.pos, "type-error", f"不能比较{describe(left)}和{describe(right)}")
        if op not in ("==", "!=") and BOOL in (left, right):
            self.fail(node.pos, "type-error", "真/假值只能用 == 或 != 比较")
        return BOOL

    # -- functions -----------------------------------------------------------------------------
    def v_Call(self, node: Call, scope: Scope) -> object:
        name = node.func
        if name not in FUNCTIONS:
            guess = get_close_matches(name, sorted(FUNCTIONS), n=1)
            hint = f"，是否应为 {guess[0]}？" if guess else ""
            self.fail(node.pos, "unknown-function", f"未知函数 {name}{hint}")
        if name in COMPOSITE_ONLY and not scope.composite:
            self.fail(node.pos, "composite-only", f"{name} 只能用于综合诊断规则（composite: true）")
        return getattr(self, "f_" + name)(node, scope)

    def arity(self, node: Call, n: int, kw: Iterable[str] = ()) -> None:
        allowed = set(kw)
        for key, _, pos in node.kwargs:
            if key not in allowed:
                self.fail(pos, "bad-argument", f"{node.func} 没有名为 {key} 的参数"
                          + (f"（可用：{'、'.join(sorted(allowed))}）" if allowed else ""))
        if len(node.args) != n:
            self.fail(node.pos, "bad-argument", f"{node.func} 需要 {n} 个位置参数，实际 {len(node.args)} 个")

    def coll_arg(self, node: Call, scope: Scope) -> tuple[CollT, Scope | None]:
        """Type the first argument as a list, with its optional `where` filter."""
        arg = node.args[0]
        source = arg.source if isinstance(arg, Where) else arg
        t = self.visit(source, scope)
        if not isinstance(t, CollT):
            self.fail(source.pos, "type-error", f"{node.func} 的参数应为列表，实际为{describe(t)}")
        inner = scope.child_for_element(t)
        if isinstance(arg, Where):
            ft = self.visit(arg.filter, inner)
            self.expect_bool(ft, arg.filter.pos)
        return t, inner

    def no_where(self, node: Call) -> None:
        for arg in node.args:
            if isinstance(arg, Where):
                self.fail(arg.pos, "syntax-error", f"{node.func} 不接受 where 筛选")

    def f_count(self, node: Call, scope: Scope) -> object:
        self.arity(node, 1)
        self.coll_arg(node, scope)
        return NUMBER

    def f_len(self, node: Call, scope: Scope) -> object:
        self.arity(node, 1)
        arg = node.args[0]
        if not isinstance(arg, Where):
            t = self.visit(arg, scope)
            if t in (STRING, NULL, ANY):
                return NUMBER
            if not isinstance(t, CollT):
                self.fail(arg.pos, "type-error", f"len 的参数应为列表或字符串，实际为{describe(t)}")
            return NUMBER
        self.coll_arg(node, scope)
        return NUMBER

    def f_distinct(self, node: Call, scope: Scope) -> object:
        self.arity(node, 1)
        t, _ = self.coll_arg(node, scope)
        if isinstance(t.value, (RecT, MapT, CollT)):
            self.fail(node.args[0].pos, "type-error", "distinct 的参数应为简单值的列表（如 leaders.party_role）")
        return NUMBER

    def _numeric(self, node: Call, scope: Scope, allow_date: bool) -> object:
        self.arity(node, 1)
        t, _ = self.coll_arg(node, scope)
        ok = (NUMBER, ANY) + ((DATE,) if allow_date else ())
        if t.value not in ok:
            self.fail(node.args[0].pos, "type-error", f"{node.func} 的参数应为数值列表（如 trainings.hours），实际为{describe(t)}")
        return t.value if t.value != ANY else NUMBER

    def f_sum(self, node: Call, scope: Scope) -> object:
        return self._numeric(node, scope, False)

    def f_avg(self, node: Call, scope: Scope) -> object:
        self._numeric(node, scope, False)
        return NUMBER

    def f_min(self, node: Call, scope: Scope) -> object:
        return self._numeric(node, scope, True)

    def f_max(self, node: Call, scope: Scope) -> object:
        return self._numeric(node, scope, True)

    def f_any(self, node: Call, scope: Scope) -> object:
        self.arity(node, 1)
        t, _ = self.coll_arg(node, scope)
        if not isinstance(node.args[0], Where) and t.value not in (BOOL, ANY) and not isinstance(t.value, (RecT, MapT)):
            self.fail(node.args[0].pos, "type-error", f"{node.func} 需要 where 条件或真/假值的列表")
        return BOOL

    f_all = f_any

    def f_ratio(self, node: Call, scope: Scope) -> object:
        self.arity(node, 2)
        self.no_where(node)
        for arg in node.args:
            t = self.visit(arg, scope)
            if t not in (NUMBER, NULL, ANY):
                self.fail(arg.pos, "type-error", f"ratio 的参数应为数值，实际为{describe(t)}")
        return NUMBER

    def f_abs(self, node: Call, scope: Scope) -> object:
        self.arity(node, 1)
        self.no_where(node)
        t = self.visit(node.args[0], scope)
        if t not in (NUMBER, NULL, ANY):
            self.fail(node.args[0].pos, "type-error", f"abs 的参数应为数值，实际为{describe(t)}")
        return NUMBER

    def f_add_years(self, node: Call, scope: Scope) -> object:
        self.arity(node, 2)
        self.no_where(node)
        d = self.visit(node.args[0], scope)
        n = self.visit(node.args[1], scope)
        if d not in (DATE, NULL, ANY):
            self.fail(node.args[0].pos, "type-error", f"add_years 的第一个参数应为日期，实际为{describe(d)}")
        if n not in (NUMBER, NULL, ANY):
            self.fail(node.args[1].pos, "type-error", f"add_years 的第二个参数应为年数，实际为{describe(n)}")
        return DATE

    def f_in_period(self, node: Call, scope: Scope) -> object:
        self.arity(node, 1)
        self.no_where(node)
        d = self.visit(node.args[0], scope)
        if d not in (DATE, NULL, ANY):
            self.fail(node.args[0].pos, "type-error", f"in_period 的参数应为日期，实际为{describe(d)}")
        return BOOL

    def f_contains_count(self, node: Call, scope: Scope) -> object:
        self.arity(node, 2)
        self.no_where(node)
        text = self.visit(node.args[0], scope)
        words = self.visit(node.args[1], scope)
        if text not in (STRING, NULL, ANY):
            self.fail(node.args[0].pos, "type-error", f"contains_count 的第一个参数应为文本，实际为{describe(text)}")
        if not isinstance(words, CollT) or words.value not in (STRING, ANY):
            self.fail(node.args[1].pos, "type-error", f"contains_count 的第二个参数应为词语列表，实际为{describe(words)}")
        return NUMBER

    def f_similar_pairs(self, node: Call, scope: Scope) -> object:
        ptype = pair_type(self.similarity_args(node, scope, "similar_pairs"))
        return CollT(ptype, ptype, None)

    def f_similar_groups(self, node: Call, scope: Scope) -> object:
        gtype = group_type(self.similarity_args(node, scope, "similar_groups"))
        return CollT(gtype, gtype, None)

    def similarity_args(self, node: Call, scope: Scope, name: str) -> object:
        """Check the arguments of `similar_pairs` / `similar_groups`; the type of the records compared."""
        self.arity(node, 1, ("by", "field", "min"))
        t, inner = self.coll_arg(node, scope)
        if not isinstance(t.value, RecT):
            self.fail(node.args[0].pos, "type-error", f"{name} 的第一个参数应为记录列表（如 meetings）")
        field_expr = node.kwarg("field")
        if field_expr is None:
            self.fail(node.pos, "bad-argument", f"{name} 需要 field: 参数（比较哪个文本字段）")
        ft = self.visit(field_expr, inner)
        if ft not in (STRING, NULL, ANY):
            self.fail(field_expr.pos, "type-error", f"{name} 的 field 应为文本字段，实际为{describe(ft)}")
        by = node.kwarg("by")
        if by is not None:
            bt = self.visit(by, inner)
            if isinstance(bt, (CollT, RecT, MapT)):
                self.fail(by.pos, "type-error", f"{name} 的 by 应为简单字段（如 type）")
        threshold = node.kwarg("min")
        if threshold is not None and self.visit(threshold, scope) not in (NUMBER, ANY):
            self.fail(threshold.pos, "type-error", f"{name} 的 min 应为 0–1 的数值")
        return t.value

    def f_distinct_rules(self, node: Call, scope: Scope) -> object:
        self.arity(node, 0, ("tag", "ids"))
        if len(node.kwargs) != 1:
            self.fail(node.pos, "bad-argument", "distinct_rules 需要且只需要 tag: 或 ids: 之一")
        key, value, pos = node.kwargs[0]
        t = self.visit(value, scope)
        if key == "tag":
            if t not in (STRING,):
                self.fail(value.pos, "type-error", "distinct_rules 的 tag 应为字符串")
            if isinstance(value, Literal):
                self.used_rule_refs.append(("tag", value.value, value.pos))
        else:
            if not isinstance(t, CollT) or t.value not in (STRING, ANY):
                self.fail(value.pos, "type-error", "distinct_rules 的 ids 应为规则编号列表")
            if isinstance(value, ListLit):
                for item in value.items:
                    if isinstance(item, Literal):
                        self.used_rule_refs.append(("id", item.value, item.pos))
        return NUMBER

    def f_fired(self, node: Call, scope: Scope) -> object:
        self.arity(node, 1)
        self.no_where(node)
        t = self.visit(node.args[0], scope)
        if t not in (STRING, ANY):
            self.fail(node.args[0].pos, "type-error", f"{node.func} 的参数应为规则编号字符串，实际为{describe(t)}")
        arg = node.args[0]
        if isinstance(arg, Literal):
            self.used_rule_refs.append(("glob" if node.func == "fired_any" else "id", arg.value, arg.pos))
        else:
            self.used_rule_refs.append(("dynamic", "", arg.pos))
        return BOOL

    f_fired_any = f_fired


def _comparable(a: object, b: object) -> bool:
    if a in (NULL, ANY) or b in (NULL, ANY):
        return True
    return a == b
