#!/usr/bin/env bash
# Set up (first time) and run every test, browser tests included. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/pytest ] || [ requirements-dev.txt -nt .venv/.installed-dev ] || [ requirements.txt -nt .venv/.installed-dev ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
    touch .venv/.installed-dev
fi
if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/noto ]; then
    # The browser tests drive Debian's Chromium (Playwright never downloads a browser here).
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
    else
        echo "note: /usr/bin/chromium is missing; install it (sudo apt-get install chromium) for the browser tests" >&2
    fi
fi
if ! command -v tesseract >/dev/null || [ ! -f /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ]; then
    # Scanned filings are read with Debian's tesseract (its English model is a package: nothing downloads at run time).
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null
    else
        echo "note: tesseract is missing; install it (sudo apt-get install tesseract-ocr tesseract-ocr-eng) to read scanned filings" >&2
    fi
fi
exec .venv/bin/python -m pytest "$@"
