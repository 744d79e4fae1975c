"""`pbcheck explain ID`: one rule exactly as its pack defines it, for the terminal (Rich).

Everything comes from the loaded pack (the single source of truth): title, severity and deadline,
tags, references, description, `applies`, each part's `for_each`/`when` as written, `values`, the
parameters the rule uses with their current values and where each value comes from (the default
pack, a child pack, `--param`), the message and remedy templates, and the rule's test cases.
`checker.pack.docs` renders the same `RuleView` as Markdown for the generated rule reference.
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Iterable

import jinja2
from jinja2 import nodes as jnodes
from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text as RichText

from checker import render
from checker.errors import UsageError
from checker.expr.nodes import Attr, Name
from checker.expr.parser import ExprSyntaxError, parse
from checker.pack.loader import Pack, ParamDecl, RuleSpec, Text

PARAM_TYPE_LABELS = {"number": "数值", "integer": "整数", "string": "文字", "boolean": "是/否", "date": "日期", "list": "列表"}
CLI_SOURCE = "命令行 --param"


@dataclass(frozen=True)
class ParamUse:
    """A parameter a rule uses: its current value and where that value was set."""

    name: str
    title: str
    type: str
    value: Any
    source: str
    earlier: tuple[tuple[str, Any], ...]     # values set before the current one: (pack id or --param, value)
    minimum: float | None
    maximum: float | None


@dataclass(frozen=True)
class PartView:
    """One diagnosis part: its list to walk and its condition, as written."""

    for_each: str | None
    when: str
    message: str | None


@dataclass(frozen=True)
class CaseView:
    """One test case of the rule."""

    name: str
    description: str
    fires: int
    also: tuple[str, ...]
    not_also: tuple[str, ...]
    params: tuple[tuple[str, Any], ...]
    status: str | None


@dataclass(frozen=True)
class RuleView:
    """Everything `explain` and the rule reference show about one rule."""

    id: str
    title: str
    severity: str
    deadline_days: int | None
    tags: tuple[str, ...]
    refs: tuple[str, ...]
    description: str
    pack_id: str
    file: str                      # the rule file's name inside its pack
    line: int | None
    enabled: bool
    composite: bool
    history: bool
    applies: str | None
    parts: tuple[PartView, ...]
    values: tuple[tuple[str, str], ...]
    params: tuple[ParamUse, ...]
    message: str | None
    remedy: str | None
    tests: tuple[CaseView, ...]
    dimension: str | None = None   # the 融合度指数 dimension, e.g. "同规划（plan）"; None: in none


# ---------------------------------------------------------------------------------------------
# Building the view

def find_rule(pack: Pack, rule_id: str) -> RuleSpec:
    """The rule `rule_id` of the pack (case-insensitive); an unknown id is a UsageError with a suggestion."""
    if rule_id in pack.rules:
        return pack.rules[rule_id]
    folded = {rid.upper(): rid for rid in pack.rules}
    if rule_id.upper() in folded:
        return pack.rules[folded[rule_id.upper()]]
    guess = get_close_matches(rule_id.upper(), list(folded), n=3, cutoff=0.5)
    hint = "；是否应为 " + "、".join(folded[g] for g in guess) + "？" if guess else ""
    raise UsageError(f"规则包 {pack.id} 中没有规则 {rule_id}{hint}（pbcheck rules 列出全部规则）")


def rule_view(pack: Pack, rule: RuleSpec, params: dict[str, Any] | None = None) -> RuleView:
    """The view of one rule with the pack's parameter values, `params` (from `--param`) applied on top."""
    params = params or {}
    parts = tuple(PartView(written(p.for_each), written(p.when), written(p.message)) for p in rule.parts)
    used = set(used_parameters(rule))
    uses = tuple(param_use(pack, decl, params) for name, decl in pack.parameters.items() if name in used)
    tests = tuple(CaseView(c.name, c.description, c.fires, c.also, c.not_also, tuple(c.params.items()), c.status)
                  for c in rule.tests)
    return RuleView(
        id=rule.id, title=rule.title, severity=rule.severity, deadline_days=pack.severities.get(rule.severity),
        tags=rule.tags, refs=rule.refs, description=prose(rule.description), pack_id=rule.pack_id,
        file=Path(rule.file).name, line=rule.location.line, enabled=rule.enabled, composite=rule.composite,
        history=rule.history, applies=written(rule.applies), parts=parts,
        values=tuple((name, written(text)) for name, text in rule.values.items()), params=uses,
        message=written(rule.message), remedy=written(rule.remedy), tests=tests, dimension=dimension_label(pack, rule))


