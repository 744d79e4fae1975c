"""Tests for checker.outputs.templating and template_export, and the `pbcheck templates export` command."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from checker.cli.main import cli
from checker.errors import UsageError
from checker.outputs.template_export import README_NAME, export_templates
from checker.outputs.templating import EXPORTABLE_TEMPLATES, template_dirs, template_file
from checker.resources import builtin_templates_dir


def test_every_exportable_template_is_shipped():
    for name in EXPORTABLE_TEMPLATES:
        assert (builtin_templates_dir() / name).is_file(), name


def test_export_copies_templates_and_a_readme(tmp_path):
    target = tmp_path / "模板"
    written = export_templates(target)
    assert sorted(p.name for p in written) == sorted(list(EXPORTABLE_TEMPLATES) + [README_NAME])
    for name in EXPORTABLE_TEMPLATES:
        assert (target / name).read_bytes() == (builtin_templates_dir() / name).read_bytes()
    readme = (target / README_NAME).read_text(encoding="utf-8")
    assert f"--templates {target}" in readme and "{{ title }}" in readme and "{%p for group in groups %}" in readme


def test_export_refuses_to_overwrite_without_force(tmp_path):
    export_templates(tmp_path)
    (tmp_path / "notice.md.j2").write_text("已修改", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        export_templates(tmp_path)
    assert "notice.md.j2" in str(info.value) and "--force" in str(info.value)
    assert (tmp_path / "notice.md.j2").read_text(encoding="utf-8") == "已修改"
    export_templates(tmp_path, force=True)
    assert (tmp_path / "notice.md.j2").read_bytes() == (builtin_templates_dir() / "notice.md.j2").read_bytes()


def test_export_into_a_file_is_an_error(tmp_path):
    file = tmp_path / "x"
    file.write_text("", encoding="utf-8")
    with pytest.raises(UsageError):
        export_templates(file)


def test_template_search_path_and_files(tmp_path):
    assert template_dirs(None) == [builtin_templates_dir()]
    assert template_dirs(tmp_path) == [tmp_path, builtin_templates_dir()]
    assert template_file("notice.docx", tmp_path) == builtin_templates_dir() / "notice.docx"
    (tmp_path / "notice.docx").write_bytes(b"x")
    assert template_file("notice.docx", tmp_path) == tmp_path / "notice.docx"


def test_cli_templates_export(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["templates", "export", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    assert "已导出报告模板" in result.output and (tmp_path / "t" / "notice.docx").is_file()
    again = runner.invoke(cli, ["templates", "export", str(tmp_path / "t")])
    assert again.exit_code == 2
    forced = runner.invoke(cli, ["templates", "export", "--force", str(tmp_path / "t")])
    assert forced.exit_code == 0
