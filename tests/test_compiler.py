"""Compiling packs: every expression and template is parsed and type-checked in its scope, every problem is
reported as file:line:col at the offending character (plain, quoted, folded and literal YAML scalars), composites
are checked for monotonicity, and a compiled rule means the same in the engine as in the reference evaluator."""
from __future__ import annotations

import datetime as dt
import functools
import re
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from checker.engine.check import check_unit
from checker.cli.main import cli
from checker.engine.compile import MAX_ATOMS, compile_pack, engine_value
from checker.engine.durable import Engine
from checker.errors import Location, PackError
from checker.expr.evaluate import Coll, Context, FindingsView, evaluate, truthy
from checker.expr.parser import parse
from checker.pack.loader import load_pack
from checker.inputs.records import UnitRecord, validate_unit

REPO = Path(__file__).resolve().parent.parent
BROKEN = Path("tests/fixtures/packs/broken-expressions")


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)


def compile_problems(reference) -> list[str]:
    with pytest.raises(PackError) as info:
        compile_pack(load_pack(reference))
    return [str(p) for p in info.value.problems]


@functools.lru_cache(maxsize=1)
def broken_problems() -> tuple[str, ...]:
    """The problems of the broken fixture pack (computed once: several tests read them)."""
    return tuple(compile_problems(BROKEN))


def position(fragment: str, occurrence: int = 1, file: Path = BROKEN / "rules.yaml") -> str:
    """`line:col` (1-based) of the n-th occurrence of `fragment` in a fixture file."""
    text = file.read_text("utf-8")
    index = -1
    for _ in range(occurrence):
        index = text.index(fragment, index + 1)
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"{line}:{col}"


# ---------------------------------------------------------------------------------------------
# Positions of expression and template problems in pack files

def test_every_expression_problem_points_at_the_offending_character():
    rules = str(BROKEN / "rules.yaml")
    got = list(broken_problems())
    expected = [
        # plain scalar: the unknown field name
        (position("presnt"), "unknown-field 会议记录没有字段 presnt，是否应为 present？"),
        # double-quoted scalar: the comparison starts just after the opening quote
        (position('item.date > 3'), "type-error 不能比较日期和数值"),
        # single-quoted scalar with '' escapes before the error
        (position("min_meetngs"), "unknown-parameter 参数中没有 min_meetngs，是否应为 po01_min_meetings？"),
        # folded scalar (>): third line, the second "<"
        (position("< params.min_attendance"), "syntax-error 表达式语法错误：此处不应出现 “<”"),
        # literal block (|) with a more-indented line
        (position("coutn"), "unknown-function 未知函数 coutn，是否应为 count？"),
        # multi-line plain scalar: the continuation line
        (position("item.present > 1"), "unknown-name item 只能在 for_each 规则中使用"),
        (position('fired("FM03")'), "composite-only fired 只能用于综合诊断规则（composite: true）"),
        (position('fired("FM03")', 2), "non-monotonic 综合诊断的条件须随发现增多而成立：distinct_rules(…) 只能用 >= 或 > "
                                       "与数值比较，fired/fired_any 不能取反"),
        (position('distinct_rules(tag: "形式化") < 3'), "non-monotonic 综合诊断的条件须随发现增多而成立：distinct_rules(…) "
                                                     "只能用 >= 或 > 与数值比较，fired/fired_any 不能取反"),
        (position("values.n < 3"), "non-monotonic 综合诊断的条件须随发现增多而成立：distinct_rules(…) 只能用 >= 或 > "
                                   "与数值比较，fired/fired_any 不能取反"),
        (position('"FM99"'), "unknown-rule 规则 FM99 不存在"),
        (position('"SY9"'), "unknown-rule 规则 SY9 不存在"),
        (position("trainings.hours"), "bad-for-each for_each 应为记录列表（如 meetings、meetings.decisions、similar_pairs(…)），"
                                      "实际为列表（数值）"),
        (position("item > 1"), "unknown-name item 只能在 for_each 规则中使用"),
        # template syntax error in a folded scalar: at the unclosed {% if %}
        (position("{% if unit.members"), "template-syntax 模板语法错误：Unexpected end of template. Jinja was looking for "
                                         "the following tags: 'elif' or 'else' or 'endif'. The innermost block that needs "
                                         "to be closed is 'if'."),
        (position("meeting.id"), "template-variable 模板变量 meeting 不存在（可用：item、params、period、unit、values）"),
        (position("tpye"), "template-variable 模板中 item.tpye：会议记录没有字段 tpye，是否应为 type？"),
        (position("min_attendence"), "template-variable 模板中 params.min_attendence：参数中没有 min_attendence，"
                                     "是否应为 min_attendance？"),
        (position("fields: minutes"), "bad-argument similar_pairs 没有名为 fields 的参数（可用：by、field、min）"),
        (position('fired("FM03")', 3), "composite-only applies 中不能使用 fired：适用条件在检查开始前判断，此时还没有任何发现"),
        (position("name: refs", 1), "unknown-rule 测试 E16/refs 的 also/not_also 引用了不存在的规则 FM99"),
        (position("name: refs", 1), "bad-parameter 测试 E16/refs 的 params：参数 min_attendance 应为数值，实际为 '高'"),
        (position("name: refs", 1), "unknown-parameter 测试 E16/refs 的 params 中没有参数 no_such_param"),
    ]
    assert got == [f"{rules}:{where}: {text}" for where, text in expected]


