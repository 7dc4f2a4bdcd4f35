"""The one entry point the CLI and the pytest plugin share: inputs in, a Result out."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .config import AppConfig, find_config
from .engine import display_path, evaluate
from .errors import InputError, RenderError
from .load.files import read_input, read_stream
from .model import DEFAULT_KUBE_VERSION, Dockerfile, Finding, K8sObject, Result, Target


@dataclass
class Inputs:
    """What to check, as the CLI contract names it (never read from the environment)."""

    chart: str | None = None
    values: list[str] = field(default_factory=list)
    profile: str | None = None  # None: every profile the config declares (or plain defaults)
    manifests: list[str] = field(default_factory=list)
    dockerfiles: list[str] = field(default_factory=list)
    policies: str | None = None
    config: str | None = None
    kube_version: str = DEFAULT_KUBE_VERSION
    renderer: str | None = None
    release: str | None = None
    no_config: bool = False
    sets: list[str] = field(default_factory=list)
    set_strings: list[str] = field(default_factory=list)
    namespace: str | None = None


def resolve_config(inp: Inputs) -> AppConfig | None:
    if inp.no_config:
        return None
    cfg = find_config(inp.config)
    if cfg is not None and inp.config is None and inp.chart and not cfg.uses_chart(inp.chart):
        return None  # kubeproof.yaml describes another chart: only generic rules apply
    return cfg


def profile_values(chart: str, profile: str, cfg: AppConfig | None) -> str:
    if cfg is not None and profile in cfg.profiles:
        return cfg.profiles[profile]
    candidate = Path(chart, "ci", f"{profile}-values.yaml")
    if candidate.is_file():
        return str(candidate)
    known = sorted(cfg.profiles) if cfg else []
    raise InputError(
        f"unknown profile {profile!r}"
        + (f" (known: {', '.join(known)})" if known else "")
        + f"; no {candidate}"
    )


def load_targets(inp: Inputs, cfg: AppConfig | None, hadolint: bool = False) -> list[Target]:
    from .load.chart import DEFAULT_NAMESPACE, chart_info, render_chart
    from .load.dockerfile import load_dockerfile
    from .load.yamlsrc import load_manifests

    chart = inp.chart
    if chart is None and not inp.manifests and cfg is not None:
        chart = cfg.chart
    dockerfile_paths = list(inp.dockerfiles)
    if not dockerfile_paths and cfg is not None:
        dockerfile_paths = [p for p in cfg.dockerfiles().values() if Path(p).is_file()]
    dockerfiles: list[Dockerfile] = [load_dockerfile(p) for p in dockerfile_paths]
    if dockerfiles and hadolint:
        from .checks.dockerfiles import start_hadolint

        start_hadolint(dockerfiles)  # runs while the chart renders
    if chart is None and not inp.manifests and not dockerfiles:
        raise InputError("nothing to check: pass --chart DIR, --manifests FILE|- or --dockerfile")
    info = chart_info(chart) if chart else None
    release = inp.release or (cfg.data.get("release") if cfg else None)
    base = {
        "dockerfiles": dockerfiles,
        "chart": info,
        "config": cfg,
        "kube_version": inp.kube_version,
    }

    manifest_objects: list[K8sObject] = []
    for m in inp.manifests:
        if m == "-":
            text, name = read_stream(sys.stdin, "<stdin>", "manifests"), "<stdin>"
        else:
            text, name = read_input(m, "manifests"), m
        manifest_objects += load_manifests(text, name, chart_dir=chart if chart else None)

    if chart is None or inp.manifests:
        return [Target(objects=manifest_objects, profile=inp.profile, **base)]

    if inp.profile:
        profiles: list[tuple[str | None, list[str]]] = [
            (inp.profile, [profile_values(chart, inp.profile, cfg), *inp.values])
        ]
    elif cfg is not None and cfg.profiles and not inp.values:
        profiles = [(name, [path]) for name, path in cfg.profiles.items()]
    else:
        profiles = [(None, list(inp.values))]
    targets = []
    for name, values in profiles:
        try:
            objects = render_chart(
                chart,
                values,
                release=release,
                namespace=inp.namespace or DEFAULT_NAMESPACE,
                profile=name,
                renderer=inp.renderer,
                sets=inp.sets,
                set_strings=inp.set_strings,
                kube_version=inp.kube_version,
            )
        except RenderError as err:  # the other checks still run; the failure is a finding
            targets.append(Target(objects=[], profile=name, render_error=str(err), **base))
            continue
        targets.append(Target(objects=objects, profile=name, **base))
    return targets


_WHERE = re.compile(r": (\S+?\.(?:yaml|yml|tpl|json|helmignore|txt)):(\d+)(?::\d+)?: ")


def render_findings(chart: str | None, targets: list[Target]) -> list[Finding]:
    """A finding for each failed render (with the template file:line when known), and for
    the chart-file causes that do not stop helm (``.helmignore`` hiding templates/tests)."""
    from .load.chartcheck import chart_problems

    out: list[Finding] = []
    for t in targets:
        if t.render_error is None:
            continue
        m = _WHERE.search(t.render_error)
        out.append(
            Finding(
                rule="chart-render",
                severity="error",
                kind="HelmChart",
                namespace=None,
                name=t.name,
                container=None,
                file=display_path(m.group(1)) if m else display_path(t.file),
                line=int(m.group(2)) if m else 1,
                message=t.render_error,
                remediation="Fix the cause named in the message; no object of this "
                "render was checked.",
                profiles=(t.profile,) if t.profile else (),
            )
        )
    if chart and Path(chart, "Chart.yaml").is_file():
        for p in chart_problems(chart):
            if not p.blocking:
                out.append(
                    Finding(
                        rule=p.rule,
                        severity="warning",
                        kind="HelmChart",
                        namespace=None,
                        name=targets[0].name if targets else Path(chart).name,
                        container=None,
                        file=display_path(p.file),
                        line=p.line,
                        message=p.message,
                        remediation="Make .helmignore ignore only what the package "
                        "should not ship.",
                    )
                )
    return out


def run(inp: Inputs) -> Result:
    """Load, render, evaluate every rule, apply waivers. Raises KubeproofError on bad input."""
    from .policy import default_policies_dir, load_rules
    from .waivers import load_waivers

    cfg = resolve_config(inp)
    policies = inp.policies or default_policies_dir()
    rules = load_rules(policies)
    waivers = load_waivers(str(Path(policies, "waivers.yaml")))
    from .load.chart import DEFAULT_NAMESPACE, RenderOptions

    targets = load_targets(inp, cfg, hadolint=any(r.check == "hadolint" for r in rules))
    result = evaluate(rules, targets, waivers)
    result.findings += render_findings(inp.chart or (cfg.chart if cfg else None), targets)
    result.problems += [t.render_error for t in targets if t.render_error]
    if targets and targets[0].chart is not None:
        result.context["release"] = {
            "name": inp.release
            or (cfg.data.get("release") if cfg else None)
            or RenderOptions(release=None).release_for(targets[0].chart.dir),
            "namespace": inp.namespace or DEFAULT_NAMESPACE,
            "default": not inp.release,
        }
    if result.objects + result.dockerfiles == 0 and not result.problems:
        raise InputError("checked no object: the input holds no Kubernetes object or Dockerfile")
    return result
