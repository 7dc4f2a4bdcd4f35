"""Discovery: which objects and Dockerfiles of any team's chart are the frontend and the backend.

Without a ``kubeproof.yaml`` naming them, the two components of the entity model are
found from what every chart has, strongest evidence first:

1. workload labels (``app.kubernetes.io/component``, ``app.kubernetes.io/name``,
   ``app``, ``tier``, ``component``), then the workload's name (``-frontend``,
   ``web``, ``api``, ``ui`` ...), then its container port and image (3000 or a
   node/next image: frontend; 8000 or a python/uvicorn image: backend);
2. Services follow the workloads their selector picks; ConfigMaps and Secrets
   follow the ``envFrom``/``env``/volume references of a component's workload;
3. Dockerfiles pair by path (``frontend/Dockerfile``), then EXPOSE = containerPort,
   then base image (node / python).

The result is an ``AppConfig`` shaped like a written ``kubeproof.yaml`` (names only:
no port, uid, health path or resource figure of this project is ever expected of
another chart), plus what matched what and why, for the report and ``kubeproof init``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks.util import mapping, mappings
from .config import AppConfig
from .model import LONG_RUNNING_KINDS, Dockerfile, Finding, K8sObject

COMPONENTS = ("frontend", "backend")
_WORDS = {
    "frontend": {"frontend", "front", "fe", "web", "webapp", "ui", "client", "nextjs", "next"},
    "backend": {"backend", "back", "be", "api", "server", "fastapi"},
}
LABELS = (
    "app.kubernetes.io/component",
    "app.kubernetes.io/name",
    "app",
    "tier",
    "component",
    "role",
)
_PORTS = {3000: "frontend", 8000: "backend"}
_STRENGTH = ("path", "EXPOSE", "base")  # how a Dockerfile pairs, strongest first
_IMAGES = {
    "frontend": ("node", "next", "nginx"),
    "backend": ("python", "uvicorn", "fastapi", "gunicorn"),
}


def classify_text(text: str) -> set[str]:
    """The components a name or label value speaks of, by its words (``todo-frontend``,
    ``webApp``, ``api_server``)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(text))
    tokens = {t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t}
    return {c for c, words in _WORDS.items() if tokens & words}


@dataclass
class Match:
    """One object (or Dockerfile) assigned to a component, and the evidence."""

    component: str
    ref: str
    how: str


@dataclass
class Discovery:
    """What discovery matched, what it could not place, and the config it implies."""

    matches: list[Match] = field(default_factory=list)
    unmatched: list[tuple[Any, str]] = field(default_factory=list)  # (object, why)
    ambiguous: list[tuple[Any, list[str], str]] = field(default_factory=list)
    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "discovered"  # or the kubeproof.yaml that named them

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "components": self.components,
            "matched": [
                {"component": m.component, "object": m.ref, "how": m.how} for m in self.matches
            ],
            "unmatched": [{"object": _ref(o), "why": why} for o, why in self.unmatched],
            "ambiguous": [
                {"object": _ref(o), "components": cs, "why": why} for o, cs, why in self.ambiguous
            ],
        }

    def findings(self) -> list[Finding]:
        """An object that matches no component or two is a finding, never a silent skip."""
        out = []
        for obj, why in self.unmatched:
            out.append(
                _finding(
                    obj,
                    "info",
                    f"{_ref(obj)} matches no component ({why}); app-specific rules skip it",
                    "If it is the frontend or the backend, name it in kubeproof.yaml "
                    "(`kubeproof init` writes one to edit).",
                )
            )
        for obj, comps, why in self.ambiguous:
            out.append(
                _finding(
                    obj,
                    "warning",
                    f"{_ref(obj)} matches {' and '.join(comps)} ({why}); app-specific "
                    f"rules skip it",
                    "Name each component's objects in kubeproof.yaml (`kubeproof init`).",
                )
            )
        return out


def _ref(obj: Any) -> str:
    return obj.ref if not isinstance(obj, Dockerfile) else f"Dockerfile {obj.file}"


def _finding(obj: Any, severity: str, message: str, fix: str) -> Finding:
    return Finding.on(
        obj,
        rule="component-discovery",
        severity=severity,
        name=obj.name if not isinstance(obj, Dockerfile) else Path(obj.file).name,
        line=obj.line if isinstance(obj, K8sObject) else 1,
        message=message,
        remediation=fix,
    )


def _main_container(obj: K8sObject) -> dict[str, Any]:
    return next((c for _, c in obj.containers()), {})


def _by_labels(obj: K8sObject) -> tuple[set[str], str]:
    labels = {**mapping(obj.metadata.get("labels")), **mapping(obj.pod_labels)}
    for key in LABELS:
        value = labels.get(key)
        if value is None:
            continue
        found = classify_text(str(value))
        if found:
            return found, f"label {key}={value}"
    return set(), ""


