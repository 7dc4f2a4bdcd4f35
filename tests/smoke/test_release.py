"""Smoke tier: read-only checks against a release that is already deployed.

    pytest -m smoke --release todo --namespace todo

Nothing here creates, changes or deletes anything in the cluster.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubeproof.testing.live import get, helm_status, pod_ready, ready_endpoints, service_get

APP = yaml.safe_load((Path(__file__).resolve().parents[2] / "kubeproof.yaml").read_text())
components = pytest.mark.parametrize("component", sorted(APP["components"]))


def test_release_is_deployed(deployed_release):
    status = helm_status(deployed_release)
    assert status["info"]["status"] == "deployed", status["info"]


@components
def test_deployment_is_rolled_out(deployed_release, component):
    name = APP["components"][component]["deployment"]
    (dep,) = get(deployed_release, "deployment", name)
    wanted = dep["spec"]["replicas"]
    status = dep.get("status", {})
    assert status.get("observedGeneration", 0) >= dep["metadata"]["generation"], status
    assert (status.get("updatedReplicas"), status.get("readyReplicas")) == (wanted, wanted), status


@components
def test_pods_are_ready_and_not_crash_looping(deployed_release, component):
    labels = get(deployed_release, "deployment", APP["components"][component]["deployment"])[0][
        "spec"
    ]["selector"]["matchLabels"]
    pods = [
        p
        for p in get(deployed_release, "pods")
        if labels.items() <= p["metadata"]["labels"].items()
    ]
    assert pods, f"no pods match {labels}"
    for pod in pods:
        waiting = [
            s["state"]["waiting"]["reason"]
            for s in pod["status"].get("containerStatuses", [])
            if "waiting" in s.get("state", {})
        ]
        assert pod_ready(pod), f"{pod['metadata']['name']} not Ready (waiting: {waiting})"
        assert "CrashLoopBackOff" not in waiting


@components
def test_service_has_ready_endpoints(deployed_release, component):
    spec = APP["components"][component]
    (dep,) = get(deployed_release, "deployment", spec["deployment"])
    endpoints = ready_endpoints(deployed_release, spec["service"])
    assert len(endpoints) == dep["spec"]["replicas"], endpoints


@components
def test_health_path_answers(deployed_release, component):
    spec = APP["components"][component]
    status, body = service_get(deployed_release, spec["service"], spec["healthPath"])
    assert status == 200, f"GET {spec['service']}{spec['healthPath']}: {status} {body}"
