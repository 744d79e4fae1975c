"""The 融合度指数 in the outputs: radar chart, the notice section, summary.html sections, index.xlsx/csv."""
from __future__ import annotations

import csv
import dataclasses
import io
import re

import openpyxl
import pytest

from checker.index import Dimension, Grade, IndexSpec
from checker.outputs import charts
from checker.outputs.context import OutputContext
from checker.outputs.index_export import write_index
from checker.outputs.index_summary import build_index_summary, score_level
from checker.outputs.index_view import change, index_row, index_view
from checker.outputs.notices import build_notice_contexts, render_notice_html, render_notice_md
from checker.outputs.summary import render_summary
from checker.outputs.templating import report_env
from checker.pipeline.scoring import with_index
from output_fixtures import FORMULA, RULES, sample_context

SPEC = IndexSpec((Dimension("plan", "同规划", ("SY01",)), Dimension("organise", "组织建设", ("RS01",)),
                  Dimension("substance", "工作实效", ("FM03", "FM05")), Dimension("assess", "同考核", ("BO02",)),
                  Dimension("rectify", "整改落实", ("RC01",))),
                 (Grade(90, "优"), Grade(75, "良"), Grade(60, "中"), Grade(0, "差")))
SEVERITIES = {r.id: r.severity for r in RULES.values()}


def indexed_context(**extras) -> OutputContext:
    ctx = sample_context()
    units = tuple(with_index(u, SPEC, SEVERITIES) for u in ctx.units)
    return dataclasses.replace(ctx, units=units, extras={"formats": ("html", "summary"),
                                                         "index_grades": ["优", "良", "中", "差"], **extras})


# ------------------------------------------------------------------------------------- radar chart

def test_the_radar_marks_null_axes_and_tells_series_apart_without_colour():
    svg = str(charts.radar_chart(["同规划", "同布置", "同检查"], [charts.RadarSeries("本次", (80.0, None, 50.0)),
                                                               charts.RadarSeries("上次", (60.0, 40.0, None))],
                                 title="雷达图"))
    assert svg.startswith("<svg") and "<image" not in svg and "href" not in svg
    assert "不适用" in svg and "80" in svg and "50" in svg
    assert svg.count("stroke-dasharray") == 2                 # the second series' polygon and its legend line
    assert "<circle" in svg and "<rect" in svg                # filled circles vs hollow squares
    assert len(re.findall(r"<polygon", svg)) == 5             # the grid rings 20 … 100
    assert len(re.findall(r"<polyline", svg)) == 2            # each series has two values: a line, not a polygon


def test_the_radar_escapes_its_labels():
    svg = str(charts.radar_chart(["<b>x</b>"], [charts.RadarSeries("<s>", (10.0,))], title="<t>"))
    assert "<b>" not in svg and "&lt;b&gt;" in svg


def test_changes_are_exact_in_tenths():
    assert change(75.5, 73.0).text == "↑2.5"
    assert change(70.1, 70.3).text == "↓0.2"
    assert change(80.0, 80.0).text == "→0.0"
    assert change(None, 80.0) is None and change(80.0, None) is None


# ------------------------------------------------------------------------------------- notices

def test_the_notice_has_the_index_section_with_chart_and_table():
    ctx = indexed_context()
    gd07 = ctx.units[0]
    # GD-07: SY01 fired (waived), RS01, FM03, FM05, BO02 fired; RC01 not in the checklist → 整改落实 不适用
    assert gd07.index.to_json() == {"overall": 0.0, "grade": "差", "coverage": 1.0, "dimensions": {
        "plan": 0.0, "organise": 0.0, "substance": 0.0, "assess": 0.0, "rectify": None}}
    env = report_env(None)
    notices = build_notice_contexts(ctx.run, ctx.units, ctx.rules)
    html = render_notice_html(notices[0], env)
    assert "<h2>融合度评价</h2>" in html and "<svg" in html and "融合度指数为<span class=\"mark\">0.0</span>（差）" in html
    assert "<td>整改落实</td><td class=\"center\">不适用</td>" in html
    md = render_notice_md(notices[0], env)
    assert "## 融合度评价" in md and "| 整改落实 | 不适用 |" in md and "| **融合度指数** | **0.0** |" in md
    gd08 = render_notice_md(notices[1], env)
    assert "| 组织建设 | 0.0 | RS01 | 0 | 0 |" in gd08 and "| 同规划 | 100.0 | — | 1 | 0 |" in gd08


def test_the_notice_shows_the_change_since_the_previous_run():
    previous = {"GD-07": {"run": "abc", "seq": 1, "as_of": "2025-07-01", "overall": 12.5, "grade": "差",
                          "dimensions": {"plan": 50.0, "organise": 0.0, "substance": 0.0, "assess": 12.5,
                                         "rectify": None}}}
    ctx = indexed_context()
    notice = build_notice_contexts(ctx.run, ctx.units, ctx.rules, previous)[0]
    html = render_notice_html(notice, report_env(None))
    assert "较上次检查↓12.5" in html and "上次检查（2025-07-01）" in html and "stroke-dasharray" in html


def test_a_notice_without_index_has_no_section():
    ctx = sample_context()
    html = render_notice_html(build_notice_contexts(ctx.run, ctx.units, ctx.rules)[0], report_env(None))
    assert "融合度评价" not in html


def test_the_view_lists_the_rules_that_cost_points():
    view = index_view(indexed_context().units[1].index)
    rows = {r.id: r for r in view.rows}
    assert rows["organise"].fired_text == "RS01" and rows["plan"].fired_text == "—"
    assert view.coverage_text == "100.0%" and not view.thin


