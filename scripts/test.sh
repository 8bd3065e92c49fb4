#!/usr/bin/env bash
# Set up (first time), lint and type-check, and run every test, browser tests included. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/check_locks.py
# .venv gets exactly the locked versions (every package hash-checked), then the project itself, editable.
# It is set up again whenever the lock or pyproject.toml changes: the marker holds their checksums.
stamp="$(sha256sum requirements-dev.lock pyproject.toml)"
if [ ! -x .venv/bin/pytest ] || [ "$(cat .venv/.installed-dev 2>/dev/null)" != "$stamp" ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
    .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
    printf '%s\n' "$stamp" > .venv/.installed-dev
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
# Lint (ruff, the whole project) and type checks (mypy --strict over agent/, see pyproject.toml) before the tests:
# any finding fails the run. TRADETRACE_SKIP_STATIC=1 skips them.
if [ "${TRADETRACE_SKIP_STATIC:-0}" = 1 ]; then
    echo "note: ruff and mypy skipped (TRADETRACE_SKIP_STATIC=1)" >&2
else
    .venv/bin/ruff check
    .venv/bin/mypy
fi
exec .venv/bin/python -m pytest "$@"
