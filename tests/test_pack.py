"""Pack loading and composition (packs.md): extends by id and by directory, cycles, parameter overrides,
severity overrides, disabled and added rules, structural problems with file:line:col, links out of the
pack, parameter precedence (parent < child < --param) through real runs, and `--param` type checking."""
from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli.main import cli
from checker.engine.compile import compile_pack, resolve_params
from checker.errors import Location, PackError, ParameterError, UsageError
from checker.pack.loader import ParamDecl, check_param_value, load_pack, parse_param_assignment, resolve_pack
from checker.pipeline.run import RunOptions, execute
from checker.engine.selftest import PackTester

REPO = Path(__file__).resolve().parent.parent
PACKS = Path("tests/fixtures/packs")
UNIT = PACKS / "unit-attendance.yaml"


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    """Paths in messages are shown relative to the working directory: run from the repository root."""
    monkeypatch.chdir(REPO)


@functools.lru_cache(maxsize=None)
def loaded(reference=None):
    """A pack loaded once for the tests that only read it (loading the default pack takes a moment)."""
    return load_pack(reference)


def problems_of(reference) -> list[str]:
    with pytest.raises(PackError) as info:
        load_pack(reference)
    return [str(p) for p in info.value.problems]


# ---------------------------------------------------------------------------------------------
# Finding packs

def test_default_pack_by_id_and_by_path():
    by_id = load_pack("party-business-integration")
    by_default = loaded()
    # the source tree's copy (an installed wheel carries its own copy of the same pack)
    by_path = load_pack(REPO / "rules" / "party-business-integration")
    assert by_id.directory == by_default.directory
    assert by_path.directory == (REPO / "rules" / "party-business-integration").resolve()
    assert by_id.chain == by_path.chain == ["party-business-integration"]
    assert list(by_id.rules) == list(by_path.rules)


def test_pack_yaml_path_is_accepted():
    assert resolve_pack(PACKS / "child-stricter" / "pack.yaml") == (REPO / PACKS / "child-stricter").resolve()


def test_unknown_pack_reference_suggests_the_builtin():
    with pytest.raises(UsageError) as info:
        load_pack("party-busines-integration")
    assert "是否应为 party-business-integration" in str(info.value)


# ---------------------------------------------------------------------------------------------
# extends

def test_child_extends_the_default_pack_by_id():
    parent = loaded()
    child = loaded(PACKS / "child-stricter")
    assert child.id == "child-stricter" and child.chain == ["child-stricter", "party-business-integration"]
    # parents' rules first, in the parent's order, then the child's own
    assert list(child.rules)[:len(parent.rules)] == list(parent.rules)
    assert list(child.rules)[len(parent.rules):] == ["ZZ01"]
    assert child.rules["ZZ01"].pack_id == "child-stricter"
    assert child.rules["RS05"].pack_id == "party-business-integration"
    assert child.severities == parent.severities
    assert child.constants["PARTY_MEETINGS"] == parent.constants["PARTY_MEETINGS"]
    assert child.base_record == parent.base_record          # inherited tests/base.yaml


def test_grandchild_extends_a_relative_directory():
    pack = loaded(PACKS / "grandchild")
    assert pack.chain == ["grandchild", "child-stricter", "party-business-integration"]
    assert pack.directory == (REPO / PACKS / "grandchild").resolve()
    assert "ZZ01" in pack.rules and pack.rules["ZZ01"].pack_id == "child-stricter"


def test_extends_cycle_is_reported_at_the_extends_that_closes_it():
    assert problems_of(PACKS / "cycle-a") == [
        "tests/fixtures/packs/cycle-b/pack.yaml:4:10: extends-cycle extends 形成循环："
        "tests/fixtures/packs/cycle-a → tests/fixtures/packs/cycle-b → tests/fixtures/packs/cycle-a"]


def test_extends_itself_is_a_cycle(tmp_path):
    (tmp_path / "pack.yaml").write_text("id: s\ntitle: S\nextends: .\nseverities: {高: {deadline_days: 30}}\n", "utf-8")
    [problem] = problems_of(tmp_path)
    assert ":3:10: extends-cycle extends 形成循环：" in problem


def test_extends_missing_pack(tmp_path):
    (tmp_path / "pack.yaml").write_text("id: s\ntitle: S\nextends: ../nowhere\nseverities: {高: {deadline_days: 30}}\n", "utf-8")
    [problem] = problems_of(tmp_path)
    assert problem.endswith(":3:10: extends-missing extends 指向的规则包 “../nowhere” 不存在（应为内置规则包 id 或相对本包目录的路径）")


