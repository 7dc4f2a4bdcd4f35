"""Cluster self-test: proves the cluster the live tier runs on works, before any chart test.

Runs first in the cluster tier (file name order). Every check names the component at
fault and shows its log tail (``/var/log/kubeproof-cluster/<component>.log`` on our CI
cluster). Everything created here (namespace, pods, image in Docker and in the cluster)
is removed at the end, also on failure or Ctrl-C.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kubeproof.testing import cluster
from kubeproof.testing.environment import require

IMAGE_DIR = Path(__file__).parent / "selftest_image"
RUN_ID = uuid.uuid4().hex[:8]
IMAGE = f"kubeproof-selftest:{RUN_ID}"
APP = "web"


def fail(component: str, message: str) -> None:
    pytest.fail(cluster.describe_failure(component, message), pytrace=False)


def kubectl(
    *args: str, timeout: float = 60, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return cluster.kubectl(*args, timeout=timeout, check=check)


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class _Cleanup:
    """Runs registered undo steps once: at fixture teardown, or at exit after Ctrl-C."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, Callable[[], None]]] = []
        atexit.register(self.run)

    def add(self, what: str, step: Callable[[], None]) -> None:
        self.steps.append((what, step))

    def run(self) -> None:
        while self.steps:
            what, step = self.steps.pop()
            try:
                step()
            except Exception as exc:  # cleanup must go on; report on stderr
                print(f"selftest cleanup: {what} failed: {exc}")


@pytest.fixture(scope="module")
def cleanup() -> Iterator[_Cleanup]:
    c = _Cleanup()
    try:
        yield c
    finally:
        c.run()


