"""Runtime security, read from the running pods rather than from the manifests.

For each component's pod: the process (PID 1) runs with the uid/gid the chart and the
image declare, ``NoNewPrivs`` is set, every capability set is empty, the root
filesystem is mounted read-only (a write fails while a write to a declared writable
path succeeds), and the backend's Secret values appear in the Secret only: not in any
pod or Deployment spec, nor in any ConfigMap.
"""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import pytest
import yaml

from kubeproof.testing.cluster import kubectl
from kubeproof.testing.live import Release, get, pod_ready

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
APP = yaml.safe_load((ROOT / "kubeproof.yaml").read_text())
COMPONENTS = sorted(APP["components"])
components = pytest.mark.parametrize("component", COMPONENTS)
#: Distinctive Secret values, so that finding one anywhere else means it leaked.
SECRET_VALUES = {
    "BETTER_AUTH_SECRET": secrets.token_hex(32),
    "DATABASE_URL": f"sqlite:////tmp/kp-{secrets.token_hex(8)}.db",
}


@pytest.fixture(scope="module")
def release(module_namespace: str, install_chart) -> Release:
    """The chart (minikube profile) with distinctive backend Secret values."""
    return install_chart(
        module_namespace,
        "--set-string", f"backend.secret.betterAuthSecret={SECRET_VALUES['BETTER_AUTH_SECRET']}",
        "--set-string", f"backend.secret.databaseUrl={SECRET_VALUES['DATABASE_URL']}",
        prefix="sec",
    )  # fmt: skip


def running_pod(release: Release, component: str) -> dict:
    (dep,) = get(release, "deployment", APP["components"][component]["deployment"])
    selector = ",".join(f"{k}={v}" for k, v in dep["spec"]["selector"]["matchLabels"].items())
    pods = json.loads(
        kubectl("get", "pods", "-n", release.namespace, "-l", selector, "-o", "json").stdout
    )["items"]
    ready = [p for p in pods if pod_ready(p) and not p["metadata"].get("deletionTimestamp")]
    assert ready, f"no ready pod of {component}"
    return ready[0]


def exec_in(release: Release, pod: dict, *argv: str, check: bool = True):
    return kubectl(
        "exec", "-n", release.namespace, pod["metadata"]["name"], "--", *argv, check=check
    )


def proc_status(release: Release, pod: dict) -> dict[str, str]:
    """``/proc/1/status`` of the pod's main process, as a mapping."""
    text = exec_in(release, pod, "cat", "/proc/1/status").stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


@components
def test_the_process_runs_as_the_declared_uid_and_gid(release, component):
    pod = running_pod(release, component)
    image_user = APP["components"][component]["image"]["user"]
    (container,) = pod["spec"]["containers"]
    declared = container.get("securityContext", {})
    uid, gid = declared.get("runAsUser"), declared.get("runAsGroup")
    assert (uid, gid) == (image_user["uid"], image_user["gid"]), (
        f"chart runs {component} as {uid}:{gid}, the image declares "
        f"{image_user['uid']}:{image_user['gid']}"
    )
    status = proc_status(release, pod)
    # real, effective, saved and filesystem ids
    assert status["Uid"].split() == [str(uid)] * 4, status["Uid"]
    assert status["Gid"].split() == [str(gid)] * 4, status["Gid"]


@components
def test_no_new_privileges_and_no_capabilities(release, component):
    status = proc_status(release, running_pod(release, component))
    assert status["NoNewPrivs"] == "1", status["NoNewPrivs"]
    for capability_set in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[capability_set], 16) == 0, f"{capability_set} = {status[capability_set]}"


@components
def test_the_root_filesystem_is_read_only(release, component):
    pod = running_pod(release, component)
    (container,) = pod["spec"]["containers"]
    writable = [m["mountPath"] for m in container.get("volumeMounts", [])]
    assert writable, f"{component} declares no writable path to compare against"
    # a declared writable path takes a write: the probe itself works ...
    ok = exec_in(release, pod, "touch", f"{writable[0]}/kubeproof-write-probe", check=False)
    assert ok.returncode == 0, f"writing to {writable[0]} failed: {ok.stderr}"
    # ... and the root filesystem refuses one
    refused = exec_in(release, pod, "touch", "/kubeproof-write-probe", check=False)
    assert refused.returncode != 0, "a write to / succeeded"
    assert "Read-only file system" in refused.stderr, refused.stderr
    root = next(
        line.split()
        for line in exec_in(release, pod, "cat", "/proc/1/mountinfo").stdout.splitlines()
        if line.split()[4] == "/"
    )
    assert "ro" in root[5].split(","), f"/ is mounted {root[5]}"


def test_secret_values_are_only_in_the_secret(release):
    secrets_json = json.loads(
        kubectl("get", "secrets", "-n", release.namespace, "-l",
                f"app.kubernetes.io/instance={release.name}", "-o", "json").stdout
    )["items"]  # fmt: skip
    stored = {
        key: base64.b64decode(value).decode()
        for s in secrets_json
        for key, value in (s.get("data") or {}).items()
    }
    for key, value in SECRET_VALUES.items():  # the values really went into the Secret
        assert stored.get(key) == value, f"{key} is not in the release's Secret"
    others = {
        kind: kubectl("get", kind, "-n", release.namespace, "-o", "json").stdout
        for kind in ("pods", "deployments", "replicasets", "configmaps")
    }
    for kind, text in others.items():
        for key, value in SECRET_VALUES.items():
            assert value not in text, f"the value of {key} is visible in the namespace's {kind}"
    # the pods get them by reference only
    for component in COMPONENTS:
        for container in running_pod(release, component)["spec"]["containers"]:
            for env in container.get("env", []):
                assert env.get("name") not in SECRET_VALUES or "valueFrom" in env, env
