#!/usr/bin/env bash
# Start the action server and the Rasa server; stay in the foreground until Ctrl-C.
# `scripts/run.sh --shell` talks to the assistant in this terminal instead.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RASA_PORT="${RASA_PORT:-5005}"
ACTION_PORT="${ACTION_PORT:-5055}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
# libraries' deprecation notices (pyparsing, SQLAlchemy 2.0 hints) are for us, not operators
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"
mkdir -p var
ENDPOINTS=var/endpoints.run.yml
sed "s#http://localhost:5055/webhook#http://localhost:${ACTION_PORT}/webhook#" endpoints.yml > "$ENDPOINTS"

"$BIN/rasa" run actions --actions actions --port "$ACTION_PORT" &
ACTIONS_PID=$!
cleanup() { kill "$ACTIONS_PID" 2>/dev/null || true; wait "$ACTIONS_PID" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if [ "${1:-}" = "--shell" ]; then
  "$BIN/rasa" shell --model models/klbot.tar.gz --endpoints "$ENDPOINTS"
  exit 0
fi

(
  for _ in $(seq 1 300); do
    if curl -fs "http://localhost:${RASA_PORT}/webhooks/webchat/" >/dev/null 2>&1; then
      echo
      echo "The assistant is ready. Web chat:"
      echo "http://localhost:${RASA_PORT}/webhooks/webchat/"
      echo "REST: POST http://localhost:${RASA_PORT}/webhooks/rest/webhook   (Ctrl-C stops)"
      exit 0
    fi
    sleep 1
  done
) &

"$BIN/rasa" run --enable-api --port "$RASA_PORT" --model models/klbot.tar.gz \
  --credentials credentials.yml --endpoints "$ENDPOINTS"
