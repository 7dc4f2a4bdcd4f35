#!/usr/bin/env bash
# Measure `scripts/cluster/cluster.sh up` from a cold and from a warm cache.
#
#   bench/cluster_up.sh cold   # empty KUBEPROOF_CACHE (fresh dir): module downloads,
#                              # Kubernetes + CoreDNS builds, images, PKI, start
#   bench/cluster_up.sh warm   # `down`, then `up` with everything cached
#
# Prints one line per run: mode, wall seconds, build seconds (cold), date.
# Cold runs use a throwaway cache dir so the real cache is left alone; pass
# KEEP=1 to keep it for inspection.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: bench/cluster_up.sh cold|warm}
cs=scripts/cluster/cluster.sh
case "$mode" in
  cold)
    cache=$(mktemp -d /var/cache/kubeproof-bench.XXXXXX)
    bash "$cs" down --purge >/dev/null 2>&1 || true
    docker rmi -f kubeproof/pause:3.10 kubeproof/coredns:1.12.4 >/dev/null 2>&1 || true
    t0=$(date +%s.%N)
    KUBEPROOF_CACHE="$cache" bash "$cs" up
    t1=$(date +%s.%N)
    build=$(cat "$cache"/kubernetes/*/build-seconds 2>/dev/null || echo "?")
    coredns=$(cat "$cache"/coredns/*/build-seconds 2>/dev/null || echo "?")
    printf 'cold up: %.1f s (kubernetes build %s s, coredns build %s s) on %s, nproc=%s\n' \
      "$(echo "$t1 - $t0" | bc)" "$build" "$coredns" "$(date -Is)" "$(nproc)"
    # leave the cluster running on the normal cache afterwards
    KUBEPROOF_CACHE="$cache" bash "$cs" down >/dev/null
    [[ "${KEEP:-0}" == 1 ]] || rm -rf "$cache"
    ;;
  warm)
    bash "$cs" down >/dev/null 2>&1 || true
    t0=$(date +%s.%N)
    bash "$cs" up
    t1=$(date +%s.%N)
    printf 'warm up: %.1f s on %s, nproc=%s\n' "$(echo "$t1 - $t0" | bc)" "$(date -Is)" "$(nproc)"
    ;;
  *) echo "usage: $0 cold|warm" >&2; exit 2 ;;
esac
