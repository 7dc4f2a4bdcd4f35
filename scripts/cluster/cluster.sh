#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# kubeproof's CI cluster: a real single-node Kubernetes built from Go modules
# (k8s.io/kubernetes, CoreDNS) and Debian packages (etcd, containerd, runc, CNI
# plugins), for machines without a container registry or privileged containers.
#
#   cluster.sh up                 build (cached) + start everything; idempotent
#   cluster.sh down [--purge]     stop everything; leave no process, mount,
#                                 iptables chain or interface behind
#                                 (--purge also drops images, PKI, caches stay)
#   cluster.sh status             what runs, node and system pods
#   cluster.sh load-image IMG...  docker save IMG | ctr -n k8s.io images import
#   cluster.sh build [--no-images]  only build/cache the binaries (and the pause and
#                                 CoreDNS docker images); safe to start early, in the
#                                 background, while other setup runs
#
# State: /var/lib/kubeproof-cluster (kubeconfig, pki, etcd, containerd root,
# kubelet root), logs: /var/log/kubeproof-cluster/<component>.log, runtime
# sockets and pids: /run/kubeproof-cluster. Binaries are cached outside the repo
# under ${KUBEPROOF_CACHE:-/var/cache/kubeproof}/kubernetes/<version>/.
#
# This file only dispatches; the work is in lib/ (common, processes, build, pki, up,
# teardown) and the config files are rendered from templates/ (@NAME@ placeholders).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
# shellcheck source=lib/processes.sh
. "$HERE/lib/processes.sh"
# shellcheck source=lib/build.sh
. "$HERE/lib/build.sh"
# shellcheck source=lib/pki.sh
. "$HERE/lib/pki.sh"
# shellcheck source=lib/up.sh
. "$HERE/lib/up.sh"
# shellcheck source=lib/teardown.sh
. "$HERE/lib/teardown.sh"

cmd_status() {
  local c pid rc=0
  for c in "${COMPONENTS[@]}"; do
    if pid=$(running_pid "$c"); then printf '%-24s running (pid %s)\n' "$c" "$pid"
    else printf '%-24s stopped\n' "$c"; rc=1; fi
  done
  if [[ -f "$STATE/kubeconfig" ]] && running_pid kube-apiserver >/dev/null; then
    "$BIN/kubectl" get nodes -o wide 2>&1 || rc=1
    "$BIN/kubectl" -n kube-system get pods -o wide 2>&1 || rc=1
  fi
  return $rc
}

case "${1:-}" in
  up) cmd_up ;;
  down) shift; cmd_down "${1:-}" ;;
  status) cmd_status ;;
  build) shift; build_all "${1:-}" ;;
  _call) shift; "$@" ;;  # debugging: run one internal function, e.g. `_call start_etcd`
  load-image) shift; [[ $# -gt 0 ]] || die "usage: cluster.sh load-image IMAGE..."; load_image "$@" ;;
  *) echo "usage: $0 {up|down [--purge]|status|build [--no-images]|load-image IMAGE...}" >&2; exit 2 ;;
esac
