#!/usr/bin/env bash
# Compile the hash-pinned lock files from the top-level pins:
#   requirements.txt     -> requirements.lock      (what scripts/run.sh installs)
#   requirements-dev.txt -> requirements-dev.lock  (what scripts/test.sh installs), constrained by requirements.lock
#   requirements-llm.txt -> requirements-llm.lock  (the local LLM server scripts/llm_server.sh builds, on its own)
# pip-compile keeps the versions already in a lock; to move one: bash scripts/lock.sh --upgrade-package NAME
# (or --upgrade for all), then run bash scripts/test.sh. Needs pip-tools in .venv (requirements-dev.txt has it).
set -euo pipefail
cd "$(dirname "$0")/.."
export CUSTOM_COMPILE_COMMAND="bash scripts/lock.sh"
# No index or find-links lines: the locks name packages and hashes only, whatever pip.conf this machine has.
compile=(.venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras
         --no-emit-index-url --no-emit-find-links --no-emit-trusted-host --newline LF "$@")
"${compile[@]}" --output-file requirements.lock requirements.txt
"${compile[@]}" --constraint requirements.lock --output-file requirements-dev.lock requirements-dev.txt
"${compile[@]}" --output-file requirements-llm.lock requirements-llm.txt
