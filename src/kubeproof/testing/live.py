"""Read-only inspection of a deployed Helm release: the smoke tier's eyes.

Everything here only reads: ``helm status``, ``kubectl get`` and GETs through the
API server's Service proxy, so it is safe against a release users depend on.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from kubeproof.testing.cluster import ClusterError, kubeconfig, kubectl


@dataclass(frozen=True)
class Release:
    name: str
    namespace: str

    @property
    def selector(self) -> str:
        return f"app.kubernetes.io/instance={self.name}"


def helm(*args: str, check: bool = True, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    """Run the helm CLI against :func:`kubeconfig` (the twin of ``cluster.kubectl``);
    raise ClusterError on failure if ``check``."""
    exe = shutil.which("helm")
    if exe is None:
        raise ClusterError("helm CLI not on PATH")
    cmd = [exe, *args]
    cfg = kubeconfig()
    if cfg is not None:
        cmd += ["--kubeconfig", str(cfg)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ClusterError(f"helm {' '.join(args)} timed out after {timeout}s") from exc
    if check and proc.returncode != 0:
        raise ClusterError(
            f"helm {' '.join(args)} failed: {proc.stderr.strip()}\n{proc.stdout[-2000:]}"
        )
    return proc


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
