"""Charts as inline SVG, drawn in Python: readable without JavaScript, fonts or network; every text escaped."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape

SEVERITY_COLORS = {"高": "#c0392b", "中": "#e67e22", "低": "#2e86c1"}
BAR_COLOR = "#7b2d26"
TEXT_COLOR = "#222"
GRID_COLOR = "#ddd"
HEAT_LEVELS = 5                     # cells are coloured in levels 0 (none) … HEAT_LEVELS
HEAT_COLORS = ("#ffffff", "#fde0d9", "#f9b4a2", "#f0806a", "#d9482f", "#a51d12")

FONT_SIZE = 12
ROW_HEIGHT = 22
BAR_HEIGHT = 14
MAX_LABEL_EM = 18                   # longer labels are cut with … (the full text stays in the tooltip)


@dataclass(frozen=True)
class Bar:
    """One bar: a label, its value, and optionally its own colour and a tooltip."""

    label: str
    value: float
    color: str | None = None
    tooltip: str | None = None


@dataclass(frozen=True)
class StackedBar:
    """One row of a stacked bar chart: a label and one value per series."""

    label: str
    values: tuple[float, ...]
    tooltip: str | None = None


def text_width_em(text: str) -> float:
    """Approximate rendered width in em: CJK and full-width characters 1, others 0.6."""
    return sum(1.0 if ord(ch) > 0x2E7F else 0.6 for ch in text)


def fit_label(text: str, max_em: float = MAX_LABEL_EM) -> str:
    """The label cut to `max_em` with … when it is longer."""
    if text_width_em(text) <= max_em:
        return text
    out, width = [], 0.0
    for ch in text:
        w = 1.0 if ord(ch) > 0x2E7F else 0.6
        if width + w > max_em - 1:
            break
        out.append(ch)
        width += w
    return "".join(out) + "…"


def number_text(value: float) -> str:
    """A value as it is printed on a bar: integers without decimals, others with one."""
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def axis_ticks(value: float, max_ticks: int = 5) -> list[float]:
    """Axis ticks from 0 past `value` in steps of 1, 2 or 5 × 10^k (whole numbers for counts), at most 6 ticks."""
    if value <= 0:
        return [0.0, 1.0]
    step = 1.0
    exponent = 0
    while True:
        found = next((m * 10 ** exponent for m in (1, 2, 5) if m * 10 ** exponent * max_ticks >= value), None)
        if found is not None:
            step = float(found)
            break
        exponent += 1
    count = math.ceil(value / step)
    return [step * i for i in range(count + 1)]


def _svg_open(width: int, height: int, title: str) -> list[str]:
    t = escape(title)
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{t}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'font-size="{FONT_SIZE}" fill="{TEXT_COLOR}">', f"<title>{t}</title>"]


def _label_width(labels: Sequence[str]) -> int:
    longest = max((text_width_em(fit_label(label)) for label in labels), default=4.0)
    return int(longest * FONT_SIZE) + 12


def _grid(x0: int, plot_width: int, top: int, bottom: int, ticks: Sequence[float]) -> list[str]:
    parts = []
    for tick in ticks:
        x = x0 + plot_width * tick / ticks[-1]
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID_COLOR}"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" fill="#666">'
                     f'{escape(number_text(tick))}</text>')
    return parts


def bar_chart(bars: Sequence[Bar], *, title: str, width: int = 640, empty_text: str = "无数据") -> Markup:
    """A horizontal bar chart, one row per bar, values printed at the bar ends."""
    if not bars:
        return _empty(title, width, empty_text)
    label_w = _label_width([b.label for b in bars])
    value_w = 44
    plot_w = max(width - label_w - value_w, 80)
    top = 6
    height = top + ROW_HEIGHT * len(bars) + 22
    ticks = axis_ticks(max(b.value for b in bars))
    axis_max = ticks[-1]
    parts = _svg_open(width, height, title)
    parts += _grid(label_w, plot_w, top, top + ROW_HEIGHT * len(bars), ticks)
    for i, bar in enumerate(bars):
        y = top + i * ROW_HEIGHT
        w = plot_w * bar.value / axis_max
        tip = escape(bar.tooltip or f"{bar.label}：{number_text(bar.value)}")
        parts.append(f'<g><title>{tip}</title>'
                     f'<text x="{label_w - 6}" y="{y + ROW_HEIGHT / 2 + 4:.1f}" text-anchor="end">'
                     f'{escape(fit_label(bar.label))}</text>'
                     f'<rect x="{label_w}" y="{y + (ROW_HEIGHT - BAR_HEIGHT) / 2:.1f}" width="{w:.1f}" '
                     f'height="{BAR_HEIGHT}" fill="{escape(bar.color or BAR_COLOR)}"/>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + ROW_HEIGHT / 2 + 4:.1f}">'
                     f'{escape(number_text(bar.value))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar_chart(rows: Sequence[StackedBar], series: Sequence[tuple[str, str]], *, title: str,
                      width: int = 640, empty_text: str = "无数据") -> Markup:
    """A horizontal stacked bar chart with a legend; `series` is (name, colour) per value position."""
    if not rows:
        return _empty(title, width, empty_text)
    label_w = _label_width([r.label for r in rows])
    value_w = 44
    plot_w = max(width - label_w - value_w, 80)
    top = 26
    height = top + ROW_HEIGHT * len(rows) + 22
    ticks = axis_ticks(max(sum(r.values) for r in rows))
    axis_max = ticks[-1]
    parts = _svg_open(width, height, title)
    x = label_w
    for name, color in series:               # legend
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{escape(color)}"/>'
                     f'<text x="{x + 16}" y="16">{escape(name)}</text>')
        x += int(text_width_em(name) * FONT_SIZE) + 34
    parts += _grid(label_w, plot_w, top, top + ROW_HEIGHT * len(rows), ticks)
    for i, row in enumerate(rows):
        y = top + i * ROW_HEIGHT
        total = sum(row.values)
        detail = "，".join(f"{name} {number_text(v)}" for (name, _), v in zip(series, row.values))
        tip = escape(row.tooltip or f"{row.label}：{detail}")
        parts.append(f'<g><title>{tip}</title><text x="{label_w - 6}" y="{y + ROW_HEIGHT / 2 + 4:.1f}" '
                     f'text-anchor="end">{escape(fit_label(row.label))}</text>')
        offset = 0.0
        for (_, color), value in zip(series, row.values):
            if value <= 0:
                continue
            w = plot_w * value / axis_max
            parts.append(f'<rect x="{label_w + offset:.1f}" y="{y + (ROW_HEIGHT - BAR_HEIGHT) / 2:.1f}" '
                         f'width="{w:.1f}" height="{BAR_HEIGHT}" fill="{escape(color)}"/>')
            offset += w
        parts.append(f'<text x="{label_w + offset + 4:.1f}" y="{y + ROW_HEIGHT / 2 + 4:.1f}">'
                     f'{escape(number_text(total))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _empty(title: str, width: int, text: str) -> Markup:
    parts = _svg_open(width, 40, title)
    parts.append(f'<text x="{width / 2:.0f}" y="24" text-anchor="middle" fill="#666">{escape(text)}</text></svg>')
    return Markup("".join(parts))


def heat_level(value: float, maximum: float) -> int:
    """The colour level of a heat-map cell: 0 for 0, else 1…HEAT_LEVELS in proportion to `maximum`."""
    if value <= 0 or maximum <= 0:
        return 0
    return max(1, min(HEAT_LEVELS, math.ceil(HEAT_LEVELS * value / maximum)))


def heat_css(prefix: str = "h") -> str:
    """CSS classes .h0 … .h5 for heat-map cells (dark cells get white text)."""
    rules = []
    for level, color in enumerate(HEAT_COLORS):
        ink = "#fff" if level >= 4 else "#222"
        rules.append(f".{prefix}{level}{{background:{color};color:{ink}}}")
    return "".join(rules)


# ---------------------------------------------------------------------------------------------
# Radar chart (融合度指数 per dimension)

RADAR_RINGS = (20, 40, 60, 80, 100)
# Series are told apart by line style and marker, not by colour alone (the charts are printed in grey).
RADAR_STYLES = (
    {"stroke": "#000", "dash": "", "fill": "#000", "fill_opacity": "0.12", "marker": "circle"},
    {"stroke": "#555", "dash": "6 4", "fill": "none", "fill_opacity": "0", "marker": "square"},
)
NOT_APPLICABLE_MARK = "不适用"


@dataclass(frozen=True)
class RadarSeries:
    """One polygon of a radar chart: a name (for the legend) and one value 0–100 or None per axis."""

    name: str
    values: tuple[float | None, ...]


def _radar_point(cx: float, cy: float, radius: float, i: int, n: int, value: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * i / n
    r = radius * max(0.0, min(value, 100.0)) / 100.0
    return cx + r * math.cos(angle), cy + r * math.sin(angle)


def _marker(kind: str, x: float, y: float, stroke: str) -> str:
    if kind == "square":
        return (f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="#fff" stroke="{stroke}" '
                f'stroke-width="1.5"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{stroke}"/>'


def radar_chart(axes: Sequence[str], series: Sequence[RadarSeries], *, title: str, width: int = 460,
                height: int = 380) -> Markup:
    """A radar chart 0–100, one axis per label; a None value is left out and its axis labelled 不适用.

    The first series is drawn solid with filled circles, the second dashed with hollow squares; the
    value of the first series is printed at each axis label, so the chart reads without colour."""
    n = len(axes)
    if n == 0 or not series:
        return _empty(title, width, "无数据")
    cx, cy = width / 2, height / 2 + (10 if len(series) > 1 else 0)
    radius = min(width, height) / 2 - 70
    parts = _svg_open(width, height, title)
    for ring in RADAR_RINGS:                                    # grid: rings and spokes
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (_radar_point(cx, cy, radius, i, n, ring) for i in range(n)))
        parts.append(f'<polygon points="{points}" fill="none" stroke="{GRID_COLOR if ring < 100 else "#999"}"/>')
        x, y = _radar_point(cx, cy, radius, 0, n, ring)
        parts.append(f'<text x="{x + 3:.1f}" y="{y + 4:.1f}" font-size="9" fill="#777">{ring}</text>')
    for i in range(n):
        x, y = _radar_point(cx, cy, radius, i, n, 100)
        parts.append(f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="{GRID_COLOR}"/>')
    for s, style in reversed(list(zip(series, RADAR_STYLES))):  # the main series on top
        present = [(i, v) for i, v in enumerate(s.values[:n]) if v is not None]
        if not present:
            continue
        pts = [_radar_point(cx, cy, radius, i, n, v) for i, v in present]
        dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
        shape = "polygon" if len(pts) > 2 else "polyline"
        parts.append(f'<g><title>{escape(s.name)}</title><{shape} points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
                     + f'" fill="{style["fill"]}" fill-opacity="{style["fill_opacity"]}" stroke="{style["stroke"]}" '
                     f'stroke-width="2"{dash}/>'
                     + "".join(_marker(style["marker"], x, y, style["stroke"]) for x, y in pts) + "</g>")
    main = series[0].values
    for i, label in enumerate(axes):                            # axis labels with the main series' value
        angle = -math.pi / 2 + 2 * math.pi * i / n
        lx, ly = cx + (radius + 16) * math.cos(angle), cy + (radius + 16) * math.sin(angle)
        anchor = "middle" if abs(math.cos(angle)) < 0.3 else ("start" if math.cos(angle) > 0 else "end")
        value = main[i] if i < len(main) else None
        shown = NOT_APPLICABLE_MARK if value is None else number_text(round(value, 1))
        dy = -6 if math.sin(angle) < -0.3 else (12 if math.sin(angle) > 0.3 else 0)
        style = ' font-style="italic" fill="#666"' if value is None else ""
        parts.append(f'<text x="{lx:.1f}" y="{ly + dy:.1f}" text-anchor="{anchor}"{style}>'
                     f'<tspan font-weight="bold">{escape(label)}</tspan>'
                     f'<tspan x="{lx:.1f}" dy="14">{escape(shown)}</tspan></text>')
    if len(series) > 1:                                         # legend
        x = 8.0
        for s, style in zip(series, RADAR_STYLES):
            dash = f' stroke-dasharray="{style["dash"]}"' if style["dash"] else ""
            parts.append(f'<line x1="{x:.0f}" y1="12" x2="{x + 26:.0f}" y2="12" stroke="{style["stroke"]}" '
                         f'stroke-width="2"{dash}/>' + _marker(style["marker"], x + 13, 12, style["stroke"])
                         + f'<text x="{x + 32:.0f}" y="16">{escape(s.name)}</text>')
            x += 44 + text_width_em(s.name) * FONT_SIZE
    parts.append("</svg>")
    return Markup("".join(parts))