def dimension_label(pack: Pack, rule: RuleSpec) -> str | None:
    """The rule's 融合度指数 dimension as `name（id）`; None when the pack has no index or the rule is in none."""
    dim = pack.index.dimension_of(rule.id) if pack.index is not None else None
    return f"{dim.name}（{dim.id}）" if dim is not None else None


def dimension_text(view: RuleView) -> str:
    """What explain and the reference print for the dimension."""
    if view.dimension:
        return view.dimension
    return "不计入（综合诊断概括其他规则的发现）" if view.composite else "不属于任何维度"


_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")


def prose(text: str) -> str:
    """Running text from a pack: blanks collapsed, and no blank where YAML folded a line between two
    Chinese characters (a folded `>` scalar turns each line break into a space)."""
    return _CJK_GAP.sub("", " ".join(text.split()))


def written(text: Text | None) -> str | None:
    """A pack text as its author wrote it: block scalars (`>`, `|`) and multi-line plain scalars keep their
    line breaks and relative indentation (YAML folds them into spaces); quoted scalars show their value."""
    if text is None:
        return None
    span = text.span
    if span is None or not text.doc_text or span.style in ("'", '"'):
        return text.value
    raw = text.doc_text[span.start:span.end]
    if span.style in (">", "|"):
        body = raw.split("\n", 1)[1] if "\n" in raw else ""
        return textwrap.dedent(body).strip("\n") or text.value
    lines = raw.rstrip().split("\n")
    if len(lines) == 1:
        return text.value
    return lines[0].strip() + "\n" + textwrap.dedent("\n".join(lines[1:]))


def param_use(pack: Pack, decl: ParamDecl, params: dict[str, Any]) -> ParamUse:
    """The current value of a parameter and its origin: the root pack, a child pack, or `--param`."""
    history = decl.history or ((decl.origin, decl.default),)
    if decl.name in params:
        return ParamUse(decl.name, decl.title, decl.type, params[decl.name], CLI_SOURCE, history,
                        decl.minimum, decl.maximum)
    return ParamUse(decl.name, decl.title, decl.type, decl.default, pack_source(pack, decl.origin), history[:-1],
                    decl.minimum, decl.maximum)


def pack_source(pack: Pack, origin: str) -> str:
    """Where a pack-set value comes from, in words: the pack itself, a parent pack, or the only pack."""
    if len(pack.chain) == 1:
        return f"规则包 {origin}"
    if origin == pack.id:
        return f"本规则包 {origin}"
    return f"上级规则包 {origin}"


def used_parameters(rule: RuleSpec) -> list[str]:
    """Names of the parameters a rule refers to (`params.x` in its expressions and templates), each once."""
    names: list[str] = []
    expressions = [rule.applies] + list(rule.values.values())
    for part in rule.parts:
        expressions += [part.for_each, part.when]
    for text in expressions:
        if text is not None:
            _add(names, _expression_params(text.value))
    templates = [rule.message] + [part.message for part in rule.parts] + [rule.remedy]
    for text in templates:
        if text is not None:
            _add(names, _template_params(text.value))
    return names


def _add(names: list[str], found: Iterable[str]) -> None:
    for name in found:
        if name not in names:
            names.append(name)


_PARAM_PATTERN = re.compile(r"\bparams\.([A-Za-z_]\w*)")