def test_positions_spelled_out_for_each_scalar_style():
    got = {re.search(r"rules\.yaml:(\d+:\d+):", p).group(1) for p in broken_problems()}
    # plain 6:14, "double" 13:10, 'single' with '' 19:57, folded > 29:36, literal | 37:7, multi-line plain 44:5,
    # template in folded > 91:5, templates in "double" 98:21 / 98:32 / 99:22, call argument in "double" 103:50
    assert {"6:14", "13:10", "19:57", "29:36", "37:7", "44:5", "91:5", "98:21", "98:32", "99:22", "103:50"} <= got


def test_validate_command_prints_the_same_lines_and_exits_2():
    result = CliRunner().invoke(cli, ["validate", str(BROKEN)])
    assert result.exit_code == 2
    assert result.output.splitlines() == sorted(broken_problems(),
                                                key=lambda line: [int(x) for x in line.split(":")[1:3]])


def test_validate_a_clean_pack_exits_0():
    result = CliRunner().invoke(cli, ["validate", "tests/fixtures/packs/child-stricter"])
    assert result.exit_code == 0, result.output
    # the child adds ZZ01 without placing it in a dimension of the inherited 融合度指数: a warning, not an error
    warning, summary = result.output.strip().splitlines()
    assert warning.startswith("tests/fixtures/packs/child-stricter/zones.yaml:2:3: index-unplaced 警告：规则 ZZ01")
    assert summary.startswith("child-stricter 0.1.0：") and summary.endswith("条规则，未发现问题（1 条警告）。")


# ---------------------------------------------------------------------------------------------
# Small standalone packs

def small_pack(tmp_path: Path, rules: str, params: str = "") -> Path:
    """A pack without a parent, with the given rule file text (dedented)."""
    (tmp_path / "pack.yaml").write_text(textwrap.dedent(f"""\
        id: small
        title: 小规则包
        version: 1.0.0
        parameters:
          share: {{type: number, default: 0.5, title: 比例}}
          phrases: {{type: list, default: [高度重视, 认真贯彻], title: 词表}}
        {textwrap.indent(textwrap.dedent(params), '  ')}
        severities:
          高: {{deadline_days: 30}}
          低: {{deadline_days: 90}}
        """), "utf-8")
    (tmp_path / "rules.yaml").write_text(textwrap.dedent(rules), "utf-8")
    return tmp_path


