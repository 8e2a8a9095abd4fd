#!/usr/bin/env bash
# Mutation testing of the security-critical modules (issue 21): `mutmut run` with the [tool.mutmut]
# settings of pyproject.toml (engine-free unit tests only), then the score per module and a check
# that every surviving mutant is triaged: killed, listed in tests/mutation/EQUIVALENT.md with its
# reason, or message-only by the rule stated there.
#
# Every run starts from scratch: mutmut keeps an old survivor's result even when a new test would
# now kill it, so a kept mutants/ directory can report survivors that are gone (and, after a code
# change, ids that moved). MUTATION_KEEP=1 reuses mutants/ to re-run the report or finish an
# interrupted run.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ "${MUTATION_KEEP:-0}" != 1 ]; then
  rm -rf mutants
fi
start=$(date +%s)
"$VENV/bin/mutmut" run "$@" 2>&1 | tr '\r' '\n' | grep -v "^ *$" | tail -n 1
echo "mutmut run: $(( $(date +%s) - start )) s" >&2
"$VENV/bin/python" tests/mutation/report.py
