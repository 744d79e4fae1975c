"""`pbcheck explain` and `pbcheck docs`: one rule, or the whole rule reference, read from the pack."""
from __future__ import annotations

import functools
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from checker.cli.main import cli
from checker.pack.docs import cell, code, families, family_title, fenced, pack_markdown
from checker.errors import UsageError
from checker.pack.explain import explain as render_explain
from checker.pack.explain import find_rule, prose, rule_view, used_parameters, written
from checker.pack.loader import load_pack

REPO = Path(__file__).resolve().parent.parent
CHILD = "tests/fixtures/packs/child-stricter"


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)


@functools.lru_cache(maxsize=None)
def loaded(reference=None):
    return load_pack(reference)


def explain(*args: str) -> tuple[int, str]:
    """`pbcheck explain ARGS` through the command line: (exit code, output)."""
    result = CliRunner(env={"COLUMNS": "250"}).invoke(cli, ["explain", *args])
    return result.exit_code, result.output


def shown(rule_id: str, pack=None, params=None) -> str:
    """What `pbcheck explain` prints for a rule of an already loaded pack (no reloading per test)."""
    console = Console(file=io.StringIO(), width=250, highlight=False, emoji=False)
    console.print(render_explain(loaded(pack), rule_id, params))
    return console.file.getvalue()


def squash(text: str) -> str:
    """Terminal output without the table rules and padding, for substring checks."""
    return re.sub(r"[ │┃━╇─]+", " ", text)


# ---------------------------------------------------------------------------------------------
# explain

def test_explain_shows_everything_the_pack_says_about_a_rule():
    code_, out = explain("RS05")
    assert code_ == 0
    rule = loaded().rules["RS05"]
    flat = squash(out)
    assert out.startswith(f"RS05 {rule.title}")
    assert f"严重程度 {rule.severity}（整改时限 60 天）" in flat
    assert "、".join(rule.tags) in out
    for ref in rule.refs:
        assert f"• {ref}" in out
    assert "逐项（for_each）：meetings" in out
    for line in written(rule.parts[0].when).splitlines():
        assert line.strip() in out                      # the condition as written, line by line
    assert "min_attendance 党内会议最低出席率 数值 0.8（0–1） 规则包 party-business-integration" in flat
    assert rule.remedy.value.split("{{")[0] in out
    for case in rule.tests:
        assert case.name in out
    assert "exactly-80-percent — 发现 0 条" in flat
    assert f"测试用例（{len(rule.tests)} 个）" in out


def test_explain_shows_values_and_several_parts():
    out = shown("FM04")
    assert "检查条件 第 1 部分" in out and "检查条件 第 2 部分" in out
    assert "对象：整个单位" in out and "逐项（for_each）：meetings" in out
    assert "计算值（values）" in out and "party = count(meetings where type in PARTY_MEETINGS and in_period(date))" in out
    flat = squash(out)
    for name in ("fm04_min_meetings", "fm04_share", "fm04_window_days", "fm04_late_days"):
        assert name in flat
    assert "本部分的问题描述" in out


def test_explain_parameter_sources_in_a_child_pack_and_on_the_command_line():
    out = shown("RS05", CHILD)
    assert "0.9（0–1） 本规则包 child-stricter（party-business-integration 中为 0.8）" in squash(out)
    _, out = explain("RS05", "--pack", CHILD, "--param", "min_attendance=0.85")
    assert ("0.85（0–1） 命令行 --param（party-business-integration 中为 0.8，child-stricter 中为 0.9）"
            in squash(out))
    out = shown("FM04", CHILD)
    assert "0.4（0–1） 上级规则包 party-business-integration" in squash(out)


def test_explain_added_disabled_and_overridden_rules_of_a_child():
    out = shown("ZZ01", CHILD)
    flat = squash(out)
    assert "规则包 child-stricter · zones.yaml 第 2 行" in out
    assert "集团《党员责任区管理办法》第五条" in out
    assert "责任区党员人数少于集团规定的下限时，责任区难以发挥示范作用。" in out
    assert "zz_min_zone_members 党员责任区最少党员人数 整数 3（1–） 本规则包 child-stricter" in flat
    assert "lower-limit-by-param — 发现 0 条；参数 zz_min_zone_members=2" in flat
    assert "two-members 责任区只有 2 名党员 发现 1 条" in flat
    assert "已停用" in shown("AS04", CHILD)
    assert "严重程度 高（整改时限 30 天）" in squash(shown("FM03", CHILD))


