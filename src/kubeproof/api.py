"""The one entry point the CLI and the pytest plugin share: inputs in, a Result out."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import AppConfig, find_config
from .engine import evaluate
from .errors import InputError, RenderError
from .load.files import read_input, read_stream
from .model import (
    DEFAULT_KUBE_VERSION,
    Dockerfile,
    Finding,
    K8sObject,
    Result,
    Target,
    display_path,
)
from .policy import Rule

if TYPE_CHECKING:
    from .waivers import Waiver


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


BUILTIN_PROFILES = ("minikube", "production")  # the profiles the rules know expectations of


def profile_values(chart: str, profile: str, cfg: AppConfig | None) -> str | None:
    """The values file of ``profile``: kubeproof.yaml's, else the chart's
    ``ci/<profile>-values.yaml``; None for a built-in profile the chart has no file for
    (its expectations then apply to the chart's own values)."""
    if cfg is not None and profile in cfg.profiles:
        return cfg.profiles[profile]
    candidate = Path(chart, "ci", f"{profile}-values.yaml")
    if candidate.is_file():
        return str(candidate)
    if profile in BUILTIN_PROFILES:
        return None
    known = sorted(cfg.profiles) if cfg else []
    raise InputError(
        f"unknown profile {profile!r}"
        + (f" (known: {', '.join(known)})" if known else "")
        + f"; no {candidate}"
    )


def load_targets(inp: Inputs, cfg: AppConfig | None, hadolint: bool = False) -> list[Target]:
    from .load.chart import DEFAULT_NAMESPACE, chart_info, render_chart, values_files
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
    if release is None and info is not None:
        release = info.name  # the default release: read once here, not per render
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

    discovering = cfg is None and not inp.no_config
    if chart is None or inp.manifests:
        return [_target(manifest_objects, inp.profile, base, discovering)]

    if inp.profile:
        own = profile_values(chart, inp.profile, cfg)
        profiles: list[tuple[str | None, list[str]]] = [
            (inp.profile, [*([own] if own else []), *inp.values])
        ]
    elif cfg is not None and cfg.profiles and not inp.values:
        profiles = [(name, [path]) for name, path in cfg.profiles.items()]
    else:
        profiles = [(None, list(inp.values))]
    if info is not None:  # values-no-secrets reads them as it reads values.yaml
        read = values_files([f for _, files in profiles for f in files])
        base["chart"] = replace(info, values_files=read)
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
            targets.append(_target([], name, base, discovering, render_error=str(err)))
            continue
        targets.append(_target(objects, name, base, discovering))
    return targets


def _target(
    objects: list[K8sObject],
    profile: str | None,
    base: dict,
    discovering: bool,
    render_error: str | None = None,
) -> Target:
    """A Target; without a kubeproof.yaml its components come from discovery."""
    if not discovering:
        return Target(objects=objects, profile=profile, render_error=render_error, **base)
    from .discover import discover, discovered_config

    found = discover(objects, base["dockerfiles"])
    cfg = discovered_config(found, objects)
    cfg.discovery = found  # type: ignore[attr-defined]  # for the report
    return Target(
        objects=objects, profile=profile, render_error=render_error, **{**base, "config": cfg}
    )


def _declares(cfg: AppConfig, need: str) -> bool:
    if need == "conventions":  # this project's own conventions, off for other charts
        return not cfg.data.get("discovered") and cfg.data.get("conventions", True) is not False
    if need.startswith(("expectations.", "testPod")):  # top-level: what the project states
        node: Any = cfg.data
        for part in need.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node not in (None, [], {}, "")
    for comp in cfg.components.values():
        node: Any = comp
        for part in need.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node not in (None, [], {}, ""):
            return True
    return False


def skipped_rules(rules: list[Rule], cfg: AppConfig | None) -> dict[str, str]:
    """rule id -> why it does not run: app-specific rules without components, and rules
    needing an expectation that neither kubeproof.yaml nor discovery gives."""
    out: dict[str, str] = {}
    for rule in rules:
        if not rule.app_specific:
            continue
        if cfg is None:
            out[rule.id] = "no kubeproof.yaml (--no-config): generic rules only"
        elif not cfg.components:
            out[rule.id] = "discovery found no frontend or backend (name them in kubeproof.yaml)"
        elif rule.needs and not any(_declares(cfg, n) for n in rule.needs):
            if "conventions" in rule.needs:
                also = [f"`{n}`" for n in rule.needs if n != "conventions"]
                out[rule.id] = (
                    "a convention of kubeproof's own chart (its figures and names), not "
                    "expected of another chart (kubeproof.yaml `conventions: true`"
                    + (f" or {' or '.join(also)}" if also else "")
                    + " applies it)"
                )
            else:
                wanted = " or ".join(f"`{n}`" for n in rule.needs)
                out[rule.id] = (
                    f"needs {wanted} in kubeproof.yaml, which the chart and Dockerfiles do not give"
                )
    return out


def discovery_report(targets: list[Target]) -> tuple[dict[str, Any] | None, list[Finding]]:
    """What matched what (first target that rendered), and discovery's own findings."""
    for t in targets:
        if t.config is None:
            return None, []
        found = getattr(t.config, "discovery", None)
        if found is None:  # components named by kubeproof.yaml
            matched = [
                {"component": o.component, "object": o.ref, "how": "named in kubeproof.yaml"}
                for o in [*t.objects, *t.dockerfiles]
                if o.component
            ]
            return {
                "source": display_path(t.config.file),
                "components": t.config.components,
                "matched": matched,
            }, []
        if t.render_error is None or t is targets[-1]:
            return found.as_dict(), found.findings()
    return None, []


_WHERE = re.compile(r": (\S+?\.(?:yaml|yml|tpl|json|helmignore|txt)):(\d+)(?::\d+)?: ")


def duplicate_key_findings(targets: list[Target]) -> list[Finding]:
    """A warning per mapping that repeats a key, at the line that writes the repeat: in
    the rendered objects, and in values.yaml and the other values files read."""
    from .load.dupkeys import duplicate_line

    out: dict[tuple, Finding] = {}
    for t in targets:
        for obj in t.objects:
            by_path: dict[tuple, list[tuple[str, int]]] = {}
            for path, key, line in obj.duplicate_keys:
                by_path.setdefault(path, []).append((key, line))
            for path, repeats in by_path.items():
                where = ".".join(map(str, path)) or "the top level"
                keys = ", ".join(f"`{k}`" for k, _ in repeats)
                line = duplicate_line(obj, path, repeats[0][0], repeats[0][1])
                key = (obj.ref, obj.file, line, keys)
                if key in out:
                    continue
                out[key] = Finding.on(
                    obj,
                    rule="duplicate-key",
                    severity="warning",
                    line=line,
                    message=f"{obj.ref} {where} repeats {keys}: helm and kubectl keep the "
                    f"last value (checked here), Flux and kustomize reject the object",
                    remediation="Write each key once (two helpers that both emit the same "
                    "labels are the usual cause).",
                    profiles=(t.profile,) if t.profile else (),
                )
    chart = next((t.chart for t in targets if t.chart is not None), None)
    if chart is not None:
        files = [(str(Path(chart.dir, "values.yaml")), chart.values_repeats)]
        files += [(f, repeats) for f, _data, _lines, repeats in chart.values_files]
        for file, repeats in files:
            for key, line, first in repeats:
                out[(file, line)] = Finding.on(
                    chart,
                    rule="duplicate-key",
                    severity="warning",
                    file=display_path(file),
                    line=line,
                    message=f"{display_path(file)} repeats `{key}` (first at line {first}): "
                    f"helm keeps the last value whole (checked here); what the first set "
                    f"is lost",
                    remediation="Write each key once (merge the two blocks).",
                )
    return list(out.values())


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
            Finding.on(
                t.chart,
                rule="chart-render",
                severity="error",
                file=display_path(m.group(1) if m else t.chart.file),
                line=int(m.group(2)) if m else 1,
                message=t.render_error,
                remediation="Fix the cause named in the message; no object of this "
                "render was checked.",
                profiles=(t.profile,) if t.profile else (),
            )
        )
    info = next((t.chart for t in targets if t.chart is not None), None)
    if chart and info is not None and Path(chart, "Chart.yaml").is_file():
        for p in chart_problems(chart):
            if not p.blocking:
                out.append(
                    Finding.on(
                        info,
                        rule=p.rule,
                        severity="warning",
                        file=display_path(p.file),
                        line=p.line,
                        message=p.message,
                        remediation="Make .helmignore ignore only what the package "
                        "should not ship.",
                    )
                )
    return out


