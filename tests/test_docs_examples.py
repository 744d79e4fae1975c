"""The pack editors' guide (docs/packs.md) cannot drift from the code: every marked example in it is
checked against the real parser, type checker, evaluator, loader, compiler and test runner.

Markers (the info string of a fenced block):
- ```yaml pbcheck-unit      a unit record; valid, and the data the following expression examples run on;
- ```pbcheck-expr           one expression per line, type-checked in the scope a rule gives it; a line
                            `expr ⇒ value` must evaluate to that value on the current unit record.
                            Comment lines set the scope: `# for_each: EXPR`, `# item: N` (1-based),
                            `# composite`, `# findings: FM03 形式化; RS05 责任落实 形式化`;
- ```yaml pbcheck-rule      rules (a YAML list); compiled in a pack extending the default pack, their tests run;
- ```yaml pbcheck-pack name=N file=F    a file of the complete example pack N; loaded, compiled, its tests run;
- ```yaml pbcheck-broken name=N file=F  a file of a broken pack (a child of the default pack unless it has
                            its own pack.yaml), and ```text pbcheck-problems name=N the exact problems it gives.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from checker.engine.compile import _constants_types, _param_scope_type, compile_pack, resolve_params
from checker.errors import PackError
from checker.expr import types as T
from checker.expr.evaluate import Coll, Context, FindingsView, evaluate
from checker.expr.parser import ExprSyntaxError, parse
from checker.pack.loader import load_pack
from checker.inputs.period import Period
from checker.inputs.records import validate_unit
from checker.inputs.schema import UNIT
from checker.engine.selftest import PackTester

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "docs" / "packs.md"
FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>[^`\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)


@dataclass
class Block:
    """A fenced block of the guide with its marker and attributes."""

    marker: str
    attrs: dict
    body: str
    line: int


@dataclass
class ExprCase:
    """One expression line of a pbcheck-expr block, with the scope and data it runs in."""

    text: str
    expected: str | None
    line: int
    unit: dict | None
    for_each: str | None = None
    item: int = 1
    composite: bool = False
    findings: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"docs/packs.md:{self.line}: {self.text}"


@functools.lru_cache(maxsize=1)
def guide_blocks() -> tuple[Block, ...]:
    text = GUIDE.read_text("utf-8")
    out = []
    for m in FENCE.finditer(text):
        words = m.group("info").split()
        marker = next((w for w in words if w.startswith("pbcheck-")), None)
        if marker is None:
            continue
        attrs = dict(w.split("=", 1) for w in words if "=" in w)
        out.append(Block(marker, attrs, m.group("body"), text.count("\n", 0, m.start("body")) + 1))
    return tuple(out)


def blocks(marker: str) -> list[Block]:
    return [b for b in guide_blocks() if b.marker == marker]


@functools.lru_cache(maxsize=1)
def default_pack():
    return load_pack()


def expression_cases() -> list[ExprCase]:
    cases = []
    unit = None
    for block in guide_blocks():
        if block.marker == "pbcheck-unit":
            data, problems = validate_unit(yaml.safe_load(block.body), f"docs/packs.md:{block.line}")
            assert not problems, [str(p) for p in problems]
            unit = data
            continue
        if block.marker != "pbcheck-expr":
            continue
        scope = {"for_each": None, "item": 1, "composite": False, "findings": {}}
        for offset, raw in enumerate(block.body.splitlines()):
            line = raw.strip()
            if not line:
                continue
            if line.startswith("#"):
                directive = line.lstrip("#").strip()
                if directive.startswith("for_each:"):
                    scope["for_each"] = directive.split(":", 1)[1].strip()
                elif directive.startswith("item:"):
                    scope["item"] = int(directive.split(":", 1)[1])
                elif directive == "composite":
                    scope["composite"] = True
                elif directive.startswith("findings:"):
                    entries = [e.split() for e in directive.split(":", 1)[1].split(";") if e.strip()]
                    scope["findings"] = {e[0]: tuple(e[1:]) for e in entries}
                continue
            text, _, expected = line.partition("⇒")
            cases.append(ExprCase(text.strip(), expected.strip() or None, block.line + offset, unit, **scope))
    return cases


CASES = expression_cases()


def _scope(case: ExprCase) -> T.Scope:
    """The scope the compiler gives a rule's condition (see checker.engine.compile._compile_rule)."""
    pack = default_pack()
    constants = dict(T.BUILTIN_CONSTANTS)
    constants.update(pack.constants)
    roots = {"unit": T.RecT(UNIT), "params": _param_scope_type(pack), "period": T.PERIOD_TYPE}
    scope = T.Scope(roots, T.RecT(UNIT), _constants_types(constants), composite=case.composite)
    if case.for_each:
        t = T.Checker(scope).check(parse(case.for_each))
        assert isinstance(t, T.CollT), f"{case}: for_each {case.for_each} is not a list"
        scope.roots["item"] = t.value
        if t.parent is not None:
            scope.roots["parent"] = t.parent
    return scope


