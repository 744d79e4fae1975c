#!/bin/sh
# Render the example run and look at it in a real browser: screenshots (PNG) of HTML notices and of
# summary.html, and a notice printed to PDF by Chromium (its print CSS), for a person to inspect.
#
#   scripts/screenshot.sh [OUT_DIR]          default OUT_DIR: /tmp/pbcheck-shots
#   PYTHON=/tmp/dev/bin/python scripts/screenshot.sh
#
# Needs Chromium (Debian: apt-get install -y --no-install-recommends chromium) and a Chinese font
# (fonts-wqy-microhei), otherwise Chinese text shows as boxes in the screenshots.
set -eu

OUT=${1:-/tmp/pbcheck-shots}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PYTHON:-}" ]; then
    if [ -x /tmp/dev/bin/python ]; then PYTHON=/tmp/dev/bin/python; else PYTHON=python3; fi
fi
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$CHROMIUM" ]; then
    echo "需要 Chromium：apt-get install -y --no-install-recommends chromium（或设置 CHROMIUM=浏览器路径）" >&2
    exit 2
fi
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh family)" ]; then
    echo "警告：没有中文字体，截图中的汉字会显示为方框（apt-get install -y fonts-wqy-microhei）" >&2
fi

mkdir -p "$OUT"
PROFILE=$(mktemp -d)                 # a private profile: several runs at once must not share one
trap 'rm -rf "$PROFILE"' EXIT INT TERM

# the demo's inputs and header, only the formats a browser shows (PDF by WeasyPrint is slow and not looked at here)
(cd "$ROOT" && "$PYTHON" -m checker run examples/records --out "$OUT/run" --as-of 2026-01-05 --fail-on never --no-history \
    --issuer "华东能源集团党委巡察办" --doc-no "党建审〔2026〕{n}号" --format html --format summary >/dev/null)

browser() {
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$PROFILE" \
        --no-first-run --disable-extensions "$@" >/dev/null 2>&1
}

shot() {   # shot FILE.html NAME WIDTH HEIGHT
    browser --window-size="$3,$4" --screenshot="$OUT/$2.png" "file://$1"
    echo "$OUT/$2.png"
}

for unit in GD-07 GD-02 GD-10; do
    if [ -f "$OUT/run/notices/$unit.html" ]; then
        shot "$OUT/run/notices/$unit.html" "notice-$unit" 1000 5200
    fi
done
shot "$OUT/run/summary.html" summary 1280 5200
shot "$OUT/run/summary.html" summary-narrow 760 2400

browser --no-pdf-header-footer --print-to-pdf="$OUT/notice-GD-07-chromium.pdf" "file://$OUT/run/notices/GD-07.html"
echo "$OUT/notice-GD-07-chromium.pdf"
if command -v pdftoppm >/dev/null 2>&1; then
    pdftoppm -r 60 -png "$OUT/notice-GD-07-chromium.pdf" "$OUT/notice-GD-07-page"
    ls "$OUT"/notice-GD-07-page*.png
fi
