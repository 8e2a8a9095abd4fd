#!/usr/bin/env bash
# Build the web console (console/, TypeScript + Preact, pinned by console/package-lock.json) into
# orchestrator/api/console_assets/, the folder `warren serve` serves at /console and the wheel ships.
# The built files are committed, so installing Warren needs no Node; run this (`make console`)
# after changing console/, and commit both. tests/console/test_assets_fresh.py fails when they differ.
# With an argument, builds into that folder instead (the freshness test's temporary copy).
set -euo pipefail
cd "$(dirname "$0")/../console"
if ! command -v npm >/dev/null 2>&1; then
  echo "build-console: installing Debian's nodejs and npm" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# --ignore-scripts: no install script runs (esbuild finds its platform package without one).
if ! cmp -s package-lock.json node_modules/.warren-lock; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.warren-lock
fi
if [ $# -gt 0 ]; then export WARREN_CONSOLE_OUT="$1"; fi
npm run --silent build -- --logLevel warn
