#!/usr/bin/env bash
# Mutation testing of the security-critical modules (issue 21): `mutmut run` with the [tool.mutmut]
# settings of pyproject.toml (engine-free unit tests only), then the score per module and a check
# that every surviving mutant is listed in tests/mutation/EQUIVALENT.md with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
start=$(date +%s)
"$VENV/bin/mutmut" run "$@" 2>&1 | tr '\r' '\n' | grep -v "^ *$" | tail -n 1
echo "mutmut run: $(( $(date +%s) - start )) s" >&2
"$VENV/bin/python" tests/mutation/report.py
