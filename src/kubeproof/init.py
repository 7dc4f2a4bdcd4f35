"""``kubeproof init``: a starting kubeproof.yaml written from discovery, commented.

Every name and value comes from the chart and Dockerfiles given (never from this
project's chart), with a comment saying where it was read, so a team can pin what
discovery guessed and correct what it got wrong. ``conventions: false`` keeps the
rules that encode kubeproof's own chart conventions off.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .checks.util import http_probe, image_parts, resolve_port
from .discover import Discovery
from .load.dockerfile import exposed_ports, parse_user
from .model import Dockerfile, K8sObject, Target


def _scalar(value: Any) -> str:
    if isinstance(value, str) and value and all(c.isalnum() or c in "-_./:@" for c in value):
        return value if not value[0].isdigit() and value not in ("true", "false") else f"'{value}'"
    return json.dumps(value)


def _keys(obj: K8sObject | None) -> list[str]:
    if obj is None:
        return []
    keys: list[str] = []
    for section in ("data", "stringData"):
        if isinstance(obj.data.get(section), dict):
            keys += [str(k) for k in obj.data[section]]
    return sorted(set(keys))


def _component_lines(name: str, comp: dict[str, Any], t: Target, how: dict[str, str]) -> list[str]:
    out = [f"  {name}:"]
    wl = t.get("Deployment", comp.get("deployment", "")) or next(
        (o for o in t.objects if o.component == name and o.pod_spec_path and not o.is_hook), None
    )
    if wl is not None:
        out.append(f"    # {wl.ref}: {how.get(wl.ref, 'named here')}")
        out.append(f"    deployment: {_scalar(wl.name)}")
    svc = t.get("Service", comp.get("service", "")) if comp.get("service") else None
    if svc is not None:
        out.append(f"    # {svc.ref}: {how.get(svc.ref, '')}")
        out.append(f"    service: {_scalar(svc.name)}")
    container = next((c for _, c in wl.containers()), {}) if wl is not None else {}
    ports = [p for p in container.get("ports") or [] if isinstance(p, dict)]
    if ports and isinstance(ports[0].get("containerPort"), int):
        out.append(f"    port: {ports[0]['containerPort']}  # the container's first containerPort")
    probe = http_probe(container, "readinessProbe") or http_probe(container, "livenessProbe")
    if probe is not None and resolve_port(container, probe.get("port")) is not None:
        out.append(f"    healthPath: {_scalar(probe.get('path', '/'))}  # its HTTP probe's path")
    for kind, key in (("ConfigMap", "configMap"), ("Secret", "secret")):
        ref = (comp.get(key) or {}).get("name")
        obj = t.get(kind, ref) if ref else None
        if obj is None:
            continue
        out.append(f"    {key}:  # {obj.ref}: {how.get(obj.ref, '')}")
        out.append(f"      name: {_scalar(obj.name)}")
        keys = _keys(obj)
        if keys:
            out.append(f"      keys: [{', '.join(_scalar(k) for k in keys)}]  # as rendered today")
    df = t.dockerfile_for(name)
    image = str(container.get("image", ""))
    if df is not None or image:
        out.append("    image:")
    if image:
        out.append(f"      repository: {_scalar(image_parts(image)[0])}  # from {image}")
    if df is not None:
        out.extend(_dockerfile_lines(df, how))
    return out


def _dockerfile_lines(df: Dockerfile, how: dict[str, str]) -> list[str]:
    out = [f"      dockerfile: {_scalar(df.file)}  # {how.get(f'Dockerfile {df.file}', '')}"]
    names = [s.name for s in df.stages]
    if len(names) > 1 and all(names):
        out.append(f"      stages: [{', '.join(_scalar(n) for n in names)}]")
    final = df.final
    if final is not None:
        out.append(f"      baseImage: {_scalar(final.base_resolved)}  # the final stage's FROM")
        user = final.last("USER")
        if user is not None:
            uid = parse_user(user.value)[0]
            if uid.isdigit():
                out.append(f"      user: {{uid: {uid}}}  # USER {user.value}")
            else:
                out.append(f"      user: {{name: {_scalar(uid)}}}  # USER {user.value}")
        exposed = [p for p, _, _ in exposed_ports(final)]
        if exposed:
            out.append(f"      # EXPOSE {' '.join(map(str, exposed))}")
    return out


def write_config(target: Target, found: Discovery, chart: str | None) -> str:
    """The text of a kubeproof.yaml pinning what discovery matched in ``target``."""
    how = {m.ref: m.how for m in found.matches}
    lines = [
        "# kubeproof.yaml: what this app's chart and images are expected to be.",
        "# Written by `kubeproof init` from discovery: every name and value below was read",
        "# from the chart and Dockerfiles (the comment says where). Correct what it got",
        "# wrong; delete a value to stop checking it. Rules read their expectations here.",
    ]
    if chart:
        lines.append(f"chart: {_scalar(chart)}")
    lines += [
        "# kubeproof's own chart conventions (named port http, Service port = container",
        "# port, CHANGE_ME placeholders, its resource figures) do not apply to this chart:",
        "conventions: false",
        "components:",
    ]
    for name, comp in found.components.items():
        lines += _component_lines(name, comp, target, how)
    for obj, why in found.unmatched:
        ref = obj.ref if not isinstance(obj, Dockerfile) else f"Dockerfile {obj.file}"
        lines.append(f"# not matched: {ref} ({why})")
    for obj, comps, why in found.ambiguous:
        ref = obj.ref if not isinstance(obj, Dockerfile) else f"Dockerfile {obj.file}"
        lines.append(f"# ambiguous: {ref} matches {' and '.join(comps)} ({why})")
    tests = [o for o in target.objects if o.kind == "Pod" and o.is_test_hook]
    if tests:
        reaches = [c for c, comp in found.components.items() if comp.get("service")]
        lines += [
            f"# {tests[0].ref} is a helm test pod: it must reach these components' Services",
            "testPod:",
            f"  reaches: [{', '.join(reaches)}]",
        ]
    return "\n".join(lines) + "\n"


def init(inp: Any, output: str, force: bool = False) -> str:
    """Discover ``inp``'s components and write ``output``; returns the text written."""
    from .api import load_targets
    from .errors import InputError

    if Path(output).exists() and not force:
        raise InputError(f"{output} exists: pass --force to overwrite it")
    inp.no_config = False
    targets = load_targets(inp, None)
    target = next((t for t in targets if t.render_error is None), None)
    if target is None:
        raise InputError(targets[0].render_error if targets else "nothing rendered")
    found = getattr(target.config, "discovery", None)
    if found is None or not found.components:
        raise InputError("discovery found no frontend or backend to write down")
    text = write_config(target, found, inp.chart)
    Path(output).write_text(text)
    return text
