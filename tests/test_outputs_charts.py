"""Tests for checker.outputs.charts: inline SVG charts drawn in Python."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from checker.outputs.charts import (Bar, StackedBar, axis_ticks, bar_chart, fit_label, heat_css, heat_level, stacked_bar_chart, text_width_em)

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


@pytest.mark.parametrize("value, ticks", [(0, [0, 1]), (1, [0, 1]), (3, [0, 1, 2, 3]), (6, [0, 2, 4, 6]),
                                          (14, [0, 5, 10, 15]), (21, [0, 5, 10, 15, 20, 25]),
                                          (99, [0, 20, 40, 60, 80, 100]), (1234, [0, 500, 1000, 1500])])
def test_axis_ticks_are_round_numbers_covering_the_value(value, ticks):
    assert axis_ticks(value) == [float(t) for t in ticks]


def test_text_width_and_fit_label():
    assert text_width_em("形式化") == 3
    assert text_width_em("FM03") == pytest.approx(2.4)
    assert fit_label("短标签") == "短标签"
    long = "华东工程公司第二工程分公司第七项目部党支部委员会"
    cut = fit_label(long, max_em=10)
    assert cut.endswith("…") and text_width_em(cut) <= 10 and long.startswith(cut[:-1])


def test_bar_chart_draws_one_bar_per_value_proportionally():
    svg = parse(bar_chart([Bar("高风险", 20, "#c00"), Bar("中风险", 10), Bar("低风险", 0)], title="按等级", width=500))
    assert svg.get("role") == "img" and svg.get("aria-label") == "按等级"
    rects = svg.findall(f".//{SVG}rect")
    widths = [float(r.get("width")) for r in rects]
    assert len(rects) == 3 and widths[2] == 0 and widths[0] == pytest.approx(2 * widths[1])
    assert rects[0].get("fill") == "#c00"
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"高风险", "中风险", "低风险", "20", "10", "0"} <= set(texts)
    tooltips = [t.text for t in svg.iter(f"{SVG}title")]
    assert "中风险：10" in tooltips


def test_stacked_bar_chart_stacks_series_and_has_a_legend():
    series = [("高", "#c00"), ("中", "#e80"), ("低", "#28c")]
    svg = parse(stacked_bar_chart([StackedBar("一", (1, 2, 3)), StackedBar("二", (0, 0, 2))], series, title="单位"))
    rects = svg.findall(f".//{SVG}rect")
    assert len(rects) == 3 + 3 + 1                         # legend + row one + row two (zeros skipped)
    row_one = rects[3:6]
    xs = [float(r.get("x")) for r in row_one]
    ws = [float(r.get("width")) for r in row_one]
    assert xs[1] == pytest.approx(xs[0] + ws[0], abs=0.2) and xs[2] == pytest.approx(xs[1] + ws[1], abs=0.2)
    assert ws[2] == pytest.approx(3 * ws[0], abs=0.2)          # widths are printed to 0.1
    assert "6" in [t.text for t in svg.iter(f"{SVG}text")]


def test_chart_text_is_escaped():
    svg = str(bar_chart([Bar("<script>alert(1)</script>&", 1)], title="t<"))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and "&amp;" in svg
    parse(svg)                                               # still well-formed XML


def test_empty_charts_say_so():
    svg = str(bar_chart([], title="无", empty_text="未发现问题"))
    assert "未发现问题" in svg and "<rect" not in svg


def test_heat_levels_and_css():
    assert [heat_level(v, 10) for v in (0, 1, 2, 5, 9, 10)] == [0, 1, 1, 3, 5, 5]
    assert heat_level(3, 0) == 0
    css = heat_css()
    assert len(re.findall(r"\.h\d\{background:#[0-9a-f]{6};color:#[0-9a-f]{3}\}", css)) == 6
