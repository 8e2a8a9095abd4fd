#!/usr/bin/env bash
# Host packages the test suite needs besides the engine: PostgreSQL's server binaries (the store
# and conformance suites start throwaway servers), Chromium, fonts and ripgrep (the sandbox
# tools' unit tests run in-process on the host), and Node with the JavaScript SDK conformance
# suite's pinned packages (tests/js). Installs only what is missing; safe to re-run.
set -euo pipefail
cd "$(dirname "$0")"
./ensure-postgres.sh
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-liberation)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-test-deps: installing ${missing[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The JS suite's packages, exactly as package-lock.json pins them; reinstalled when the lock changes.
# --ignore-scripts: nothing the suite uses needs an install script, so none runs.
js=../tests/js
if ! cmp -s "$js/package-lock.json" "$js/node_modules/.warren-lock"; then
  echo "ensure-test-deps: npm ci in tests/js" >&2
  npm ci --prefix "$js" --ignore-scripts --no-audit --no-fund --loglevel=error
  cp "$js/package-lock.json" "$js/node_modules/.warren-lock"
fi