def _context(case: ExprCase) -> Context:
    pack = default_pack()
    params, _ = resolve_params(pack)
    constants = dict(T.BUILTIN_CONSTANTS)
    constants.update(pack.constants)
    unit = case.unit
    period = Period(unit["period"]["start"], unit["period"]["end"])
    view = FindingsView()
    for rule, tags in case.findings.items():
        view.add(rule, tags)
    ctx = Context(unit=unit, period=period.as_dict(), params=params, constants=constants, fields=unit,
                  period_obj=period, findings=view)
    if case.for_each:
        coll = evaluate(parse(case.for_each), ctx)
        value, _, parent = coll.entries[case.item - 1]
        ctx = Context(unit=unit, period=period.as_dict(), params=params, constants=constants, fields=unit,
                      period_obj=period, findings=view, item=value, parent=parent)
    return ctx


def _same(got, expected) -> bool:
    if isinstance(got, Coll):
        got = got.values()
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(_same(g, e) for g, e in zip(got, expected))
    if isinstance(expected, bool) or isinstance(got, bool):
        return got is expected
    if isinstance(expected, float) or isinstance(got, float):
        return isinstance(got, (int, float)) and isinstance(expected, (int, float)) and round(got, 4) == round(expected, 4)
    if isinstance(expected, (int, str)) and isinstance(got, dt.date):
        return False
    return got == expected


# ---------------------------------------------------------------------------------------------
# Expressions

def test_the_guide_has_expression_examples():
    assert len(CASES) >= 80
    assert sum(1 for c in CASES if c.expected is not None) >= 60


@pytest.mark.parametrize("case", CASES, ids=[f"L{c.line}" for c in CASES])
def test_expression_example(case: ExprCase):
    try:
        node = parse(case.text)
    except ExprSyntaxError as exc:
        pytest.fail(f"{case}: 语法错误（第 {exc.pos + 1} 个字符）：{exc}")
    checker = T.Checker(_scope(case))
    checker.check(node)
    assert checker.problems == [], f"{case}: " + "；".join(p.message for p in checker.problems)
    if case.expected is not None:
        assert case.unit is not None, f"{case}: 没有示例单位记录（pbcheck-unit）"
        expected = yaml.safe_load(case.expected)
        got = evaluate(node, _context(case))
        assert _same(got, expected), f"{case}: 期望 {case.expected}，实际 {got!r}"


def test_every_function_operator_and_root_has_an_example():
    texts = [c.text for c in CASES]
    joined = "\n".join(texts)
    rules = "\n".join(b.body for b in blocks("pbcheck-rule") + blocks("pbcheck-pack"))
    for func in sorted(T.FUNCTIONS):
        assert re.search(rf"\b{func}\(", joined), f"指南缺少函数 {func} 的表达式示例"
    for op in ["==", "!=", "<", "<=", ">", ">=", " and ", " or ", "not ", " in ", " not in ", "+", "-", "*", "/",
               " where ", "null", "true", "false", "["]:
        assert op in joined, f"指南缺少运算符 {op.strip()} 的示例"
    for root in T.RESERVED:
        assert re.search(rf"\b{root}\.", joined + rules) or re.search(rf"\b{root}\b", joined), f"指南缺少 {root} 的示例"
    for construct in ["meetings.decisions", "plans.items", "parent.", "it ", "it.", "similar_pairs(", "for_each"]:
        assert construct in joined + rules, f"指南缺少 {construct} 的示例"


# ---------------------------------------------------------------------------------------------
# Rules and packs

def _write(directory: Path, files: dict[str, str]) -> None:
    for name, body in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, "utf-8")


def _child_pack_yaml(name: str) -> str:
    return f"id: {name}\ntitle: 指南示例\nversion: 0.1.0\nextends: party-business-integration\n"


def _problems(reference) -> list[str]:
    try:
        compile_pack(load_pack(reference))
    except PackError as exc:
        return sorted((str(p) for p in exc.problems),
                      key=lambda s: [int(x) if x.isdigit() else x for x in re.split(r":(\d+):(\d+): ", s, maxsplit=1)[:3]])
    return []