def test_explain_composite_shows_its_kind_and_expectations():
    out = shown("X01")
    assert "综合诊断：依据本单位其他规则的发现判定（composite: true）" in out
    assert "同时触发 FM03、FM04、RS05" in squash(out)


def test_explain_unknown_rule_exits_2_with_a_suggestion():
    code_, out = explain("RS5")
    assert code_ == 2
    assert "规则包 party-business-integration 中没有规则 RS5；是否应为 RS05" in out
    code_, out = explain("ZZ01")
    assert code_ == 2 and "没有规则 ZZ01" in out


def test_explain_accepts_a_lowercase_id():
    assert shown("rs05").startswith("RS05 ")
    assert find_rule(loaded(), "fm03").id == "FM03"
    with pytest.raises(UsageError):
        find_rule(loaded(), "FM99")


def test_explain_bad_param_exits_2():
    code_, out = explain("RS05", "--param", "min_attendance=很高")
    assert code_ == 2 and "参数 min_attendance 应为数值，实际为 '很高'" in out


def test_explain_never_interprets_pack_text_as_markup(tmp_path):
    (tmp_path / "pack.yaml").write_text("id: m\ntitle: 标记\nseverities: {高: {deadline_days: 30}}\n", "utf-8")
    (tmp_path / "rules.yaml").write_text(
        '- {id: M01, title: "[bold]标题[/bold]", severity: 高, description: "[red]说明[/red] | 竖线",\n'
        '   when: members == 0, message: "[link]x[/link]", remedy: y}\n', "utf-8")
    code_, out = explain("M01", "--pack", str(tmp_path))
    assert code_ == 0
    assert "[bold]标题[/bold]" in out and "[red]说明[/red] | 竖线" in out and "[link]x[/link]" in out


# ---------------------------------------------------------------------------------------------
# The rule view

def test_used_parameters_from_expressions_and_templates():
    pack = loaded()
    assert used_parameters(pack.rules["RS05"]) == ["min_attendance"]
    assert set(used_parameters(pack.rules["FM04"])) == {"fm04_min_meetings", "fm04_share", "fm04_window_days",
                                                         "fm04_late_days"}
    assert used_parameters(pack.rules["FM03"]) == []
    view = rule_view(pack, pack.rules["FM04"])
    assert [p.name for p in view.params] == [n for n in pack.parameters if n.startswith("fm04_")]


def test_rule_view_fields():
    pack = loaded(CHILD)
    view = rule_view(pack, pack.rules["ZZ01"], {"zz_min_zone_members": 5})
    assert (view.id, view.severity, view.deadline_days, view.tags, view.pack_id, view.file) == \
        ("ZZ01", "低", 90, ("形式化",), "child-stricter", "zones.yaml")
    assert view.parts[0].for_each == "zones"
    assert view.parts[0].when == "item.members != null and item.members < params.zz_min_zone_members"
    [use] = view.params
    assert (use.value, use.source, use.earlier) == (5, "命令行 --param", (("child-stricter", 3),))
    assert [(c.name, c.fires) for c in view.tests] == [("two-members", 1), ("three-members", 0),
                                                       ("lower-limit-by-param", 0), ("baseline-clean", 0)]


def test_written_keeps_the_authors_layout(tmp_path):
    (tmp_path / "pack.yaml").write_text("id: w\ntitle: W\nseverities: {高: {deadline_days: 30}}\n", "utf-8")
    (tmp_path / "rules.yaml").write_text(
        "- id: W01\n"
        "  title: t\n"
        "  severity: 高\n"
        "  applies: >\n"
        "    members > 0 and\n"
        "      staff > 0\n"
        "  when: members > 0 and\n"
        "    staff > 1\n"
        "  message: |\n"
        "    第一行\n"
        "    第二行\n"
        "  remedy: \"单行\\\n"
        "    续行\"\n", "utf-8")
    rule = load_pack(tmp_path).rules["W01"]
    assert written(rule.applies) == "members > 0 and\n  staff > 0"
    assert written(rule.parts[0].when) == "members > 0 and\nstaff > 1"
    assert rule.parts[0].when.value == "members > 0 and staff > 1"
    assert written(rule.message) == "第一行\n第二行"
    assert written(rule.remedy) == "单行续行"          # quoted scalars show their value
    assert written(None) is None


def test_prose_removes_blanks_yaml_folding_put_between_chinese_characters():
    assert prose("重业务轻党建、\n  重党建轻业务") == "重业务轻党建、重党建轻业务"
    assert prose("使用 pbcheck  检查\n记录") == "使用 pbcheck 检查记录"


