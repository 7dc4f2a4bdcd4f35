#!/usr/bin/env bash
# Make a Docker daemon available: install Debian's engine if missing, start
# dockerd in the background if no daemon answers, wait for the socket.
# Idempotent; safe to call from .ci/run, tests setup and by hand.
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "installing docker.io from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq docker.io >/dev/null
fi
log=${KUBEPROOF_DOCKERD_LOG:-/var/log/kubeproof-dockerd.log}
echo "starting dockerd (log: $log)" >&2
nohup dockerd >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then exit 0; fi
  sleep 1
done
echo "dockerd did not answer within 60 s; last log lines:" >&2
tail -n 20 "$log" >&2
exit 1
