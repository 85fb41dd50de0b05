#!/usr/bin/env bash
# Installs what the test suite needs besides Rust: real third-party peers.
# Idempotent and quiet when everything is already there. Called by the
# README's test command (and so by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# Python peers (the websockets echo server).
if ! python3 -c 'import websockets' 2>/dev/null; then
  python3 -m pip install --quiet -r tests/peers/requirements.txt
fi

# Node peers (the ws echo server): the versions pinned in
# tests/peers/package-lock.json, installed once.
if command -v npm >/dev/null 2>&1 && ! node -e "require('./tests/peers/node_modules/ws')" 2>/dev/null; then
  (cd tests/peers && npm ci --no-audit --no-fund --silent)
fi

# Debian packages the tests start as real peers, one per line in
# tests/peers/debian-packages.txt (command name, then package name).
missing=()
if [ -f tests/peers/debian-packages.txt ]; then
  while read -r cmd pkg; do
    case "$cmd" in ''|'#'*) continue ;; esac
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done < tests/peers/debian-packages.txt
fi
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
