"""Cross-checks between each component's Dockerfile and its chart objects (no linter does these)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..load.dockerfile import exposed_ports, parse_healthcheck, parse_user, stage_env, substitute
from ..model import K8sObject, Target, Violation
from . import check
from .params import NoParams
from .services import selected_workloads
from .util import cname, container_ports, digits, effective, http_probe, resolve_port, service_ports


def _pairs(t: Target) -> Iterable[tuple[str, Any, K8sObject]]:
    """(component, Dockerfile, workload) for each component that has both."""
    if t.config is None:
        return
    for comp in t.config.components:
        df, wl = t.dockerfile_for(comp), t.workload_for(comp)
        if df is not None and wl is not None and df.final is not None:
            yield comp, df, wl


def _main(wl: K8sObject) -> tuple[tuple, dict[str, Any]]:
    return next(iter(wl.containers()), ((), {}))


@check
def expose_port_chain(t: Target, release: Target, params: NoParams) -> Iterable[Violation]:
    """Dockerfile EXPOSE = containerPort = the Service's resolved targetPort."""
    for comp, df, wl in _pairs(t):
        exposed = [p for p, _, _ in exposed_ports(df.final)]
        path, c = _main(wl)
        ports = [p.get("containerPort") for p in container_ports(c)]
        if exposed and ports and ports[0] not in exposed:
            yield Violation(
                f'{wl.ref} container "{cname(c, path)}" port {ports[0]} is not what '
                f"{df.file} EXPOSEs {exposed}",
                (*path, "ports", 0, "containerPort"),
                cname(c, path),
                subject=wl,
            )
        svc_name = t.component(comp).get("service")
        svc = t.get("Service", svc_name) if svc_name else None
        if svc is None or wl not in selected_workloads(t, svc):
            continue
        for i, sp in service_ports(svc):
            target = resolve_port(c, sp.get("targetPort", sp.get("port")))
            if exposed and target not in exposed:
                yield Violation(
                    f"{svc.ref} targetPort {sp.get('targetPort')!r} resolves to {target}, "
                    f"not the port {df.file} EXPOSEs {exposed}",
                    ("spec", "ports", i, "targetPort"),
                    subject=svc,
                )


@check
def healthcheck_matches_probe(t: Target, release: Target, params: NoParams) -> Iterable[Violation]:
    for _comp, df, wl in _pairs(t):
        ins = df.final.last("HEALTHCHECK")
        if ins is None:
            continue
        hc = parse_healthcheck(substitute(ins.value, stage_env(df)))
        if hc.none or "$" in (hc.url or ""):
            continue  # a URL built from a variable the Dockerfile does not set: unknown
        path, c = _main(wl)
        for which in ("readinessProbe", "livenessProbe"):
            http = http_probe(c, which)
            if http is None:
                continue
            port, ppath = resolve_port(c, http.get("port")), http.get("path", "/")
            if (hc.port, hc.path) != (port, ppath):
                yield Violation(
                    f'{wl.ref} container "{cname(c, path)}" {which} checks port {port} path '
                    f"{ppath!r}, but {df.file}:{ins.line} HEALTHCHECK checks port {hc.port} "
                    f"path {hc.path!r}",
                    (*path, which, "httpGet"),
                    cname(c, path),
                    subject=wl,
                )


def _image_user(df: Any) -> tuple[Any, int]:
    ins = df.final.last("USER")
    if ins is None:
        return None, df.final.line
    return parse_user(ins.value)[0], ins.line


@check
def image_user_matches_pod(t: Target, release: Target, params: NoParams) -> Iterable[Violation]:
    """The image's numeric USER uid = the declared uid = the pod's runAsUser."""
    for comp, df, wl in _pairs(t):
        user, line = _image_user(df)
        if user is None or not digits(str(user)):
            continue
        uid = int(user)
        declared = ((t.component(comp).get("image") or {}).get("user") or {}).get("uid")
        spec = wl.pod_spec or {}
        path, c = _main(wl)
        run_as = effective(spec, c, "runAsUser")
        if declared is not None and declared != uid:
            yield Violation(
                f"{df.file}: USER uid {uid} is not the declared uid {declared}",
                line=line,
                subject=df,
            )
        if isinstance(run_as, int) and run_as != uid:
            yield Violation(
                f'{wl.ref} container "{cname(c, path)}" runAsUser {run_as} differs from '
                f"{df.file}:{line} USER uid {uid}",
                (*path, "securityContext", "runAsUser"),
                cname(c, path),
                subject=wl,
            )


@check
def named_user_needs_run_as_user(
    t: Target, release: Target, params: NoParams
) -> Iterable[Violation]:
    """A named USER with runAsNonRoot and no runAsUser: the kubelet refuses to start it."""
    for _comp, df, wl in _pairs(t):
        user, line = _image_user(df)
        if user is None or digits(str(user)):
            continue
        spec = wl.pod_spec or {}
        path, c = _main(wl)
        if effective(spec, c, "runAsNonRoot") is True and effective(spec, c, "runAsUser") is None:
            yield Violation(
                f'{wl.ref} container "{cname(c, path)}" sets runAsNonRoot without runAsUser, '
                f"and {df.file}:{line} has the named USER {user}: the kubelet cannot verify "
                f"it is non-root and refuses to start the container",
                (*path,),
                cname(c, path),
                subject=wl,
            )
