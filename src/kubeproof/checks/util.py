"""Small helpers shared by checks: quantities, ports, effective security context."""

from __future__ import annotations

import re
from typing import Any

_SUFFIX = {
    "": 1,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
#: Names of variables and keys that hold credentials.
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)
_QTY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity ("100m", "128Mi", 0.5) as a number, or None if malformed."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    m = _QTY.match(str(value).strip())
    if not m:
        return None
    return float(m.group(1)) * _SUFFIX[m.group(2) or ""]


def digits(text: str) -> bool:
    """Whether ``text`` is a decimal number ``int()`` reads (``"¹".isdigit()`` is true)."""
    return text.isascii() and text.isdigit()


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one (malformed input is judged, not fatal)."""
    return value if isinstance(value, dict) else {}


def mappings(value: Any) -> list[dict[str, Any]]:
    """The mappings in ``value`` when it is a list, else none."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def indexed(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """(index, mapping) for the mappings in ``value`` when it is a list."""
    return (
        [(i, v) for i, v in enumerate(value) if isinstance(v, dict)]
        if isinstance(value, list)
        else []
    )


def spec(obj: Any) -> dict[str, Any]:
    """An object's ``spec`` when it is a mapping."""
    return mapping(obj.data.get("spec"))


def service_ports(svc: Any) -> list[tuple[int, dict[str, Any]]]:
    """(index, port) for each port mapping of a Service."""
    return indexed(spec(svc).get("ports"))


def container_ports(container: dict[str, Any]) -> list[dict[str, Any]]:
    return mappings(container.get("ports"))


def resolve_port(container: dict[str, Any], port: Any) -> int | None:
    """A port number, or a port name resolved against the container's ports."""
    if isinstance(port, int) and not isinstance(port, bool):
        return port
    if isinstance(port, str):
        if digits(port):
            return int(port)
        for p in container_ports(container):
            if p.get("name") == port and isinstance(p.get("containerPort"), int):
                return p["containerPort"]
    return None


def effective(pod_spec: dict[str, Any], container: dict[str, Any], field: str) -> Any:
    """A securityContext field as the kubelet sees it: the container's, else the pod's."""
    csc = container.get("securityContext")
    if isinstance(csc, dict) and csc.get(field) is not None:
        return csc[field]
    psc = pod_spec.get("securityContext")
    if isinstance(psc, dict):
        return psc.get(field)
    return None


def effective_path(cpath: tuple, container: dict, field: str) -> tuple:
    """Where ``field`` is set for the container: its own securityContext's, else the block."""
    csc = container.get("securityContext")
    if isinstance(csc, dict) and field in csc:
        return (*cpath, "securityContext", field)
    return (*cpath, "securityContext")


def image_parts(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag, digest) of an image reference."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    tag = None
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        image, tag = image.rsplit(":", 1)
    return image, tag, digest


def cname(container: dict[str, Any], path: tuple) -> str:
    return str(container.get("name") or f"#{path[-1] if path else 0}")


def http_probe(container: dict[str, Any], which: str) -> dict[str, Any] | None:
    probe = container.get(which)
    if isinstance(probe, dict) and isinstance(probe.get("httpGet"), dict):
        return probe["httpGet"]
    return None


def yaml_scalar(value: Any) -> str:
    """A value as YAML writes it (``false``, ``null``, ``[ALL]``), not as Python does."""
    import json

    if isinstance(value, str):
        return value
    return json.dumps(value).replace('"', "")
