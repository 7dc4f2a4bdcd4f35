# todo-backend: FastAPI on Python 3.11.
#   docker build -f dockerfiles/backend.Dockerfile -t todo-backend apps/backend
# Build args:
#   PYTHON_IMAGE     base of every stage (default: the upstream python:3.11-slim)
#   EXTRA_CA_CERTS   PEM text of extra CAs to trust while downloading packages
#                    (TLS-intercepting proxies). Build stages only: the runner
#                    stage never declares it, so it is in no layer, ENV or label.
#   VERSION, REVISION  recorded in the OCI labels
# Works with the classic builder and with BuildKit (no RUN --mount).

ARG PYTHON_IMAGE=python:3.11-slim

# ---- deps: a virtualenv with the pinned requirements -------------------------
FROM ${PYTHON_IMAGE} AS deps
ARG EXTRA_CA_CERTS=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /build
COPY requirements.txt ./
# pip trusts its own CA list plus EXTRA_CA_CERTS (PIP_CERT replaces the list, so
# the bundle it points at holds both); the bundle lives in /tmp of this stage only.
RUN set -eu; \
    python -m venv /opt/venv; \
    if [ -n "$EXTRA_CA_CERTS" ]; then \
      bundle=/tmp/pip-ca-bundle.pem; \
      cat "$(/opt/venv/bin/python -c 'from pip._vendor import certifi; print(certifi.where())')" > "$bundle"; \
      printf '%s\n' "$EXTRA_CA_CERTS" >> "$bundle"; \
      export PIP_CERT="$bundle"; \
    fi; \
    /opt/venv/bin/pip install -r requirements.txt; \
    rm -f /tmp/pip-ca-bundle.pem
# pip byte-compiles what it installs: a read-only root could not cache .pyc later.

# ---- builder: the app sources, byte-compiled and imported once as a smoke test ----
FROM deps AS builder
COPY app/ /build/app/
RUN python -m compileall -q /build/app \
 && /opt/venv/bin/python -c "import app.main"

# ---- runner: the interpreter, the venv and the app; nothing else ---------------
FROM ${PYTHON_IMAGE} AS runner
# passwd's groupadd/useradd exist in every Debian-based image (slim included).
RUN groupadd --system --gid 10001 appuser \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin appuser
# Copied as root with modes 755/644: the app user can read, not write.
COPY --from=deps /opt/venv /opt/venv
COPY --from=builder /build/app /app/app
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 8000
# Last, so that a new VERSION/REVISION rebuilds only this layer.
ARG PYTHON_IMAGE
ARG VERSION=1.0.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="todo-backend" \
      org.opencontainers.image.description="Todo chatbot API: tasks, auth and the chat agent (FastAPI)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/kubeproof/kubeproof" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${PYTHON_IMAGE}"
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/docs', timeout=4).status == 200 else 1)"]
CMD ["uvicorn", "--factory", "app.main:create_app", "--host", "0.0.0.0", "--port", "8000", "--no-server-header"]