def _by_port_image(obj: K8sObject) -> tuple[set[str], str]:
    from .checks.util import image_parts

    c = _main_container(obj)
    image = str(c.get("image", ""))
    repo = image_parts(image)[0]
    found = classify_text(repo.rsplit("/", 1)[-1])
    if found:
        return found, f"image {image}"
    for p in mappings(c.get("ports")):
        port = p.get("containerPort")
        comp = _PORTS.get(port) if isinstance(port, int) else None
        if comp:
            return {comp}, f"containerPort {p['containerPort']}"
    base = repo.rsplit("/", 1)[-1].lower()
    hits = {comp for comp, words in _IMAGES.items() if any(w in base for w in words)}
    if hits:
        return hits, f"image {image}"
    return set(), ""


def classify_workload(obj: K8sObject) -> tuple[set[str], str]:
    """(components, evidence) for a workload: labels, then name, then port and image."""
    found, how = _by_labels(obj)
    if found:
        return found, how
    found = classify_text(obj.name)
    if found:
        return found, f"name {obj.name}"
    return _by_port_image(obj)


def _selected(svc: K8sObject, workloads: Iterable[K8sObject]) -> list[K8sObject]:
    selector = mapping(svc.data.get("spec")).get("selector")
    if not isinstance(selector, dict) or not selector:
        return []
    return [
        w
        for w in workloads
        if w.namespace == svc.namespace
        and all(w.pod_labels.get(k) == v for k, v in selector.items())
    ]


def _references(obj: K8sObject) -> list[tuple[str, str]]:
    """(kind, name) of each ConfigMap and Secret the pod spec takes values from."""
    out: list[tuple[str, str]] = []
    spec = obj.pod_spec or {}
    for _, c in obj.containers(init=True):
        for src in mappings(c.get("envFrom")):
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = mapping(src.get(key))
                if ref.get("name"):
                    out.append((kind, str(ref["name"])))
        for env in mappings(c.get("env")):
            vf = mapping(env.get("valueFrom"))
            for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = mapping(vf.get(key))
                if ref.get("name"):
                    out.append((kind, str(ref["name"])))
    for vol in mappings(spec.get("volumes")):
        if isinstance(vol.get("configMap"), dict):
            out.append(("ConfigMap", str(vol["configMap"].get("name", ""))))
        if isinstance(vol.get("secret"), dict):
            out.append(("Secret", str(vol["secret"].get("secretName", ""))))
    return list(dict.fromkeys(out))


def _container_ports(obj: K8sObject) -> set[int]:
    return {
        p["containerPort"]
        for p in mappings(_main_container(obj).get("ports"))
        if isinstance(p.get("containerPort"), int)
    }


def classify_dockerfile(df: Dockerfile, workloads: dict[str, K8sObject]) -> tuple[set[str], str]:
    """(components, evidence): path, then EXPOSE = containerPort, then base image."""
    from .load.dockerfile import exposed_ports

    parts = Path(df.file).parts
    for part in reversed(parts):
        found = classify_text(part.replace("Dockerfile", " ").replace("dockerfile", " "))
        if found:
            return found, f"path {df.file}"
    final = df.final
    if final is None:
        return set(), ""
    exposed = {p for p, _, _ in exposed_ports(final)}
    by_port = {c for c, wl in workloads.items() if exposed & _container_ports(wl)}
    if by_port:
        return by_port, f"EXPOSE {sorted(exposed)} = containerPort"
    bases = " ".join(s.base_resolved.lower() for s in df.stages)
    hits = {c for c, words in _IMAGES.items() if any(w in bases for w in words)}
    if hits:
        return hits, f"base image {final.base_resolved}"
    return set(), ""


def _bucket(d: Discovery, items: Iterable[Any], classify: Any, none: str) -> dict[str, list]:
    """component -> [(item, evidence)] for items one component claims; items two claim are
    ambiguous, items none claims unmatched (``none`` says why)."""
    out: dict[str, list[tuple[Any, str]]] = {c: [] for c in COMPONENTS}
    for item in items:
        found, how = classify(item)
        if len(found) == 1:
            out[next(iter(found))].append((item, how))
        elif found:
            d.ambiguous.append((item, sorted(found), how))
        else:
            d.unmatched.append((item, none))
    return out


def _rank(obj: K8sObject, how: str, services: list[K8sObject]) -> tuple[int, bool]:
    """How strongly a workload claims its component: the evidence (a label, then the
    name, then port or image), then whether a Service selects it (each component of the
    entity model is served; a worker or a job runner beside it usually is not)."""
    strength = 2 if how.startswith("label ") else 1 if how.startswith("name ") else 0
    return strength, any(_selected(svc, [obj]) for svc in services)


