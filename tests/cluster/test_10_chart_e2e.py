"""The chart end to end on a real cluster: install, helm test, reach both Services,
upgrade under continuous traffic with measured availability, roll back, uninstall.

Each run uses its own namespace (the live plugin's ``module_namespace``) and
release; the namespace goes at the end, with the release in it, also when a test
fails or the run is interrupted.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from kubeproof.testing import live
from kubeproof.testing.cluster import helm, kubectl
from kubeproof.testing.live import (
    Release,
    get,
    helm_status,
    node_port,
    node_port_url,
    pod_ready,
    ready_endpoints,
)
from kubeproof.testing.rollout import RolloutWatcher
from kubeproof.testing.traffic import Traffic
from kubeproof.testing.traffic import get as http_get

ROOT = Path(__file__).resolve().parents[2]
APP = yaml.safe_load((ROOT / "kubeproof.yaml").read_text())
CHART = ROOT / APP["chart"]
FRONTEND, BACKEND = APP["components"]["frontend"], APP["components"]["backend"]

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def release(module_namespace: str, install_chart) -> Release:
    """The chart installed with the minikube profile into this module's namespace, with
    the backend's Secret made beforehand (the namespace factory deletes both)."""
    kubectl(
        "-n", module_namespace, "create", "secret", "generic", "backend-secret",
        "--from-literal=DATABASE_URL=sqlite:////tmp/todo.db",
        f"--from-literal=BETTER_AUTH_SECRET={uuid.uuid4().hex}{uuid.uuid4().hex}",
        "--from-literal=OPENAI_API_KEY=",
    )  # fmt: skip
    return install_chart(
        module_namespace, "--set", "backend.secret.existingSecret=backend-secret", prefix="e2e"
    )


def test_install_rolls_out_ready_pods(release):
    assert helm_status(release)["info"]["status"] == "deployed"
    for spec in (FRONTEND, BACKEND):
        (dep,) = get(release, "deployment", spec["deployment"])
        assert dep["status"].get("readyReplicas") == dep["spec"]["replicas"], dep["status"]
        assert ready_endpoints(release, spec["service"]), f"{spec['service']} has no endpoints"
    pods = get(release, "pods")
    assert pods and all(pod_ready(p) for p in pods)


def test_helm_test_pod_reaches_both_services(release):
    """The chart's test pod exits 0 only when both Services answered on their health
    paths by DNS name (the pod is deleted on success, so its phase is the evidence)."""
    proc = helm("test", release.name, "--namespace", release.namespace, "--timeout", "3m")
    assert re.search(r"Phase:\s+Succeeded", proc.stdout), proc.stdout


def test_node_ports_answer_from_the_host(release):
    for spec in (FRONTEND, BACKEND):
        port = node_port(release, spec["service"])
        assert http_get(f"http://127.0.0.1:{port}{spec['healthPath']}")[0] == 200, spec["service"]


def test_frontend_reaches_backend_by_service_dns(release):
    """Through the frontend's NodePort, its /api route forwards to API_BASE_URL."""
    base = f"http://127.0.0.1:{node_port(release, FRONTEND['service'])}"

    def call(method: str, path: str, body: dict | None = None, token: str | None = None):
        req = urllib.request.Request(
            base + path,
            method=method,
            data=json.dumps(body).encode() if body else None,
            headers={
                "content-type": "application/json",
                **({"authorization": f"Bearer {token}"} if token else {}),
            },
        )
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")

    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    status, signup = call(
        "POST",
        "/api/auth/signup",
        {"email": email, "password": "correct horse battery", "name": "E2E"},
    )
    assert status == 201
    token = signup["access_token"]
    status, task = call("POST", "/api/tasks", {"title": "buy milk"}, token)
    assert task["title"] == "buy milk"
    assert status == 201
    status, tasks = call("GET", "/api/tasks", token=token)
    assert status == 200
    assert [t["title"] for t in tasks] == ["buy milk"]


def test_upgrade_under_traffic_keeps_serving(release, record_property, progress, rollout_timeline):
    """A config change rolls both Deployments; continuous requests through both
    NodePorts measure availability during the rollout, watched until the old pods are gone."""
    urls = [
        node_port_url(release, spec["service"], spec["healthPath"]) for spec in (FRONTEND, BACKEND)
    ]
    before = {p["metadata"]["name"] for p in get(release, "pods")}
    deployments = [FRONTEND["deployment"], BACKEND["deployment"]]
    with (
        RolloutWatcher(release.namespace, progress) as watcher,
        Traffic(urls, t0=watcher.t0) as traffic,
    ):
        started = watcher.now()
        helm(
            "upgrade", release.name, str(CHART), "--namespace", release.namespace,
            "--reuse-values", "--set", "backend.config.jwtExpirationDays=3",
            "--set-string", "frontend.config.ROLLOUT=2", "--wait", "--timeout", "5m",
        )  # fmt: skip
        upgraded = watcher.now()
        # keep measuring until every old pod is gone, not just unready
        watcher.wait(
            lambda w: (
                all(w.rolled_out(d) for d in deployments)
                and not any(p.name in before for p in w.pods.values())
            ),
            timeout=120,
            what="the old pods to go",
        )
    png = rollout_timeline(
        watcher, traffic, marks=((started, "helm upgrade"), (upgraded, "--wait returned"))
    )
    requests = traffic.requests
    record_property("requests", len(requests))
    print(
        f"rolling upgrade: {traffic.summary()} over {watcher.now() - started:.1f} s; timeline {png}"
    )
    assert helm_status(release)["version"] == 2
    for name in deployments:
        wanted = watcher.deployment(name).replicas
        assert watcher.min_available(name, since=started) >= wanted, f"{name} lost capacity"
    assert len(requests) >= 20, "too few requests to measure availability"
    assert traffic.failed == [], traffic.summary()


def test_rollback_restores_the_previous_config(release):
    helm(
        "rollback", release.name, "1", "--namespace", release.namespace, "--wait", "--timeout", "5m"
    )
    status = helm_status(release)
    assert (status["version"], status["info"]["status"]) == (3, "deployed")
    (cm,) = get(release, "configmap", BACKEND["configMap"]["name"])
    assert cm["data"]["JWT_EXPIRATION_DAYS"] == "7"
    history = json.loads(
        helm("history", release.name, "--namespace", release.namespace, "-o", "json").stdout
    )
    assert [h["status"] for h in history] == ["superseded", "superseded", "deployed"]


def test_uninstall_leaves_nothing_behind(release):
    helm("uninstall", release.name, "--namespace", release.namespace, "--wait")
    # Pods go with their ReplicaSets through garbage collection after the preStop
    # delay; wait for the namespace to drain rather than read it mid-way.
    deadline = time.monotonic() + 180
    while True:
        leftover = kubectl(
            "get",
            "all,configmap,secret,endpointslices",
            "-n",
            release.namespace,
            "-l",
            release.selector,
            "-o",
            "name",
        ).stdout.split()
        if not leftover or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert leftover == []
    proc = live.helm("status", release.name, "-n", release.namespace, check=False)
    assert proc.returncode != 0 and "not found" in proc.stderr
