# Sourced by scripts/cluster/cluster.sh (not run on its own): certificates (openssl) and kubeconfigs
# (templates/kubeconfig.yaml) under $PKI and $STATE.
# shellcheck shell=bash

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
  local file=$1 SERVER=$3 USER_NAME=$4 CA_DATA CERT_DATA KEY_DATA
  CA_DATA=$(base64 -w0 "$PKI/ca.crt")
  CERT_DATA=$(base64 -w0 "$PKI/$2.crt")
  KEY_DATA=$(base64 -w0 "$PKI/$2.key")
  render "$HERE/templates/kubeconfig.yaml" >"$file"
}
