#!/usr/bin/env bash
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
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"

KUBE_VERSION="${KUBE_VERSION:-v1.34.4}"
COREDNS_VERSION="${COREDNS_VERSION:-v1.12.4}"
CACHE="${KUBEPROOF_CACHE:-/var/cache/kubeproof}"
# shellcheck source=scripts/cluster/paths.env
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

# --------------------------------------------------------------------------
# processes
pidfile() { echo "$RUN/$1.pid"; }
running_pid() {  # prints the pid if the component runs (pid file + live process of ours)
  local f pid
  f=$(pidfile "$1")
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f")
  [[ -n "$pid" && -d "/proc/$pid" ]] || return 1
  # guard against pid reuse: the process must have been started with our marker
  { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -qx "KUBEPROOF_CLUSTER_COMPONENT=$1" || return 1
  echo "$pid"
}
start_component() {  # name cmd... ; started detached, oom_score_adj 0, logs appended
  local name=$1; shift
  if pid=$(running_pid "$name"); then log "$name already running (pid $pid)"; return 0; fi
  mkdir -p "$RUN" "$LOGS"
  printf '\n===== %s starting %s\n' "$(date -Is)" "$name" >>"$LOGS/$name.log"
  KUBEPROOF_CLUSTER_COMPONENT=$name setsid bash -c 'echo 0 >/proc/self/oom_score_adj 2>/dev/null || true; exec "$@"' "$name" "$@" \
    >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
  log "started $name (pid $!, log $LOGS/$name.log)"
}
stop_component() {
  local name=$1 pid i
  if pid=$(running_pid "$name"); then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do [[ -d /proc/$pid ]] || break; sleep 0.2; done
    if [[ -d /proc/$pid ]]; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$(pidfile "$name")"
}
log_tail() { echo "----- last lines of $LOGS/$1.log -----" >&2; tail -n "${2:-30}" "$LOGS/$1.log" >&2 2>/dev/null || true; }
wait_for() {  # component timeout-seconds description cmd...
  local comp=$1 timeout=$2 what=$3; shift 3
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if ! running_pid "$comp" >/dev/null; then log_tail "$comp"; die "$comp exited while waiting for $what"; fi
    if (( $(date +%s) > deadline )); then log_tail "$comp"; die "$comp: $what not reached within ${timeout}s"; fi
    sleep 0.5
  done
}

# --------------------------------------------------------------------------
# packages and builds
ensure_packages() {
  local missing=() cmd pkg
  for pair in etcd:etcd-server containerd:containerd runc:runc ctr:containerd iptables:iptables \
              conntrack:conntrack openssl:openssl ip:iproute2 curl:curl; do
    cmd=${pair%%:*}; pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
  if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null 2>&1 || { apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null; apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null; }
  fi
  # Debian's etcd/containerd packages may ship services; we run our own instances.
  command -v go >/dev/null 2>&1 || die "Go toolchain not found (needed to build Kubernetes and CoreDNS)"
}

ensure_docker() { bash "$REPO/scripts/docker-up.sh"; }

gobuild_env() {
  export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
}

build_kube() { "$HERE/build-kube.sh"; }

build_coredns() {  # trimmed CoreDNS (scripts/cluster/coredns/main.go) from the Go module proxy
  local dir="$CACHE/coredns/$COREDNS_VERSION"
  [[ -x "$dir/coredns" ]] && return 0
  log "building CoreDNS $COREDNS_VERSION (wrapper module, CGO_ENABLED=0)"
  mkdir -p "$dir/src"
  cp "$HERE/coredns/main.go" "$dir/src/main.go"
  printf '// Generated by scripts/cluster/cluster.sh; do not edit.\nmodule kubeproof.local/coredns\n\ngo 1.24.0\n\nrequire github.com/coredns/coredns %s\n' \
    "$COREDNS_VERSION" >"$dir/src/go.mod"
  local t0; t0=$(date +%s)
  ( gobuild_env; export GOFLAGS="-mod=mod -buildvcs=false"; cd "$dir/src" && go mod tidy >/dev/null 2>&1 && \
    go build -trimpath -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=kubeproof" -o "$dir/coredns.tmp" . )
  mv "$dir/coredns.tmp" "$dir/coredns"
  echo $(( $(date +%s) - t0 )) >"$dir/build-seconds"
  log "CoreDNS built in $(( $(date +%s) - t0 ))s"
}

build_pause() {
  local dir="$CACHE/pause"
  [[ -x "$dir/pause" && "$dir/pause" -nt "$HERE/images/pause/main.go" ]] && return 0
  mkdir -p "$dir"
  ( gobuild_env; cd "$HERE/images/pause" && go build -trimpath -ldflags "-s -w" -o "$dir/pause" main.go )
}

docker_image_from() {  # tag dockerfile binary...
  local tag=$1 dockerfile=$2; shift 2
  docker image inspect "$tag" >/dev/null 2>&1 && return 0
  local ctx; ctx=$(mktemp -d)
  cp "$dockerfile" "$ctx/Dockerfile"; cp "$@" "$ctx/"
  log "docker build $tag"
  local out
  out=$(DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx" 2>&1) || { echo "$out" >&2; rm -rf "$ctx"; die "docker build $tag failed"; }
  rm -rf "$ctx"
}

build_all() {
  ensure_packages
  local t0; t0=$(date +%s)
  build_pause
  build_coredns &
  local coredns_pid=$!
  build_kube
  wait "$coredns_pid" || die "CoreDNS build failed"
  log "binaries ready in $(( $(date +%s) - t0 ))s"
  [[ "${1:-}" == --no-images ]] && return 0
  ensure_docker
  docker_image_from "${PAUSE_IMAGE#docker.io/}" "$HERE/images/pause/Dockerfile" "$CACHE/pause/pause"
  docker_image_from "${COREDNS_IMAGE#docker.io/}" "$HERE/images/coredns/Dockerfile" "$CACHE/coredns/$COREDNS_VERSION/coredns"
}

# --------------------------------------------------------------------------
# PKI and kubeconfigs (openssl)
gen_cert() {  # name subject [san] [ca]
  local name=$1 subj=$2 san=${3:-} ca=${4:-ca}
  [[ -f "$PKI/$name.crt" ]] && return 0
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  local ext; ext=$(mktemp)
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n "$san" ]]; then echo "extendedKeyUsage=serverAuth,clientAuth"; echo "subjectAltName=$san"
    else echo "extendedKeyUsage=clientAuth"; fi
  } >"$ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$ext" "$PKI/$name.csr"
}