def _workloads(d: Discovery, objects: list[K8sObject]) -> dict[str, K8sObject]:
    """The one long-running workload of each component. When several claim one, the one
    with the strongest claim (``_rank``) is it and the others match no component; equal
    claims are ambiguous."""
    candidates = _bucket(
        d,
        (o for o in objects if o.kind in LONG_RUNNING_KINDS and not o.is_hook),
        classify_workload,
        "no label, name, port or image speaks of one",
    )
    services = [o for o in objects if o.kind == "Service"]
    workloads: dict[str, K8sObject] = {}
    for comp, found in candidates.items():
        if len(found) > 1:
            ranks = {id(o): _rank(o, how, services) for o, how in found}
            best = max(ranks.values())
            top = [(o, how) for o, how in found if ranks[id(o)] == best]
            for other, how in found:
                if ranks[id(other)] == best:
                    continue
                winner, whow = top[0]
                reason = whow if len(top) == 1 else "a stronger claim"
                d.unmatched.append(
                    (other, f"{how} speaks of {comp}, but {winner.ref} claims it by {reason}")
                )
            found = top
        if len(found) > 1:
            for other, how in found:
                rivals = ", ".join(o.ref for o, _ in found if o is not other)
                d.ambiguous.append((other, [comp], f"{how}; so do {rivals}"))
        elif found:
            obj, how = found[0]
            workloads[comp] = obj
            obj.component = comp
            d.matches.append(Match(comp, obj.ref, how))
            d.components[comp] = {"deployment": obj.name}
    return workloads


def _followers(d: Discovery, objects: list[K8sObject], workloads: dict[str, K8sObject]) -> None:
    """Services by their selectors; ConfigMaps and Secrets by the workloads' references."""
    for svc in (o for o in objects if o.kind == "Service"):
        comps = [c for c, wl in workloads.items() if wl in _selected(svc, [wl])]
        if len(comps) > 1:
            d.ambiguous.append((svc, comps, "its selector picks both workloads"))
        elif len(comps) == 1:
            comp = comps[0]
            svc.component = comp
            d.matches.append(Match(comp, svc.ref, f"selector picks {workloads[comp].ref}"))
            d.components[comp].setdefault("service", svc.name)
    by_ref = {(o.kind, o.name): o for o in objects}
    for comp, wl in workloads.items():
        for kind, name in _references(wl):
            obj = by_ref.get((kind, name))
            if obj is None or obj.component not in (None, comp):
                continue
            obj.component = comp
            d.matches.append(Match(comp, obj.ref, f"{wl.ref} takes values from it"))
            key = "configMap" if kind == "ConfigMap" else "secret"
            d.components[comp].setdefault(key, {"name": name})


def _dockerfiles(
    d: Discovery, dockerfiles: list[Dockerfile], workloads: dict[str, K8sObject]
) -> None:
    """Each component's Dockerfile: the one with the strongest evidence (path, EXPOSE, base)."""
    paired = _bucket(
        d,
        dockerfiles,
        lambda df: classify_dockerfile(df, workloads),
        "no path, EXPOSE or base image speaks of one",
    )
    for comp, found in paired.items():
        if not found:
            continue
        found.sort(key=lambda item: _STRENGTH.index(item[1].split(" ", 1)[0]))
        kind = found[0][1].split(" ", 1)[0]
        strongest = [f for f in found if f[1].split(" ", 1)[0] == kind]
        if len(strongest) > 1:
            for df, how in strongest:
                d.ambiguous.append((df, [comp], f"{how}; {len(strongest)} Dockerfiles pair so"))
            continue
        df, how = found[0]
        df.component = comp
        d.matches.append(Match(comp, f"Dockerfile {df.file}", how))
        d.components.setdefault(comp, {}).setdefault("image", {})["dockerfile"] = df.file
        for other, ohow in found[1:]:
            d.unmatched.append((other, f"{ohow} speaks of {comp}, but {df.file} pairs by {how}"))


def discover(objects: list[K8sObject], dockerfiles: list[Dockerfile]) -> Discovery:
    """Assign objects and Dockerfiles to frontend/backend; sets ``component`` on each."""
    d = Discovery()
    workloads = _workloads(d, objects)
    _followers(d, objects, workloads)
    _dockerfiles(d, dockerfiles, workloads)
    return d


def discovered_config(d: Discovery, objects: list[K8sObject], root: str = ".") -> AppConfig:
    """The AppConfig a written kubeproof.yaml with these names would give (names only)."""
    data: dict[str, Any] = {"components": d.components, "discovered": True}
    if any(o.kind == "Pod" and o.is_test_hook for o in objects):
        data["testPod"] = {"reaches": [c for c in d.components if "service" in d.components[c]]}
    return AppConfig(
        file="(discovered)", root=Path(root).resolve(), data=data, components=d.components
    )
