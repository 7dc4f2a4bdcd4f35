#!/usr/bin/env bash
# Set up everything kubeproof needs on a fresh Debian machine, then run the main
# job: the static verification of the chart (both profiles) and both Dockerfiles.
#
#   bash scripts/setup.sh                 # everything: venv, helm, Docker, images, cluster
#   bash scripts/setup.sh --static-only   # venv and helm only (laptops without Docker/cluster)
#
# Slow products (helm, Kubernetes binaries, base images) are cached outside the
# repo under $KUBEPROOF_CACHE (default /var/cache/kubeproof), keyed by version.
set -euo pipefail
cd "$(dirname "$0")/.."
export KUBEPROOF_CACHE=${KUBEPROOF_CACHE:-/var/cache/kubeproof}
mkdir -p "$KUBEPROOF_CACHE"

static_only=false
for arg in "$@"; do
  case "$arg" in
    --static-only) static_only=true ;;
    *) echo "setup.sh: unknown option $arg (known: --static-only)" >&2; exit 2 ;;
  esac
done

step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)" >&2; }

if ! $static_only; then
  step "docker daemon"
  bash scripts/docker-up.sh
  # The Kubernetes build is the slow part of a cold setup: run it beside the rest.
  # shellcheck source=scripts/cluster/paths.env
  . scripts/cluster/paths.env  # the cluster's directories, defined once
  mkdir -p "$KUBEPROOF_CLUSTER_LOGS"
  step "kubernetes binaries (background; log: $KUBEPROOF_CLUSTER_LOGS/build.log)"
  bash scripts/cluster/cluster.sh build --no-images >"$KUBEPROOF_CLUSTER_LOGS/build.log" 2>&1 &
  kube_build=$!
fi

if ! $static_only; then
  # The live tier's browser test (Debian's chromium driven by Selenium) and the
  # production profile's database (a PostgreSQL instance the test starts itself).
  step "chromium, chromium-driver and postgresql"
  live_packages=(chromium chromium-driver postgresql)
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${live_packages[@]}" >/dev/null 2>&1 \
    || { apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
         apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${live_packages[@]}" >/dev/null; }
fi

step "python venv (.venv) with kubeproof and the backend's requirements"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[dev]' -r apps/backend/requirements-dev.txt

step "helm"
bash scripts/install-helm.sh

if ! $static_only; then
  # helm 4, for the package tier's Helm plugin test (helm itself stays helm 3)
  step "helm 4 as helm4 (background; log: $KUBEPROOF_CLUSTER_LOGS/helm4-build.log)"
  bash scripts/install-helm.sh v4 >"$KUBEPROOF_CLUSTER_LOGS/helm4-build.log" 2>&1 &
  helm4_build=$!
  step "base images and app images"
  bash scripts/images/build.sh
  step "kubernetes cluster (waiting for the binaries)"
  wait "$kube_build" || { tail -n 50 "$KUBEPROOF_CLUSTER_LOGS/build.log" >&2; exit 1; }
  bash scripts/cluster/cluster.sh up
  step "helm 4 (waiting for its build)"
  wait "$helm4_build" || { tail -n 50 "$KUBEPROOF_CLUSTER_LOGS/helm4-build.log" >&2; exit 1; }
  tail -n 1 "$KUBEPROOF_CLUSTER_LOGS/helm4-build.log" >&2
fi

step "kubeproof check (the main job)"
for profile in minikube production; do
  .venv/bin/kubeproof check --profile "$profile"
done
