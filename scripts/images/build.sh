#!/usr/bin/env bash
# Build the app images todo-frontend and todo-backend with the classic builder
# (or BuildKit where it exists), as the chart and the cluster tier expect them:
#
#   bash scripts/images/build.sh [frontend] [backend] [--no-cache]
#
# Tags: <repository>:latest and <repository>:<VERSION> (VERSION defaults to 1.0.0).
# Bases: the upstream image (node:22-alpine, python:3.11-slim) when it exists
# locally, else the stand-in from scripts/images/base-images.sh (built on demand),
# passed as the NODE_IMAGE / PYTHON_IMAGE build arg. The Dockerfiles' defaults
# stay the upstream images.
# Extra CAs (TLS-intercepting proxies): KUBEPROOF_EXTRA_CA_FILE (a PEM file), else
# the host's local additions in /usr/local/share/ca-certificates/*.crt, passed
# as the EXTRA_CA_CERTS build arg (used by the build stages only). The whole
# system bundle would not fit: one environment string is capped at 128 KiB.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
VERSION=${VERSION:-1.0.0}
REVISION=${REVISION:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}

components=() extra=()
for arg in "$@"; do
  case "$arg" in
    frontend|backend) components+=("$arg") ;;
    --*) extra+=("$arg") ;;
    *) echo "build.sh: unknown argument $arg (known: frontend, backend, --docker-build-flag)" >&2; exit 2 ;;
  esac
done
[ ${#components[@]} -gt 0 ] || components=(frontend backend)

# shellcheck source=scripts/images/extra-ca.sh
. "$(dirname "${BASH_SOURCE[0]}")/extra-ca.sh"
extra_ca=$(extra_ca_pem)
if [ ${#extra_ca} -gt 100000 ]; then
  echo "build.sh: extra CA bundle is ${#extra_ca} bytes; pass only the extra CAs (limit ~100 KB)" >&2
  exit 2
fi

# stand_in <upstream>: its local stand-in, from stand-ins.txt (one definition)
stand_in() { awk -v up="$1" '$1 == up {print $2}' "$here/stand-ins.txt"; }

# base <upstream> <stand-in>: the image to build from
base() {
  if docker image inspect "$1" >/dev/null 2>&1; then echo "$1"; return; fi
  if ! docker image inspect "$2" >/dev/null 2>&1; then
    echo "build.sh: $1 is not available locally; building stand-ins" >&2
    bash "$here/base-images.sh" >/dev/null
  fi
  echo "$2"
}

for component in "${components[@]}"; do
  case "$component" in
    frontend) repo=todo-frontend arg=NODE_IMAGE from=$(base node:22-alpine "$(stand_in node:22-alpine)") ;;
    backend) repo=todo-backend arg=PYTHON_IMAGE from=$(base python:3.11-slim "$(stand_in python:3.11-slim)") ;;
  esac
  echo "== building $repo:latest from $from" >&2
  start=$(date +%s)
  DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} docker build \
    -f "$root/dockerfiles/$component.Dockerfile" \
    -t "$repo:latest" -t "$repo:$VERSION" \
    --build-arg "$arg=$from" \
    --build-arg "EXTRA_CA_CERTS=$extra_ca" \
    --build-arg "VERSION=$VERSION" \
    --build-arg "REVISION=$REVISION" \
    ${extra[@]+"${extra[@]}"} \
    "$root/apps/$component" >&2
  echo "== $repo:latest built in $(( $(date +%s) - start )) s," \
       "$(docker image inspect -f '{{.Size}}' "$repo:latest" | awk '{printf "%.0f MB", $1/1e6}')" >&2
done