def test_monotonic_composites_compile(tmp_path):
    small_pack(tmp_path, """\
        - {id: A01, title: a, severity: 低, tags: [t], when: members == 0, message: x, remedy: y}
        - {id: A02, title: b, severity: 低, tags: [t], when: members == 1, message: x, remedy: y}
        - id: C01
          title: c
          severity: 高
          composite: true
          values:
            n: 'distinct_rules(tag: "t")'
          when: >
            values.n >= 2 or 1 <= distinct_rules(ids: ["A01", "A02"]) or
            (fired_any("A*") and fired("A01")) or distinct_rules(tag: "t") > 5
          message: "{{ values.n }}"
          remedy: y
        """)
    compiled = compile_pack(load_pack(tmp_path))
    rule = compiled.rule("C01")
    # every reference once, those of the condition first, then those of `values`
    assert rule.refs_used == [("id", "A01"), ("id", "A02"), ("glob", "A*"), ("tag", "t")]
    assert not rule.dynamic_ref


@pytest.mark.parametrize(("when", "col"), [
    ('distinct_rules(tag: "t") == 2', 10), ('distinct_rules(tag: "t") <= 2', 10), ('2 >= distinct_rules(tag: "t")', 10),
    ('not fired("A01")', 14), ('fired("A01") == false', 10), ('distinct_rules(tag: "t") + 1 >= 2', 10),
])
def test_non_monotonic_composites_are_refused(tmp_path, when, col):
    small_pack(tmp_path, f"""\
        - {{id: A01, title: a, severity: 低, tags: [t], when: members == 0, message: x, remedy: y}}
        - id: C01
          title: c
          severity: 高
          composite: true
          when: '{when}'
          message: x
          remedy: y
        """)
    [problem] = compile_problems(tmp_path)
    assert problem.endswith(f"rules.yaml:6:{col}: non-monotonic 综合诊断的条件须随发现增多而成立：distinct_rules(…) "
                            "只能用 >= 或 > 与数值比较，fired/fired_any 不能取反")


def test_composite_references_need_composite_true(tmp_path):
    small_pack(tmp_path, """\
        - {id: A01, title: a, severity: 低, tags: [t], when: members == 0, message: x, remedy: y}
        - id: B01
          title: b
          severity: 低
          values:
            n: 'distinct_rules(tag: "t")'
          when: members > 1
          message: x
          remedy: y
        """)
    [problem] = compile_problems(tmp_path)
    assert problem.endswith(":6:9: composite-only distinct_rules 只能用于综合诊断规则（composite: true）")


def test_too_many_comparisons_hit_the_engine_limit(tmp_path):
    when = " or ".join(f"members == {i}" for i in range(MAX_ATOMS + 1))
    small_pack(tmp_path, f"- {{id: A01, title: a, severity: 低, when: '{when}', message: x, remedy: y}}\n")
    problems = compile_problems(tmp_path)
    assert any(f"engine-limit 条件过于复杂：{MAX_ATOMS + 1} 个比较，上限 {MAX_ATOMS}" in p for p in problems)


def test_templates_see_item_and_parent_only_where_they_exist(tmp_path):
    small_pack(tmp_path, """\
        - {id: A01, title: a, severity: 低, when: members == 0, message: "{{ item.id }}", remedy: y}
        - {id: A02, title: b, severity: 低, for_each: meetings, when: item.present == 0, message: "{{ parent.id }}", remedy: y}
        - {id: A03, title: c, severity: 低, for_each: meetings.decisions, when: item.done != true,
           message: "{{ parent.id }}：{{ item.text }}（{{ values.n }}）", remedy: "{{ params.share | percent }}",
           values: {n: count(parent.decisions)}}
        """)
    problems = compile_problems(tmp_path)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "template-variable 模板变量 item 不存在（可用：params、period、unit、values）",
        "template-variable 模板变量 parent 不存在（可用：item、params、period、unit、values）",
    ]
    assert [p.split(": ")[0].rsplit(":", 2)[1:] for p in problems] == [["1", "69"], ["2", "94"]]


