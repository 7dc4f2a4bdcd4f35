"""Checks on pod-bearing objects: security context, probes, images, resources, references."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ..model import K8sObject, Target, Violation
from . import check
from .params import ExternalParams, NoParams
from .util import (
    cname,
    container_ports,
    effective,
    effective_path,
    http_probe,
    image_parts,
    indexed,
    mapping,
    quantity,
    resolve_port,
    spec,
    yaml_scalar,
)


@dataclass(frozen=True)
class SecurityContextParams:
    """``field`` of the effective securityContext equals ``equals`` (``numeric``: is an
    integer >= ``min``); ``init``: init containers too; ``expect`` words it for the message."""

    field: str
    equals: Any = None
    numeric: bool = False
    min: int = 0
    init: bool = False
    expect: str | None = None


@check
def security_context(
    t: Target, obj: K8sObject, params: SecurityContextParams
) -> Iterable[Violation]:
    """``field`` (pod or container level, container wins) must equal ``equals``."""
    field, want = params.field, params.equals
    spec = obj.pod_spec or {}
    for path, c in obj.containers(init=params.init):
        if not mapping(c.get("securityContext")) and not mapping(spec.get("securityContext")):
            continue  # no securityContext at all: security-context-set's one finding
        got = effective(spec, c, field)
        ok = got == want
        if params.numeric:
            ok = isinstance(got, int) and not isinstance(got, bool) and got >= params.min
        if not ok:
            shown = "unset" if got is None else yaml_scalar(got)
            expected = params.expect or f"{field}: {yaml_scalar(want)}"
            yield Violation(
                f'{obj.ref} container "{cname(c, path)}" runs with {field} {shown}; '
                f"expected {expected}",
                effective_path(path, c, field),
                cname(c, path),
            )


@dataclass(frozen=True)
class SecurityContextSetParams:
    """``init``: init containers too."""

    init: bool = False


#: The container-level fields only a container's own securityContext can set.
CONTAINER_ONLY = ("allowPrivilegeEscalation", "capabilities", "readOnlyRootFilesystem")
#: The fields the pod's securityContext can set for all its containers.
POD_LEVEL = ("runAsNonRoot", "runAsUser", "seccompProfile")


@check
def security_context_set(
    t: Target, obj: K8sObject, params: SecurityContextSetParams
) -> Iterable[Violation]:
    """A container without a securityContext (absent, null or ``{}``) is one finding,
    not one per hardening rule: those rules judge only the securityContexts written."""
    pod = mapping((obj.pod_spec or {}).get("securityContext"))
    for path, c in obj.containers(init=params.init):
        if mapping(c.get("securityContext")):
            continue
        unset = list(CONTAINER_ONLY)
        if pod:
            also = "the pod's securityContext cannot set them"
        else:
            unset += POD_LEVEL
            also = "nor does the pod have one"
        fields = ", ".join(unset[:-1]) + f" and {unset[-1]}"
        yield Violation(
            f'{obj.ref} container "{cname(c, path)}" has no `securityContext` ({also}): '
            f"{fields} are unset",
            path,
            cname(c, path),
        )


@dataclass(frozen=True)
class ProbesParams:
    """The probes every long-running container has."""

    probes: list[Literal["livenessProbe", "readinessProbe", "startupProbe"]] = dataclasses.field(
        default_factory=lambda: ["livenessProbe", "readinessProbe"]
    )


@check
def probes(t: Target, obj: K8sObject, params: ProbesParams) -> Iterable[Violation]:
    """Liveness and readiness probes; an HTTP one on a port the container declares. A
    container that declares no port, in pods no Service selects (a queue worker), is
    sent no request: a readiness probe would gate no traffic, so only liveness is asked."""
    from .services import selected_workloads

    served = None
    for path, c in obj.containers():
        name = cname(c, path)
        for which in params.probes:
            probe = c.get(which)
            if not isinstance(probe, dict):
                if which == "readinessProbe" and not container_ports(c):
                    if served is None:
                        served = any(
                            obj in selected_workloads(t, svc)
                            for svc in t.objects
                            if svc.kind == "Service"
                        )
                    if not served:
                        continue
                yield Violation(f'{obj.ref} container "{name}" has no {which}', path, name)
                continue
            http = http_probe(c, which)
            if http is None:
                if not any(k in probe for k in ("exec", "tcpSocket", "grpc")):
                    yield Violation(
                        f'{obj.ref} container "{name}" {which} has no handler '
                        f"(httpGet, exec, tcpSocket or grpc)",
                        (*path, which),
                        name,
                    )
                continue  # exec (pg_isready), tcpSocket and grpc probes are valid probes
            port = resolve_port(c, http.get("port"))
            declared = [p.get("containerPort") for p in container_ports(c)]
            if port is None or port not in declared:
                yield Violation(
                    f'{obj.ref} container "{name}" {which} port {http.get("port")!r} '
                    f"is not a declared container port {declared}",
                    (*path, which, "httpGet", "port"),
                    name,
                )


@check
def probe_health_path(t: Target, obj: K8sObject, params: NoParams) -> Iterable[Violation]:
    """Probe paths equal the component's declared health path."""
    want = t.component(obj.component).get("healthPath")
    if want is None:
        return
    for path, c in obj.containers():
        for which in ("livenessProbe", "readinessProbe"):
            http = http_probe(c, which)
            if http is not None and http.get("path", "/") != want:
                yield Violation(
                    f'{obj.ref} container "{cname(c, path)}" {which} path '
                    f"{http.get('path')!r} is not the health path {want!r}",
                    (*path, which, "httpGet", "path"),
                    cname(c, path),
                )


