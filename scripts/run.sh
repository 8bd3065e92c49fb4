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
exec .venv/bin/streamlit run app.py "$@"
