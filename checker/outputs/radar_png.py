"""The radar chart of the 融合度指数 as a PNG for Word notices (Word does not show inline SVG), drawn
from the same data and in the same grey-scale style as `charts.radar_chart`: the current run solid
with filled circles, the previous run dashed with hollow squares, 不适用 axes labelled in grey."""
from __future__ import annotations

import functools
import io
import math
import shutil
import subprocess
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

from checker.outputs.charts import RADAR_RINGS, RadarSeries, number_text
from checker.index import NOT_APPLICABLE_LABEL

SIZE = (1100, 900)                 # pixels; placed 13 cm wide in the notice (about 215 dpi)
RADIUS = 300
FONT_PX = 30


@functools.lru_cache(maxsize=1)
def cjk_font_file() -> tuple[str, int] | None:
    """A Chinese font (file, index in a collection), sans-serif simplified Chinese preferred; None when none."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run([fc_list, ":lang=zh-cn", "-f", "%{file}|%{index}|%{family}|%{style}\n"],
                                capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    fonts = []
    for line in listed.splitlines():
        parts = line.split("|")
        if len(parts) == 4 and parts[1].isdigit():
            file, index, family, style = parts
            rank = (("SC" not in family and "GB" not in family and "Hei" not in family), "Sans" not in family,
                    "Mono" in family, "Regular" not in style, family, file)
            fonts.append((rank, file, int(index)))
    if not fonts:
        return None
    _, file, index = min(fonts)
    return file, index


def _point(i: int, n: int, value: float, cx: float, cy: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * i / n
    r = RADIUS * max(0.0, min(value, 100.0)) / 100
    return cx + r * math.cos(angle), cy + r * math.sin(angle)


def _dashed(draw: ImageDraw.ImageDraw, a: tuple[float, float], b: tuple[float, float], fill: str, width: int) -> None:
    length = math.dist(a, b)
    steps = max(int(length // 18), 1)
    for k in range(0, steps, 2):
        t0, t1 = k / steps, min((k + 1) / steps, 1)
        draw.line([(a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0),
                   (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1)], fill=fill, width=width)


def radar_png(axes: Sequence[str], series: Sequence[RadarSeries]) -> bytes | None:
    """The chart as PNG bytes; None when no Chinese font is installed (the score table still shows)."""
    font_file = cjk_font_file()
    if font_file is None or not axes or not series:
        return None
    font = ImageFont.truetype(font_file[0], FONT_PX, index=font_file[1])
    small = ImageFont.truetype(font_file[0], FONT_PX - 8, index=font_file[1])
    image = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(image)
    n = len(axes)
    cx, cy = SIZE[0] / 2, SIZE[1] / 2 + (20 if len(series) > 1 else 0)
    for ring in RADAR_RINGS:
        pts = [_point(i, n, ring, cx, cy) for i in range(n)]
        draw.polygon(pts, outline="#999999" if ring == 100 else "#d0d0d0", width=2)
        x, y = _point(0, n, ring, cx, cy)
        draw.text((x + 6, y - 10), str(ring), fill="#777777", font=small)
    for i in range(n):
        draw.line([(cx, cy), _point(i, n, 100, cx, cy)], fill="#d0d0d0", width=2)
    for index, s in reversed(list(enumerate(series[:2]))):
        pts = [_point(i, n, v, cx, cy) for i, v in enumerate(s.values[:n]) if v is not None]
        if not pts:
            continue
        ring = pts + [pts[0]] if len(pts) > 2 else pts
        for a, b in zip(ring, ring[1:]):
            if index == 0:
                draw.line([a, b], fill="black", width=5)
            else:
                _dashed(draw, a, b, "#555555", 4)
        for x, y in pts:
            if index == 0:
                draw.ellipse([x - 9, y - 9, x + 9, y + 9], fill="black")
            else:
                draw.rectangle([x - 8, y - 8, x + 8, y + 8], fill="white", outline="#555555", width=3)
    main = series[0].values
    for i, label in enumerate(axes):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        lx, ly = cx + (RADIUS + 40) * math.cos(angle), cy + (RADIUS + 40) * math.sin(angle)
        value = main[i] if i < len(main) else None
        text = f"{label}\n{NOT_APPLICABLE_LABEL if value is None else number_text(round(value, 1))}"
        anchor = "ms" if math.sin(angle) < -0.3 else ("ma" if math.sin(angle) > 0.3 else
                                                      ("ls" if math.cos(angle) > 0 else "rs"))
        anchor = {"ms": "md", "ma": "ma", "ls": "lm", "rs": "rm"}[anchor]
        draw.multiline_text((lx, ly), text, fill="#777777" if value is None else "black", font=font,
                            anchor=anchor, align="center", spacing=4)
    if len(series) > 1:
        x = 20
        for index, s in enumerate(series[:2]):
            if index == 0:
                draw.line([(x, 30), (x + 60, 30)], fill="black", width=5)
                draw.ellipse([x + 21, 21, x + 39, 39], fill="black")
            else:
                _dashed(draw, (x, 30), (x + 60, 30), "#555555", 4)
                draw.rectangle([x + 22, 22, x + 38, 38], fill="white", outline="#555555", width=3)
            draw.text((x + 72, 30), s.name, fill="black", font=small, anchor="lm")
            x += 100 + int(draw.textlength(s.name, font=small))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
