# Sourced by scripts/cluster/cluster.sh (not run on its own): bring the cluster up: host settings, config
# files from templates/, the components in order, system images and add-ons.
# shellcheck shell=bash

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
  render "$HERE/templates/containerd.toml" | write_if_changed "$STATE/containerd/config.toml"
}

write_cni_config() {
  mkdir -p "$STATE/cni/net.d" "$STATE/cni/networks"
  render "$HERE/templates/cni.conflist" | write_if_changed "$STATE/cni/net.d/10-kubeproof.conflist"
}

write_kubelet_config() {
  mkdir -p "$STATE/kubelet"
  render "$HERE/templates/kubelet-config.yaml" | write_if_changed "$STATE/kubelet-config.yaml"
}

write_kube_proxy_config() {
  local NODE_NAME; NODE_NAME=$(node_name)
  render "$HERE/templates/kube-proxy-config.yaml" | write_if_changed "$STATE/kube-proxy-config.yaml"
}

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
  render "$HERE/manifests/coredns.yaml" | "$BIN/kubectl" apply -f - >/dev/null
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
