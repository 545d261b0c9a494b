#!/usr/bin/env bash
# Start the action server and the Rasa server; stay in the foreground until Ctrl-C.
# `scripts/run.sh --shell` talks to the assistant in this terminal instead.
#
# Safe by default (docs/SECURITY.md): the Rasa server listens on KLBOT_HOST (127.0.0.1
# unless set) and its HTTP API is off unless KLBOT_API_TOKEN is set; the action server
# listens on 127.0.0.1 only and runs actions only for a caller with KLBOT_ACTION_TOKEN,
# a fresh random one for this run when none is set (development; elsewhere it is required).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
# The ports (RASA_PORT, ACTION_PORT, DEMO_PORT: the demo of the company's website with the
# chat widget on it; STAFF_PORT: the staff inbox), from the environment, else .env, else
# 5005/5055/5080/5090, read where every process reads its settings (bot/config.py), and
# exported: KLBOT_PUBLIC_URL (what Twilio signs) and KLBOT_STAFF_URL follow them unless set.
PORTS="$("$BIN/python" -m bot.config --ports)"
eval "export $PORTS"
if [ "$DEMO_PORT" != 5080 ]; then  # 5080 is allowed by default in development
  export KLBOT_WEB_ORIGINS="${KLBOT_WEB_ORIGINS:-} http://localhost:${DEMO_PORT}"
fi
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
# libraries' deprecation notices (pyparsing, SQLAlchemy 2.0 hints) are for us, not operators
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"
mkdir -p var

# the shared secret of the two servers (from the environment or .env, else a fresh one);
# it goes to the children through the environment, never on a command line
KLBOT_ACTION_TOKEN="$("$BIN/python" -m bot.action_server --print-token)"
export KLBOT_ACTION_TOKEN

"$BIN/python" -m bot.action_server --actions actions --host 127.0.0.1 --port "$ACTION_PORT" &
ACTIONS_PID=$!
DEMO_PID=""
STAFF_PID=""
REMIND_PID=""
cleanup() {
  for pid in $ACTIONS_PID $DEMO_PID $STAFF_PID $REMIND_PID; do kill "$pid" 2>/dev/null || true; done
  for pid in $ACTIONS_PID $DEMO_PID $STAFF_PID $REMIND_PID; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

RASA=("$BIN/python" -m bot.rasa_server --model models/klbot.tar.gz --endpoints endpoints.yml
      --action-url "http://127.0.0.1:${ACTION_PORT}/webhook")

if [ "${1:-}" = "--shell" ]; then
  "${RASA[@]}" --shell
  exit 0
fi

"$BIN/python" -m bot.channels.webchat.demo --host 127.0.0.1 --port "$DEMO_PORT" \
  --assistant "http://localhost:${RASA_PORT}" &
DEMO_PID=$!

"$BIN/python" -m bot.staff_web --host 127.0.0.1 --port "$STAFF_PORT" &
STAFF_PID=$!

# the staff digest (tickets due within 7 days or overdue), on by default: every hour, and
# the same state is sent only once (`klbot requests remind`); quiet without a staff contact
(
  trap 'kill "$NAP" 2>/dev/null; exit 0' TERM INT
  while true; do
    "$BIN/klbot" requests remind >/dev/null 2>&1 || true
    sleep 3600 &
    NAP=$!
    wait "$NAP"
  done
) &
REMIND_PID=$!

(
  for _ in $(seq 1 300); do
    if curl -fs "http://localhost:${RASA_PORT}/webhooks/webchat/" >/dev/null 2>&1; then
      echo
      "$BIN/python" -m bot.config
      echo "The assistant is ready. Web chat:"
      echo "http://localhost:${RASA_PORT}/webhooks/webchat/"
      echo "The chat widget on a demo of the company's website (another origin):"
      echo "http://localhost:${DEMO_PORT}/"
      echo "The staff inbox (klbot staff add EMAIL --name NAME --role admin gives a login link):"
      echo "http://127.0.0.1:${STAFF_PORT}/"
      echo "REST: POST http://localhost:${RASA_PORT}/webhooks/rest/webhook   (Ctrl-C stops)"
      exit 0
    fi
    sleep 1
  done
) &

"${RASA[@]}" --port "$RASA_PORT" --credentials credentials.yml