ensure_pki() {
  local node ip; node=$(node_name); ip=$(node_ip)
  # Regenerate everything when the node identity changed (new machine image, new IP).
  if [[ -f "$PKI/identity" && "$(cat "$PKI/identity")" != "$node $ip" ]]; then rm -rf "$PKI"; fi
  mkdir -p "$PKI"; chmod 700 "$PKI"
  if [[ ! -f "$PKI/ca.crt" ]]; then
    openssl genrsa -out "$PKI/ca.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=kubeproof-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$PKI/ca.crt" 2>/dev/null
  fi
  gen_cert kube-apiserver "/CN=kube-apiserver" \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN,DNS:localhost,DNS:$node,IP:127.0.0.1,IP:$KUBERNETES_SVC_IP,IP:$ip"
  gen_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  gen_cert admin "/O=system:masters/CN=kubeproof-admin"
  gen_cert kube-controller-manager "/CN=system:kube-controller-manager"
  gen_cert kube-scheduler "/CN=system:kube-scheduler"
  gen_cert kube-proxy "/CN=system:kube-proxy"
  gen_cert kubelet-client "/O=system:nodes/CN=system:node:$node"
  gen_cert kubelet-serving "/O=system:nodes/CN=system:node:$node" "DNS:$node,DNS:localhost,IP:$ip,IP:127.0.0.1"
  [[ -f "$PKI/sa.key" ]] || { openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null; openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null; }
  echo "$node $ip" >"$PKI/identity"
  write_kubeconfig "$STATE/kubeconfig" admin "https://127.0.0.1:$API_PORT" kubeproof-admin
  write_kubeconfig "$STATE/controller-manager.kubeconfig" kube-controller-manager "https://127.0.0.1:$API_PORT" system:kube-controller-manager
  write_kubeconfig "$STATE/scheduler.kubeconfig" kube-scheduler "https://127.0.0.1:$API_PORT" system:kube-scheduler
  write_kubeconfig "$STATE/kube-proxy.kubeconfig" kube-proxy "https://127.0.0.1:$API_PORT" system:kube-proxy
  write_kubeconfig "$STATE/kubelet.kubeconfig" kubelet-client "https://127.0.0.1:$API_PORT" "system:node:$node"
  chmod 600 "$STATE"/*.kubeconfig "$STATE/kubeconfig"
}

write_kubeconfig() {  # file cert server user
  local file=$1 cert=$2 server=$3 user=$4
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubeproof
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$cert.crt")
    client-key-data: $(base64 -w0 "$PKI/$cert.key")
contexts:
- name: kubeproof
  context:
    cluster: kubeproof
    user: $user
current-context: kubeproof
EOF
}

# Replace a config file only when its content changes (kube-proxy exits when its
# config file is written to, even with the same bytes).
write_if_changed() {  # file < content
  local tmp; tmp=$(mktemp "$1.XXXXXX")
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

# --------------------------------------------------------------------------
# host setup
host_prepare() {
  mkdir -p "$STATE" "$LOGS" "$RUN"
  modprobe br_netfilter 2>/dev/null || true
  modprobe overlay 2>/dev/null || true
  sysctl -qw net.ipv4.ip_forward=1
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || log "warning: bridge-nf-call-iptables not settable (br_netfilter missing?)"
  sysctl -qw net.bridge.bridge-nf-call-ip6tables=1 2>/dev/null || true
  # The kubelet sets these itself when it can; pre-setting avoids start-up failures.
  sysctl -qw vm.overcommit_memory=1 kernel.panic=10 kernel.panic_on_oops=1 2>/dev/null || true
}

write_containerd_config() {
  mkdir -p "$STATE/containerd" "$STATE/cni/net.d" "$RUN"
  write_if_changed "$STATE/containerd/config.toml" <<EOF
# Generated by scripts/cluster/cluster.sh: kubeproof's own containerd instance.
version = 2
root = "$STATE/containerd/root"
state = "$RUN/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$SOCK"

[ttrpc]
  address = "$RUN/containerd.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # No CAP_SYS_RESOURCE here: clamp negative oom_score_adj to containerd's own (0).
  restrict_oom_score_adj = true
  enable_selinux = false
  # Pod network namespaces under our state dir, so cluster.sh down finds and unmounts them.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
    max_conf_num = 1
EOF
}

write_cni_config() {
  mkdir -p "$STATE/cni/net.d" "$STATE/cni/networks"
  write_if_changed "$STATE/cni/net.d/10-kubeproof.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$STATE/cni/networks",
        "ranges": [[{"subnet": "$NODE_POD_CIDR"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "firewall", "backend": "iptables"},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
EOF
}

write_kubelet_config() {
  mkdir -p "$STATE/kubelet"
  write_if_changed "$STATE/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization:
  mode: Webhook
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
clusterDNS: [$DNS_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: /etc/resolv.conf
podLogsDir: $LOGS/pods
podCIDR: $NODE_POD_CIDR
address: 0.0.0.0
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
staticPodPath: ""
serializeImagePulls: false
# Images come from load-image, never from a registry: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "1%"
  imagefs.available: "1%"
  nodefs.inodesFree: "1%"
protectKernelDefaults: false
makeIPTablesUtilChains: true
EOF
}

write_kube_proxy_config() {
  write_if_changed "$STATE/kube-proxy-config.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: $STATE/kube-proxy.kubeconfig
hostnameOverride: $(node_name)
clusterCIDR: $POD_CIDR
oomScoreAdj: 0
conntrack:
  maxPerCore: 0
iptables:
  # NodePorts answer on 127.0.0.1 too (kube-proxy sets net.ipv4.conf.all.route_localnet=1).
  localhostNodePorts: true
  masqueradeAll: false
nodePortAddresses: []
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
EOF
}

# --------------------------------------------------------------------------
# components
start_etcd() {
  mkdir -p "$STATE/etcd"; chmod 700 "$STATE/etcd"
  start_component etcd etcd --name kubeproof --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "kubeproof=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    --quota-backend-bytes 2147483648 --snapshot-count 10000 --unsafe-no-fsync
  wait_for etcd 60 "etcd /health" curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
}

start_containerd() {
  write_containerd_config
  write_cni_config
  start_component containerd containerd --config "$STATE/containerd/config.toml"
  wait_for containerd 60 "containerd socket" "${CTR[@]}" version
}

start_apiserver() {
  start_component kube-apiserver "$BIN/kube-apiserver" \
    --advertise-address="$(node_ip)" --bind-address=0.0.0.0 --secure-port="$API_PORT" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --service-cluster-ip-range="$SERVICE_CIDR" --service-node-port-range=30000-32767 \
    --allow-privileged=true --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/kube-apiserver.crt" --tls-private-key-file="$PKI/kube-apiserver.key" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP,Hostname \
    --service-account-issuer="https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --api-audiences="https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --endpoint-reconciler-type=lease --event-ttl=1h --profiling=false --v=1
  wait_for kube-apiserver 120 "/readyz" "$BIN/kubectl" get --raw /readyz --request-timeout=3s
}

start_controller_manager() {
  local kc="$STATE/controller-manager.kubeconfig"
  start_component kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --cluster-cidr="$POD_CIDR" --service-cluster-ip-range="$SERVICE_CIDR" --allocate-node-cidrs=false \
    --profiling=false --v=1
}

start_scheduler() {
  local kc="$STATE/scheduler.kubeconfig"
  start_component kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false --v=1
}

start_kubelet() {
  write_kubelet_config
  start_component kubelet "$BIN/kubelet" \
    --config="$STATE/kubelet-config.yaml" --kubeconfig="$STATE/kubelet.kubeconfig" \
    --root-dir="$STATE/kubelet" --node-ip="$(node_ip)" --hostname-override="$(node_name)" --v=1
}

start_kube_proxy() {
  write_kube_proxy_config
  start_component kube-proxy "$BIN/kube-proxy" --config="$STATE/kube-proxy-config.yaml" --v=1
}

node_ready() {
  [[ "$("$BIN/kubectl" get node "$(node_name)" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

image_present() { "${CTR[@]}" images ls -q 2>/dev/null | grep -qx "$1"; }

load_image() {  # docker image refs -> containerd k8s.io namespace
  local ref
  for ref in "$@"; do
    docker image inspect "$ref" >/dev/null 2>&1 || die "load-image: docker has no image $ref"
    log "loading $ref into containerd (k8s.io)"
    docker save "$ref" | "${CTR[@]}" images import - >/dev/null
  done
}

ensure_system_images() {
  image_present "$PAUSE_IMAGE" || load_image "${PAUSE_IMAGE#docker.io/}"
  image_present "$COREDNS_IMAGE" || load_image "${COREDNS_IMAGE#docker.io/}"
}

apply_addons() {
  sed -e "s|@DNS_IP@|$DNS_IP|g" -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|g" -e "s|@CLUSTER_DOMAIN@|$CLUSTER_DOMAIN|g" \
    "$HERE/manifests/coredns.yaml" | "$BIN/kubectl" apply -f - >/dev/null
}

cmd_up() {
  [[ $EUID -eq 0 ]] || die "run as root"
  local t0; t0=$(date +%s)
  build_all
  host_prepare
  ensure_pki
  ln -sfn "$BIN/kubectl" /usr/local/bin/kubectl
  start_etcd
  start_containerd
  ensure_system_images
  start_apiserver
  start_controller_manager
  start_scheduler
  start_kubelet
  start_kube_proxy
  wait_for kubelet 120 "node $(node_name) Ready" node_ready
  apply_addons
  wait_for kubelet 120 "CoreDNS rollout" "$BIN/kubectl" -n kube-system rollout status deployment/coredns --timeout=2s
  # The default ServiceAccount must exist before tests create pods.
  wait_for kube-controller-manager 60 "default ServiceAccount" "$BIN/kubectl" -n default get serviceaccount default
  log "cluster up in $(( $(date +%s) - t0 ))s; KUBECONFIG=$STATE/kubeconfig"
}

# --------------------------------------------------------------------------
# teardown
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
