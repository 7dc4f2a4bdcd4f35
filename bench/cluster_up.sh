#!/usr/bin/env bash
# Measure `scripts/cluster/cluster.sh up` from a cold and from a warm cache.
#
#   bench/cluster_up.sh cold   # empty KUBEPROOF_CACHE (a fresh dir): module downloads,
#                              # Kubernetes + CoreDNS builds, images, new PKI, start
#   bench/cluster_up.sh warm   # `down`, then `up` with everything cached
#
# cold runs in two timed phases so a cluster others are using stays up while the
# slow part runs: (1) `cluster.sh build` into the fresh cache, (2) `down --purge`
# (state, PKI and containerd images gone) and `up` on that cache. cold = (1) + (2).
# Afterwards the cluster is brought up again on the normal cache (that `up` is
# reported as a warm run). Prints the load average too: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: bench/cluster_up.sh cold|warm}
cs=scripts/cluster/cluster.sh
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
case "$mode" in
  cold)
    cache=$(mktemp -d /var/cache/kubeproof-bench.XXXXXX)
    docker rmi -f kubeproof/pause:3.10 kubeproof/coredns:1.12.4 >/dev/null 2>&1 || true
    t0=$(now)
    KUBEPROOF_CACHE="$cache" bash "$cs" build
    t1=$(now)
    bash "$cs" down --purge
    t2=$(now)
    KUBEPROOF_CACHE="$cache" bash "$cs" up
    t3=$(now)
    printf 'cold up: %.0f s = build %.0f s (kubernetes go build+tidy %s s, coredns %s s) + purge-state up %.1f s; %s, nproc=%s, loadavg %s\n' \
      "$(echo "$(secs "$t0" "$t1") + $(secs "$t2" "$t3")" | bc)" "$(secs "$t0" "$t1")" \
      "$(cat "$cache"/kubernetes/*/build-seconds)" "$(cat "$cache"/coredns/*/build-seconds)" \
      "$(secs "$t2" "$t3")" "$(date -Is)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    KUBEPROOF_CACHE="$cache" bash "$cs" down
    [[ "${KEEP:-0}" == 1 ]] || rm -rf "$cache"
    t0=$(now); bash "$cs" up; t1=$(now)
    printf 'warm up: %.1f s; %s, loadavg %s\n' "$(secs "$t0" "$t1")" "$(date -Is)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    ;;
  warm)
    bash "$cs" down
    t0=$(now); bash "$cs" up; t1=$(now)
    printf 'warm up: %.1f s; %s, nproc=%s, loadavg %s\n' "$(secs "$t0" "$t1")" "$(date -Is)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    ;;
  *) echo "usage: $0 cold|warm" >&2; exit 2 ;;
esac