# ------------------------------------------------------------------------------------- summary

def test_the_summary_ranks_units_by_index_with_shared_ranks():
    ctx = indexed_context()
    data = build_index_summary([index_row(u) for u in ctx.units if u.index is not None], ["优", "良", "中", "差"])
    ranked = [(r.rank, r.unit, r.shown) for r in data.ranking]
    # GD-09: SY01 n/a, others passed → 100; GD-10: BO02 fired (waived) → assess 0, mean of 4 = 75.0
    # GD-08: RS01, FM05 fired → organise 0, substance 100 × (1 − 1/3) = 66.66…, mean (100 + 0 + 66.66… + 100) / 4
    assert ranked == [(1, "GD-09", "100.0"), (2, "GD-10", "75.0"), (3, "GD-08", "66.7"), (4, "GD-07", "0.0")]
    assert [(g.grade, g.units) for g in data.grade_counts] == [("优", 1), ("良", 1), ("中", 1), ("差", 1)]
    parents = {p.parent: p.mean for p in data.parents}
    assert parents == {"某某公司党委": "37.5", "另一公司党委": "66.7", "（未填写上级组织）": "100.0"}
    assert data.mean == "60.4"                                   # (100 + 75 + 66.7 + 0) / 4 = 60.425 → 60.4
    gd09 = next(r for r in data.ranking if r.unit == "GD-09")
    assert gd09.cells[0] == ("不适用", 0, "na")


def test_ties_in_the_index_share_a_rank():
    ctx = indexed_context()
    rows = [index_row(u) for u in ctx.units if u.index is not None]
    twin = dataclasses.replace(rows[0], unit="GD-70")
    data = build_index_summary(rows + [twin])
    assert [r.rank for r in data.ranking if r.overall == 0.0] == [4, 4]


@pytest.mark.parametrize("score, level", [(100.0, 0), (90.0, 0), (89.9, 1), (80.0, 1), (65.0, 3), (40.0, 4),
                                          (39.9, 5), (None, 0)])
def test_heat_map_shades(score, level):
    assert score_level(score) == level


def test_summary_html_has_the_index_sections_and_the_change():
    previous = {"GD-08": {"run": "abc", "seq": 1, "as_of": "2025-07-01", "overall": 70.0, "grade": "中",
                          "dimensions": {"plan": 100.0, "organise": 0.0, "substance": 80.0, "assess": 100.0,
                                         "rectify": None}}}
    html = render_summary(indexed_context(index_previous=previous))
    section = html.split('<section id="index">', 1)[1].split("</section>", 1)[0]
    for words in ("各维度平均得分", "等级分布", "单位排名（按融合度指数）", "热力图：单位 × 维度", "按上级组织的平均融合度指数",
                  "<svg", "全部单位平均 60.4", "1 个单位可比，0 个上升（↑），1 个下降（↓）"):
        assert words in section, words
    assert '<span class="down">↓3.3</span>' in section and "首次" in section


def test_summary_without_index_has_no_index_section():
    assert 'id="index"' not in render_summary(sample_context())


# ------------------------------------------------------------------------------------- --format index

def test_index_csv_and_xlsx_have_one_row_per_checked_unit():
    ctx = indexed_context()
    ctx = dataclasses.replace(ctx, units=(dataclasses.replace(ctx.units[1], name=FORMULA),) + ctx.units[2:])
    files = dict(write_index(ctx))
    text = files["index.csv"]
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["unit", "name", "parent", "overall", "grade", "coverage", "plan", "organise", "substance",
                       "assess", "rectify"]
    assert rows[1] == ["GD-08", "'" + FORMULA, "另一公司党委", "66.7", "中", "1.0", "100.0", "0.0", "66.7", "100.0", ""]
    assert [r[0] for r in rows[1:]] == ["GD-08", "GD-09", "GD-10"]     # the invalid GD-11 has no index
    wb = openpyxl.load_workbook(io.BytesIO(files["index.xlsx"]))
    sheet = wb["融合度指数"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == tuple(rows[0])
    assert values[1][:6] == ("GD-08", FORMULA, "另一公司党委", 66.7, "中", 1)
    assert values[1][-1] is None
    assert sheet["B2"].data_type == "s"                               # text, never a formula
    assert "说明" in wb.sheetnames


def test_index_is_a_registered_format():
    from checker.outputs.registry import available_formats, writer
    assert "index" in available_formats() and writer("index") is write_index


def test_the_word_notice_has_the_radar_picture_and_the_score_table():
    import zipfile

    import docx

    from checker.outputs.docx import write_docx
    from checker.outputs.radar_png import cjk_font_file
    files = dict(write_docx(indexed_context()))
    data = files["notices/GD-08.docx"]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    cells = [c.text for t in docx.Document(io.BytesIO(data)).tables for row in t.rows for c in row.cells]
    assert "融合度评价" in text and "融合度指数为66.7（中）" in text
    assert ["组织建设", "0.0", "RS01", "0", "0"] == cells[cells.index("组织建设"):cells.index("组织建设") + 5]
    pictures = [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("word/media/")]
    assert len(pictures) == (1 if cjk_font_file() else 0)


def test_the_png_radar_needs_a_chinese_font_and_is_a_png():
    from checker.outputs.radar_png import cjk_font_file, radar_png
    png = radar_png(["同规划", "同布置", "同检查"], [charts.RadarSeries("本次", (80.0, None, 50.0)),
                                                    charts.RadarSeries("上次", (60.0, 40.0, 70.0))])
    if cjk_font_file() is None:
        assert png is None
    else:
        assert png.startswith(b"\x89PNG")
