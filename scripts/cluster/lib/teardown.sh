# Sourced by scripts/cluster/cluster.sh (not run on its own): take the cluster down and leave nothing
# behind: processes, pods, shims, mounts, interfaces, iptables chains, cgroups.
# shellcheck shell=bash

our_mounts() {  # mount points under our state/run dirs (deepest first) and our netns
  awk '{print $5}' /proc/self/mountinfo | sed 's/\\040/ /g' \
    | grep -E "^($STATE|$RUN)/|^/run/netns/cni-|^/var/run/netns/cni-" | awk '{print length, $0}' | sort -rn | cut -d' ' -f2- || true
}

sandbox_netns() {  # network namespaces of our containerd's pod sandboxes
  [[ -S "$SOCK" ]] || return 0
  local id
  for id in $("${CTR[@]}" containers ls -q 2>/dev/null); do
    "${CTR[@]}" containers info "$id" 2>/dev/null | tr -d '", ' | sed -n 's#^path:\(/var/run/netns/cni-.*\)#\1#p; s#^path:\(/run/netns/cni-.*\)#\1#p'
  done | sort -u
}

kill_pods() {
  [[ -S "$SOCK" ]] && running_pid containerd >/dev/null || return 0
  local id
  for id in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
  sleep 0.5
  for id in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks delete -f "$id" >/dev/null 2>&1 || true; done
  for id in $("${CTR[@]}" containers ls -q 2>/dev/null); do "${CTR[@]}" containers delete "$id" >/dev/null 2>&1 || true; done
}

kill_shims() {  # shims of our containerd are identified by our socket address
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -q -- "-address $SOCK " && kill -KILL "${p#/proc/}" 2>/dev/null || true
  done
}

clean_iptables() {
  local tool table chain
  for tool in iptables ip6tables; do
    command -v "$tool" >/dev/null || continue
    for table in filter nat mangle raw; do
      # rules in any chain that jump to our chains, then our chains themselves
      "$tool-save" -t "$table" 2>/dev/null | grep -E '^-A ' | grep -E -- '-j (KUBE-|CNI-)' | grep -Ev '^-A (KUBE-|CNI-)' \
        | sed 's/^-A /-D /' | while read -r rule; do eval "$tool -w -t $table $rule" 2>/dev/null || true; done || true
      for chain in $("$tool-save" -t "$table" 2>/dev/null | sed -n 's/^:\(\(KUBE\|CNI\)-[^ ]*\) .*/\1/p'); do
        "$tool" -w -t "$table" -F "$chain" 2>/dev/null || true
      done
      for chain in $("$tool-save" -t "$table" 2>/dev/null | sed -n 's/^:\(\(KUBE\|CNI\)-[^ ]*\) .*/\1/p'); do
        "$tool" -w -t "$table" -X "$chain" 2>/dev/null || true
      done
    done
  done
}

clean_cgroups() {  # kubepods cgroups are the kubelet's: kill what is left in them, then remove them
  local d pid
  for d in /sys/fs/cgroup/*/kubepods; do
    [[ -d "$d" ]] || continue
    for pid in $(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u); do kill -KILL "$pid" 2>/dev/null || true; done
  done
  sleep 0.2
  for d in /sys/fs/cgroup/*/kubepods; do
    [[ -d "$d" ]] || continue
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  return 0
}

leftovers() {  # print whatever `down` should have removed and did not
  local m c
  for c in "${COMPONENTS[@]}"; do running_pid "$c" >/dev/null && echo "process: $c"; done
  for m in $(our_mounts); do echo "mount: $m"; done
  ip link show "$BRIDGE" >/dev/null 2>&1 && echo "interface: $BRIDGE"
  for c in iptables ip6tables; do
    "$c-save" 2>/dev/null | grep -E '^:(KUBE|CNI)-' | sed "s/^:\([^ ]*\).*/$c chain: \1/"
  done
  for m in /sys/fs/cgroup/*/kubepods; do [[ -d "$m" ]] && echo "cgroup: $m"; done
  return 0
}

cmd_down() {
  [[ $EUID -eq 0 ]] || die "run as root"
  local purge=${1:-}
  mkdir -p "$RUN"
  local netns; netns=$(sandbox_netns || true)
  stop_component kube-proxy
  stop_component kubelet
  kill_pods
  stop_component kube-scheduler
  stop_component kube-controller-manager
  stop_component kube-apiserver
  stop_component etcd
  stop_component containerd
  kill_shims
  clean_cgroups   # kills pod processes that outlived their shims, removes kubepods cgroups
  # mounts: pod volumes (kubelet root), sandbox shm, task rootfs (overlay), our netns
  local m
  for ns in $netns; do umount "$ns" 2>/dev/null || true; rm -f "$ns"; done
  while read -r m; do [[ -n "$m" ]] || continue
    case "$m" in /run/netns/*|/var/run/netns/*) grep -qx "$m" <<<"$netns" || continue;; esac
    umount -l "$m" 2>/dev/null || true
  done < <(our_mounts)
  # interfaces: veths attached to our bridge, then the bridge
  for m in $(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do ip link del "$m" 2>/dev/null || true; done
  ip link del "$BRIDGE" 2>/dev/null || true
  clean_iptables
  local left; left=$(leftovers)
  [[ -z "$left" ]] || { log "WARNING: left behind after down:"; echo "$left" >&2; }
  # --one-file-system: never delete through a mount that could not be removed
  rm -rf --one-file-system "$STATE/etcd" "$STATE/kubelet" "$STATE/cni/networks" "$RUN"
  rm -f /var/lib/cni/results/"$CNI_NETWORK"-* 2>/dev/null || true
  if [[ "$purge" == --purge ]]; then
    rm -rf --one-file-system "$STATE"
    [[ -L /usr/local/bin/kubectl && "$(readlink /usr/local/bin/kubectl)" == "$CACHE"/* ]] && rm -f /usr/local/bin/kubectl
  fi
  log "cluster down"
}
