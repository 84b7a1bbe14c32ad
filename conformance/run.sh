#!/usr/bin/env bash
# Conformance run of traceport against GS1's EPCIS 2.0 reference data.
# Usage: conformance/run.sh SHARED_DIR   (the folder holding gs1/epcis/…)
# Builds the release binary, then: every JSON-LD example captured and read back (each on a fresh
# server), GET /events validated against GS1's JSON Schema, a real client (epcis2.js) capturing an
# event it built, GS1's XML examples captured / read back as XML (validated with xmllint against
# GS1's XSDs) / converted both ways with equal hashes plus the XML hash vectors
# (conformance/xml_conformance.py), and conformance/hash/compare.sh when present.
# Exits non-zero on any failure.
set -euo pipefail

if [[ $# -ne 1 || ! -d "$1/gs1/epcis" ]]; then
  echo "usage: $0 SHARED_DIR (a folder with gs1/epcis/JSON and gs1/epcis/JSON-Schema)" >&2
  exit 2
fi
SHARED=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

declare -a RESULTS=()
FAILED=0
record() { # name status
  RESULTS+=("$(printf '%-34s %s' "$1" "$2")")
  if [[ "$2" != pass* && "$2" != skipped* ]]; then FAILED=1; fi
}

echo "== building the release binary"
cargo build --release -p traceport
BIN="$ROOT/target/release/traceport"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/traceport-conformance.XXXXXX")
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== Python environment (jsonschema) in target/conformance-venv"
VENV="$ROOT/target/conformance-venv"
if [[ ! -x "$VENV/bin/python" ]]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check 'jsonschema>=4.18,<5'

echo "== GS1 JSON-LD examples: capture, read back, JSON Schema"
if "$VENV/bin/python" conformance/conformance.py "$BIN" "$SHARED" "$WORK/examples"; then
  record "examples (capture + read back)" pass
else
  record "examples (capture + read back)" FAIL
fi

echo "== epcis2.js client"
PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Capture needs a member of a verified organisation; the client's identifiers are under a prefix
# that organisation does not hold, so the server flags rather than refuses them.
"$BIN" org --data-dir "$WORK/client-data" --id conformance --name Conformance --tax-code 0100000009 \
  --prefix 8930000 --province 01 >/dev/null
TRACEPORT_TOKEN=$("$BIN" token create --data-dir "$WORK/client-data" --org conformance --scopes read,capture 2>/dev/null)
export TRACEPORT_TOKEN
"$BIN" serve --data-dir "$WORK/client-data" --listen "127.0.0.1:$PORT" --ownership-rule flag >"$WORK/client-server.log" 2>&1 &
SERVER_PID=$!
READY=0
for _ in $(seq 1 300); do
  if "$VENV/bin/python" -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:$PORT/readyz', timeout=2).status == 200 else 1)" 2>/dev/null; then
    READY=1; break
  fi
  sleep 0.1
done
if [[ $READY -ne 1 ]]; then
  cat "$WORK/client-server.log" >&2
  record "server start (/readyz)" FAIL
else
  record "server start (/readyz)" pass
  # No lock file: it would only record download addresses; the version is pinned in package.json.
  if (cd conformance && npm install --no-audit --no-fund --no-package-lock --loglevel=error) \
     && node conformance/epcis2-client.js "http://127.0.0.1:$PORT"; then
    record "epcis2.js capture + read back" pass
  else
    record "epcis2.js capture + read back" FAIL
  fi
fi
kill -TERM "$SERVER_PID" 2>/dev/null || true
if wait "$SERVER_PID"; then record "graceful stop (SIGTERM)" pass; else record "graceful stop (SIGTERM)" FAIL; fi
SERVER_PID=""

echo "== GS1 XML examples and XML hash vectors (conformance/xml_conformance.py)"
if ! command -v xmllint >/dev/null 2>&1; then
  apt-get install -y -q libxml2-utils >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q libxml2-utils >/dev/null 2>&1) || true
fi
if ! command -v xmllint >/dev/null 2>&1; then
  record "XML examples + hash vectors" "FAIL (xmllint missing; install libxml2-utils)"
else
  cargo build --quiet -p epcis --example event_hash
  if "$VENV/bin/python" conformance/xml_conformance.py "$BIN" "$ROOT/target/debug/examples/event_hash" "$SHARED" "$WORK/xml"; then
    record "XML examples + hash vectors" pass
  else
    record "XML examples + hash vectors" FAIL
  fi
fi

if [[ -x conformance/hash/compare.sh || -f conformance/hash/compare.sh ]]; then
  echo "== event hash vectors (conformance/hash/compare.sh)"
  if bash conformance/hash/compare.sh "$SHARED/gs1/epcis/JSON"; then record "event hash vectors" pass; else record "event hash vectors" FAIL; fi
else
  record "event hash vectors" "skipped (no conformance/hash/compare.sh)"
fi

echo
echo "== conformance summary"
for line in "${RESULTS[@]}"; do echo "  $line"; done
if [[ $FAILED -ne 0 ]]; then echo "conformance: FAILED"; exit 1; fi
echo "conformance: all passed"
