"""Tests for checker.render: sandboxed message and report environments, filters, error locations."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from jinja2.sandbox import SandboxedEnvironment

from checker.errors import Location, TemplateError
from checker.render import (compile_template, display, filter_date, filter_md, filter_percent, filter_period, format_float, message_environment, render, render_report, report_environment)

FILE = "rules/party-business-integration/fm.yaml"


def msg(source: str, **context: object) -> str:
    """Compile and render a message template placed at FILE:10:12."""
    return render(compile_template(source, file=FILE, line=10, col=12), context, file=FILE, line=10)


def problem_of(excinfo: pytest.ExceptionInfo[TemplateError]):
    assert len(excinfo.value.problems) == 1
    return excinfo.value.problems[0]


# ---------------------------------------------------------------------------- filters and finalize

@pytest.mark.parametrize("value, expected", [
    (0.756, "75.6%"), (0.8, "80%"), (1, "100%"), (0, "0%"), (1 / 3, "33.3%"),
    (0.1 + 0.2, "30%"), (1.5, "150%"), (None, "—"),
])
def test_percent(value, expected):
    assert filter_percent(value) == expected
    assert msg("{{ v|percent }}", v=value) == expected


def test_percent_digits_argument():
    assert filter_percent(0.12345, 2) == "12.35%"
    assert filter_percent(0.5, 2) == "50%"
    assert filter_percent(0.125, 2) == "12.5%"


def test_percent_rejects_non_numbers_as_template_error():
    with pytest.raises(TypeError):
        filter_percent("0.5")
    with pytest.raises(TemplateError) as exc:
        msg("{{ v|percent }}", v=True)
    assert problem_of(exc).code == "template-render"
    assert "percent" in problem_of(exc).message


@pytest.mark.parametrize("value, expected", [
    (dt.date(2025, 3, 12), "2025年3月12日"), ("2025-03-12", "2025年3月12日"),
    (dt.datetime(2026, 1, 5, 14, 30), "2026年1月5日"), ("2026-03-02T08:00:00", "2026年3月2日"),
    (None, "—"),
])
def test_date(value, expected):
    assert filter_date(value) == expected
    assert msg("{{ v|date }}", v=value) == expected


def test_date_rejects_garbage():
    with pytest.raises(ValueError):
        filter_date("12.3.2025")
    with pytest.raises(TemplateError) as exc:
        msg("{{ v|date }}", v="去年")
    assert problem_of(exc).code == "template-render"


def test_period_filter():
    assert filter_period("2025-01-01/2025-12-31") == "2025年1月1日至2025年12月31日"
    assert filter_period(None) == "—"


@pytest.mark.parametrize("value, expected", [
    (0.7000000001, "0.7"), (0.1 + 0.2, "0.3"), (2.0, "2"), (-0.0, "0"), (1234.56789, "1234.5679"),
    (0.00004, "0"), (12.5, "12.5"),
])
def test_float_without_noise(value, expected):
    assert format_float(value) == expected
    assert msg("{{ v }}", v=value) == expected


def test_finalize_none_and_dates():
    assert msg("负责人：{{ owner }}", owner=None) == "负责人：—"
    assert msg("{{ d }}", d=dt.date(2025, 3, 1)) == "2025-03-01"
    assert "None" not in msg("{{ a }}/{{ b }}", a=None, b=None)
    assert display(7) == 7 and display("x") == "x"


def test_messages_are_not_html_escaped():
    assert msg("{{ t }}", t="<b>&</b>") == "<b>&</b>"


def test_user_data_is_never_template_source():
    assert msg("纪要：{{ t }}", t="{{ 7*7 }}") == "纪要：{{ 7*7 }}"
    assert msg("{{ t }}", t="<script>alert(1)</script>") == "<script>alert(1)</script>"


def test_message_environment_is_sandboxed_and_strict():
    env = message_environment()
    assert isinstance(env, SandboxedEnvironment)
    assert env.autoescape is False
    assert set(["percent", "date"]) <= set(env.filters)


# ---------------------------------------------------------------------------- errors with locations

def test_undefined_variable_is_an_error_with_file_and_line():
    with pytest.raises(TemplateError) as exc:
        msg("第一行\n{{ unit.nmae }}", unit={"name": "一车间党支部"})
    problem = problem_of(exc)
    assert problem.code == "template-render"
    assert problem.location == Location(FILE, 11)      # template line 2 of a template starting at line 10
    assert "nmae" in problem.message
    assert str(problem).startswith(f"{FILE}:11:1: template-render ")


def test_undefined_top_level_name():
    with pytest.raises(TemplateError) as exc:
        msg("{{ vlaues.rate|percent }}", values={"rate": 0.5})
    assert "vlaues" in problem_of(exc).message
    assert problem_of(exc).location == Location(FILE, 10)


def test_defined_test_still_works_with_strict_undefined():
    assert msg("{% if owner is defined %}有{% else %}无{% endif %}") == "无"


def test_syntax_error_location_is_offset_by_the_template_start():
    with pytest.raises(TemplateError) as exc:
        compile_template("第一行\n{{ unit.name ", file=FILE, line=20, col=14)
    problem = problem_of(exc)
    assert problem.code == "template-syntax"
    assert problem.location == Location(FILE, 21, 14)
    assert problem.message.startswith("模板语法错误")
    assert problem.found == "{{ unit.name "


def test_unknown_filter_is_a_syntax_error():
    with pytest.raises(TemplateError) as exc:
        compile_template("{{ v|pecent }}", file=FILE, line=3, col=5)
    assert problem_of(exc).code == "template-syntax"
    assert problem_of(exc).location == Location(FILE, 3, 5)
    assert "pecent" in problem_of(exc).message


def test_type_error_inside_template():
    with pytest.raises(TemplateError) as exc:
        msg("a\nb\n{{ 1 + t }}", t="x")
    assert problem_of(exc).code == "template-render"
    assert problem_of(exc).location == Location(FILE, 12)
    assert "TypeError" in problem_of(exc).message


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ items.append(3) }}",
    "{{ unit.update({'name': 'x'}) }}",
])
def test_sandbox_blocks_unsafe_access(source):
    with pytest.raises(TemplateError) as exc:
        msg(source, items=[1, 2], unit={"name": "一车间"})
    assert problem_of(exc).code == "template-render"
    assert "沙箱" in problem_of(exc).message


def test_compile_template_uses_given_environment():
    env = message_environment()
    env.filters["shout"] = lambda s: s + "！"
    template = compile_template("{{ '整改'|shout }}", file=FILE, line=1, col=1, env=env)
    assert render(template, {}, file=FILE, line=1) == "整改！"


# ---------------------------------------------------------------------------- report environment

@pytest.fixture
def report_dirs(tmp_path: Path) -> tuple[Path, Path]:
    user, builtin = tmp_path / "user", tmp_path / "builtin"
    user.mkdir()
    builtin.mkdir()
    (builtin / "page.html.j2").write_text("<p>{{ t }}</p>", encoding="utf-8")
    (builtin / "page.md.j2").write_text("{{ t }}|{{ t|md }}", encoding="utf-8")
    (builtin / "shared.html.j2").write_text("内置", encoding="utf-8")
    (user / "shared.html.j2").write_text("用户", encoding="utf-8")
    return user, builtin


def test_html_report_templates_escape_data(report_dirs):
    env = report_environment(report_dirs)
    out = render_report(env, "page.html.j2", {"t": "<script>alert(1)</script>{{ 7*7 }}"})
    assert out == "<p>&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}</p>"


def test_markdown_templates_are_not_html_escaped_and_md_filter_escapes(report_dirs):
    env = report_environment(report_dirs)
    out = render_report(env, "page.md.j2", {"t": "<b>x</b>"})
    assert out == r"<b>x</b>|\<b\>x\</b\>"


def test_first_template_dir_wins(report_dirs):
    env = report_environment(report_dirs)
    assert render_report(env, "shared.html.j2", {}) == "用户"
    assert render_report(report_environment(list(reversed(report_dirs))), "shared.html.j2", {}) == "内置"


def test_md_filter_escapes_markdown_significant_characters():
    assert filter_md(r"a\b*c_d[e]f<g>h#i|j`k") == r"a\\b\*c\_d\[e\]f\<g\>h\#i\|j\`k"
    assert filter_md("第一行\n第二行\r\n第三行") == "第一行<br>第二行<br>第三行"
    assert filter_md(None) == "—"
    assert filter_md(0.7000000001) == "0.7"
    assert filter_md("{{ 7*7 }}") == r"{{ 7\*7 }}"


def test_report_filters_and_block_trimming(tmp_path):
    (tmp_path / "t.md.j2").write_text(
        "{% for s in sevs %}\n{{ s }}={{ s|severity_weight }}\n{% endfor %}\n{{ r|percent }} {{ d|date }} {{ n }}\n",
        encoding="utf-8")
    env = report_environment([tmp_path])
    out = render_report(env, "t.md.j2", {"sevs": ["高", "中", "低", "?"], "r": 0.5, "d": "2026-03-02", "n": None})
    assert out == "高=3\n中=2\n低=1\n?=0\n50% 2026年3月2日 —\n"


def test_report_template_missing(tmp_path):
    env = report_environment([tmp_path])
    with pytest.raises(TemplateError) as exc:
        render_report(env, "notice.html.j2", {})
    assert problem_of(exc).code == "template-missing"
    assert problem_of(exc).location.file == "notice.html.j2"
    assert str(tmp_path) in problem_of(exc).message


def test_report_template_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "bad.html.j2"
    path.write_text("<p>\n\n{% for x in xs %}\n</p>\n", encoding="utf-8")
    with pytest.raises(TemplateError) as exc:
        render_report(report_environment([tmp_path]), "bad.html.j2", {"xs": []})
    problem = problem_of(exc)
    assert problem.code == "template-syntax"
    assert Path(problem.location.file) == path
    assert problem.location.line == 4          # where Jinja noticed the unclosed for
    assert "endfor" in problem.message


def test_report_render_error_names_file_and_line(tmp_path):
    path = tmp_path / "r.html.j2"
    path.write_text("一\n二\n{{ unit.nmae }}\n", encoding="utf-8")
    with pytest.raises(TemplateError) as exc:
        render_report(report_environment([tmp_path]), "r.html.j2", {"unit": {"name": "x"}})
    problem = problem_of(exc)
    assert problem.code == "template-render"
    assert problem.location == Location(str(path), 3)


def test_report_render_error_in_included_template(tmp_path):
    (tmp_path / "main.html.j2").write_text("头\n{% include 'part.html.j2' %}\n", encoding="utf-8")
    (tmp_path / "part.html.j2").write_text("\n\n\n{{ missing }}\n", encoding="utf-8")
    with pytest.raises(TemplateError) as exc:
        render_report(report_environment([tmp_path]), "main.html.j2", {})
    assert problem_of(exc).location == Location(str(tmp_path / "part.html.j2"), 4)


def test_report_sandbox_blocks_unsafe_access(tmp_path):
    (tmp_path / "s.html.j2").write_text("{{ run.__class__.__init__.__globals__ }}", encoding="utf-8")
    with pytest.raises(TemplateError) as exc:
        render_report(report_environment([tmp_path]), "s.html.j2", {"run": object()})
    assert "沙箱" in problem_of(exc).message
