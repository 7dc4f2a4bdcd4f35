"""Checks on Services: type, ports, target port resolution, NodePorts, selectors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..model import K8sObject, Target, Violation
from . import check
from .params import NoParams
from .util import container_ports, digits, resolve_port, service_ports, spec


def selected_workloads(t: Target, svc: K8sObject) -> list[K8sObject]:
    """Workloads (not hooks) whose pod labels the Service's selector matches."""
    selector = spec(svc).get("selector")
    if not isinstance(selector, dict) or not selector:
        return []
    index = t.__dict__.get("_label_index")
    if index is None:  # (namespace, label, value) -> workloads, built once per target
        index = {}
        for obj in t.objects:
            if obj.pod_spec_path is None or obj.is_hook:
                continue
            for k, v in obj.pod_labels.items():
                if isinstance(v, str):  # a label value is a string; anything else selects nothing
                    index.setdefault((obj.namespace, k, v), []).append(obj)
        t.__dict__["_label_index"] = index
    picked: list[K8sObject] | None = None
    for k, v in selector.items():
        found = index.get((svc.namespace, k, v), []) if isinstance(v, str) else []
        picked = found if picked is None else [o for o in picked if o in found]
        if not picked:
            return []
    return list(picked or [])


@check
def service_type(t: Target, svc: K8sObject, params: NoParams) -> Iterable[Violation]:
    """The type the values profile expects (expectations: profiles.<name>.serviceType)."""
    want = t.expectations.profile(t.profile).get("serviceType")
    if want is None:
        return
    got = spec(svc).get("type", "ClusterIP")
    if got != want:
        yield Violation(f"{svc.ref} has type {got}; expected {want}", ("spec", "type"))


@check
def selector_matches_one_workload(
    t: Target, svc: K8sObject, params: NoParams
) -> Iterable[Violation]:
    if spec(svc).get("type") == "ExternalName":
        return
    selector = spec(svc).get("selector")
    if not isinstance(selector, dict) or not selector:
        yield Violation(f"{svc.ref} has an empty selector", ("spec",))
        return
    picked = selected_workloads(t, svc)
    if len(picked) != 1:
        names = ", ".join(o.ref for o in picked) or "no workload"
        yield Violation(
            f"{svc.ref} selector {dict(selector)} matches {names}; expected exactly one",
            ("spec", "selector"),
        )


@check
def target_port_resolves(t: Target, svc: K8sObject, params: NoParams):
    """Each port's targetPort resolves on every pod the selector picks."""
    picked = selected_workloads(t, svc)
    for i, port in service_ports(svc):
        target = port.get("targetPort", port.get("port"))
        for obj in picked:
            containers = [c for _, c in obj.containers()]
            if not any(_serves(c, target) for c in containers):
                yield Violation(
                    f"{svc.ref} port {port.get('name') or port.get('port')} targetPort "
                    f"{target!r} does not resolve to a container port of {obj.ref}",
                    ("spec", "ports", i, "targetPort"),
                )


def _serves(container: dict[str, Any], target: Any) -> bool:
    """Whether the container has the port ``target`` names (by name or number)."""
    if isinstance(target, str) and not digits(target):
        return any(p.get("name") == target for p in container_ports(container))
    if not isinstance(target, int | str) or isinstance(target, bool):
        return False
    return any(p.get("containerPort") == int(target) for p in container_ports(container))


@check
def service_port_matches_container(t: Target, svc: K8sObject, params: NoParams):
    """The Service port equals the container port its targetPort resolves to."""
    picked = selected_workloads(t, svc)
    for i, port in service_ports(svc):
        target = port.get("targetPort", port.get("port"))
        for obj in picked:
            for _, c in obj.containers():
                resolved = resolve_port(c, target)
                if resolved is not None and _serves(c, target) and resolved != port.get("port"):
                    yield Violation(
                        f"{svc.ref} port {port.get('port')} differs from the container port "
                        f"{resolved} of {obj.ref}",
                        ("spec", "ports", i, "port"),
                    )


@dataclass(frozen=True)
class NodePortRangeParams:
    """The cluster's NodePort range (the API server's --service-node-port-range)."""

    min: int = 30000
    max: int = 32767


@check
def nodeport_range(t: Target, svc: K8sObject, params: NodePortRangeParams):
    lo, hi = params.min, params.max
    for i, port in service_ports(svc):
        np = port.get("nodePort")
        if np is not None and not (isinstance(np, int) and lo <= np <= hi):
            yield Violation(
                f"{svc.ref} nodePort {np!r} is outside {lo}-{hi}", ("spec", "ports", i, "nodePort")
            )


@check
def nodeport_unique(t: Target, release: Target, params: NoParams):
    seen: dict[int, str] = {}
    for svc in t.of_kind("Service"):
        for i, port in service_ports(svc):
            np = port.get("nodePort")
            if isinstance(np, int):
                if np in seen:
                    yield Violation(
                        f"{svc.ref} nodePort {np} is already used by {seen[np]}",
                        ("spec", "ports", i, "nodePort"),
                        subject=svc,
                    )
                else:
                    seen[np] = svc.ref
