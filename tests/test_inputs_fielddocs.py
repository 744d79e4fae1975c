"""Tests of checker.inputs.fielddocs: docs/records.md generated from the schema, and kept current."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from checker.cli.main import cli
from checker.inputs.fielddocs import records_markdown
from checker.inputs.schema import UNIT, walk_lists
from checker.inputs.spreadsheet.layout import SHEETS

REPO = Path(__file__).resolve().parents[1]


def test_committed_reference_is_current():
    committed = REPO / "docs" / "records.md"
    assert committed.is_file(), "docs/records.md 不存在：请运行 pbcheck schema --format md --out docs/records.md"
    assert committed.read_text("utf-8") == records_markdown(), \
        "docs/records.md 与记录定义不一致：请运行 pbcheck schema --format md --out docs/records.md 重新生成"


def test_every_sheet_and_column_is_documented():
    text = records_markdown()
    for sheet in SHEETS:
        assert f'<a id="sheet-{sheet.name}"></a>' in text
        for column in sheet.columns:
            assert f"| `{column.name}` |" in text, (sheet.name, column.name)


def test_every_field_of_every_record_appears_with_its_label():
    text = records_markdown()
    for f in UNIT.fields:
        assert f.label in text
    for path, record in walk_lists():
        for f in record.fields:
            assert f.label in text, (path, f.name)


def test_dates_are_described_by_the_forms_that_are_accepted():
    text = records_markdown()
    assert "2025/3/12" in text and "2025年3月12日" in text
    assert "YYYY-MM-DD" not in text


def test_cli_writes_the_reference(tmp_path):
    out = tmp_path / "records.md"
    result = CliRunner().invoke(cli, ["schema", "--format", "md", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text("utf-8") == records_markdown()
