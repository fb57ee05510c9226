#!/usr/bin/env bash
# Start the action server (background) and the Rasa server (foreground) on localhost.
set -euo pipefail
# Ports: Rasa 5005; actions 5055 (the URL in endpoints.yml).
rasa_port=5005; action_port=5055
cd "$(dirname "$0")/.."
.venv/bin/python -m procedures_kb info
.venv/bin/rasa run actions --actions actions --port "$action_port" --quiet &
actions_pid=$!
trap 'kill $actions_pid 2>/dev/null || true' EXIT INT TERM
cat <<MSG

The assistant is starting (loading the model takes about half a minute).
  Terminal chat:  make shell        (in another terminal)
  REST channel:   curl -s localhost:$rasa_port/webhooks/rest/webhook \\
                    -H 'Content-Type: application/json' \\
                    -d '{"sender": "me", "message": "làm giấy khai sinh cần giấy tờ gì"}'
  Stop with Ctrl+C.

MSG
.venv/bin/rasa run --enable-api --port "$rasa_port" --credentials credentials.yml \
  --endpoints endpoints.yml --model models --interface 127.0.0.1
