"""Read-only inspection of a deployed Helm release: the smoke tier's eyes.

Everything here only reads: ``helm status``, ``kubectl get`` and GETs through the
API server's Service proxy, so it is safe against a release users depend on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .runner import helm, kubectl

__all__ = [
    "Release",
    "get",
    "helm",
    "helm_status",
    "node_port",
    "node_port_url",
    "pod_ready",
    "ready_endpoints",
    "service_get",
]


@dataclass(frozen=True)
class Release:
    name: str
    namespace: str

    @property
    def selector(self) -> str:
        return f"app.kubernetes.io/instance={self.name}"


def helm_status(release: Release) -> dict[str, Any]:
    """``helm status -o json`` of the release; raises ClusterError when helm cannot tell."""
    proc = helm("status", release.name, "--namespace", release.namespace, "-o", "json", timeout=60)
    return json.loads(proc.stdout)


def get(release: Release, kind: str, name: str | None = None) -> list[dict[str, Any]]:
    """Objects of ``kind`` in the release's namespace (one by name, or all of the release)."""
    args = ["get", kind, "--namespace", release.namespace, "-o", "json"]
    args += [name] if name else ["-l", release.selector]
    data = json.loads(kubectl(*args).stdout)
    return data.get("items", [data])


def service_get(release: Release, service: str, path: str, port: str = "http") -> tuple[int, str]:
    """GET ``path`` on a Service through the API server's proxy: (HTTP status, body head).

    No NodePort, Ingress or port-forward is needed, so it works on any cluster the
    kubeconfig reaches.
    """
    raw = (
        f"/api/v1/namespaces/{release.namespace}/services/http:{service}:{port}/proxy"
        f"{path if path.startswith('/') else '/' + path}"
    )
    proc = kubectl("get", "--raw", raw, check=False, timeout=30)
    if proc.returncode == 0:
        return 200, proc.stdout[:500]
    # kubectl reports the upstream status in its error text ("... (get services http:x:y)")
    return _status_from_error(proc.stderr), proc.stderr.strip()[:500]


def _status_from_error(text: str) -> int:
    for code in (400, 401, 403, 404, 500, 502, 503, 504):
        if f"({code})" in text or f" {code} " in text or f"status code {code}" in text:
            return code
    return 0


def ready_endpoints(release: Release, service: str) -> list[str]:
    """Addresses of ready endpoints behind a Service (from its EndpointSlices)."""
    slices = json.loads(
        kubectl(
            "get",
            "endpointslices",
            "--namespace",
            release.namespace,
            "-l",
            f"kubernetes.io/service-name={service}",
            "-o",
            "json",
        ).stdout
    )["items"]
    addresses = []
    for item in slices:
        for endpoint in item.get("endpoints") or []:
            if (endpoint.get("conditions") or {}).get("ready", False):
                addresses.extend(endpoint.get("addresses", []))
    return addresses


def pod_ready(pod: dict[str, Any]) -> bool:
    conditions = pod.get("status", {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def node_port(release: Release, service: str) -> int:
    """The NodePort Kubernetes gave the Service's first port."""
    (svc,) = get(release, "service", service)
    return int(svc["spec"]["ports"][0]["nodePort"])


def node_port_url(release: Release, service: str, path: str = "/") -> str:
    """``http://127.0.0.1:<nodePort><path>``: NodePorts answer on the node's loopback."""
    return f"http://127.0.0.1:{node_port(release, service)}{path}"