def test_extends_chain_deeper_than_the_limit(tmp_path):
    for i in range(10):
        d = tmp_path / f"p{i}"
        d.mkdir()
        extends = f"extends: ../p{i + 1}\n" if i < 9 else ""
        (d / "pack.yaml").write_text(f"id: p{i}\ntitle: P{i}\n{extends}severities: {{高: {{deadline_days: 30}}}}\n", "utf-8")
    problems = problems_of(tmp_path / "p0")
    assert len(problems) == 1 and "extends-depth extends 层数超过 8" in problems[0]


# ---------------------------------------------------------------------------------------------
# Parameters in a child

def test_parameter_overrides_in_the_child():
    parent = loaded().parameters
    child = loaded(PACKS / "child-stricter").parameters
    # bare value: type, title and bounds are inherited
    att = child["min_attendance"]
    assert (att.type, att.default, att.title, att.minimum, att.maximum) == ("number", 0.9, parent["min_attendance"].title, 0, 1)
    assert att.origin == "child-stricter"
    assert att.history == (("party-business-integration", 0.8), ("child-stricter", 0.9))
    # full declaration: a new title, same type
    fm02 = child["fm02_min_phrases"]
    assert (fm02.type, fm02.default, fm02.title) == ("integer", 2, "判定内容空泛的套话个数（加严）")
    # untouched parameter: still the parent's
    assert child["fm04_share"].default == parent["fm04_share"].default and child["fm04_share"].origin == "party-business-integration"
    assert child["fm04_share"].history == (("party-business-integration", parent["fm04_share"].default),)
    # a parameter new in the child
    assert child["zz_min_zone_members"].default == 3 and child["zz_min_zone_members"].origin == "child-stricter"


def test_parameter_overridden_twice_down_a_chain():
    decl = loaded(PACKS / "grandchild").parameters["min_attendance"]
    assert decl.default == 0.95 and decl.title == "党内会议最低出席率（分公司）" and decl.maximum == 1
    assert decl.history == (("party-business-integration", 0.8), ("child-stricter", 0.9), ("grandchild", 0.95))


def test_severity_override_and_disabled_rule():
    child = loaded(PACKS / "child-stricter")
    assert child.rules["FM03"].severity == "高"
    assert child.rules["AS04"].enabled is False
    assert "AS04" not in [r.id for r in child.enabled_rules()]
    assert "AS04" not in [r.id for r in compile_pack(child).rules]
    parent = loaded()             # the parent, loaded on its own, is untouched
    assert parent.rules["FM03"].severity == "中" and parent.rules["AS04"].enabled is True


def test_grandchild_can_enable_again_and_override_an_inherited_added_rule():
    pack = loaded(PACKS / "grandchild")
    assert pack.rules["AS04"].enabled is True
    assert pack.rules["ZZ01"].severity == "中"
    assert pack.rules["FM03"].severity == "高"            # from the middle pack


def test_overrides_only_in_a_child_pack():
    assert problems_of(PACKS / "root-with-overrides") == [
        "tests/fixtures/packs/root-with-overrides/pack.yaml:7:1: pack-schema overrides 只能写在扩展其他规则包（extends）"
        "的子规则包中；本包自己的规则请直接修改规则"]


# ---------------------------------------------------------------------------------------------
# Every structural problem, each at its file:line:col

BROKEN = "tests/fixtures/packs/broken-structure/"