def test_default_pack_compiles_into_engine_rules_per_part_on_shared_facts():
    """Each part is one rule `R#p` (plus `?R#p…` for missing data) matching the shared fact of its list;
    composites on findings only match the unit state's counters with a fire-once guard."""
    pack = load_pack()
    compiled = compile_pack(pack)
    assert [r.id for r in compiled.rules] == [r.id for r in pack.enabled_rules()]
    definitions = compiled.ruleset["pbcheck"]
    parts = [f"{r.id}#{p.index}" for r in compiled.rules for p in r.parts]
    assert {name for name in definitions if not name.startswith(("?", "__"))} == set(parts)
    assert {"__begin__", "__catch_all__"} <= set(definitions)
    for name in parts:
        plan = compiled.layout.plans[name]
        assert definitions[name]["run"] == name
        if plan.mode == "state":
            term = definitions[name]["all"][0]["st"]["$and"]
            assert {"$s": 1} in term and {"$nex": {plan.guard: 1}} in term
        else:
            assert definitions[name]["all"][0]["m"]["$and"][0] == {"g": plan.slot}
    for name, definition in definitions.items():
        if name.startswith("?"):
            assert definition["run"] == name.split("/")[0]
    modes = {r.id: compiled.layout.plan(r.id, 0).mode for r in compiled.rules if r.spec.composite}
    assert modes == {"X01": "state", "X02": "state", "X03": "state", "X04": "state", "X05": "state", "RC03": "fact"}
    # thresholds from params are in the engine rule itself, not in a Python-computed difference
    assert {"$lt": {f"l{compiled.layout.plan('BO02', 0).key}_1": 0.2}} in \
        definitions["BO02#0"]["all"][0]["m"]["$and"][1]["$or"]


def test_engine_values():
    assert engine_value(dt.date(2025, 1, 1)) == dt.date(2025, 1, 1).toordinal()
    assert engine_value(True) == 1 and engine_value(False) == 0
    assert engine_value(0.5) == 0.5 and engine_value("x") == "x"


# ---------------------------------------------------------------------------------------------
# A compiled rule means the same in the engine as in the reference evaluator

UNIT_CONDITIONS = [
    "members > 20",
    "party_workers == null",
    "party_workers != 1",
    "party_workers < 1",
    "not (party_workers < 1)",
    "ratio(members, staff) >= params.share",
    "period.end - branch_committee.elected_on > 1000",
    "add_years(branch_committee.elected_on, branch_committee.term_years) < period.end",
    'count(meetings where type in PARTY_MEETINGS and in_period(date)) >= 2 or '
    'any(leaders where party_role == "书记" and in_business_team != true)',
    '"党建" in meetings.topics and not (members in [1, 2, 3])',
    "sum(trainings.hours) / len(trainings) < 5",
    "assessment.party_weight == null or assessment.party_weight < 0.2",
    "avg(leaders.training_hours) >= 40 and max(meetings.date) > period.end - 60",
    "distinct(leaders.party_role) < 2",
    "any(meetings where contains_count(minutes, params.phrases) >= 1)",
    "period.year_long and (staff == 0 or members / staff > 0.1)",
]
ITEM_CONDITIONS = [
    ("meetings.decisions", "item.owner == null or item.due > parent.date + 30"),
    ("plans.items", 'parent.kind == "党建" and item.business_goal == null'),
    ("meetings", "item.present / item.expected < params.share or item.recorded_on - item.date > 30"),
    ("similar_pairs(meetings, by: type, field: minutes, min: 0.5)", "item.score >= 0.6"),
]


