#!/usr/bin/env bash
# Install the helm CLI from the Go module proxy (no binary downloads reach this
# machine), built with the Kubernetes version offline `helm template` assumes.
# The binary is cached outside the repo, keyed by helm and Kubernetes version.
set -euo pipefail
HELM_VERSION=${HELM_VERSION:-v3.22.0}
K8S_MINOR=${KUBEPROOF_K8S_MINOR:-34}
CACHE=${KUBEPROOF_CACHE:-/var/cache/kubeproof}
dest="$CACHE/helm/$HELM_VERSION-k8s1.$K8S_MINOR"
BIN_DIR=${KUBEPROOF_BIN:-/usr/local/bin}

if [ ! -x "$dest/helm" ]; then
  mkdir -p "$dest"
  export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build"  # shared with the cluster build
  echo "building helm $HELM_VERSION (Kubernetes 1.$K8S_MINOR) into $dest" >&2
  pkg=helm.sh/helm/v3
  ld="-s -w -X $pkg/internal/version.version=$HELM_VERSION"
  for p in pkg/chartutil pkg/lint/rules; do
    ld="$ld -X $pkg/$p.k8sVersionMajor=1 -X $pkg/$p.k8sVersionMinor=$K8S_MINOR"
  done
  GOBIN="$dest" CGO_ENABLED=0 go install -ldflags "$ld" "$pkg/cmd/helm@$HELM_VERSION"
fi
ln -sf "$dest/helm" "$BIN_DIR/helm"
helm version --short
