#!/usr/bin/env bash
# Deploy the todo-chatbot chart to the cluster the kubeconfig points at (our CI
# cluster, Minikube or kind), with locally built images.
#
#   bash scripts/deploy.sh [--profile minikube] [--release todo] [--namespace todo]
#
# 1. loads todo-frontend:latest and todo-backend:latest into the cluster
#    (minikube image load / kind load docker-image / ctr import, detected);
# 2. creates the backend Secret outside the chart once (a random signing secret,
#    SQLite in the pod's /tmp, no OpenAI key: the chat agent's offline parser), and
#    points the chart at it with backend.secret.existingSecret;
# 3. helm upgrade --install --wait with ci/<profile>-values.yaml.
# Then: pytest -m smoke --release <release> --namespace <namespace>
set -euo pipefail
cd "$(dirname "$0")/.."
profile=minikube release=todo namespace=todo
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile=$2; shift 2 ;;
    --release) release=$2; shift 2 ;;
    --namespace) namespace=$2; shift 2 ;;
    *) echo "deploy.sh: unknown argument $1 (known: --profile, --release, --namespace)" >&2; exit 2 ;;
  esac
done
values=charts/todo-chatbot/ci/$profile-values.yaml
[ -f "$values" ] || { echo "deploy.sh: no profile $profile ($values missing)" >&2; exit 2; }
py=.venv/bin/python; [ -x "$py" ] || py=python3
kubeconfig=$("$py" -c 'from kubeproof.testing.environment import kubeconfig; print(kubeconfig() or "")')
[ -n "$kubeconfig" ] || { echo "deploy.sh: no kubeconfig found (KUBECONFIG, ~/.kube/config)" >&2; exit 2; }
export KUBECONFIG=$kubeconfig

for image in todo-frontend:latest todo-backend:latest; do
  echo "loading $image into the cluster" >&2
  "$py" -c 'import sys; from kubeproof.testing.cluster import load_image; load_image(sys.argv[1])' "$image"
done

kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
secret=todo-backend-secret-local
if ! kubectl -n "$namespace" get secret "$secret" >/dev/null 2>&1; then
  kubectl -n "$namespace" create secret generic "$secret" \
    --from-literal=DATABASE_URL=sqlite:////tmp/todo.db \
    --from-literal=BETTER_AUTH_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    --from-literal=OPENAI_API_KEY= >/dev/null
fi

tags=()
[ "$profile" = minikube ] || tags=(--set frontend.image.tag=latest --set backend.image.tag=latest
                                   --set frontend.image.pullPolicy=Never --set backend.image.pullPolicy=Never)
helm upgrade --install "$release" charts/todo-chatbot --namespace "$namespace" \
  -f "$values" --set backend.secret.existingSecret="$secret" "${tags[@]}" \
  --wait --timeout 5m