def _expression_params(source: str) -> list[str]:
    try:
        node = parse(source)
    except ExprSyntaxError:
        return _PARAM_PATTERN.findall(source)        # a broken condition still shows what it mentions
    found: list[tuple[int, str]] = []
    _walk_params(node, found)
    return [name for _, name in sorted(found)]


def _walk_params(node: Any, found: list[tuple[int, str]]) -> None:
    if isinstance(node, Attr) and isinstance(node.obj, Name) and node.obj.name == "params":
        found.append((node.pos, node.name))
    elif isinstance(node, tuple):                   # child nodes, and call arguments (name, expr, pos)
        for child in node:
            _walk_params(child, found)
    elif hasattr(node, "__dataclass_fields__"):
        for field_name in node.__dataclass_fields__:
            _walk_params(getattr(node, field_name), found)


def _template_params(source: str) -> list[str]:
    try:
        ast = render.message_environment().parse(source)
    except jinja2.TemplateSyntaxError:
        return _PARAM_PATTERN.findall(source)
    found: list[str] = []
    for node in ast.find_all((jnodes.Getattr, jnodes.Getitem)):
        if not (isinstance(node.node, jnodes.Name) and node.node.name == "params"):
            continue
        if isinstance(node, jnodes.Getattr):
            found.append(node.attr)
        elif isinstance(node.arg, jnodes.Const) and isinstance(node.arg.value, str):
            found.append(node.arg.value)           # params["x"]
    return found


# ---------------------------------------------------------------------------------------------
# Words shared by the terminal and Markdown renderings

def value_text(value: Any) -> str:
    """A parameter or test value as people read it: lists with 、, dates ISO, floats without noise."""
    if isinstance(value, bool):
        return "是" if value else "否"
    return render.display_text(value)


def severity_text(view: RuleView) -> str:
    """`中（整改时限 60 天）`."""
    if view.deadline_days is None:
        return view.severity
    return f"{view.severity}（整改时限 {view.deadline_days} 天）"


def status_text(view: RuleView) -> str:
    """Whether the rule runs in this pack."""
    return "启用" if view.enabled else "已停用（本规则包 overrides 中 enabled: false）"


def kind_text(view: RuleView) -> str:
    """What kind of rule it is, in words."""
    if view.history:
        return "运行历史规则：由本单位以往各次检查的结果判定（history: true），不对记录求条件"
    if view.composite:
        return "综合诊断：依据本单位其他规则的发现判定（composite: true）"
    per_item = [p.for_each is not None for p in view.parts]
    if per_item and all(per_item):
        return "逐项检查：每个符合条件的项目一条发现"
    if any(per_item):
        return "分部分检查：单位部分每个单位至多一条发现，逐项部分每个符合条件的项目一条发现"
    return "单位检查：每个单位至多一条发现"


def param_value_text(use: ParamUse) -> str:
    """The current value with its bounds, e.g. `0.9（0–1）`."""
    text = value_text(use.value)
    if use.minimum is not None or use.maximum is not None:
        lo = "" if use.minimum is None else value_text(use.minimum)
        hi = "" if use.maximum is None else value_text(use.maximum)
        text += f"（{lo}–{hi}）"
    return text


def param_source_text(use: ParamUse) -> str:
    """Where the value comes from, with the values it replaced, e.g. `本规则包 x（party-business-integration 中为 0.8）`."""
    if not use.earlier:
        return use.source
    before = "，".join(f"{pack_id} 中为 {value_text(value)}" for pack_id, value in use.earlier)
    return f"{use.source}（{before}）"


def case_expectation(case: CaseView) -> str:
    """What a case expects, in words: `发现 1 条；同时触发 FM03`."""
    parts = [f"发现 {case.fires} 条"]
    if case.also:
        parts.append("同时触发 " + "、".join(case.also))
    if case.not_also:
        parts.append("不触发 " + "、".join(case.not_also))
    if case.status:
        parts.append(f"检查结果 {case.status}")
    if case.params:
        parts.append("参数 " + "，".join(f"{k}={value_text(v)}" for k, v in case.params))
    return "；".join(parts)