def test_every_structural_problem_is_reported_with_its_position():
    problems = problems_of(PACKS / "broken-structure")
    duplicate = [p for p in problems if "duplicate-id" in p]
    # the parent's file is shown relative to the working directory, or absolute for an installed pack
    assert len(duplicate) == 1 and re.fullmatch(
        re.escape(BROKEN + "rules.yaml:1:7: duplicate-id 规则编号 FM03 重复（已在 ") +
        r"\S*party-business-integration/\w+\.yaml:\d+:3 定义）", duplicate[0]), duplicate
    others = [p for p in problems if "duplicate-id" not in p]
    assert others == [BROKEN + line for line in [
        "pack.yaml:6:1: unknown-key pack.yaml 中有未知键 “titel”，是否应为 title？",
        "pack.yaml:8:26: bad-parameter 参数 min_attendance 在上级规则包中是 number，不能改为 integer",
        "pack.yaml:9:20: bad-parameter 参数 fm01_similarity 应为数值，实际为 '高'",
        "pack.yaml:10:13: bad-parameter 参数 new_bare 应声明为 {type: …, default: …, title: …}",
        "pack.yaml:11:3: bad-parameter 参数 new_no_default 缺少 default",
        "pack.yaml:12:24: bad-parameter 参数 new_bad_type 的 type 应为 number、integer、string、boolean、date、list 之一，实际为 'float'",
        "pack.yaml:13:39: bad-parameter 参数 new_bad_date 应为日期 YYYY-MM-DD，实际为 '2025/13/01'",
        "pack.yaml:14:43: unknown-key 参数 new_typo 中有未知键 “titel”，是否应为 title？",
        "pack.yaml:15:3: bad-parameter 参数名 “Bad-Name” 应为小写字母、数字和下划线",
        "pack.yaml:17:3: bad-constant 常量名 “lower_case” 应为大写字母、数字和下划线，如 PARTY_MEETINGS",
        "pack.yaml:18:11: bad-constant 常量 NESTED 应为简单值或简单值的列表",
        "pack.yaml:20:7: bad-severity 严重程度 特急 需要 deadline_days（1–3650 的整数）",
        "rules.yaml:11:3: unknown-key 规则 T01 中有未知键 “mesage”，是否应为 message？",
        "rules.yaml:9:13: bad-severity 规则 T01 的 severity 应为 高、中、低 之一，实际为 '紧急'",
        "rules.yaml:7:3: missing-key 规则 T01 缺少 message（问题描述模板）",
        "rules.yaml:13:3: missing-key 规则 T02 缺少 title",
        "rules.yaml:13:3: missing-key 规则 T02 缺少 remedy",
        "rules.yaml:25:14: bad-test 测试 T03/negative 需要 fires（期望的发现数，非负整数），实际为 -1",
        "rules.yaml:26:13: bad-test 规则 T03 的测试用例需要 name（字母数字、-、_，如 low-attendance），实际为 'has space'",
        "rules.yaml:28:80: unknown-key 规则 T03 的测试用例 中有未知键 “expect”（可用：also、description、evidence、fires、"
        "name、not_also、params、status、unit）",
        "rules.yaml:28:45: bad-test 测试 T03/many-problems 的 unit 应为映射（与 tests/base.yaml 合并）",
        "rules.yaml:28:58: bad-test 测试 T03/many-problems 的 status 应为 fired、passed、not_applicable、missing_data 之一，实际为 'fire'",
        "rules.yaml:28:74: bad-test 测试 T03/many-problems 的 evidence 应为证据键的列表",
        "rules.yaml:31:13: bad-test 规则 T03 的测试用例名 dup 重复",
        "rules.yaml:33:7: bad-id 规则缺少合法的 id（字母开头，字母数字、-、_），实际为 '1T'",
        "rules.yaml:39:3: pack-schema 规则 T04 不能同时有 checks 与 when/for_each",
        "rules.yaml:41:7: unknown-key 规则 T04 的 checks[1] 中有未知键 “messages”，是否应为 message？",
        "pack.yaml:22:3: unknown-rule overrides 中的规则 FM3 不存在，是否应为 FM03？",
        "pack.yaml:23:24: unknown-key overrides.FM04 中有未知键 “enable”，是否应为 enabled？",
        "pack.yaml:23:20: bad-severity 严重程度 '极高' 未定义（可用：高、中、低）",
        "pack.yaml:24:19: pack-schema enabled 应为 true 或 false",
    ]]


def test_validate_prints_problems_in_file_order_and_exits_2():
    result = CliRunner().invoke(cli, ["validate", str(PACKS / "broken-structure")])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert len(lines) == 32
    positions = [(line.split(":")[0], int(line.split(":")[1]), int(line.split(":")[2])) for line in lines]
    assert positions == sorted(positions)
    assert lines[0] == BROKEN + "pack.yaml:6:1: unknown-key pack.yaml 中有未知键 “titel”，是否应为 title？"


def test_yaml_pitfall_unquoted_colon_is_explained():
    assert problems_of(PACKS / "broken-yaml") == [
        "tests/fixtures/packs/broken-yaml/rules.yaml:5:27: yaml-syntax YAML 语法错误：mapping values are not allowed here"
        "（值中含有“: ”时，请给整个值加引号，或改用 > 多行写法）"]