def _run_own_tests(pack) -> None:
    own = {rid for rid, rule in pack.rules.items() if rule.pack_id == pack.id}
    results = PackTester(pack).run(own)
    failures = [f"{r.test_id}: " + "；".join(r.failures) for r in results if not r.passed]
    assert failures == []
    return results


def test_rule_examples_compile_and_their_tests_pass(tmp_path, monkeypatch):
    rule_blocks = blocks("pbcheck-rule")
    assert len(rule_blocks) >= 5
    files = {"pack.yaml": _child_pack_yaml("guide-rules")}
    where = {}
    for i, block in enumerate(rule_blocks):
        name = f"rules_{i:02}.yaml"
        files[name] = block.body
        where[name] = block.line
    _write(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    problems = _problems(tmp_path)
    shown = [f"docs/packs.md:{where.get(p.split(':')[0], 0) + int(p.split(':')[1]) - 1}: {p}" for p in problems]
    assert shown == []
    results = _run_own_tests(load_pack(tmp_path))
    assert len(results) >= 8


def _named(marker: str) -> dict[str, dict[str, str]]:
    packs: dict[str, dict[str, str]] = {}
    for block in blocks(marker):
        packs.setdefault(block.attrs["name"], {})[block.attrs["file"]] = block.body
    return packs


def test_complete_example_packs_load_compile_and_pass_their_tests(tmp_path, monkeypatch):
    packs = _named("pbcheck-pack")
    assert packs, "指南缺少完整的规则包示例"
    for name, files in packs.items():
        _write(tmp_path / name, files)
    monkeypatch.chdir(tmp_path)
    for name in packs:
        assert _problems(tmp_path / name) == [], name
        pack = load_pack(tmp_path / name)
        assert len([r for r in pack.rules.values() if r.pack_id == pack.id]) >= 1
        _run_own_tests(pack)


def test_the_child_pack_example_extends_the_default_pack(tmp_path):
    packs = _named("pbcheck-pack")
    children = [n for n, files in packs.items() if "extends: party-business-integration" in files.get("pack.yaml", "")]
    assert children, "指南缺少扩展默认规则包的完整示例"
    name = children[0]
    _write(tmp_path / name, packs[name])
    pack = load_pack(tmp_path / name)
    parent = default_pack()
    changed = [p for p in pack.parameters if p in parent.parameters and pack.parameters[p].default != parent.parameters[p].default]
    assert changed, "示例子规则包应覆盖至少一个参数"
    assert any(r.severity != parent.rules[rid].severity for rid, r in pack.rules.items() if rid in parent.rules)
    assert any(not r.enabled for r in pack.rules.values())


def test_broken_examples_give_exactly_the_documented_problems(tmp_path, monkeypatch):
    broken = _named("pbcheck-broken")
    expected = {b.attrs["name"]: b.body.strip().splitlines() for b in blocks("pbcheck-problems")}
    assert broken and set(broken) == set(expected)
    for name, files in broken.items():
        directory = tmp_path / name
        _write(directory, {"pack.yaml": _child_pack_yaml(name), **files} if "pack.yaml" not in files else files)
        monkeypatch.chdir(directory)
        assert _problems(directory) == expected[name], name


# ---------------------------------------------------------------------------------------------
# The error table and the links

CODE_SOURCES = ["checker/pack/loader.py", "checker/engine/compile.py", "checker/expr/types.py", "checker/inputs/source.py"]
NOT_PACK_CODES = {"party-business-integration", "json-syntax"}


def _source_codes() -> set[str]:
    codes = set()
    for path in CODE_SOURCES:
        codes |= set(re.findall(r'"([a-z]+(?:-[a-z]+)+)"', (REPO / path).read_text("utf-8")))
    return (codes - NOT_PACK_CODES) | {"alias", "encoding", "template-syntax"}


def _documented_codes() -> set[str]:
    text = GUIDE.read_text("utf-8")
    section = text.split("## 常见错误", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z-]+)` \|", section, re.M))


def test_every_problem_code_is_explained_in_the_guide():
    assert _documented_codes() == _source_codes()


def test_readme_links_the_guide_and_the_reference():
    readme = (REPO / "README.md").read_text("utf-8")
    assert "docs/packs.md" in readme and "docs/rules.md" in readme
    assert "rules.md" in GUIDE.read_text("utf-8")
