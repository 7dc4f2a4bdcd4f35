# Sourced by scripts/cluster/cluster.sh (not run on its own): settings and helpers every part uses.
# shellcheck shell=bash

KUBE_VERSION="${KUBE_VERSION:-v1.34.4}"
COREDNS_VERSION="${COREDNS_VERSION:-v1.12.4}"
CACHE="${KUBEPROOF_CACHE:-/var/cache/kubeproof}"
# shellcheck source=paths.env
. "$HERE/paths.env"  # state, log and run directories, shared with the Python harness
STATE=$KUBEPROOF_CLUSTER_STATE
LOGS=$KUBEPROOF_CLUSTER_LOGS
RUN=$KUBEPROOF_CLUSTER_RUN
BIN="$CACHE/kubernetes/$KUBE_VERSION/bin"
PKI="$STATE/pki"
SOCK=$KUBEPROOF_CLUSTER_CONTAINERD_SOCKET
CTR=(ctr --address "$SOCK" --namespace k8s.io)

POD_CIDR=10.244.0.0/16
NODE_POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/12
KUBERNETES_SVC_IP=10.96.0.1
DNS_IP=10.96.0.10
CLUSTER_DOMAIN=cluster.local
ETCD_PORT=12379
ETCD_PEER_PORT=12380
API_PORT=6443
BRIDGE=kubeproof0
CNI_NETWORK=kubeproof
PAUSE_IMAGE=docker.io/kubeproof/pause:3.10
COREDNS_IMAGE="docker.io/kubeproof/coredns:${COREDNS_VERSION#v}"
# Order matters: `down` stops them in reverse.
read -r -a COMPONENTS <<<"$KUBEPROOF_CLUSTER_COMPONENTS"

export PATH="$BIN:/usr/local/go/bin:/usr/sbin:/sbin:$PATH"
export KUBECONFIG=$KUBEPROOF_CLUSTER_KUBECONFIG

log() { printf '%s cluster.sh: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

die() { log "ERROR: $*"; exit 1; }

node_name() { hostname | tr '[:upper:]' '[:lower:]'; }

node_ip() {
  local ip
  ip=$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -1)
  [[ -n "$ip" ]] || ip=$(ip -4 -o addr show scope global | awk '$2 !~ /^(docker|kubeproof|cni|veth)/ {sub("/.*","",$4); print $4; exit}')
  [[ -n "$ip" ]] || die "no global IPv4 address for the node"
  echo "$ip"
}

render() {  # template: print it with every @NAME@ replaced by the value of $NAME
  local text name
  text=$(<"$1")
  while [[ $text =~ @([A-Z][A-Z0-9_]*)@ ]]; do
    name=${BASH_REMATCH[1]}
    [[ -v $name ]] || die "$1: no value for @$name@"
    text=${text//"@$name@"/${!name}}
  done
  printf '%s\n' "$text"
}

# Replace a config file only when its content changes (kube-proxy exits when its
# config file is written to, even with the same bytes).
write_if_changed() {  # file < content
  local tmp; tmp=$(mktemp "$1.XXXXXX")
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}