# ---------------------------------------------------------------------------------------------
# Terminal rendering

def _section(title: str) -> RichText:
    return RichText(f"\n{title}", style="bold")


def _block(text: str) -> RichText:
    """User text shown as written (never interpreted as Rich markup), indented."""
    return RichText("\n".join("  " + line for line in text.rstrip("\n").split("\n")))


def renderables(view: RuleView) -> list[RenderableType]:
    """The rule as Rich renderables for `pbcheck explain`."""
    out: list[RenderableType] = [Rule(RichText(f"{view.id} {view.title}", style="bold"), align="left")]
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
    facts.add_row("严重程度", RichText(severity_text(view)))
    facts.add_row("标签", RichText("、".join(view.tags) or "（无）"))
    facts.add_row("类型", RichText(kind_text(view)))
    facts.add_row("状态", RichText(status_text(view)))
    facts.add_row("融合度维度", RichText(dimension_text(view)))
    where = f"{view.file}" + (f" 第 {view.line} 行" if view.line else "")
    facts.add_row("定义于", RichText(f"规则包 {view.pack_id} · {where}"))
    if view.refs:
        facts.add_row("依据", RichText("\n".join(f"• {r}" for r in view.refs)))
    out.append(facts)
    if view.description:
        out += [_section("说明"), _block(view.description)]
    out += [_section("适用条件（applies）"), _block(view.applies if view.applies else "始终适用")]
    if view.history:
        out += [_section("判定方式"), _block("由运行历史判定：本单位以往检查中出现、后来消失、本次再次出现的问题。")]
    for index, part in enumerate(view.parts, start=1):
        title = "检查条件" if len(view.parts) == 1 else f"检查条件 第 {index} 部分"
        out.append(_section(title))
        out.append(_block(f"逐项（for_each）：{part.for_each}" if part.for_each else "对象：整个单位"))
        out.append(_block("条件（when）：\n  " + part.when.rstrip("\n").replace("\n", "\n  ")))
        if part.message:
            out.append(_block("本部分的问题描述：\n  " + part.message.rstrip("\n").replace("\n", "\n  ")))
    if view.values:
        out.append(_section("计算值（values）"))
        out.append(_block("\n".join(f"{name} = {expr}" for name, expr in view.values)))
    out.append(_section("参数（当前值）"))
    if view.params:
        table = Table(show_edge=False, pad_edge=False, header_style="bold")
        for column in ("参数", "含义", "类型", "当前值", "来源"):
            table.add_column(column, overflow="fold")
        for use in view.params:
            table.add_row(RichText(use.name), RichText(use.title), RichText(PARAM_TYPE_LABELS.get(use.type, use.type)),
                          RichText(param_value_text(use)), RichText(param_source_text(use)))
        out.append(table)
    else:
        out.append(_block("（本规则不使用参数）"))
    if view.message:
        out += [_section("问题描述模板（message）"), _block(view.message)]
    if view.remedy:
        out += [_section("整改要求模板（remedy）"), _block(view.remedy)]
    out.append(_section(f"测试用例（{len(view.tests)} 个）"))
    if view.tests:
        table = Table(show_edge=False, pad_edge=False, header_style="bold")
        for column in ("用例", "说明", "期望"):
            table.add_column(column, overflow="fold")
        for case in view.tests:
            table.add_row(RichText(case.name), RichText(case.description or "—"), RichText(case_expectation(case)))
        out.append(table)
    else:
        out.append(_block("（无）"))
    return out


def explain(pack: Pack, rule_id: str, params: dict[str, Any] | None = None) -> RenderableType:
    """The terminal rendering of rule `rule_id` of `pack`, with `--param` values applied."""
    return Group(*renderables(rule_view(pack, find_rule(pack, rule_id), params)))