def test_pack_yaml_must_be_a_mapping_with_id_title_and_severities(tmp_path):
    (tmp_path / "pack.yaml").write_text("- a\n- b\n", "utf-8")
    assert [p.split(": ", 1)[1] for p in problems_of(tmp_path)] == [
        "pack-schema pack.yaml 应为映射（id、title、version、parameters…）"]
    (tmp_path / "pack.yaml").write_text("version: [1]\nextends: 3\n", "utf-8")
    messages = [p.split(": ", 1)[1] for p in problems_of(tmp_path)]
    assert messages == ["missing-key 缺少 id", "missing-key 缺少 title", "pack-schema version 应为文字（如 1.0.0），实际为 [1]",
                        "pack-schema extends 应为规则包 id 或相对目录", "pack-schema 缺少 severities（如 高: {deadline_days: 30}）"]


def test_rule_file_must_be_a_list(tmp_path):
    (tmp_path / "pack.yaml").write_text("id: s\ntitle: S\nseverities: {高: {deadline_days: 30}}\n", "utf-8")
    (tmp_path / "rules.yaml").write_text("id: R1\ntitle: x\n", "utf-8")
    [problem] = problems_of(tmp_path)
    assert problem.endswith("rules.yaml:1:1: pack-schema 规则文件应为规则的列表（每条以 “- id: …” 开头）")


# ---------------------------------------------------------------------------------------------
# A pack never reads outside its directory