def _records() -> list[dict]:
    from conftest import FULL_UNIT_YAML
    base = yaml.safe_load(FULL_UNIT_YAML)
    minutes = "传达学习上级党委关于安全生产工作的部署要求研究三季度检修计划明确党员突击队分工表"
    variants = [
        base,
        {**base, "unit_id": "V-2", "staff": 0, "party_workers": None, "members": 2, "major_decisions": [],
         "assessment": {**base["assessment"], "party_weight": None},
         "meetings": [
             {"id": "A", "type": "支委会", "date": dt.date(2025, 12, 20), "recorded_on": dt.date(2026, 1, 30), "expected": 4,
              "present": 1, "minutes": "认真贯彻" + minutes, "topics": ["党建"],
              "decisions": [{"text": "x", "owner": None, "due": dt.date(2026, 3, 1)}, {"text": "y", "owner": "李", "due": dt.date(2025, 12, 21)}]},
             {"id": "B", "type": "支委会", "date": dt.date(2025, 6, 1), "expected": 0, "present": 0,
              "minutes": minutes[20:] + minutes[:20]},
             {"id": "C", "type": "党课", "date": dt.date(2024, 6, 1), "minutes": minutes}],
         "plans": [{"title": "P", "kind": "党建", "items": [{"text": "a"}, {"text": "b", "business_goal": "g"}]},
                   {"title": "Q", "kind": "经营", "items": [{"text": "c"}]}],
         "trainings": [], "leaders": [{"name": "甲", "party_role": "书记", "training_hours": 50}],
         "period": {"start": dt.date(2025, 7, 1), "end": dt.date(2025, 12, 31)}},
    ]
    out = []
    for raw in variants:
        data, problems = validate_unit(raw, "test")
        assert not problems, problems
        out.append(data)
    return out


def _expected(compiled, data: dict) -> dict[str, int]:
    period = UnitRecord(data["unit_id"], data, "t", Location("t")).period
    ctx = Context(unit=data, period=period.as_dict(), params=compiled.params, constants=compiled.constants,
                  fields=data, period_obj=period, findings=FindingsView())
    counts: dict[str, int] = {}
    for i, cond in enumerate(UNIT_CONDITIONS):
        counts[f"U{i:02}"] = int(truthy(evaluate(parse(cond), ctx)))
    for i, (for_each, cond) in enumerate(ITEM_CONDITIONS):
        coll = evaluate(parse(for_each), ctx)
        n = 0
        for value, _, parent in (coll.entries if isinstance(coll, Coll) else []):
            item_ctx = Context(unit=data, period=period.as_dict(), params=compiled.params, constants=compiled.constants,
                               fields=data, period_obj=period, item=value, parent=parent)
            n += truthy(evaluate(parse(cond), item_ctx))
        counts[f"I{i:02}"] = n
    tagged = sum(1 for rid, n in counts.items() if n and rid in ("U00", "U01", "U02"))
    counts["X00"] = int(tagged >= 2)
    return counts


def test_engine_and_reference_evaluator_agree(tmp_path):
    lines = []
    for i, cond in enumerate(UNIT_CONDITIONS):
        tags = "[t]" if i < 3 else "[]"
        lines.append(f"- {{id: U{i:02}, title: u, severity: 低, tags: {tags}, when: '{cond}', message: m, remedy: r}}")
    for i, (for_each, cond) in enumerate(ITEM_CONDITIONS):
        lines.append(f"- {{id: I{i:02}, title: i, severity: 低, for_each: '{for_each}', when: '{cond}', message: m, remedy: r}}")
    lines.append("- {id: X00, title: x, severity: 高, composite: true, when: 'distinct_rules(tag: \"t\") >= 2', "
                 "message: m, remedy: r}")
    small_pack(tmp_path, "\n".join(lines) + "\n")
    compiled = compile_pack(load_pack(tmp_path))
    engine = Engine(compiled.ruleset)
    seen_fire, seen_quiet = set(), set()
    for data in _records():
        record = UnitRecord(data["unit_id"], data, "test", Location("test"))
        result = check_unit(compiled, engine, record, dt.date(2026, 1, 1))
        got = {rid: sum(1 for f in result.findings if f.rule == rid) for rid in _expected(compiled, data)}
        assert got == _expected(compiled, data), data["unit_id"]
        seen_fire |= {k for k, v in got.items() if v}
        seen_quiet |= {k for k, v in got.items() if not v}
    # the records exercise both outcomes of most conditions (a test that cannot fail proves nothing)
    assert len(seen_fire) >= 12 and len(seen_quiet) >= 12
