#!/bin/sh
# System packages the test suite needs, installed only when missing (idempotent; Debian/Ubuntu, as root).
#
#   scripts/ci-system-deps.sh              a Chinese font (fonts-wqy-microhei) and poppler-utils (pdffonts…)
#   scripts/ci-system-deps.sh --chromium   also Chromium, for the browser tests (≈400 MB; they skip without it)
#
# Without a Chinese font WeasyPrint renders Chinese as boxes and reports nothing, so the PDF tests need
# one; pdffonts checks that it was embedded.
set -eu

WITH_CHROMIUM=0
for arg in "$@"; do
    case "$arg" in
        --chromium) WITH_CHROMIUM=1 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "未知参数：$arg" >&2; exit 2 ;;
    esac
done

missing=""
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh family 2>/dev/null)" ]; then
    missing="$missing fonts-wqy-microhei fontconfig"
fi
if ! command -v pdffonts >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
    missing="$missing poppler-utils"
fi
if [ "$WITH_CHROMIUM" = 1 ] && ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    missing="$missing chromium"
fi

if [ -z "$missing" ]; then
    echo "系统依赖已齐全（中文字体、poppler-utils$( [ "$WITH_CHROMIUM" = 1 ] && echo '、chromium')）。"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
echo "安装：$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
fc-cache -f >/dev/null 2>&1 || true
if [ -z "$(fc-list :lang=zh family)" ]; then
    echo "安装后仍找不到中文字体（fc-list :lang=zh 为空）" >&2
    exit 1
fi
echo "完成。"
