#!/usr/bin/env bash
# Measure cold and warm build time and final size of todo-frontend and todo-backend.
#
#   bash bench/image_build.sh [frontend] [backend]     (default: both)
#
# Builds from a throw-away copy of each build context (the repository is never
# edited) with the same build args as scripts/images/build.sh, tagged
# kubeproof-bench/<name>:<step> and removed at the end. For each image:
#   cold       docker build --no-cache (every app layer rebuilt; bases present)
#   (prime)    one cached build, not timed: right after a --no-cache build the
#              classic builder can match a base layer with no cached children
#   no-op      the same build again, nothing changed (all layers from the cache)
#   edit       one source file changed (a page / a route module), rebuilt
# Prints one markdown table row per image; single runs, so note the machine load.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
components=("$@")
[ ${#components[@]} -gt 0 ] || components=(frontend backend)

# shellcheck source=scripts/images/extra-ca.sh
. "$root/scripts/images/extra-ca.sh"
extra_ca=$(extra_ca_pem)

work=$(mktemp -d /tmp/kubeproof-bench.XXXXXX)
cleanup() {  # timed() runs in $(...) subshells, so the tags are listed here, not collected
  for c in "${components[@]}"; do
    for step in cold prime noop edit; do
      docker image rm -f "kubeproof-bench/$c:$step" >/dev/null 2>&1 || true
    done
  done
  rm -rf "$work"
}
trap cleanup EXIT

base() {  # upstream when present, else the stand-in
  if docker image inspect "$1" >/dev/null 2>&1; then echo "$1"; else
    docker image inspect "$2" >/dev/null 2>&1 || bash "$root/scripts/images/base-images.sh" >/dev/null
    echo "$2"
  fi
}

# timed <label> <tag> <docker build args...>: seconds on stdout, log in $work
timed() {
  local label=$1 tag=$2; shift 2
  local start end
  start=$(date +%s.%N)
  DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} docker build -t "$tag" "$@" >"$work/$label.log" 2>&1 || {
    tail -n 30 "$work/$label.log" >&2; exit 1; }
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }'
}

echo "| image | base | cold (--no-cache) | warm, no change | warm, one source edit | size | base size | load avg |"
echo "|---|---|---|---|---|---|---|---|"
for component in "${components[@]}"; do
  case "$component" in
    frontend) arg=NODE_IMAGE from=$(base node:22-alpine kubeproof/node-base:22-bookworm)
              edit=app/page.js ;;
    backend) arg=PYTHON_IMAGE from=$(base python:3.11-slim kubeproof/python-base:3.11-bookworm)
             edit=app/tasks.py ;;
    *) echo "bench: unknown image $component" >&2; exit 2 ;;
  esac
  ctx=$work/$component
  mkdir -p "$ctx"
  tar -C "$root/apps/$component" --exclude=node_modules --exclude=.next --exclude=__pycache__ \
      --exclude=.pytest_cache -cf - . | tar -C "$ctx" -xf -
  common=(-f "$root/dockerfiles/$component.Dockerfile" --build-arg "$arg=$from"
          --build-arg "EXTRA_CA_CERTS=$extra_ca" --build-arg "REVISION=bench" "$ctx")
  tag=kubeproof-bench/$component
  cold=$(timed "$component-cold" "$tag:cold" --no-cache "${common[@]}")
  timed "$component-prime" "$tag:prime" "${common[@]}" >/dev/null
  noop=$(timed "$component-noop" "$tag:noop" "${common[@]}")
  printf '\n// bench edit %s\n' "$(date +%s%N)" >>"$ctx/$edit"
  [ "$component" = backend ] && sed -i 's|^// bench edit|# bench edit|' "$ctx/$edit"
  edited=$(timed "$component-edit" "$tag:edit" "${common[@]}")
  size=$(docker image inspect -f '{{.Size}}' "$tag:edit")
  base_size=$(docker image inspect -f '{{.Size}}' "$from")
  printf '| todo-%s | %s | %s s | %s s | %s s | %d MB | %d MB | %s |\n' \
    "$component" "$from" "$cold" "$noop" "$edited" $((size / 1000000)) $((base_size / 1000000)) \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
done
