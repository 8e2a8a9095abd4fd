#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine: install Debian's docker.io, debootstrap
# and runsc (gVisor) when missing, register runsc with the engine, start dockerd in the
# background when `docker info` fails, and wait (bounded) until it answers. Safe to run any
# number of times. A running engine learns of runsc by SIGHUP (a reload): a restart would
# kill every running sandbox.
set -euo pipefail

WAIT_S="${WARREN_ENGINE_WAIT_S:-60}"
LOG="${WARREN_ENGINE_LOG:-/var/log/warren-dockerd.log}"

need_install=()
command -v dockerd >/dev/null 2>&1 || need_install+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_install+=(debootstrap)
command -v runsc >/dev/null 2>&1 || need_install+=(runsc)
if [ ${#need_install[@]} -gt 0 ]; then
  echo "ensure-engine: installing ${need_install[*]} from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_install[@]}" >/dev/null
fi

# Room for gVisor's host threads: under runsc each sandbox task may take ~10 host threads, so a
# sandbox's pids guard is 12 x its process limit (6,400 by default) and the kernel's default
# pid_max of 32,768 would let five fork-bombing sandboxes exhaust the host's pids. Raised to the
# 64-bit maximum (what container hosts use); never lowered.
PID_MAX_WANT=4194304
if [ "$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo "$PID_MAX_WANT")" -lt "$PID_MAX_WANT" ]; then
  echo "ensure-engine: raising kernel.pid_max to $PID_MAX_WANT for gVisor's host threads" >&2
  sysctl -q -w kernel.pid_max="$PID_MAX_WANT" >/dev/null || echo "ensure-engine: could not raise kernel.pid_max" >&2
fi

# Register runsc: --network=none (sandboxes have no network anyway) and --host-uds=open (the runner
# connects to its bind-mounted channel socket; without it the connect fails with EPERM). Not
# --oci-seccomp: Docker's default profile inside gVisor refuses the thread creation of Python and
# Chromium ("can't start new thread"); gVisor's sentry is itself seccomp-confined on the host.
# "experimental": true turns on the engine's checkpoints, with which an idle gVisor sandbox is paused
# with its processes and memory (orchestrator/sandbox/docker_checkpoint.py); a running engine learns
# it only by a restart, which this script never does (it would kill every running sandbox).
# Prints "changed" when daemon.json was written, so a running engine is reloaded only then.
DAEMON_JSON="${WARREN_DAEMON_JSON:-/etc/docker/daemon.json}"
RUNSC_PATH="$(command -v runsc)"
changed="$(python3 - "$DAEMON_JSON" "$RUNSC_PATH" <<'PY'
import json, os, sys
path, runsc = sys.argv[1], sys.argv[2]
config = json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) else {}
want = {"path": runsc, "runtimeArgs": ["--network=none", "--host-uds=open"]}
if config.setdefault("runtimes", {}).get("runsc") != want or config.get("experimental") is not True:
    config["runtimes"]["runsc"] = want
    config["experimental"] = True
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as out:
        json.dump(config, out, indent=2)
    os.replace(path + ".tmp", path)
    print("changed")
PY
)"

if docker info >/dev/null 2>&1; then
  if [ "$changed" = "changed" ] || ! docker info --format '{{json .Runtimes.runsc}}' | grep -q -- '--host-uds=open'; then
    pid="$(cat /var/run/docker.pid 2>/dev/null || pgrep -xo dockerd)"
    echo "ensure-engine: reloading dockerd ($pid) to register runsc (SIGHUP; containers keep running)" >&2
    kill -HUP "$pid"
    for _ in $(seq 1 "$WAIT_S"); do
      docker info --format '{{json .Runtimes.runsc}}' 2>/dev/null | grep -q -- '--host-uds=open' && exit 0
      sleep 1
    done
    echo "ensure-engine: dockerd did not list runsc after the reload; see $LOG" >&2
    exit 1
  fi
  if [ "$(docker info --format '{{.ExperimentalBuild}}')" != "true" ]; then
    echo "ensure-engine: the running dockerd has no experimental features: idle sandboxes are stopped," \
      "not paused with their memory, until dockerd is restarted (daemon.json has \"experimental\": true)" >&2
  fi
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
