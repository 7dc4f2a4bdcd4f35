#!/usr/bin/env bash
# Install the helm CLI from the Go module proxy (no binary downloads reach this
# machine), built with the Kubernetes version offline `helm template` assumes.
# The binary is cached outside the repo, keyed by helm and Kubernetes version.
#
#   install-helm.sh        helm 3 as `helm` (what the tiers and scripts run)
#   install-helm.sh v4     helm 4 as `helm4` (the package tier installs the Helm
#                          plugin into both)
set -euo pipefail
major=${1:-v3}
case "$major" in
  v3) version=${HELM_VERSION:-v3.22.0} name=helm ;;
  v4) version=${HELM4_VERSION:-v4.3.1} name=helm4 ;;
  *) echo "install-helm.sh: unknown helm major $major (v3 or v4)" >&2; exit 2 ;;
esac
K8S_MINOR=${KUBEPROOF_K8S_MINOR:-34}
CACHE=${KUBEPROOF_CACHE:-/var/cache/kubeproof}
dest="$CACHE/helm/$version-k8s1.$K8S_MINOR"
BIN_DIR=${KUBEPROOF_BIN:-/usr/local/bin}

if [ ! -x "$dest/helm" ]; then
  mkdir -p "$dest"
  export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build"  # shared with the cluster build
  echo "building helm $version (Kubernetes 1.$K8S_MINOR) into $dest" >&2
  pkg=helm.sh/helm/$major
  ld="-s -w -X $pkg/internal/version.version=$version"
  if [ "$major" = v3 ]; then  # helm 4 takes the Kubernetes version of its client-go
    for p in pkg/chartutil pkg/lint/rules; do
      ld="$ld -X $pkg/$p.k8sVersionMajor=1 -X $pkg/$p.k8sVersionMinor=$K8S_MINOR"
    done
  fi
  tmp="$dest.tmp.$$"  # a build cut short leaves no half binary under $dest
  mkdir -p "$tmp"
  GOBIN="$tmp" CGO_ENABLED=0 go install -ldflags "$ld" "$pkg/cmd/helm@$version"
  mv "$tmp/helm" "$dest/helm"
  rmdir "$tmp"
fi
ln -sf "$dest/helm" "$BIN_DIR/$name"
"$BIN_DIR/$name" version --short
