#!/usr/bin/env bash
# Set up (first time) and start TradeTrace on http://localhost:8501. No API key needed:
# press "Try the sample filings" to run the agent on the bundled samples.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/streamlit ] || [ requirements.txt -nt .venv/.installed ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
    touch .venv/.installed
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
