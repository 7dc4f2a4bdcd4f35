"""Checks on the chart as a whole: metadata, values schema, expected objects, test pods, waivers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from ..model import ChartInfo, K8sObject, Target, Violation, display_path
from ..waivers import annotation_waivers
from . import check
from .data import PlaceholderParams
from .params import ExternalParams, NoParams
from .util import service_ports


@check
def chart_values_schema(t: Target, chart: ChartInfo, params: NoParams) -> Iterable[Violation]:
    if not chart.has_values_schema:
        from pathlib import Path

        if Path(chart.dir, "values.schema.json").is_file():  # there, but helm never sees it
            yield Violation(
                f"chart {chart.name}: .helmignore hides values.schema.json, so helm "
                f"validates no values"
            )
        else:
            yield Violation(f"chart {chart.name} ships no values.schema.json")


@check
def waiver_reasons(t: Target, obj: K8sObject, params: NoParams) -> Iterable[Violation]:
    for rule, reason in annotation_waivers(obj.annotations).items():
        if not reason:
            yield Violation(
                f"{obj.ref} waives {rule} without a reason",
                ("metadata", "annotations", f"kubeproof.io/waive.{rule}"),
            )


@check
def component_objects(t: Target, release: Target, params: ExternalParams):
    """Every object the app declares (Deployment, Service, ConfigMap, Secret) is rendered."""
    if t.config is None:
        return
    external = set(params.external)
    for obj in t.objects:
        external |= {
            s.strip() for s in str(obj.annotations.get("kubeproof.io/external", "")).split(",")
        }
    for comp, spec in t.config.components.items():
        wanted = [
            ("Deployment", spec.get("deployment")),
            ("Service", spec.get("service")),
            ("ConfigMap", (spec.get("configMap") or {}).get("name")),
            ("Secret", (spec.get("secret") or {}).get("name")),
        ]
        for kind, name in wanted:
            if not name or t.get(kind, name) is not None:
                continue
            if kind == "Secret" and (name in external or _referenced_elsewhere(t, comp)):
                continue
            yield Violation(f"{kind}/{name} of component {comp} is not in the render")


def _referenced_elsewhere(t: Target, comp: str) -> bool:
    """The component's workload takes its Secret from one declared external (existingSecret)."""
    wl = t.workload_for(comp)
    if wl is None:
        return False
    ext = str(wl.annotations.get("kubeproof.io/external", ""))
    ext += "," + str(wl.pod_labels.get("kubeproof.io/external", ""))
    return bool(ext.strip(","))


def _test_pods(t: Target) -> list[K8sObject]:
    return [o for o in t.objects if o.kind == "Pod" and o.is_test_hook]


@check
def test_pod_present(t: Target, release: Target, params: NoParams):
    if t.config is None or not t.config.test_pod:
        return
    if not _test_pods(t):
        yield Violation("the render has no Pod with the helm.sh/hook: test annotation")


@check
def test_pod_reaches_services(t: Target, pod: K8sObject, params: NoParams) -> Iterable[Violation]:
    """The test pod's commands name each component's Service (and its port)."""
    if t.config is None or not pod.is_test_hook:
        return
    text = json.dumps([c for _, c in pod.containers(init=True)])
    for comp in t.config.test_pod.get("reaches") or []:
        svc_name = t.component(comp).get("service")
        svc = t.get("Service", svc_name) if svc_name else None
        if svc is None:
            continue
        ports = [p["port"] for _, p in service_ports(svc) if isinstance(p.get("port"), int)]
        pattern = rf"{re.escape(svc.name)}(\.[a-z0-9.-]+)?:({'|'.join(map(str, ports))})\b"
        if not ports or not re.search(pattern, text):
            yield Violation(
                f"{pod.ref} does not reach {svc.ref} on port {ports[0] if ports else '?'} "
                f"(component {comp})",
                ("spec", "containers"),
            )


