"""The chart end to end on a real cluster: install, helm test, reach both Services,
upgrade under continuous traffic with measured availability, roll back, uninstall.

Each run uses its own namespace (the live plugin's ``module_namespace``) and
release; the namespace goes at the end, with the release in it, also when a test
fails or the run is interrupted.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from kubeproof.testing import live
from kubeproof.testing.cluster import ClusterError, kubectl, load_image
from kubeproof.testing.environment import require
from kubeproof.testing.live import Release, get, helm_status, pod_ready, ready_endpoints

ROOT = Path(__file__).resolve().parents[2]
APP = yaml.safe_load((ROOT / "kubeproof.yaml").read_text())
CHART = ROOT / APP["chart"]
FRONTEND, BACKEND = APP["components"]["frontend"], APP["components"]["backend"]
IMAGES = [f"{c['image']['repository']}:latest" for c in APP["components"].values()]


def helm(*args: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    try:
        return live.helm(*args, timeout=timeout)
    except ClusterError as exc:
        pytest.fail(str(exc), pytrace=False)


def ensure_images() -> None:
    import docker

    client = docker.from_env()
    missing = []
    for image in IMAGES:
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            missing.append(image)
    if missing:
        build = subprocess.run(
            ["bash", str(ROOT / "scripts/images/build.sh")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert build.returncode == 0, f"building {missing} failed:\n{build.stderr[-3000:]}"


def http_get(url: str, timeout: float = 3) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def node_port(release: Release, service: str) -> int:
    (svc,) = get(release, "service", service)
    return svc["spec"]["ports"][0]["nodePort"]


@pytest.fixture(scope="module")
def release(module_namespace: str):
    """The chart installed with the minikube profile into this module's namespace."""
    require("helm")
    require("docker")
    ensure_images()
    for image in IMAGES:
        load_image(image)
    rel = Release(f"e2e-{uuid.uuid4().hex[:6]}", module_namespace)
    kubectl(
        "-n",
        rel.namespace,
        "create",
        "secret",
        "generic",
        "backend-secret",
        "--from-literal=DATABASE_URL=sqlite:////tmp/todo.db",
        f"--from-literal=BETTER_AUTH_SECRET={uuid.uuid4().hex}{uuid.uuid4().hex}",
        "--from-literal=OPENAI_API_KEY=",
    )
    helm(
        "install",
        rel.name,
        str(CHART),
        "--namespace",
        rel.namespace,
        "-f",
        str(ROOT / APP["profiles"]["minikube"]),
        # NodePorts are cluster-wide: let Kubernetes pick free ones for this run
        "--set",
        "frontend.service.nodePort=null",
        "--set",
        "backend.service.nodePort=null",
        "--set",
        "backend.secret.existingSecret=backend-secret",
        "--wait",
        "--timeout",
        "5m",
    )
    return rel  # the namespace factory deletes the namespace, and the release with it


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
        assert http_get(f"http://127.0.0.1:{port}{spec['healthPath']}") == 200, spec["service"]


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


def test_upgrade_under_traffic_keeps_serving(release, record_property):
    """A config change rolls both Deployments; continuous requests through both
    NodePorts measure availability during the rollout."""
    urls = [
        f"http://127.0.0.1:{node_port(release, spec['service'])}{spec['healthPath']}"
        for spec in (FRONTEND, BACKEND)
    ]
    before = {p["metadata"]["name"] for p in get(release, "pods")}
    results: list[int] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            for url in urls:
                results.append(http_get(url))
            time.sleep(0.05)

    worker = threading.Thread(target=traffic, daemon=True)
    worker.start()
    started = time.monotonic()
    try:
        helm(
            "upgrade",
            release.name,
            str(CHART),
            "--namespace",
            release.namespace,
            "--reuse-values",
            "--set",
            "backend.config.jwtExpirationDays=3",
            "--set-string",
            "frontend.config.ROLLOUT=2",
            "--wait",
            "--timeout",
            "5m",
        )
        time.sleep(2)  # keep measuring while the last old pod terminates
    finally:
        stop.set()
        worker.join(timeout=10)
    seconds = time.monotonic() - started
    after = {
        p["metadata"]["name"]
        for p in get(release, "pods")
        if pod_ready(p) and "deletionTimestamp" not in p["metadata"]  # not terminating
    }
    ok = sum(1 for code in results if code == 200)
    availability = ok / len(results) if results else 0.0
    record_property("availability", f"{availability:.4f}")
    record_property("requests", len(results))
    print(
        f"rolling upgrade: {ok}/{len(results)} requests answered 200 "
        f"({availability:.2%}) over {seconds:.1f} s"
    )
    assert not (before & after), "the upgrade did not replace the pods"
    assert helm_status(release)["version"] == 2
    assert len(results) >= 20, "too few requests to measure availability"
    failed = sorted({code for code in results if code != 200})
    assert ok == len(results), f"{len(results) - ok} of {len(results)} requests failed: {failed}"


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