@dataclass
class Loaded:
    """What ``check`` and ``mutate`` evaluate: the config, every rule, the waivers, the
    rendered targets, and the rules that do not apply to them (id -> why)."""

    config: AppConfig | None
    rules: list[Rule]
    waivers: list[Waiver]
    targets: list[Target]
    skipped: dict[str, str]

    @property
    def applicable(self) -> list[Rule]:
        return [r for r in self.rules if r.id not in self.skipped]


def load(inp: Inputs) -> Loaded:
    """Read config, rules and waivers, render the targets, decide which rules apply."""
    from .policy import default_policies_dir, load_rules
    from .waivers import load_waivers

    cfg = resolve_config(inp)
    policies = inp.policies or default_policies_dir()
    rules = load_rules(policies)
    waivers = load_waivers(str(Path(policies, "waivers.yaml")))
    targets = load_targets(inp, cfg, hadolint=any(r.check == "hadolint" for r in rules))
    first = next((t for t in targets if t.render_error is None), targets[0] if targets else None)
    skipped = skipped_rules(rules, first.config if first else cfg)
    return Loaded(cfg, rules, waivers, targets, skipped)


def run(inp: Inputs) -> Result:
    """Load, render, evaluate every rule, apply waivers. Raises KubeproofError on bad input."""
    from .load.chart import DEFAULT_NAMESPACE

    loaded = load(inp)
    cfg, rules, targets, skipped = loaded.config, loaded.rules, loaded.targets, loaded.skipped
    result = evaluate(loaded.applicable, targets, loaded.waivers)
    result.rules = rules
    discovery, discovery_findings = discovery_report(targets)
    result.findings += discovery_findings
    if discovery is not None:
        result.context["discovery"] = discovery
    result.context["skipped"] = [{"rule": r, "why": why} for r, why in sorted(skipped.items())]
    result.findings += render_findings(inp.chart or (cfg.chart if cfg else None), targets)
    result.findings += duplicate_key_findings(targets)
    result.problems += [t.render_error for t in targets if t.render_error]
    if targets and targets[0].chart is not None:
        result.context["release"] = {
            "name": inp.release
            or (cfg.data.get("release") if cfg else None)
            or targets[0].chart.name,
            "namespace": inp.namespace or DEFAULT_NAMESPACE,
            "default": not inp.release,
        }
    if result.objects + result.dockerfiles == 0 and not result.problems:
        raise InputError("checked no object: the input holds no Kubernetes object or Dockerfile")
    return result
