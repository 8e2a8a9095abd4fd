#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine: install Debian's docker.io and
# debootstrap when missing, start dockerd in the background when `docker info` fails,
# and wait (bounded) until it answers. Safe to run any number of times.
set -euo pipefail

WAIT_S="${WARREN_ENGINE_WAIT_S:-60}"
LOG="${WARREN_ENGINE_LOG:-/var/log/warren-dockerd.log}"

need_install=()
command -v dockerd >/dev/null 2>&1 || need_install+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_install+=(debootstrap)
if [ ${#need_install[@]} -gt 0 ]; then
  echo "ensure-engine: installing ${need_install[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_install[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
  exit 0
fi

echo "ensure-engine: starting dockerd (log: $LOG)" >&2
mkdir -p "$(dirname "$LOG")"
nohup dockerd >>"$LOG" 2>&1 &

for _ in $(seq 1 "$WAIT_S"); do
  if docker info >/dev/null 2>&1; then
    echo "ensure-engine: engine ready ($(docker version --format '{{.Server.Version}}'))" >&2
    exit 0
  fi
  sleep 1
done
echo "ensure-engine: dockerd did not answer within ${WAIT_S}s; last lines of $LOG:" >&2
tail -n 30 "$LOG" >&2 || true
exit 1
