"""The bad-input corpus (tests/bad_inputs/): every broken file is refused with its exact place, never a traceback,
and the valid units next to it are still checked under --keep-going."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from bad_inputs.build import build_large
from checker.cli.main import cli

CORPUS = Path(__file__).parent / "bad_inputs"


@dataclass(frozen=True)
class Case:
    """One corpus input: the exit code of check-records, lines its output must contain, units checked/invalid under --keep-going."""

    path: str
    exit: int
    expect: tuple[str, ...] = ()
    checked: tuple[str, ...] = ()          # units of this input that are checked under --keep-going
    invalid: tuple[str | None, ...] = ()   # units listed as 未检查 (None: a problem of the file, not of a unit)
    large: bool = False


CASES = [
    # YAML
    Case("yaml/truncated.yaml", 2, ("yaml/truncated.yaml:5:38: yaml-syntax YAML 语法错误",), invalid=(None,)),
    Case("yaml/gbk.yaml", 2, ("yaml/gbk.yaml:2:7: encoding 不是有效的 UTF-8 文本", "疑似 GBK/GB18030 编码"), invalid=(None,)),
    Case("yaml/bom.yaml", 0, ("1 个单位记录全部有效",), checked=("Y-1",)),
    Case("yaml/anchors_bomb.yaml", 2, ("yaml/anchors_bomb.yaml:2:8: alias 不支持 YAML 锚点/别名",), invalid=(None,)),
    Case("yaml/deep_nesting.yaml", 2, ("yaml/deep_nesting.yaml:4:74: too-deep 嵌套层数超过 64 层",), invalid=(None,)),
    Case("yaml/nan_inf.yaml", 2, ("yaml/nan_inf.yaml:4:28: bad-number 不接受 NaN 或无穷大：.nan",), invalid=(None,)),
    Case("yaml/huge_int.yaml", 2, ("yaml/huge_int.yaml:4:8: range [Y-1] staff：期望 整数（0–10000000）",), invalid=("Y-1",)),
    Case("yaml/duplicate_units.yaml", 2,
         ("yaml/duplicate_units.yaml:3:15: duplicate-unit [Y-1] unit_id：单位编号 “Y-1” 重复，首次出现于 yaml/duplicate_units.yaml:2",),
         checked=("Y-1",), invalid=("Y-1",)),
    Case("yaml/present_gt_expected.yaml", 2,
         ("yaml/present_gt_expected.yaml:5:66: inconsistent [Y-1] meetings[0].present：实到人数 7 大于应到人数 5",),
         invalid=("Y-1",)),
    Case("yaml/dates_out_of_period.yaml", 0, ("1 个单位记录全部有效",), checked=("Y-1",)),
    Case("yaml/non_utf8.yaml", 2, ("yaml/non_utf8.yaml:4:9: encoding 不是有效的 UTF-8 文本：第 86 字节 0xc3",), invalid=(None,)),
    Case("yaml/utf16.yaml", 2, ("yaml/utf16.yaml:1:1: encoding 文件为 UTF-16 编码，请另存为 UTF-8",), invalid=(None,)),
    Case("yaml/duplicate_keys.yaml", 2, ("yaml/duplicate_keys.yaml:5:1: duplicate-key 键 “members” 重复（第 4 行已出现）",),
         invalid=(None,)),
    # JSON
    Case("json/truncated.json", 2, ("json/truncated.json:7:1: json-syntax",), invalid=(None,)),
    Case("json/nan.json", 2, ("json/nan.json:2:13: bad-number JSON 不接受 NaN",), invalid=(None,)),
    Case("json/infinity.json", 2, ("json/infinity.json:2:32: bad-number 数值超出范围：1e999",), invalid=(None,)),
    Case("json/huge_int.json", 2, ("json/huge_int.json:2:11: bad-number 整数位数过多",), invalid=(None,)),
    Case("json/deep.json", 2, ("json/deep.json:1:108: too-deep 嵌套层数超过 64 层",), invalid=(None,)),
    Case("json/gbk.json", 2, ("json/gbk.json:1:29: encoding 不是有效的 UTF-8 文本", "GBK"), invalid=(None,)),
    Case("json/bom.json", 0, ("1 个单位记录全部有效",), checked=("J-1",)),
    Case("json/duplicate_units.json", 2,
         ("json/duplicate_units.json:12:15: duplicate-unit [J-1] unit_id：单位编号 “J-1” 重复，首次出现于 json/duplicate_units.json:4",),
         checked=("J-1",), invalid=("J-1",)),
    Case("json/string_numbers.json", 2,
         ('json/string_numbers.json:1:103: type-error [J-1] members：期望 整数（0–10000000），实际 字符串 "23"（数字不要加引号）',),
         invalid=("J-1",)),
    # XLSX
    Case("xlsx/truncated.xlsx", 2, ("xlsx/truncated.xlsx:1:1: bad-workbook 无法打开工作簿：不是有效的 XLSX 文件（文件不完整，可能在复制或下载时被截断）",),
         invalid=(None,)),
    Case("xlsx/not_a_zip.xlsx", 2, ("xlsx/not_a_zip.xlsx:1:1: bad-workbook 无法打开工作簿：不是有效的 XLSX 文件",), invalid=(None,)),
    Case("xlsx/xls_renamed.xlsx", 2, ("xlsx/xls_renamed.xlsx:1:1: bad-workbook", "请在 Excel 中另存为 .xlsx"), invalid=(None,)),
    Case("xlsx/merged_cells.xlsx", 2,
         ("xlsx/merged_cells.xlsx › meetings › 第4行 › 列A: merged-cells [GD-B] 合并单元格 A4:A5",
          "xlsx/merged_cells.xlsx › meetings › 第5行 › 列A(unit_id): required unit_id 为空：无法确定本行属于哪个单位"),
         checked=("GD-A",), invalid=(None, "GD-B")),
    Case("xlsx/formula_cached.xlsx", 0, ("2 个单位记录全部有效",), checked=("GD-A", "GD-B")),
    Case("xlsx/formula_no_cache.xlsx", 2,
         ("xlsx/formula_no_cache.xlsx › meetings › 第4行 › 列F(present): formula [GD-B] 公式没有保存计算结果",),
         checked=("GD-A",), invalid=("GD-B",)),
    Case("xlsx/error_value.xlsx", 2,
         ("xlsx/error_value.xlsx › meetings › 第4行 › 列F(present): error-value [GD-B] 单元格是错误值 #DIV/0!",),
         checked=("GD-A",), invalid=("GD-B",)),
    Case("xlsx/xml_bomb.xlsx", 2,
         ("xlsx/xml_bomb.xlsx › meetings: bad-workbook 工作表 meetings 已损坏，无法读取",
          "xlsx/xml_bomb.xlsx › meetings: sheet-unreadable [GD-A]"), invalid=(None, "GD-A", "GD-B")),
    Case("xlsx/missing_units_sheet.xlsx", 2,
         ("xlsx/missing_units_sheet.xlsx:1:1: missing-sheet 缺少工作表 units（每行一个单位）；是否为工作表 “unit”？",
          "xlsx/missing_units_sheet.xlsx › unit: unknown-sheet 未知的工作表 “unit”"), invalid=(None,)),
    Case("xlsx/missing_list_sheet.xlsx", 0, ("2 个单位记录全部有效",), checked=("GD-A", "GD-B")),
    Case("xlsx/duplicate_unit_ids.xlsx", 2,
         ("xlsx/duplicate_unit_ids.xlsx › units › 第2行 › 列A(unit_id): duplicate-unit [GD-A] 单位编号 “GD-A” 在 units 表中重复",
          "xlsx/duplicate_unit_ids.xlsx › units › 第3行 › 列A(unit_id): duplicate-unit [GD-A]"),
         invalid=(None, "GD-A", "GD-A")),
    Case("xlsx/present_gt_expected.xlsx", 2,
         ("xlsx/present_gt_expected.xlsx › meetings › 第4行 › 列F(present): inconsistent [GD-B] 实到人数 9 大于应到人数 5",),
         checked=("GD-A",), invalid=("GD-B",)),
    Case("xlsx/cell_over_limit.xlsx", 2,
         ("xlsx/cell_over_limit.xlsx › units › 第3行 › 列B(name): too-long [GD-B] 单元格内容 40000 字，超过电子表格单元格上限 32767 字",),
         checked=("GD-A",), invalid=("GD-B",)),
    Case("xlsx/orphan_rows.xlsx", 2,
         ("xlsx/orphan_rows.xlsx › meetings › 第5行 › 列A(unit_id): unknown-unit unit_id “GD-Z” 不是 units 表中的单位编号",),
         checked=("GD-A", "GD-B"), invalid=(None,)),
    Case("xlsx/misspelt_unit_id.xlsx", 2,
         ("xlsx/misspelt_unit_id.xlsx › meetings › 第5行 › 列A(unit_id): unknown-unit [GD-B] unit_id “gd－b”",),
         checked=("GD-A",), invalid=("GD-B",)),
    Case("xlsx/unknown_column.xlsx", 2,
         ("xlsx/unknown_column.xlsx › meetings › 第2行 › 列F(presnt): unknown-column [GD-A] 未知的列 “presnt”（表头第1行）；"
          "是否为 “present”？",), invalid=("GD-A", "GD-B")),
    Case("xlsx/unknown_sheet.xlsx", 2,
         ("xlsx/unknown_sheet.xlsx › meeting: unknown-sheet 未知的工作表 “meeting”，其中的内容没有读取；是否为 “meetings”？",),
         checked=("GD-A", "GD-B"), invalid=(None,)),
    Case("xlsx/bad_dates.xlsx", 2,
         ('xlsx/bad_dates.xlsx › meetings › 第4行 › 列D(date): type-error [GD-B] 期望 日期 YYYY-MM-DD，实际 字符串 "3/12/2025"',
          'xlsx/bad_dates.xlsx › meetings › 第5行 › 列D(date): bad-date [GD-B] 期望 日期 YYYY-MM-DD，实际 字符串 "2025-02-30"'
          '（不存在的日期）',
          "xlsx/bad_dates.xlsx › meetings › 第6行 › 列D(date): type-error [GD-B] 期望 日期 YYYY-MM-DD，实际 整数 45728"),
         checked=("GD-A",), invalid=("GD-B",)),
    Case("xlsx/huge_int.xlsx", 2, ("xlsx/huge_int.xlsx › units › 第3行 › 列F(members): range [GD-B]",),
         checked=("GD-A",), invalid=("GD-B",)),
    Case("xlsx/missing_unit_id_column.xlsx", 2,
         ("xlsx/missing_unit_id_column.xlsx › meetings › 第1行: missing-column 缺少列 unit_id（单位编号）",
          "xlsx/missing_unit_id_column.xlsx › meetings: sheet-unreadable [GD-A]"),
         invalid=(None, "GD-A", "GD-B")),
    Case("xlsx/text_values.xlsx", 0, ("1 个单位记录全部有效",), checked=("GD-T",)),
    Case("xlsx/libreoffice_saved.xlsx", 0, ("1 个单位记录全部有效",), checked=("GD-L",)),
    Case("xlsx/template_filled.xlsx", 0, ("1 个单位记录全部有效",), checked=("GD-F",)),
    Case("xlsx/dates_out_of_period.xlsx", 0, ("2 个单位记录全部有效",), checked=("GD-A", "GD-B")),
    # CSV sets
    Case("csv/bom", 0, ("2 个单位记录全部有效",), checked=("GD-A", "GD-B")),
    Case("csv/excel_saved", 0, ("2 个单位记录全部有效",), checked=("GD-A", "GD-B")),
    Case("csv/gbk", 2, ("csv/gbk/units.csv › units › 第2行: encoding 不是有效的 UTF-8 文本", "CSV UTF-8（逗号分隔）"),
         invalid=(None,)),
    Case("csv/truncated", 2,
         ("csv/truncated/meetings.csv › meetings › 第3行: csv-syntax CSV 格式错误（第 3 行附近）：引号没有闭合，文件可能被截断",),
         invalid=(None, "GD-A", "GD-B")),
    Case("csv/orphan", 2, ("csv/orphan/meetings.csv › meetings › 第5行 › 列A(unit_id): unknown-unit unit_id “GD-Z”",),
         checked=("GD-A", "GD-B"), invalid=(None,)),
    Case("csv/formula_text", 2,
         ('csv/formula_text/meetings.csv › meetings › 第4行 › 列F(present): type-error [GD-B] 期望 整数（0–10000000），'
          '实际 字符串 "=SUM(2,2)"',), checked=("GD-A",), invalid=("GD-B",)),
    Case("csv/nan", 2, ('csv/nan/units.csv › units › 第3行 › 列F(members): type-error [GD-B] 期望 整数（0–10000000），实际 字符串 "NaN"',),
         checked=("GD-A",), invalid=("GD-B",)),
    Case("csv/huge_int", 2, ("csv/huge_int/units.csv › units › 第3行 › 列F(members): type-error [GD-B]", "（数字位数过多）"),
         checked=("GD-A",), invalid=("GD-B",)),
    Case("csv/non_utf8", 2, ("csv/non_utf8/meetings.csv › meetings › 第5行: encoding 不是有效的 UTF-8 文本",),
         invalid=(None, "GD-A", "GD-B")),
    Case("csv/missing_unit_id", 2, ("csv/missing_unit_id/meetings.csv › meetings › 第1行: missing-column 缺少列 unit_id",),
         invalid=(None, "GD-A", "GD-B")),
    # generated (10 MB text fields), not committed
    Case("big_field.yaml", 2, ("big_field.yaml:8:14: too-long [Y-1] meetings[0].minutes：期望 字符串（最长 200000 字），实际 3495253 字",),
         invalid=("Y-1",), large=True),
    Case("big_field.json", 2, ("big_field.json:1:", "too-long [J-1] meetings[0].minutes：期望 字符串（最长 200000 字）"),
         invalid=("J-1",), large=True),
    Case("big_field_csv", 2, ("big_field_csv/meetings.csv › meetings › 第4行 › 列G(topics): too-long [GD-B] 单元格内容",),
         checked=("GD-A",), invalid=("GD-B",), large=True),
    Case("big_field.xlsx", 2, ("big_field.xlsx › units › 第3行 › 列B(name): too-long [GD-B] 单元格内容 3495253 字",),
         checked=("GD-A",), invalid=("GD-B",), large=True),
]


@pytest.fixture(scope="session")
def large_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("large")
    build_large(directory)
    return directory


pytestmark = pytest.mark.usefixtures("compile_once")


def _where(case: Case, large_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(large_dir if case.large else CORPUS)


def test_the_corpus_is_large_enough():
    committed = [c for c in CASES if not c.large]
    assert len(committed) >= 30
    assert all((CORPUS / c.path).exists() for c in committed)
    kinds = {c.path.split("/")[0] for c in committed}
    assert kinds == {"yaml", "json", "xlsx", "csv"}


@pytest.mark.parametrize("case", CASES, ids=[c.path for c in CASES])
def test_check_records(case: Case, large_dir: Path, monkeypatch: pytest.MonkeyPatch):
    _where(case, large_dir, monkeypatch)
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["check-records", case.path])
    elapsed = time.perf_counter() - started
    assert result.exit_code == case.exit, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and "内部错误" not in result.output
    for text in case.expect:
        assert text in result.output, result.output
    assert elapsed < 60      # a sanity bound against pathological slowness, not a benchmark


@pytest.mark.parametrize("case", CASES, ids=[c.path for c in CASES])
def test_keep_going_checks_every_valid_unit(case: Case, large_dir: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch):
    _where(case, large_dir, monkeypatch)
    good = str(CORPUS / "good.yaml")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", case.path, good, "--keep-going", "--out", str(out), "--format", "md",
                                      "--no-history", "--fail-on", "never", "--as-of", "2026-01-15"])
    assert result.exit_code == case.exit, result.output
    assert "Traceback" not in result.output and "内部错误" not in result.output
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    checked = sorted(u["unit"] for u in data["units"] if u["status"] == "checked")
    assert checked == sorted(case.checked + ("GOOD-1",))
    invalid = sorted((None if u["unit"].startswith("<") else u["unit"]) or "" for u in data["units"]
                     if u["status"] == "invalid")
    assert invalid == sorted(i or "" for i in case.invalid)
    assert data["run"]["units_failed_validation"] == len(case.invalid)
    for unit in data["units"]:
        if unit["status"] == "invalid":
            assert unit["problems"], unit
