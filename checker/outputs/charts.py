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