def _small_pack(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pack.yaml").write_text("id: small\ntitle: 小包\nseverities: {高: {deadline_days: 30}}\n", "utf-8")
    (directory / "rules.yaml").write_text(
        "- {id: R01, title: 党员为零, severity: 高, when: members == 0, message: 党员人数为0。, remedy: 核实。}\n", "utf-8")


@pytest.mark.skipif(os.name == "nt", reason="symbolic links")
def test_rule_file_linked_from_outside_is_refused(tmp_path):
    pack = tmp_path / "pack"
    _small_pack(pack)
    outside = tmp_path / "outside.yaml"
    outside.write_text("- {id: R02, title: 外部, severity: 高, when: members == 1, message: x, remedy: y}\n", "utf-8")
    (pack / "evil.yaml").symlink_to(outside)
    inside_link = pack / "also.yml"
    (pack / "real.txt").write_text("- {id: R03, title: 内部, severity: 高, when: members == 2, message: x, remedy: y}\n", "utf-8")
    inside_link.symlink_to(pack / "real.txt")           # a link that stays inside the pack is fine
    problems = problems_of(pack)
    assert len(problems) == 1 and problems[0].endswith("evil.yaml:1:1: outside-pack 规则文件是指向规则包目录之外的链接，已拒绝读取")
    (pack / "evil.yaml").unlink()
    assert sorted(load_pack(pack).rules) == ["R01", "R03"]


@pytest.mark.skipif(os.name == "nt", reason="symbolic links")
def test_base_record_and_pack_yaml_linked_from_outside_are_refused(tmp_path):
    pack = tmp_path / "pack"
    _small_pack(pack)
    (pack / "tests").mkdir()
    secret = tmp_path / "secret.yaml"
    secret.write_text("unit_id: X\n", "utf-8")
    (pack / "tests" / "base.yaml").symlink_to(secret)
    [problem] = problems_of(pack)
    assert problem.endswith("tests/base.yaml:1:1: outside-pack tests/base.yaml 是指向规则包目录之外的链接，已拒绝读取")
    other = tmp_path / "other"
    other.mkdir()
    (other / "pack.yaml").symlink_to(pack / "pack.yaml")
    [problem] = problems_of(other)
    assert problem.endswith("pack.yaml:1:1: outside-pack pack.yaml 是指向规则包目录之外的链接，已拒绝读取")


# ---------------------------------------------------------------------------------------------
# Precedence: parent < child < --param, through real runs

_RUNS: dict[tuple, dict] = {}


def _run(tmp_path: Path, pack: str | None, params: tuple[str, ...] = ()) -> dict:
    """findings.json of a real run of the fixture unit (cached: several tests read the same runs)."""
    key = (pack, params)
    if key not in _RUNS:
        out = tmp_path / f"out-{len(_RUNS)}"
        outcome = execute(RunOptions(inputs=[str(UNIT)], pack=pack, out_dir=out, formats=["md"], params=params,
                                     as_of=dt.date(2026, 1, 15), fail_on="never"))
        assert outcome.exit_code == 0
        _RUNS[key] = json.loads((out / "findings.json").read_text("utf-8"))
    return _RUNS[key]


def _of(doc: dict, rule: str) -> list[str]:
    return sorted(f["evidence"][0]["key"] for f in doc["findings"] if f["rule"] == rule)


def test_child_that_raises_a_threshold_changes_the_result(tmp_path):
    # attendance 100 %, 90 %, 85 %, 80 %: the default 80 % lets all pass; the child's 90 % catches two
    parent = _run(tmp_path, None)
    child = _run(tmp_path, str(PACKS / "child-stricter"))
    assert _of(parent, "RS05") == []
    assert _of(child, "RS05") == ["DY-3", "DY-4"]
    assert parent["run"]["params"]["min_attendance"] == 0.8 and child["run"]["params"]["min_attendance"] == 0.9
    assert child["pack"]["id"] == "child-stricter"


def test_param_on_the_command_line_beats_the_child_and_the_parent(tmp_path):
    assert _of(_run(tmp_path, str(PACKS / "child-stricter"), ("min_attendance=0.85",)), "RS05") == ["DY-4"]
    assert _of(_run(tmp_path, None, ("min_attendance=0.95",)), "RS05") == ["DY-2", "DY-3", "DY-4"]
    assert _of(_run(tmp_path, str(PACKS / "grandchild")), "RS05") == ["DY-2", "DY-3", "DY-4"]


def test_child_severity_disabled_and_added_rules_in_a_run(tmp_path):
    parent = _run(tmp_path, None)
    child = _run(tmp_path, str(PACKS / "child-stricter"))
    sev = lambda doc, rule: [f["severity"] for f in doc["findings"] if f["rule"] == rule]  # noqa: E731
    assert sev(parent, "FM03") == ["中"] and sev(child, "FM03") == ["高"]
    assert sev(parent, "AS04") == ["低"] and sev(child, "AS04") == []
    assert "AS04" in parent["units"][0]["checks"] and "AS04" not in child["units"][0]["checks"]
    assert _of(parent, "ZZ01") == [] and _of(child, "ZZ01") == ["Z-1"]
    zz = [f for f in child["findings"] if f["rule"] == "ZZ01"][0]
    assert zz["message"] == "党员责任区“检修党员责任区”只有2名党员，少于3名。"
    assert zz["deadline"] == "2026-04-15"            # 低: 90 days from --as-of


def test_param_sources_for_a_run():
    pack = loaded(PACKS / "child-stricter")
    values, sources = resolve_params(pack, {"fm04_share": 0.5})
    assert (values["min_attendance"], sources["min_attendance"]) == (0.9, "规则包 child-stricter")
    assert (values["fm02_min_phrases"], sources["fm02_min_phrases"]) == (2, "规则包 child-stricter")
    assert (values["fm04_share"], sources["fm04_share"]) == (0.5, "命令行 --param")
    assert sources["fm01_similarity"] == "规则包 party-business-integration"


def test_child_pack_runs_its_own_and_its_inherited_test_cases():
    # inherited cases run with the values their own pack gave the parameters, so the child's stricter
    # attendance does not break the parent's RS05 "exactly-80-percent" case
    tester = PackTester(loaded(PACKS / "child-stricter"))
    rs05 = tester.pack.rules["RS05"]
    case = next(c for c in rs05.tests if c.name == "exactly-80-percent")
    assert tester.case_params(rs05, case) == {"min_attendance": 0.8, "fm02_min_phrases": 3}
    zz01 = tester.pack.rules["ZZ01"]
    assert tester.case_params(zz01, zz01.tests[0]) == {}
    assert tester.case_params(zz01, zz01.tests[2]) == {"zz_min_zone_members": 2}
    results = tester.run({"RS05", "ZZ01", "FM03"})
    assert [r.test_id for r in results if not r.passed] == []
    assert {r.rule for r in results} == {"RS05", "ZZ01", "FM03"}


def test_pbcheck_test_on_the_child_pack():
    result = CliRunner().invoke(cli, ["test", "-q", str(PACKS / "child-stricter"), "--rule", "ZZ01"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 failed")


# ---------------------------------------------------------------------------------------------
# --param: type checking against the declaration

DECLS = {
    "share": ParamDecl("share", "number", 0.8, "比例", "", Location("p", 1, 1), 0, 1),
    "count": ParamDecl("count", "integer", 3, "次数", "", Location("p", 1, 1), 1, None),
    "flag": ParamDecl("flag", "boolean", False, "开关", "", Location("p", 1, 1)),
    "since": ParamDecl("since", "date", dt.date(2025, 1, 1), "日期", "", Location("p", 1, 1)),
    "words": ParamDecl("words", "list", ["a"], "词表", "", Location("p", 1, 1)),
    "label": ParamDecl("label", "string", "x", "名称", "", Location("p", 1, 1)),
}


@pytest.mark.parametrize(("text", "value"), [
    ("share=0.9", 0.9), ("share=1", 1), ("share= 0.25 ", 0.25), ("share=1e-1", 0.1),
    ("count=5", 5), ("count=+7", 7),
    ("flag=true", True), ("flag=false", False), ("flag=是", True), ("flag=否", False), ("flag=YES", True),
    ("since=2025-06-30", dt.date(2025, 6, 30)),
    ("words=[高度重视, 认真贯彻]", ["高度重视", "认真贯彻"]), ("words=高度重视,认真贯彻", ["高度重视", "认真贯彻"]),
    ("words=高度重视、认真贯彻；狠抓落实", ["高度重视", "认真贯彻", "狠抓落实"]), ("words=[]", []),
    ("label=a=b", "a=b"),
])
def test_param_values_are_converted_to_the_declared_type(text, value):
    name, got = parse_param_assignment(text, DECLS)
    assert name == text.split("=")[0] and got == value and type(got) is type(value)


@pytest.mark.parametrize(("text", "message"), [
    ("share=abc", "参数 share 应为数值，实际为 'abc'"),
    ("share=nan", "参数 share 应为数值，实际为 nan"),
    ("share=inf", "参数 share 应为数值，实际为 inf"),
    ("share=1.5", "参数 share 不得大于 1，实际为 1.5"),
    ("share=-0.1", "参数 share 不得小于 0，实际为 -0.1"),
    ("count=2.5", "参数 count 应为整数，实际为 '2.5'"),
    ("count=0", "参数 count 不得小于 1，实际为 0"),
    ("flag=maybe", "参数 flag 应为 true 或 false，实际为 'maybe'"),
    ("since=2025-13-01", "参数 since 应为日期 YYYY-MM-DD，实际为 '2025-13-01'"),
    ("since=2025/06/30", "参数 since 应为日期 YYYY-MM-DD，实际为 '2025/06/30'"),
    ("nosuch=1", "未知参数 nosuch"),
    ("shar=0.5", "未知参数 shar；是否应为 share？"),
    ("share", "--param 应写作 名称=值，实际为 “share”"),
])
def test_bad_param_values_are_refused_with_a_clear_message(text, message):
    with pytest.raises(ParameterError) as info:
        parse_param_assignment(text, DECLS)
    assert str(info.value) == message
    assert info.value.problems[0].code in ("bad-parameter", "unknown-parameter")


def test_check_param_value_normalises():
    assert check_param_value(DECLS["since"], "2025-02-01") == (dt.date(2025, 2, 1), None)
    assert check_param_value(DECLS["words"], ("a", "b")) == (["a", "b"], None)
    assert check_param_value(DECLS["share"], True)[1] == "参数 share 应为数值，实际为 True"
    assert check_param_value(DECLS["words"], [["a"]])[1] == "参数 words 应为列表，如 [a, b]，实际为 [['a']]"


def test_bad_param_on_the_command_line_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["run", str(UNIT), "--out", str(tmp_path / "o"), "--no-history",
                                      "--param", "min_attendance=九成"])
    assert result.exit_code == 2
    assert "参数 min_attendance 应为数值，实际为 '九成'" in result.output
    assert not (tmp_path / "o" / "findings.json").exists()


def test_unknown_param_in_a_child_suggests_the_inherited_name(tmp_path):
    with pytest.raises(ParameterError) as info:
        execute(RunOptions(inputs=[str(UNIT)], pack=str(PACKS / "child-stricter"), out_dir=tmp_path,
                           params=["zz_min_zone_member=2"]))
    assert str(info.value) == "未知参数 zz_min_zone_member；是否应为 zz_min_zone_members？"
