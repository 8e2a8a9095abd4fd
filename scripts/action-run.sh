#!/usr/bin/env bash
# The GitHub Action's one step (action.yml), runnable locally too: install Warren when missing,
# make sure a Docker engine answers (embedded mode), run `warren run`, and exit with its code.
#
# Inputs come as INPUT_* variables: AGENT (required), INPUT or INPUT_FILE, MODEL, SOURCES (one
# PATH[:TARGET] per line), OUTPUT, REPORT, TIMEOUT, WARREN_URL, API_KEY.
set -euo pipefail

ACTION_PATH="${GITHUB_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
OUTPUT="${INPUT_OUTPUT:-warren-output}"
REPORT="${INPUT_REPORT:-warren-report.json}"

if [ -z "${INPUT_AGENT:-}" ]; then
  echo "action-run: the 'agent' input is required" >&2
  exit 2
fi

# 1. Warren itself.
if ! command -v warren >/dev/null 2>&1; then
  echo "::group::install warren" >&2
  python3 -m pip install --quiet --disable-pip-version-check "$ACTION_PATH"
  echo "::endgroup::" >&2
fi

# 2. Without a server URL, `warren run` embeds one and needs the local engine and the image.
if [ -n "${INPUT_WARREN_URL:-}" ]; then
  export WARREN_URL="$INPUT_WARREN_URL"
  export WARREN_API_KEY="${INPUT_API_KEY:-}"
else
  unset WARREN_URL
  if ! docker info >/dev/null 2>&1; then
    "$ACTION_PATH/scripts/ensure-engine.sh"
  fi
  if [ -z "${WARREN_SANDBOX_IMAGE:-}" ]; then
    echo "::group::sandbox image" >&2
    warren image build >&2
    echo "::endgroup::" >&2
  fi
fi

# 3. The run.
args=(run --agent "$INPUT_AGENT" --plain --timeout "${INPUT_TIMEOUT:-30m}" --output "$OUTPUT" --json "$REPORT")
if [ -n "${INPUT_INPUT:-}" ]; then args+=(--input "$INPUT_INPUT"); fi
if [ -n "${INPUT_INPUT_FILE:-}" ]; then args+=(--input-file "$INPUT_INPUT_FILE"); fi
if [ -n "${INPUT_MODEL:-}" ]; then args+=(--model "$INPUT_MODEL"); fi
while IFS= read -r source; do
  if [ -n "$source" ]; then args+=(--source "$source"); fi
done <<< "${INPUT_SOURCES:-}"

set +e
warren "${args[@]}"
code=$?
set -e

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "exit-code=$code"
    echo "output=$OUTPUT"
    echo "report=$REPORT"
  } >> "$GITHUB_OUTPUT"
fi
exit "$code"
