#!/usr/bin/env bash
# Deploy the todo-chatbot chart the way the entity model and the README tell a
# new user to: the chart's defaults plus ci/minikube-values.yaml, nothing else.
# Works on our CI cluster, Minikube or kind (whatever the kubeconfig points at).
#
#   bash scripts/deploy.sh [--release todo] [--namespace todo]
#
# 1. loads todo-frontend:latest and todo-backend:latest into the cluster
#    (minikube image load / kind load docker-image / ctr import, detected);
# 2. helm upgrade --install --wait with ci/minikube-values.yaml. The chart's own
#    Secret holds CHANGE_ME placeholders: the backend warns and runs on SQLite
#    in its /tmp volume with a per-process signing key and the chat agent's
#    offline parser. No Secret is made outside the chart.
# Then: pytest -m smoke --release <release> --namespace <namespace>
set -euo pipefail
cd "$(dirname "$0")/.."
release=todo namespace=todo
while [ $# -gt 0 ]; do
  case "$1" in
    --release) release=$2; shift 2 ;;
    --namespace) namespace=$2; shift 2 ;;
    # the seed's one path; kept so older calls still work
    --profile) [ "$2" = minikube ] || { echo "deploy.sh: only --profile minikube (the seed's path) is deployed here; production needs its own Secret and registry: see README" >&2; exit 2; }; shift 2 ;;
    *) echo "deploy.sh: unknown argument $1 (known: --release, --namespace)" >&2; exit 2 ;;
  esac
done
values=charts/todo-chatbot/ci/minikube-values.yaml
py=.venv/bin/python; [ -x "$py" ] || py=python3
kubeconfig=$("$py" -c 'from kubeproof.testing.environment import kubeconfig; print(kubeconfig() or "")')
[ -n "$kubeconfig" ] || { echo "deploy.sh: no kubeconfig found (KUBECONFIG, ~/.kube/config)" >&2; exit 2; }
export KUBECONFIG=$kubeconfig

for image in todo-frontend:latest todo-backend:latest; do
  echo "loading $image into the cluster" >&2
  "$py" -c 'import sys; from kubeproof.testing.cluster import load_image; load_image(sys.argv[1])' "$image"
done

helm upgrade --install "$release" charts/todo-chatbot --namespace "$namespace" --create-namespace \
  -f "$values" --wait --timeout 5m
