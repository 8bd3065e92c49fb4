#!/usr/bin/env bash
# Set up (first time) and start TradeTrace on http://localhost:8501. No API key needed:
# press "Try the sample filings" to run the agent on the bundled samples. Extra arguments go to `streamlit run`.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/check_locks.py
# .venv gets exactly the locked versions (every package hash-checked), then the project itself, editable.
# It is set up again whenever the lock or pyproject.toml changes: the marker holds their checksums.
stamp="$(sha256sum requirements.lock pyproject.toml)"
if [ ! -x .venv/bin/streamlit ] || [ "$(cat .venv/.installed 2>/dev/null)" != "$stamp" ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
    .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
    printf '%s\n' "$stamp" > .venv/.installed
fi
if ! command -v tesseract >/dev/null || [ ! -f /usr/share/tesseract-ocr/5/tessdata/eng.traineddata ]; then
    # Scanned filings are read with Debian's tesseract (its English model is a package: nothing downloads at run time).
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null
    else
        echo "note: tesseract is missing; install it (sudo apt-get install tesseract-ocr tesseract-ocr-eng) to read scanned filings" >&2
    fi
fi
exec .venv/bin/streamlit run app.py "$@"