@check
def test_pod_hook(t: Target, pod: K8sObject, params: NoParams) -> Iterable[Violation]:
    """A Pod from a chart's templates/tests/ carries ``helm.sh/hook: test``."""
    if pod.template and "/tests/" in pod.template and not pod.is_test_hook:
        yield Violation(
            f"{pod.ref} comes from {pod.template} but is not a helm.sh/hook: test", ("metadata",)
        )


_DB_PARENT = re.compile(r"^(postgres(ql)?|db|database|mysql|mariadb|redis|mongo(db)?|auth)$", re.I)
#: a parent whose values name the keys of a Secret (``keys: {password: sasl-password}``)
_KEY_NAMES_PARENT = re.compile(r"^(keys|secretKeys|\w*Ref)$", re.I)
#: words joined by - _ . with a development marker: ``local-dev-secret-key-min-32-chars``
_DEV_VALUE = re.compile(
    r"(?=.*(^|[-_.])(local|dev|development|test|demo|sample|insecure)([-_.]|$))"
    r"[A-Za-z0-9]+([-_.][A-Za-z0-9]+)+",
    re.I,
)


@check
def values_no_secrets(
    t: Target, chart: ChartInfo, params: PlaceholderParams
) -> Iterable[Violation]:
    """values.yaml and the other values files the renders read (a profile's, --values)
    commit no credential: an API-key or private-key shape, a URL with a
    password, or a high-entropy string under a secret-named key (digests and checksums
    under other keys are not credentials)."""
    import dataclasses
    from pathlib import Path

    from .data import dev_database_url, looks_real, named_like_secret
    from .util import SECRET_NAME

    placeholder = params.placeholder

    def walk(node: Any, path: tuple[Any, ...], where: ChartInfo, label: str):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from walk(v, (*path, k), where, label)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from walk(v, (*path, i), where, label)
        elif isinstance(node, str) and path:
            why = looks_real(node, placeholder)
            if why == "it is a high-entropy string" and not SECRET_NAME.search(str(path[-1])):
                why = None
            severity = None
            if why and dev_database_url(node):  # an in-cluster dev database: a warning
                why += ", to an in-cluster development database with a short password"
                severity = "warning"
            snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(path[-1])).upper()
            parent = next((str(p) for p in reversed(path[:-1]) if isinstance(p, str)), "")
            if (
                why is None
                and len(node) >= 8
                and named_like_secret(snake, node)
                and not _KEY_NAMES_PARENT.match(parent)  # the name of a key, not its value
            ):
                why, severity = "its key says it is a secret and it holds a literal value", None
                if _DB_PARENT.match(parent) and len(node) < 12:
                    why += " (a short default password of a bundled database)"
                    severity = "warning"
                elif _DEV_VALUE.fullmatch(node):
                    why += " (words marking a local development value)"
                    severity = "warning"
            if why:
                key = ".".join(map(str, path))
                yield Violation(
                    f"{label} {key} holds what looks like a real credential ({why}); "
                    f"the value is not shown",
                    path,
                    subject=where,
                    severity=severity,
                )

    own = dataclasses.replace(
        chart, file=str(Path(chart.dir, "values.yaml")), lines=chart.values_lines
    )
    yield from walk(chart.values, (), own, f"chart {chart.name} values.yaml")
    for file, data, lines, _repeats in chart.values_files:  # a profile's file, --values
        where = dataclasses.replace(chart, file=file, lines=lines)
        found = list(walk(data, (), where, f"values file {display_path(file)}"))
        if found and _git_ignores(file):
            continue  # kept out of the repository on purpose: the place for a credential
        yield from found


def _git_ignores(file: str) -> bool:
    """Whether git ignores ``file`` and does not track it (``git check-ignore``: a
    tracked file is never ignored). False outside a repository or without git."""
    import os
    import subprocess

    path = os.path.abspath(file)
    try:
        proc = subprocess.run(
            ["git", "-C", os.path.dirname(path), "check-ignore", "-q", "--", path],
            capture_output=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0
