"""Generate a deterministic corpus of Kubernetes objects for the static benchmarks.

    python bench/corpus.py OUT.yaml [APPS] [--schema-defects]
    # APPS x 4 objects (default 2600 -> 10,400)

Each app is a Deployment, a Service, a ConfigMap and a Secret; about one app in
ten carries each kind of defect (no probes, root, no limits, latest tag, bad
nodePort, selector mismatch, real-looking secret), so every tool has work to do.
These objects are all valid against the Kubernetes schemas. ``--schema-defects``
also breaks one object in every fifth app against its schema (an unknown field or
a wrong type, four sorts in turn), for schema validators to find: 520 of 10,400.
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


#: (object index in the app, text replaced, replacement, what is wrong) by i % 20
SCHEMA_DEFECTS = {
    3: (0, "          imagePullPolicy:", "          imagePullPolicyy:", "unknown field"),
    8: (0, "  replicas: ", "  replicas: two-", "wrong type"),
    13: (1, "  type: NodePort\n", "  type: NodePort\n  selectr: {app: x}\n", "unknown field"),
    18: (2, "  LOG_LEVEL: info", "  LOG_LEVEL: 3", "wrong type"),
}
KINDS = ("Deployment", "Service", "ConfigMap", "Secret")


def schema_defect(i: int) -> tuple[str, str, str] | None:
    """(kind, name, what is wrong) of the object app ``i`` breaks, with schema defects."""
    found = SCHEMA_DEFECTS.get(i % 20)
    if found is None:
        return None
    index, _, _, what = found
    name = f"app-{i:05d}" + ("", "", "-config", "-secret")[index]
    return KINDS[index], name, what


def corpus(apps: int, schema_defects: bool = False) -> str:
    """The corpus of ``apps`` x 4 objects as one YAML stream (deterministic)."""
    rnd = random.Random(20260208)
    out = []
    for i in range(apps):
        docs = app(i, rnd)
        found = SCHEMA_DEFECTS.get(i % 20) if schema_defects else None
        if found is not None:
            index, old, new, _ = found
            assert old in docs[index], (i, old)
            docs[index] = docs[index].replace(old, new, 1)
        out += ["---\n" + doc for doc in docs]
    return "".join(out)


def main() -> int:
    usage = "usage: corpus.py OUT.yaml [APPS] [--schema-defects]  (APPS x 4 objects, default 2600)"
    args = [a for a in sys.argv[1:] if a != "--schema-defects"]
    if not 1 <= len(args) <= 2 or args[0].startswith("-"):
        print(usage, file=sys.stderr)
        return 2
    out = args[0]
    try:
        apps = int(args[1]) if len(args) > 1 else 2600
    except ValueError:
        print(f"corpus.py: APPS must be a number, not {args[1]!r}", file=sys.stderr)
        return 2
    defects = "--schema-defects" in sys.argv[1:]
    with open(out, "w") as f:
        f.write(corpus(apps, schema_defects=defects))
    broken = sum(1 for i in range(apps) if defects and schema_defect(i))
    print(f"{out}: {apps * 4} objects" + (f", {broken} with a schema defect" if defects else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
