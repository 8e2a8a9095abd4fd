#!/usr/bin/env bash
# Make sure PostgreSQL's server binaries are on this machine, for the store tests'
# throwaway servers (tests/support/postgres.py): install Debian's `postgresql` package when no
# `initdb` exists under /usr/lib/postgresql/*/bin. It starts no server and creates no cluster.
# Safe to run any number of times.
set -euo pipefail

if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  exit 0
fi

echo "ensure-postgres: installing postgresql from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null

if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  echo "ensure-postgres: postgresql installed but no initdb under /usr/lib/postgresql/*/bin" >&2
  exit 1
fi
echo "ensure-postgres: $(ls -d /usr/lib/postgresql/*/bin/initdb | tail -n 1) ready" >&2