@check
def image_repository(t: Target, obj: K8sObject, params: NoParams) -> Iterable[Violation]:
    want = (t.component(obj.component).get("image") or {}).get("repository")
    if not want:
        return
    path, c = next(iter(obj.containers()), ((), None))
    if c is None:
        return  # no container: the schema and probes rules say so
    repo, _, _ = image_parts(str(c.get("image", "")))
    if repo != want and not repo.endswith("/" + want):
        yield Violation(
            f'{obj.ref} container "{cname(c, path)}" image {c.get("image")!r} '
            f"is not from repository {want!r}",
            (*path, "image"),
            cname(c, path),
        )


@check
def image_pull_policy(t: Target, obj: K8sObject, params: NoParams) -> Iterable[Violation]:
    """The pull policies the values profile expects (expectations: profiles.<name>.
    imagePullPolicy: ``allowed`` (all when unset), ``forbidden``; ``appImagesOnly``: only the
    app's own (component) workloads and its test pods when the components are known, as a
    database image is pulled from its registry)."""
    expected = t.expectations.profile(t.profile).get("imagePullPolicy") or {}
    allowed, forbidden = expected.get("allowed"), expected.get("forbidden") or []
    if not allowed and not forbidden:
        return
    app_only = expected.get("appImagesOnly") and t.config is not None
    if app_only and obj.component is None and not obj.is_test_hook:
        return
    for path, c in obj.containers(init=True):
        policy = shown = c.get("imagePullPolicy")
        if policy is None:
            _, tag, _ = image_parts(str(c.get("image", "")))
            policy = "Always" if tag in (None, "latest") else "IfNotPresent"
            shown = f"unset with {'no tag' if tag is None else 'tag ' + tag}, which means {policy}"
        if (allowed and policy not in allowed) or policy in forbidden:
            want = " or ".join(allowed) if allowed else f"not {' or '.join(forbidden)}"
            yield Violation(
                f'{obj.ref} container "{cname(c, path)}" imagePullPolicy is {shown}; '
                f"expected {want}",
                (*path, "imagePullPolicy"),
                cname(c, path),
            )


@dataclass(frozen=True)
class ImageTagParams:
    """Tags that do not pin an image (no tag never does)."""

    forbidden: list[str] = dataclasses.field(default_factory=lambda: ["latest"])


@check
def image_tag(t: Target, obj: K8sObject, params: ImageTagParams) -> Iterable[Violation]:
    """No ``latest`` (or missing) tag unless pinned by digest, where the values profile
    expects pinned tags (expectations: profiles.<name>.pinnedTags)."""
    if not t.expectations.profile(t.profile).get("pinnedTags"):
        return
    for path, c in obj.containers(init=True):
        image = str(c.get("image", ""))
        _, tag, digest = image_parts(image)
        if digest is None and tag in (None, *params.forbidden):
            yield Violation(
                f'{obj.ref} container "{cname(c, path)}" image {image!r} uses '
                f"{'no tag' if tag is None else 'tag ' + repr(tag)}",
                (*path, "image"),
                cname(c, path),
            )