@pytest.fixture(scope="module")
def image(cleanup: _Cleanup, tmp_path_factory: pytest.TempPathFactory) -> str:
    require("cluster")
    require("docker")
    go = shutil.which("go") or "/usr/local/go/bin/go"
    ctx = tmp_path_factory.mktemp("selftest-image")
    shutil.copy(IMAGE_DIR / "Dockerfile", ctx / "Dockerfile")
    build = subprocess.run(
        [go, "build", "-trimpath", "-ldflags", "-s -w", "-o", str(ctx / "selftest"), "main.go"],
        cwd=IMAGE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"},
    )
    if build.returncode != 0:
        pytest.fail(f"building the self-test binary failed: {build.stderr}", pytrace=False)
    cleanup.add(
        f"docker rmi {IMAGE}",
        lambda: subprocess.run(["docker", "rmi", "-f", IMAGE], capture_output=True, check=False),
    )
    docker = subprocess.run(
        ["docker", "build", "-q", "-t", IMAGE, str(ctx)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )
    if docker.returncode != 0:
        pytest.fail(f"docker build of the self-test image failed: {docker.stderr}", pytrace=False)
    cleanup.add(f"remove {IMAGE} from the cluster", lambda: cluster.remove_image(IMAGE))
    try:
        cluster.load_image(IMAGE)
    except cluster.ClusterError as exc:
        fail("containerd", f"loading {IMAGE} into the cluster failed: {exc}")
    return IMAGE


def _manifests(namespace: str, image: str) -> str:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": APP, "namespace": namespace},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": APP}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": {
                "metadata": {"labels": {"app": APP}},
                "spec": {
                    "terminationGracePeriodSeconds": 5,
                    "containers": [
                        {
                            "name": APP,
                            "image": image,
                            "imagePullPolicy": "Never",
                            "env": [{"name": "VERSION", "value": "1"}],
                            "ports": [{"containerPort": 8080, "name": "http"}],
                            "readinessProbe": {
                                "httpGet": {"path": "/healthz", "port": 8080},
                                "periodSeconds": 1,
                            },
                            "resources": {
                                "requests": {"cpu": "10m", "memory": "16Mi"},
                                "limits": {"memory": "64Mi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "runAsNonRoot": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                        }
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": APP, "namespace": namespace},
        "spec": {
            "type": "NodePort",
            "selector": {"app": APP},
            "ports": [{"port": 8080, "targetPort": "http", "name": "http"}],
        },
    }
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [deployment, service]})


@pytest.fixture(scope="module")
def app(module_namespace: str, image: str) -> str:
    """The self-test Deployment (2 replicas) and its NodePort Service, rolled out."""
    namespace = module_namespace
    cluster.kubectl("apply", "-f", "-", input=_manifests(namespace, image))
    rollout = kubectl(
        "-n",
        namespace,
        "rollout",
        "status",
        f"deployment/{APP}",
        "--timeout=120s",
        timeout=150,
        check=False,
    )
    if rollout.returncode != 0:
        pods = kubectl("-n", namespace, "get", "pods", "-o", "wide", check=False).stdout
        events = kubectl(
            "-n", namespace, "get", "events", "--sort-by=.lastTimestamp", check=False
        ).stdout
        component = _blame_pods(namespace)
        fail(
            component,
            f"Deployment {APP} did not become available: {rollout.stderr}\n"
            f"{pods}\n{events[-3000:]}",
        )
    return APP


def _blame_pods(namespace: str) -> str:
    """Which component most likely keeps the pods from running."""
    pods = json.loads(kubectl("-n", namespace, "get", "pods", "-o", "json").stdout)["items"]
    if not pods:
        return "kube-controller-manager"
    if any(not p["spec"].get("nodeName") for p in pods):
        return "kube-scheduler"
    for p in pods:
        for cs in p.get("status", {}).get("containerStatuses", []) or []:
            waiting = cs.get("state", {}).get("waiting") or {}
            if waiting.get("reason") in {
                "ErrImageNeverPull",
                "CreateContainerError",
                "RunContainerError",
            }:
                return "containerd"
    return "kubelet"


def test_node_ready() -> None:
    require("cluster")
    nodes = json.loads(kubectl("get", "nodes", "-o", "json").stdout)["items"]
    if not nodes:
        fail("kubelet", "no Node registered")
    for node in nodes:
        ready = next((c for c in node["status"]["conditions"] if c["type"] == "Ready"), {})
        if ready.get("status") != "True":
            fail("kubelet", f"node {node['metadata']['name']} not Ready: {ready.get('message')}")


def test_pod_from_local_image_runs(app: str, module_namespace: str) -> None:
    require("cluster")
    require("docker")
    pods = json.loads(
        kubectl("-n", module_namespace, "get", "pods", "-l", f"app={app}", "-o", "json").stdout
    )
    running = [p for p in pods["items"] if p["status"].get("phase") == "Running"]
    if len(running) < 2:
        fail(_blame_pods(module_namespace), f"expected 2 Running pods, got {len(running)}")
    for p in running:
        if not p["status"].get("podIP"):
            fail("containerd", f"pod {p['metadata']['name']} has no IP (CNI)")


def _one_pod(namespace: str) -> str:
    """A Running, Ready pod of the app that is not terminating."""
    pods = json.loads(
        kubectl("-n", namespace, "get", "pods", "-l", f"app={APP}", "-o", "json").stdout
    )["items"]
    for p in pods:
        ready = any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in p["status"].get("conditions", [])
        )
        if (
            p["status"].get("phase") == "Running"
            and ready
            and not p["metadata"].get("deletionTimestamp")
        ):
            return str(p["metadata"]["name"])
    fail(_blame_pods(namespace), f"no Ready, non-terminating pod of {APP} in {namespace}")
    raise AssertionError("unreachable")


def test_pod_to_service_by_dns_name(app: str, module_namespace: str) -> None:
    require("cluster")
    pod = _one_pod(module_namespace)
    name = f"{app}.{module_namespace}.svc.cluster.local"
    resolve = kubectl(
        "-n", module_namespace, "exec", pod, "--", "/selftest", "resolve", name, check=False
    )
    if resolve.returncode != 0:
        fail("coredns", f"{name} does not resolve from pod {pod}: {resolve.stderr}")
    url = f"http://{app}.{module_namespace}:8080/"
    ok = wait_until(
        lambda: (
            kubectl(
                "-n", module_namespace, "exec", pod, "--", "/selftest", "get", url, check=False
            ).returncode
            == 0
        ),
        timeout=20,
    )
    if not ok:
        got = kubectl(
            "-n", module_namespace, "exec", pod, "--", "/selftest", "get", url, check=False
        )
        fail(
            "kube-proxy",
            f"{url} from pod {pod} failed (resolves to {resolve.stdout.strip()}): {got.stderr}",
        )


def test_nodeport_from_host(app: str, module_namespace: str) -> None:
    require("cluster")
    port = kubectl(
        "-n", module_namespace, "get", "service", app, "-o", "jsonpath={.spec.ports[0].nodePort}"
    ).stdout
    url = f"http://127.0.0.1:{port}/"
    last: list[str] = []

    def reachable() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                body = resp.read().decode()
                return resp.status == 200 and "kubeproof-selftest" in body
        except OSError as exc:
            last[:] = [repr(exc)]
            return False

    if not wait_until(reachable, timeout=20):
        fail("kube-proxy", f"NodePort {url} not reachable from the host: {last}")


def test_logs_and_exec(app: str, module_namespace: str) -> None:
    require("cluster")
    pod = _one_pod(module_namespace)
    logs = kubectl("-n", module_namespace, "logs", pod, check=False)
    if logs.returncode != 0 or "listening on :8080" not in logs.stdout:
        fail(
            "kubelet",
            f"kubectl logs {pod} failed (apiserver->kubelet): {logs.stderr or logs.stdout}",
        )
    exec_ = kubectl(
        "-n",
        module_namespace,
        "exec",
        pod,
        "--",
        "/selftest",
        "get",
        "http://127.0.0.1:8080/healthz",
        check=False,
    )
    if exec_.returncode != 0 or exec_.stdout.strip() != "ok":
        fail("kubelet", f"kubectl exec into {pod} failed: {exec_.stderr or exec_.stdout}")


def test_rollout_with_max_unavailable_zero(app: str, module_namespace: str) -> None:
    require("cluster")
    kubectl("-n", module_namespace, "set", "env", f"deployment/{app}", "VERSION=2")
    rollout = kubectl(
        "-n",
        module_namespace,
        "rollout",
        "status",
        f"deployment/{app}",
        "--timeout=120s",
        timeout=150,
        check=False,
    )
    if rollout.returncode != 0:
        fail("kube-controller-manager", f"rollout to VERSION=2 did not complete: {rollout.stderr}")
    dep = json.loads(kubectl("-n", module_namespace, "get", "deployment", app, "-o", "json").stdout)
    status = dep["status"]
    if status.get("updatedReplicas") != 2 or status.get("availableReplicas") != 2:
        fail("kube-controller-manager", f"after rollout: {status}")
    # kube-proxy follows the endpoint change within a sync period: until then the
    # Service may still point at a pod that just went away, so ask a few times.
    pod = _one_pod(module_namespace)
    deadline = time.monotonic() + 20
    while True:
        got = kubectl(
            "-n",
            module_namespace,
            "exec",
            pod,
            "--",
            "/selftest",
            "get",
            f"http://{app}:8080/",
            check=False,
        )
        if "version=2" in got.stdout or time.monotonic() > deadline:
            break
        time.sleep(1)
    if "version=2" not in got.stdout:
        fail(
            "kube-proxy",
            f"Service does not answer with the new version: {got.stdout!r} {got.stderr!r}",
        )
