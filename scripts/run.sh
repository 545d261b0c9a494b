#!/usr/bin/env bash
# Start the action server and the Rasa server; stay in the foreground until Ctrl-C.
# `scripts/run.sh --shell` talks to the assistant in this terminal instead.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RASA_PORT="${RASA_PORT:-5005}"
ACTION_PORT="${ACTION_PORT:-5055}"
# the demo of the company's website (another origin) with the chat widget on it
DEMO_PORT="${DEMO_PORT:-5080}"
if [ "$DEMO_PORT" != 5080 ]; then  # 5080 is allowed by default in development
  export KLBOT_WEB_ORIGINS="${KLBOT_WEB_ORIGINS:-} http://localhost:${DEMO_PORT}"
fi
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
# libraries' deprecation notices (pyparsing, SQLAlchemy 2.0 hints) are for us, not operators
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"
mkdir -p var
ENDPOINTS=var/endpoints.run.yml
sed "s#http://localhost:5055/webhook#http://localhost:${ACTION_PORT}/webhook#" endpoints.yml > "$ENDPOINTS"

"$BIN/rasa" run actions --actions actions --port "$ACTION_PORT" &
ACTIONS_PID=$!
DEMO_PID=""
cleanup() {
  for pid in $ACTIONS_PID $DEMO_PID; do kill "$pid" 2>/dev/null || true; done
  for pid in $ACTIONS_PID $DEMO_PID; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

if [ "${1:-}" = "--shell" ]; then
  "$BIN/rasa" shell --model models/klbot.tar.gz --endpoints "$ENDPOINTS"
  exit 0
fi

"$BIN/python" -m bot.channels.webchat.demo --host 127.0.0.1 --port "$DEMO_PORT" \
  --assistant "http://localhost:${RASA_PORT}" &
DEMO_PID=$!

(
  for _ in $(seq 1 300); do
    if curl -fs "http://localhost:${RASA_PORT}/webhooks/webchat/" >/dev/null 2>&1; then
      echo
      echo "The assistant is ready. Web chat:"
      echo "http://localhost:${RASA_PORT}/webhooks/webchat/"
      echo "The chat widget on a demo of the company's website (another origin):"
      echo "http://localhost:${DEMO_PORT}/"
      echo "REST: POST http://localhost:${RASA_PORT}/webhooks/rest/webhook   (Ctrl-C stops)"
      exit 0
    fi
    sleep 1
  done
) &

"$BIN/rasa" run --enable-api --port "$RASA_PORT" --model models/klbot.tar.gz \
  --credentials credentials.yml --endpoints "$ENDPOINTS"
