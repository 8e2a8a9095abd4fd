#!/usr/bin/env bash
# Host packages the test suite needs besides the engine: PostgreSQL's server binaries (the store
# and conformance suites start throwaway servers), and Chromium, fonts and ripgrep (the sandbox
# tools' unit tests run in-process on the host). Installs only what is missing; safe to re-run.
set -euo pipefail
cd "$(dirname "$0")"
./ensure-postgres.sh
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium fonts-liberation)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-test-deps: installing ${missing[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