@dataclass(frozen=True)
class ResourcesParams:
    """Which ``resources`` are requested and limited; ``expected``: to exactly the figures
    expected (expectations.resources, or the component's own ``resources``)."""

    resources: list[str] = dataclasses.field(default_factory=lambda: ["cpu", "memory"])
    expected: bool = False


@check
def resources(t: Target, obj: K8sObject, params: ResourcesParams) -> Iterable[Violation]:
    """Requests and limits set (to the expected figures with ``expected``)."""
    figures = t.expectations.resources(t.component(obj.component)) if params.expected else {}
    wanted = params.resources
    what = ", ".join(wanted)
    for path, c in obj.containers(init=True):
        name = cname(c, path)
        res = mapping(c.get("resources"))
        sections = {s: mapping(res.get(s)) for s in ("requests", "limits")}
        empty = [s for s, got in sections.items() if all(got.get(r) is None for r in wanted)]
        if len(empty) == 2:  # nothing set at all: one finding, not one per figure
            yield Violation(
                f'{obj.ref} container "{name}" has no `resources`: no {what} requests or limits',
                (*path, "resources"),
                name,
            )
            continue
        for section, got in sections.items():
            expected = figures.get(section) or {}
            if section in empty:
                yield Violation(
                    f'{obj.ref} container "{name}" has no `resources.{section}` ({what})',
                    (*path, "resources", section),
                    name,
                )
                continue
            for resource in params.resources:
                value = got.get(resource)
                if value is None:
                    yield Violation(
                        f'{obj.ref} container "{name}" has no {resource} {section[:-1]}',
                        (*path, "resources", section),
                        name,
                    )
                elif resource in expected and quantity(value) != quantity(expected[resource]):
                    yield Violation(
                        f'{obj.ref} container "{name}" {resource} {section[:-1]} is {value}; '
                        f"expected {expected[resource]}",
                        (*path, "resources", section, resource),
                        name,
                    )


