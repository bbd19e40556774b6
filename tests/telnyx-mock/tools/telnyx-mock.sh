#!/usr/bin/env bash
# telnyx-mock.sh - install Stoplight Prism (npm) and run it as a mock of Telnyx's v2 REST API from Telnyx's OFFICIAL
# OpenAPI spec (telnyx_spec3.yml, the spec behind https://developers.telnyx.com/api-reference), on 127.0.0.1:<port>.
# Prism answers requests that match the spec with the spec's examples and rejects the others with 422. Waits until the
# mock answers a real request (GET /v2/calls/{id}), then prints PRISM_PID=<pid> and PRISM_URL=<url> and exits 0 (Prism
# keeps running in the background). Stop it with:  kill "$(cat <pidfile>)"
#
# usage: telnyx-mock.sh [--spec PATH] [--port N] [--host H] [--dir DIR] [--pidfile F] [--log F] [--timeout SECONDS]
#                       [--prism-version V]
#   --spec            default: $TELNYX_SPEC or ../specs/telnyx_spec3.yml beside this script
#   --port            default 4011            --host   default 127.0.0.1
#   --dir             where Prism is npm-installed (default: ${PRISM_HOME:-$HOME/.cache/telnyx-prism-mock})
#   --prism-version   default 5.14.2 (the last 5.x that runs on Node 18-22), as for the Twilio mock
# Overlay (data only; the published file is left untouched): the spec's paths are relative to its server URL
# https://api.telnyx.com/v2 and Prism ignores a server's path, so every path is served with /v2 in front (as the real
# API has it), and the client can use the base URL https://api.telnyx.com unchanged.
# Requires: node + npm (registry reachable for the first install), curl or node for the probe.
set -euo pipefail

SPEC="${TELNYX_SPEC:-$(cd "$(dirname "$0")/../specs" && pwd)/telnyx_spec3.yml}"
PORT=4011
HOST=127.0.0.1
DIR="${PRISM_HOME:-$HOME/.cache/telnyx-prism-mock}"
PIDFILE=""
LOG=""
TIMEOUT=180
PRISM_VERSION=5.14.2

while [ $# -gt 0 ]; do
  case "$1" in
    --spec) SPEC="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --host) HOST="$2"; shift 2 ;;
    --dir) DIR="$2"; shift 2 ;;
    --pidfile) PIDFILE="$2"; shift 2 ;;
    --log) LOG="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --prism-version) PRISM_VERSION="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

[ -f "$SPEC" ] || { echo "spec not found: $SPEC" >&2; exit 2; }
command -v node >/dev/null || { echo "node is required" >&2; exit 2; }
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
SPEC="$(cd "$(dirname "$SPEC")" && pwd)/$(basename "$SPEC")"
PIDFILE="${PIDFILE:-$DIR/prism-$PORT.pid}"
LOG="${LOG:-$DIR/prism-$PORT.log}"
PRISM="$DIR/node_modules/.bin/prism"

# 1. install Prism (once per version)
if [ ! -x "$PRISM" ] || [ "$("$PRISM" --version 2>/dev/null)" != "$PRISM_VERSION" ]; then
  echo "installing @stoplight/prism-cli@$PRISM_VERSION into $DIR" >&2
  [ -f "$DIR/package.json" ] || echo '{"name":"telnyx-prism-mock","private":true}' > "$DIR/package.json"
  (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error "@stoplight/prism-cli@$PRISM_VERSION" >&2)
fi

# 2. port must be free (otherwise we would "find" someone else's server)
if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
  echo "port $HOST:$PORT is already in use" >&2; exit 1
fi

# 3. the overlay: "  /calls:" under "paths:" becomes "  /v2/calls:" (path keys are the only 2-space "/" keys there)
SERVED="$DIR/telnyx_spec3.prism.yml"
awk '/^[^ ]/ { inpaths = ($0 == "paths:") } inpaths && /^  \// { sub(/^  \//, "  /v2/") } { print }' "$SPEC" > "$SERVED"

# 4. start Prism in the background (the 4 MB spec takes a while to parse)
nohup "$PRISM" mock -h "$HOST" -p "$PORT" "$SERVED" > "$LOG" 2>&1 &
PID=$!
echo "$PID" > "$PIDFILE"

# 5. wait until a real request is answered (Retrieve a call status; 200 from the mock)
URL="http://$HOST:$PORT"
PROBE="$URL/v2/calls/v3:probe"
probe() {
  if command -v curl >/dev/null; then
    curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer probe' "$PROBE" 2>/dev/null || true
  else
    node -e "require('http').get('$PROBE',{headers:{authorization:'Bearer probe'}},r=>{process.stdout.write(String(r.statusCode))}).on('error',()=>{})" 2>/dev/null || true
  fi
}
start=$(date +%s)
while :; do
  code="$(probe)"
  [ "$code" = 200 ] && break
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "prism exited; last log lines:" >&2; tail -20 "$LOG" >&2; exit 1
  fi
  if [ $(( $(date +%s) - start )) -ge "$TIMEOUT" ]; then
    echo "prism did not answer within ${TIMEOUT}s (last probe: ${code:-none}); stopping pid $PID" >&2
    kill "$PID" 2>/dev/null || true; tail -20 "$LOG" >&2; exit 1
  fi
  sleep 0.5
done
echo "PRISM_PID=$PID"
echo "PRISM_URL=$URL"
echo "PRISM_LOG=$LOG"
echo "ready after $(( $(date +%s) - start ))s; stop with: kill \$(cat $PIDFILE)" >&2
