"""The `index:` section of pack.yaml: read, inherited or replaced by a child pack, checked by `pbcheck validate`."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli.main import cli
from checker.errors import PackError
from checker.pack.loader import load_pack

RULE = """\
- id: {rid}
  title: 规则{rid}
  severity: {sev}
  when: members < 3
  message: 党员人数少。
  remedy: 补充党员。
"""
PACK = """\
id: mini
title: 小规则包
version: 1.0.0
severities:
  高: {{deadline_days: 30}}
  中: {{deadline_days: 60}}
{index}"""


def _pack(tmp_path: Path, index: str, rules=(("AA01", "高"), ("AA02", "中"), ("AA03", "中"))) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pack.yaml").write_text(PACK.format(index=index), "utf-8")
    (tmp_path / "rules.yaml").write_text("".join(RULE.format(rid=r, sev=s) for r, s in rules), "utf-8")
    return tmp_path


GOOD = """\
index:
  dimensions:
    - {id: one, name: 一, rules: [AA01, AA02]}
    - {id: two, name: 二, rules: [AA03]}
  grades: [{min: 80, name: 好}, {min: 0, name: 差}]
"""


def _validate(path: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["validate", str(path)])
    return result.exit_code, result.output.strip().splitlines()


def test_the_index_is_read_with_its_dimensions_and_grades(tmp_path):
    pack = load_pack(_pack(tmp_path, GOOD))
    assert [(d.id, d.name, d.rules) for d in pack.index.dimensions] == [("one", "一", ("AA01", "AA02")),
                                                                       ("two", "二", ("AA03",))]
    assert [(g.min, g.name) for g in pack.index.grades] == [(80, "好"), (0, "差")]
    assert pack.warnings == []


def test_a_pack_without_index_has_none(tmp_path):
    assert load_pack(_pack(tmp_path, "")).index is None


def test_unknown_rule_ids_are_errors_at_their_position(tmp_path):
    path = _pack(tmp_path, GOOD.replace("[AA03]", "[AA03, AA04x]"))
    code, lines = _validate(path)
    assert code == 2
    assert len(lines) == 1 and lines[0].endswith("pack.yaml:10:40: unknown-rule 融合度指数维度 two 中的规则 AA04x 不存在，是否应为 AA03？")


def test_a_rule_in_two_dimensions_is_an_error_with_file_line_col(tmp_path):
    path = _pack(tmp_path, GOOD.replace("[AA03]", "[AA03, AA01]"))
    with pytest.raises(PackError) as err:
        load_pack(path)
    (problem,) = err.value.problems
    assert problem.code == "index-duplicate"
    assert (problem.location.line, problem.location.col) == (10, 40)
    assert "AA01 同时属于维度 one 和 two" in problem.message
    code, lines = _validate(path)
    assert code == 2 and lines == [str(problem)]


def test_a_rule_in_no_dimension_is_a_warning_and_validate_still_passes(tmp_path):
    path = _pack(tmp_path, GOOD.replace("[AA03]", "[]"))
    pack = load_pack(path)
    (warning,) = pack.warnings
    assert warning.code == "index-unplaced" and (warning.location.line, warning.location.col) == (13, 3)
    code, lines = _validate(path)
    assert code == 0
    assert lines[0].endswith("rules.yaml:13:3: index-unplaced 警告：规则 AA03 不属于融合度指数的任何维度"
                             "（在 pack.yaml 的 index.dimensions 中补上），它的结果不计入指数")
    assert lines[1] == "mini 1.0.0：3 条规则，未发现问题（1 条警告）。"


@pytest.mark.parametrize("index, words", [
    ("index: [a]\n", "index 应为映射"),
    ("index: {dimensions: []}\n", "index.dimensions 应为非空列表"),
    ("index:\n  dimensions:\n    - {id: One, name: 一, rules: [AA01]}\n", "id 应为小写字母开头"),
    ("index:\n  dimensions:\n    - {id: one, rules: [AA01]}\n", "缺少 name"),
    ("index:\n  dimensions:\n    - {id: one, name: 一, rules: AA01}\n", "rules 应为规则编号的列表"),
    ("index:\n  dimensions:\n    - {id: one, name: 一, rules: [AA01]}\n    - {id: one, name: 二, rules: [AA02]}\n",
     "维度 id one 重复"),
    ("index:\n  dimensions:\n    - {id: one, name: 一, rules: [AA01]}\n  grades: [{min: 120, name: 优}]\n", "0–100"),
    ("index:\n  dimensions:\n    - {id: one, name: 一, rules: [AA01]}\n  grades: [{min: 0, name: 差}, {min: 90, name: 优}]\n",
     "从高到低"),
    ("index:\n  dimensions:\n    - {id: one, name: 一, rules: [AA01], weight: 2}\n", "未知键 “weight”"),
])
def test_malformed_index_sections_are_pack_errors(tmp_path, index, words):
    with pytest.raises(PackError) as err:
        load_pack(_pack(tmp_path, index))
    assert any(words in p.message for p in err.value.problems), [str(p) for p in err.value.problems]
    assert all(p.location.file.endswith("pack.yaml") for p in err.value.problems)


def test_a_child_pack_inherits_the_index_or_replaces_it(tmp_path):
    parent = _pack(tmp_path / "parent", GOOD)
    child = tmp_path / "child"
    child.mkdir()
    (child / "pack.yaml").write_text(f"id: kid\ntitle: 子\nversion: 1.0.0\nextends: ../parent\n", "utf-8")
    assert [d.id for d in load_pack(child).index.dimensions] == ["one", "two"]
    (child / "pack.yaml").write_text("id: kid\ntitle: 子\nversion: 1.0.0\nextends: ../parent\n"
                                     "index:\n  dimensions:\n    - {id: all, name: 全部, rules: [AA01, AA02, AA03]}\n",
                                     "utf-8")
    pack = load_pack(child)
    assert [d.id for d in pack.index.dimensions] == ["all"] and pack.warnings == []
    assert [g.name for g in pack.index.grades] == ["优", "良", "中", "差"]     # grades default to index.md's
    assert parent.is_dir()


def test_explain_and_the_reference_show_each_rules_dimension():
    result = CliRunner().invoke(cli, ["explain", "SY03"])
    assert "融合度维度" in result.output and "同检查（inspect）" in result.output
    result = CliRunner().invoke(cli, ["explain", "X01"])
    assert "不计入" in result.output
    reference = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text("utf-8")
    assert "| 融合度维度 | 同检查（inspect） |" in reference
