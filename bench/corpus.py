"""Generate a deterministic corpus of Kubernetes objects for the static benchmarks.

    python bench/corpus.py OUT.yaml [APPS]   # APPS x 4 objects (default 2600 -> 10,400)

Each app is a Deployment, a Service, a ConfigMap and a Secret; about one app in
ten carries each kind of defect (no probes, root, no limits, latest tag, bad
nodePort, selector mismatch, real-looking secret), so every tool has work to do.
"""

from __future__ import annotations

import random
import sys


def app(i: int, rnd: random.Random) -> list[str]:
    name = f"app-{i:05d}"
    defect = rnd.randrange(10)
    tag = "latest" if defect == 0 else f"1.{i % 7}.{i % 3}"
    probes = (
        ""
        if defect == 1
        else (
            "          livenessProbe:\n            httpGet: {path: /healthz, port: http}\n"
            "          readinessProbe:\n            httpGet: {path: /healthz, port: http}\n"
        )
    )
    non_root = "false" if defect == 2 else "true"
    limits = "" if defect == 3 else "            limits: {cpu: 500m, memory: 512Mi}\n"
    node_port = 29999 if defect == 4 else 30000 + i % 2700
    selector = f"{name}-typo" if defect == 5 else name
    secret = "sk-proj-abcdefghijklmnop1234" if defect == 6 else "CHANGE_ME"
    deployment = f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: bench
  labels: {{app: {name}}}
spec:
  replicas: {1 + i % 3}
  selector:
    matchLabels: {{app: {name}}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      securityContext:
        runAsNonRoot: {non_root}
        runAsUser: 10001
        seccompProfile: {{type: RuntimeDefault}}
      containers:
        - name: main
          image: registry.example.com/{name}:{tag}
          imagePullPolicy: IfNotPresent
          ports:
            - {{name: http, containerPort: 8080, protocol: TCP}}
          envFrom:
            - configMapRef: {{name: {name}-config}}
            - secretRef: {{name: {name}-secret}}
{probes}          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
{limits}          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
"""
    service = f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: bench
spec:
  type: NodePort
  selector: {{app: {selector}}}
  ports:
    - {{name: http, port: 8080, targetPort: http, nodePort: {node_port}}}
"""
    configmap = f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
  namespace: bench
data:
  LOG_LEVEL: info
  UPSTREAM_URL: http://app-{(i + 1):05d}.bench.svc.cluster.local:8080
"""
    secret_doc = f"""apiVersion: v1
kind: Secret
metadata:
  name: {name}-secret
  namespace: bench
type: Opaque
stringData:
  API_KEY: {secret}
"""
    return [deployment, service, configmap, secret_doc]


def corpus(apps: int) -> str:
    """The corpus of ``apps`` x 4 objects as one YAML stream (deterministic)."""
    rnd = random.Random(20260208)
    return "".join("---\n" + doc for i in range(apps) for doc in app(i, rnd))


def main() -> int:
    usage = "usage: corpus.py OUT.yaml [APPS]  (APPS x 4 objects, default 2600)"
    if not 2 <= len(sys.argv) <= 3 or sys.argv[1].startswith("-"):
        print(usage, file=sys.stderr)
        return 2
    out = sys.argv[1]
    try:
        apps = int(sys.argv[2]) if len(sys.argv) > 2 else 2600
    except ValueError:
        print(f"corpus.py: APPS must be a number, not {sys.argv[2]!r}", file=sys.stderr)
        return 2
    with open(out, "w") as f:
        f.write(corpus(apps))
    print(f"{out}: {apps * 4} objects")
    return 0


if __name__ == "__main__":
    sys.exit(main())