@check
def requests_within_limits(t: Target, obj: K8sObject, params: NoParams):
    for path, c in obj.containers(init=True):
        res = c.get("resources") if isinstance(c.get("resources"), dict) else {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        for resource, value in req.items() if isinstance(req, dict) else []:
            if isinstance(lim, dict) and resource in lim:
                r, lm = quantity(value), quantity(lim[resource])
                if r is not None and lm is not None and r > lm:
                    yield Violation(
                        f'{obj.ref} container "{cname(c, path)}" requests {resource} {value} '
                        f"above its limit {lim[resource]}",
                        (*path, "resources", "requests", resource),
                        cname(c, path),
                    )


@dataclass(frozen=True)
class ContainerPortNamedParams:
    """The name a serving container's port has."""

    name: str = "http"


@check
def container_port_named(t: Target, obj: K8sObject, params: ContainerPortNamedParams):
    want = params.name
    for path, c in obj.containers():
        ports = container_ports(c)
        if ports and not any(p.get("name") == want for p in ports):
            yield Violation(
                f'{obj.ref} container "{cname(c, path)}" has no port named {want!r}',
                (*path, "ports"),
                cname(c, path),
            )


def _same(got: Any, want: Any) -> bool:
    """maxSurge/maxUnavailable equal, as the API reads them: 1 == "1", 0 == "0%"."""

    def norm(v: Any) -> str:
        text = str(v).strip()
        return "0" if text in ("0", "0%") else text

    return norm(got) == norm(want)


@check
def rolling_update(t: Target, obj: K8sObject, params: NoParams) -> Iterable[Violation]:
    """A RollingUpdate strategy with the expected maxSurge and maxUnavailable
    (expectations.rollingUpdate)."""
    want = t.expectations.rolling_update
    if not want:
        return
    strategy = spec(obj).get("strategy")
    replicas = spec(obj).get("replicas", 1)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 1:
        replicas = 1  # 0 replicas roll nothing; helm's default is 1
    # Kubernetes' defaults: RollingUpdate with 25% surge (rounded up) and 25% unavailable
    # (rounded down), which at 1 to 3 replicas is exactly maxSurge 1, maxUnavailable 0
    default = {"maxSurge": math.ceil(replicas / 4), "maxUnavailable": replicas // 4}
    path = ("spec", "strategy")
    if not isinstance(strategy, dict):
        strategy, path = {"type": "RollingUpdate"}, ("spec",)
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        yield Violation(
            f"{obj.ref} strategy: type is {strategy.get('type')!r}; expected RollingUpdate",
            (*path, "type"),
        )
        return
    rolling = mapping(strategy.get("rollingUpdate"))
    for key, value in want.items():
        got = rolling.get(key, default.get(key))
        if not _same(got, value):
            shown = (
                repr(rolling[key])
                if key in rolling
                else f"unset (Kubernetes' default 25% gives {got} at {replicas} replicas)"
            )
            yield Violation(
                f"{obj.ref} strategy: rollingUpdate.{key} is {shown}; expected {value!r}",
                (*path, "rollingUpdate", key) if key in rolling else path,
            )


def _references(obj: K8sObject) -> Iterable[tuple[str, str, tuple, bool]]:
    """(kind, name, path, optional) for each ConfigMap/Secret the pod spec references."""
    spec = obj.pod_spec or {}
    base = obj.pod_spec_path or ()
    found: list[tuple[str, Any, tuple, dict[str, Any]]] = []
    for path, c in obj.containers(init=True):
        for i, src in indexed(c.get("envFrom")):
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = mapping(src.get(key))
                if ref.get("name"):
                    found.append((kind, ref["name"], (*path, "envFrom", i, key), ref))
        for i, env in indexed(c.get("env")):
            vf = mapping(env.get("valueFrom"))
            for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = mapping(vf.get(key))
                if ref.get("name"):
                    found.append((kind, ref["name"], (*path, "env", i, "valueFrom", key), ref))
    for i, vol in indexed(spec.get("volumes")):
        if isinstance(vol.get("configMap"), dict):
            ref = vol["configMap"]
            found.append(("ConfigMap", ref.get("name", ""), (*base, "volumes", i), ref))
        if isinstance(vol.get("secret"), dict):
            ref = vol["secret"]
            found.append(("Secret", ref.get("secretName", ""), (*base, "volumes", i), ref))
    for i, s in indexed(spec.get("imagePullSecrets")):
        if s.get("name"):
            found.append(("Secret", s["name"], (*base, "imagePullSecrets", i), {}))
    for kind, name, path, ref in found:
        if isinstance(name, str):  # another type is a schema error, not a reference
            yield kind, name, path, bool(ref.get("optional"))


@check
def references_exist(t: Target, obj: K8sObject, params: ExternalParams):
    """Every referenced ConfigMap and Secret is in the render or declared external.

    Declared external: listed in ``params.external``, or named in the object's
    ``kubeproof.io/external`` annotation (comma separated).
    """
    external = set(params.external)
    external |= {
        s.strip() for s in str(obj.annotations.get("kubeproof.io/external", "")).split(",")
    }
    for kind, name, path, optional in _references(obj):
        if optional or name in external or t.get(kind, name) is not None:
            continue
        yield Violation(
            f"{obj.ref} references {kind} {name!r}, which is not in the render "
            f"and not declared external",
            path,
        )


def _selects(selector: dict[str, Any], labels: dict[str, Any]) -> list[str]:
    """What in a label selector (matchLabels, matchExpressions) ``labels`` do not satisfy."""
    unmet = [
        f"{k}={v}" for k, v in mapping(selector.get("matchLabels")).items() if labels.get(k) != v
    ]
    for _, expr in indexed(selector.get("matchExpressions")):
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if not isinstance(key, str) or not isinstance(values, list):
            continue  # the schema rule names the malformed expression
        ok = {
            "In": key in labels and labels.get(key) in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }.get(str(op), True)
        if not ok:
            unmet.append(f"{key} {op} {values}" if values else f"{key} {op}")
    return unmet


@check
def selector_matches_template(t: Target, obj: K8sObject, params: NoParams):
    """The workload's spec.selector selects its own pod template."""
    selector = spec(obj).get("selector")
    if not isinstance(selector, dict):
        return
    unmet = _selects(selector, obj.pod_labels)
    if unmet:
        yield Violation(
            f"{obj.ref} selector does not match its pod template's labels ({', '.join(unmet)})",
            ("spec", "selector"),
        )
