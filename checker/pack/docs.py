"""`pbcheck docs`: the Markdown rule reference generated from a pack (docs/rules.md).

The reference is a pure function of the loaded pack: one section per rule family (each rule file, in
pack order, headed by the comment that opens the file), each rule with the content `pbcheck explain`
shows, and the pack's parameter, severity and constant tables. Nothing depends on which rules exist,
on the working directory or on the date, so regenerating an unchanged pack gives the same text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checker import render
from checker.pack.explain import (PARAM_TYPE_LABELS, RuleView, case_expectation, dimension_text, kind_text, param_source_text, param_use, prose, rule_view, severity_text, used_parameters, value_text)
from checker.pack.loader import Pack, RuleSpec

GENERATED_NOTE = ("<!-- 本文件由 `pbcheck docs --out docs/rules.md` 根据规则包生成，请勿手工修改；"
                  "规则包有变动时重新运行该命令。 -->")


@dataclass(frozen=True)
class Family:
    """A group of rules as the pack arranges them: one rule file of one pack."""

    title: str
    pack_id: str
    file: str
    rules: tuple[RuleSpec, ...]


def families(pack: Pack) -> list[Family]:
    """The pack's rules grouped by the file that defines them, in pack order."""
    groups: list[tuple[str, list[RuleSpec]]] = []
    for rule in pack.rules.values():
        if groups and groups[-1][0] == rule.file:
            groups[-1][1].append(rule)
        else:
            groups.append((rule.file, [rule]))
    return [Family(family_title(file), rules[0].pack_id, Path(file).name, tuple(rules)) for file, rules in groups]


def family_title(file: str) -> str:
    """The heading of a rule file: its opening comment line (`# FM 形式化 —— …`), else the file name."""
    try:
        first = Path(file).read_text("utf-8-sig").lstrip().split("\n", 1)[0]
    except OSError:
        first = ""
    if first.startswith("#"):
        title = first.lstrip("#").strip()
        if title:
            return title
    return Path(file).stem


# ---------------------------------------------------------------------------------------------
# Markdown helpers

def cell(text: str) -> str:
    """User text inside a table cell: inert Markdown, on one line."""
    return render.filter_md(text) if text else "—"


def code(text: str) -> str:
    """Inline code that survives backticks in the text."""
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(text: str, language: str = "text") -> list[str]:
    """A fenced code block longer than any backtick run inside it."""
    fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return [f"{fence}{language}", text.rstrip("\n"), fence]


def anchor(rule_id: str) -> str:
    """The HTML id of a rule's section (stable whatever the heading says)."""
    return f"rule-{rule_id}"


# ---------------------------------------------------------------------------------------------
# The reference

def rule_markdown(view: RuleView) -> list[str]:
    """One rule's section: the same content as `pbcheck explain`."""
    out = [f'<a id="{anchor(view.id)}"></a>', "", f"### {view.id} {render.filter_md(view.title)}", ""]
    out += ["| 项目 | 内容 |", "|---|---|"]
    out.append(f"| 严重程度 | {cell(severity_text(view))} |")
    out.append(f"| 标签 | {cell('、'.join(view.tags)) if view.tags else '（无）'} |")
    out.append(f"| 类型 | {cell(kind_text(view))} |")
    if not view.enabled:
        out.append("| 状态 | 已停用（overrides 中 enabled: false） |")
    out.append(f"| 融合度维度 | {cell(dimension_text(view))} |")
    out.append(f"| 依据 | {'<br>'.join(render.filter_md(r) for r in view.refs) if view.refs else '—'} |")
    out.append(f"| 定义于 | {code(view.file)}（规则包 {code(view.pack_id)}） |")
    out.append("")
    if view.description:
        out += [render.filter_md(view.description), ""]
    if view.applies:
        out += ["**适用条件**（applies）：", ""] + fenced(view.applies) + [""]
    else:
        out += ["**适用条件**：始终适用。", ""]
    if view.history:
        out += ["**判定方式**：由运行历史判定（history: true），不对记录求条件。", ""]
    for index, part in enumerate(view.parts, start=1):
        label = "**检查条件**" if len(view.parts) == 1 else f"**检查条件 第 {index} 部分**"
        subject = f"逐项（for_each）：{code(part.for_each)}" if part.for_each else "对象：整个单位"
        out += [f"{label}（{subject}）：", ""] + fenced(part.when) + [""]
        if part.message:
            out += ["本部分的问题描述：", ""] + fenced(part.message, "jinja") + [""]
    if view.values:
        out += ["**计算值**（values）：", ""]
        out += fenced("\n".join(f"{name} = {expr}" for name, expr in view.values)) + [""]
    if view.params:
        out += ["**参数**：", "", "| 参数 | 含义 | 当前值 | 来源 |", "|---|---|---|---|"]
        for use in view.params:
            out.append(f"| {code(use.name)} | {cell(use.title)} | {cell(value_text(use.value))} | "
                       f"{cell(param_source_text(use))} |")
        out.append("")
    else:
        out += ["**参数**：不使用参数。", ""]
    if view.message:
        out += ["**问题描述模板**（message）：", ""] + fenced(view.message, "jinja") + [""]
    if view.remedy:
        out += ["**整改要求模板**（remedy）：", ""] + fenced(view.remedy, "jinja") + [""]
    if view.tests:
        out += [f"**测试用例**（{len(view.tests)} 个）：", "", "| 用例 | 说明 | 期望 |", "|---|---|---|"]
        for case in view.tests:
            out.append(f"| {code(case.name)} | {cell(case.description)} | {cell(case_expectation(case))} |")
        out.append("")
    else:
        out += ["**测试用例**：无。", ""]
    return out


