#!/usr/bin/env bash
# Start llama.cpp's llama-server (built by build-llama.sh) in the background on an
# OpenAI-compatible endpoint, wait until /health is ok, print its PID.
#   llama-server.sh MODEL.gguf [PORT]   start (PORT default 8080); prints the PID
#   llama-server.sh stop [PORT]         stop the server started on PORT
# Env: LLAMA_SERVER (binary; default $PEERS_DIR/llama-build/bin/llama-server),
#      PEERS_DIR (/work/peers), LLAMA_CTX (8192), LLAMA_THREADS (2),
#      LLAMA_HEALTH_TIMEOUT (seconds, 180), LLAMA_SERVER_ARGS (extra args).
# PID file and log: $PEERS_DIR/run/llama-server-PORT.{pid,log}
set -euo pipefail

PEERS="${PEERS_DIR:-/work/peers}"
BIN="${LLAMA_SERVER:-$PEERS/llama-build/bin/llama-server}"
RUN="$PEERS/run"
mkdir -p "$RUN"

usage() { echo "usage: $0 MODEL.gguf [PORT] | $0 stop [PORT]" >&2; exit 2; }
[ $# -ge 1 ] || usage

if [ "$1" = stop ]; then
    PORT="${2:-8080}"
    PIDFILE="$RUN/llama-server-$PORT.pid"
    if [ ! -f "$PIDFILE" ]; then
        echo "llama-server.sh: no server recorded on port $PORT ($PIDFILE)" >&2
        exit 0
    fi
    PID="$(cat "$PIDFILE")"
    if kill -0 "$PID" 2>/dev/null; then
        kill "$PID"
        for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$PID" 2>/dev/null; then kill -9 "$PID" 2>/dev/null || true; fi
        echo "llama-server.sh: stopped PID $PID (port $PORT)" >&2
    else
        echo "llama-server.sh: PID $PID (port $PORT) was not running" >&2
    fi
    rm -f "$PIDFILE"
    exit 0
fi

MODEL="$1"
PORT="${2:-8080}"
[ -f "$MODEL" ] || { echo "llama-server.sh: error: model not found: $MODEL" >&2; exit 1; }
[ -x "$BIN" ] || { echo "llama-server.sh: error: $BIN not built; run scripts/peers/build-llama.sh" >&2; exit 1; }

PIDFILE="$RUN/llama-server-$PORT.pid"
LOG="$RUN/llama-server-$PORT.log"
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "llama-server.sh: error: a server is already running on port $PORT (PID $(cat "$PIDFILE")); '$0 stop $PORT' first" >&2
    exit 1
fi
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/health"; then
    echo "llama-server.sh: error: something already answers on 127.0.0.1:$PORT" >&2
    exit 1
fi

# shellcheck disable=SC2086
nohup "$BIN" -m "$MODEL" --jinja --port "$PORT" -c "${LLAMA_CTX:-8192}" \
    -t "${LLAMA_THREADS:-2}" --host 127.0.0.1 ${LLAMA_SERVER_ARGS:-} >"$LOG" 2>&1 </dev/null &
PID=$!
echo "$PID" >"$PIDFILE"

TIMEOUT="${LLAMA_HEALTH_TIMEOUT:-180}"
deadline=$(( $(date +%s) + TIMEOUT ))
while :; do
    if ! kill -0 "$PID" 2>/dev/null; then
        rm -f "$PIDFILE"
        echo "llama-server.sh: error: llama-server exited during startup; last log lines ($LOG):" >&2
        tail -n 20 "$LOG" >&2
        exit 1
    fi
    body="$(curl -s --max-time 2 "http://127.0.0.1:$PORT/health" || true)"
    case "$body" in *'"ok"'*) break ;; esac
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "llama-server.sh: error: /health on port $PORT not ok after ${TIMEOUT}s (last: ${body:-no answer}); stopping PID $PID; log: $LOG" >&2
        kill "$PID" 2>/dev/null || true
        rm -f "$PIDFILE"
        exit 1
    fi
    sleep 1
done
echo "llama-server.sh: ready on http://127.0.0.1:$PORT/v1 (log $LOG)" >&2
echo "$PID"
