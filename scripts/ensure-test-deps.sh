#!/usr/bin/env bash
# Host packages the test suite needs besides the engine: PostgreSQL's server binaries (the store
# and conformance suites start throwaway servers), Chromium, fonts and ripgrep (the sandbox
# tools' unit tests run in-process on the host), and Node with the JavaScript SDK conformance
# suites' pinned packages (tests/js, tests/partners/js). Installs only what is missing; safe to re-run.
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
# The JS suites' packages (tests/js: @google/genai; tests/partners/js: the Vercel AI SDK and the
# docs' Node snippets) and the console's build toolchain (console/: Vite, TypeScript, for the
# freshness test of its committed build), exactly as each package-lock.json pins them; reinstalled
# when a lock changes. --ignore-scripts: nothing they use needs an install script, so none runs.
for js in ../tests/js ../tests/partners/js ../console; do
  if ! cmp -s "$js/package-lock.json" "$js/node_modules/.warren-lock"; then
    echo "ensure-test-deps: npm ci in ${js#../}" >&2
    npm ci --prefix "$js" --ignore-scripts --no-audit --no-fund --loglevel=error
    cp "$js/package-lock.json" "$js/node_modules/.warren-lock"
  fi
done