def parameter_table(pack: Pack) -> list[str]:
    """Every parameter of the pack: type, value, bounds, where it was set and which rules use it."""
    users: dict[str, list[str]] = {name: [] for name in pack.parameters}
    for rule in pack.rules.values():
        for name in used_parameters(rule):
            if name in users:
                users[name].append(rule.id)
    out = ["| 参数 | 含义 | 类型 | 默认值 | 范围 | 设定于 | 使用的规则 |", "|---|---|---|---|---|---|---|"]
    for name, decl in pack.parameters.items():
        use = param_use(pack, decl, {})
        bounds = ""
        if decl.minimum is not None or decl.maximum is not None:
            lo = "" if decl.minimum is None else value_text(decl.minimum)
            hi = "" if decl.maximum is None else value_text(decl.maximum)
            bounds = f"{lo}–{hi}"
        rules = "、".join(f"[{r}](#{anchor(r)})" for r in users[name]) or "—"
        out.append(f"| {code(name)} | {cell(decl.title)} | {PARAM_TYPE_LABELS.get(decl.type, decl.type)} | "
                   f"{cell(value_text(decl.default))} | {cell(bounds)} | {cell(param_source_text(use))} | {rules} |")
    return out


def index_table(pack: Pack) -> list[str]:
    """The pack's 融合度指数 dimensions (id, name, rules) and grades."""
    assert pack.index is not None
    out = ["## 融合度指数的维度", "",
           "每个单位按检查清单计算各维度得分和融合度指数（权重 高 3、中 2、低 1；见 [规则包编写指南](packs.md#融合度指数index)）。",
           "", "| 维度 | 标识 | 规则 |", "|---|---|---|"]
    for dim in pack.index.dimensions:
        rules = "、".join(f"[{r}](#{anchor(r)})" for r in dim.rules)
        out.append(f"| {cell(dim.name)} | {code(dim.id)} | {rules} |")
    grades = "、".join(f"{render.filter_md(g.name)}（≥ {value_text(g.min)}）" for g in pack.index.grades)
    return out + ["", f"等级：{grades}。"]


def pack_markdown(pack: Pack) -> str:
    """The whole rule reference of `pack` as Markdown text."""
    groups = families(pack)
    rules = list(pack.rules.values())
    composites = sum(1 for r in rules if r.composite)
    out = [GENERATED_NOTE, "", f"# 规则参考：{render.filter_md(pack.title)}", ""]
    chain = " → ".join(code(p) for p in pack.chain)
    out.append(f"规则包 {code(pack.id)}，版本 {code(pack.version)}" + (f"（继承关系：{chain}）" if len(pack.chain) > 1 else "") + "。")
    out.append("")
    if pack.description.strip():
        out += [render.filter_md(prose(pack.description)), ""]
    enabled = sum(1 for r in rules if r.enabled)
    out.append(f"共 {len(rules)} 条规则（启用 {enabled} 条，其中综合诊断 {composites} 条）。"
               "每条规则的内容与 `pbcheck explain 编号` 显示的相同；编写和修改规则见 [规则包编写指南](packs.md)。")
    out.append("")
    out += ["## 目录", ""]
    for family in groups:
        ids = "、".join(f"[{r.id}](#{anchor(r.id)})" for r in family.rules)
        out.append(f"- {render.filter_md(family.title)}：{ids}")
    out += ["- [参数](#参数)", "- [严重程度与整改时限](#严重程度与整改时限)", "- [常量](#常量)"]
    out += ["- [融合度指数的维度](#融合度指数的维度)"] if pack.index is not None else []
    out += [""]
    for family in groups:
        out += [f"## {render.filter_md(family.title)}", "",
                f"规则文件 {code(family.file)}（规则包 {code(family.pack_id)}）。", ""]
        for rule in family.rules:
            out += rule_markdown(rule_view(pack, rule))
    out += ["## 参数", "", "运行时可用 `--param 名称=值` 覆盖（优先级：上级规则包 < 子规则包 < 命令行）。", ""]
    out += parameter_table(pack) + [""]
    out += ["## 严重程度与整改时限", "", "整改时限自 `--as-of` 日期（默认运行当天）起算。", "",
            "| 严重程度 | 整改时限（天） |", "|---|---|"]
    out += [f"| {cell(name)} | {days} |" for name, days in pack.severities.items()] + [""]
    out += ["## 常量", "", "规则条件中可直接使用的命名值。", "", "| 名称 | 值 |", "|---|---|"]
    out += [f"| {code(name)} | {cell(value_text(value))} |" for name, value in pack.constants.items()]
    if pack.index is not None:
        out += [""] + index_table(pack)
    return "\n".join(out).rstrip("\n") + "\n"