# ---------------------------------------------------------------------------------------------
# docs

def test_families_follow_the_rule_files_and_their_heading_comments():
    pack = loaded()
    groups = families(pack)
    assert [r.id for f in groups for r in f.rules] == list(pack.rules)
    by_file = {f.file: f for f in groups}
    assert by_file["formalism.yaml"].title.startswith("FM 形式化")
    assert len(groups) == len({r.file for r in pack.rules.values()})


def test_family_title_falls_back_to_the_file_name(tmp_path):
    plain = tmp_path / "misc_rules.yaml"
    plain.write_text("- id: A\n", "utf-8")
    assert family_title(str(plain)) == "misc_rules"
    commented = tmp_path / "zz.yaml"
    commented.write_text("\n# ZZ 新增规则 —— 集团要求\n- id: A\n", "utf-8")
    assert family_title(str(commented)) == "ZZ 新增规则 —— 集团要求"


def test_markdown_helpers():
    assert cell("a|b\nc") == "a\\|b<br>c"
    assert cell("") == "—"
    assert code("x") == "`x`" and code("a`b") == "``a`b``"
    assert fenced("a\n```\nb") == ["````text", "a\n```\nb", "````"]


def test_reference_of_the_default_pack():
    pack = loaded()
    text = pack_markdown(pack)
    assert text == pack_markdown(pack)              # deterministic
    assert text.startswith("<!-- 本文件由 `pbcheck docs --out docs/rules.md` 根据规则包生成")
    assert f"# 规则参考：{pack.title}" in text
    for rule in pack.rules.values():
        assert f'<a id="rule-{rule.id}"></a>' in text
        assert f"### {rule.id} " in text
        assert f"[{rule.id}](#rule-{rule.id})" in text
    for name in pack.parameters:
        assert f"| `{name}` |" in text
    section = text.split('<a id="rule-RS05"></a>')[1].split("<a id=")[0]
    assert "| 严重程度 | 中（整改时限 60 天） |" in section
    assert "**检查条件**（逐项（for_each）：`meetings`）：" in section
    assert "| `min_attendance` | 党内会议最低出席率 | 0.8 | 规则包 party-business-integration |" in section
    assert "| `exactly-80-percent` | — | 发现 0 条 |" in section
    assert "| `min_attendance` | 党内会议最低出席率 | 数值 | 0.8 | 0–1 | 规则包 party-business-integration | [RS05](#rule-RS05) |" \
        in text
    assert "| 高 | 30 |" in text and "| `PARTY_MEETINGS` | 支部党员大会、支委会、" in text
    assert str(REPO) not in text                   # nothing machine-specific


def test_reference_of_a_child_pack():
    text = pack_markdown(loaded(CHILD))
    assert "（继承关系：`child-stricter` → `party-business-integration`）" in text
    zz = text.split('<a id="rule-ZZ01"></a>')[1]
    assert "| 定义于 | `zones.yaml`（规则包 `child-stricter`） |" in zz
    as04 = text.split('<a id="rule-AS04"></a>')[1].split("<a id=")[0]
    assert "| 状态 | 已停用（overrides 中 enabled: false） |" in as04
    assert "| `min_attendance` | 党内会议最低出席率 | 0.9 | 本规则包 child-stricter（party-business-integration 中为 0.8） |" in text
    assert "## ZZ 本集团新增规则" in text


def test_docs_command_writes_the_file_or_prints(tmp_path):
    out = tmp_path / "sub" / "rules.md"
    result = CliRunner().invoke(cli, ["docs", "--pack", CHILD, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text("utf-8") == pack_markdown(loaded(CHILD))
    assert f"已生成 {out}（规则包 child-stricter 0.1.0，" in result.output
    printed = CliRunner().invoke(cli, ["docs", "--pack", CHILD])
    assert printed.exit_code == 0 and printed.output == pack_markdown(loaded(CHILD))


def test_docs_for_a_broken_pack_exits_2():
    result = CliRunner().invoke(cli, ["docs", "--pack", "tests/fixtures/packs/broken-yaml"])
    assert result.exit_code == 2 and "yaml-syntax" in result.output


def test_committed_rule_reference_is_up_to_date():
    committed = REPO / "docs" / "rules.md"
    assert committed.is_file(), "docs/rules.md 不存在：请运行 pbcheck docs --out docs/rules.md"
    assert committed.read_text("utf-8") == pack_markdown(loaded()), \
        "docs/rules.md 与规则包不一致（规则包改过）：请运行 pbcheck docs --out docs/rules.md 重新生成"
