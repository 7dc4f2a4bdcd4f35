"""Evaluate rules over a set of inputs and produce findings (with waivers applied)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from .config import AppConfig
from .model import ChartInfo, Dockerfile, Finding, K8sObject
from .policy import Rule
from .waivers import Waiver, annotation_waivers, today

DEFAULT_KUBE_VERSION = "1.34"


@dataclass
class Violation:
    """What a check reports; the engine turns it into a Finding."""

    message: str
    path: tuple[Any, ...] = ()
    container: str | None = None
    subject: Any = None  # another object than the one checked (release-wide checks)
    line: int | None = None  # an exact line (Dockerfiles)
    severity: str | None = None
    rule: str | None = None  # a sub-rule id (hadolint/DL3008)


@dataclass
class Target:
    """Everything one evaluation sees: one profile's objects, plus Dockerfiles and chart."""

    objects: list[K8sObject]
    dockerfiles: list[Dockerfile] = field(default_factory=list)
    chart: ChartInfo | None = None
    config: AppConfig | None = None
    profile: str | None = None
    kube_version: str = DEFAULT_KUBE_VERSION
    hadolint_config: str | None = None

    kind = "Release"
    namespace = None
    is_hook = False

    @property
    def name(self) -> str:
        return self.chart.name if self.chart is not None else "manifests"

    @property
    def ref(self) -> str:
        return f"Release/{self.name}"

    @property
    def file(self) -> str | None:
        if self.chart is not None:
            return self.chart.file
        return self.objects[0].file if self.objects else None

    @property
    def line(self) -> int:
        return 1

    def line_of(self, path: tuple[Any, ...]) -> int:
        return 1

    def __post_init__(self) -> None:
        self._index: dict[tuple[str, str], list[K8sObject]] = {}
        for obj in self.objects:
            self._index.setdefault((obj.kind, obj.name), []).append(obj)
            if self.config is not None and obj.component is None:
                obj.component = self.config.component_of(obj.kind, obj.name)
        for df in self.dockerfiles:
            if self.config is not None and df.component is None:
                df.component = self.config.component_of_dockerfile(df.file)

    def get(self, kind: str, name: str) -> K8sObject | None:
        found = self._index.get((kind, name))
        return found[0] if found else None

    def of_kind(self, *kinds: str) -> list[K8sObject]:
        return [o for o in self.objects if o.kind in kinds]

    def component(self, name: str | None) -> dict[str, Any]:
        if self.config is None or name is None:
            return {}
        return self.config.components.get(name) or {}

    def dockerfile_for(self, component: str | None) -> Dockerfile | None:
        for df in self.dockerfiles:
            if component and df.component == component:
                return df
        return None

    def workload_for(self, component: str | None) -> K8sObject | None:
        for obj in self.objects:
            if component and obj.component == component and obj.pod_spec_path and not obj.is_hook:
                return obj
        return None


def _kinds_match(rule: Rule, kind: str) -> bool:
    if not rule.kinds:
        return kind not in ("Dockerfile", "HelmChart", "Release")
    return kind in rule.kinds or ("Workload" in rule.kinds and kind in _WORKLOADS)


_WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}


def subjects(rule: Rule, target: Target, once: bool) -> Iterable[Any]:
    """The objects a rule looks at in ``target`` (``once``: Dockerfiles and the chart)."""
    if rule.profiles and target.profile not in rule.profiles:
        return
    if rule.app_specific and target.config is None:
        return
    if "Dockerfile" in rule.kinds or "HelmChart" in rule.kinds:
        if not once:
            return
        pool: list[Any] = []
        if "Dockerfile" in rule.kinds:
            pool += target.dockerfiles
        if "HelmChart" in rule.kinds and target.chart is not None:
            pool.append(target.chart)
    elif "Release" in rule.kinds:
        if once:
            return
        yield target
        return
    else:
        if once:
            return
        pool = [o for o in target.objects if _kinds_match(rule, o.kind)]
    for subject in pool:
        if rule.names and not any(fnmatchcase(subject.name, n) for n in rule.names):
            continue
        if rule.hooks == "exclude" and subject.is_hook:
            continue
        if rule.hooks == "only" and not subject.is_hook:
            continue
        if (
            rule.app_specific
            and rule.components != "any"
            and (subject.component not in rule.components)
        ):
            continue
        yield subject


def run_rule(rule: Rule, subject: Any, target: Target) -> Iterable[Violation]:
    params = rule.params_for(target.profile)
    if rule.check is not None:
        from .checks import registry

        yield from registry()[rule.check](target, subject, params)
        return
    yield from _schema_check(rule, subject)


def _schema_check(rule: Rule, obj: K8sObject) -> Iterable[Violation]:
    validator = rule.validator()
    units: list[tuple[tuple[Any, ...], Any, str | None]] = []
    if rule.subject == "object":
        units.append(((), obj.data, None))
    elif rule.subject == "podSpec":
        if obj.pod_spec is None:
            return
        units.append((obj.pod_spec_path or (), obj.pod_spec, None))
    else:
        for path, c in obj.containers(init=rule.init):
            units.append((path, c, str(c.get("name") or path[-1])))
    for base, data, container in units:
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
            where = f'{obj.ref} container "{container}"' if container else obj.ref
            detail = _describe_error(err)
            msg = (rule.message or "{where}: {detail}").format(
                where=where, detail=detail, ref=obj.ref, container=container, name=obj.name
            )
            yield Violation(msg, (*base, *err.absolute_path), container)


def _describe_error(err: Any) -> str:
    path = ".".join(str(p) for p in err.absolute_path)
    if err.validator == "required":
        return err.message + (f" in {path}" if path else "")
    return f"{path}: {err.message}" if path else err.message


def display_path(path: str | None) -> str | None:
    """A path relative to the working directory when it lies under it."""
    import os

    if not path or not os.path.isabs(path):
        return path
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _to_finding(rule: Rule, v: Violation, subject: Any, target: Target) -> Finding:
    obj = v.subject if v.subject is not None else subject
    line = v.line if v.line is not None else obj.line_of(v.path)
    message = v.message
    if target.profile and not isinstance(obj, Dockerfile | ChartInfo):
        message = f"{message} (profile {target.profile})"
    return Finding(
        rule=v.rule or rule.id,
        severity=v.severity or rule.severity,
        kind=obj.kind,
        namespace=obj.namespace,
        name=obj.name,
        container=v.container,
        file=display_path(obj.file),
        line=line,
        message=message,
        remediation=rule.remediation,
        profile=target.profile if not isinstance(obj, Dockerfile | ChartInfo) else None,
    )


@dataclass
class Result:
    """Findings plus what was checked: rules applied and (rule, object) pairs."""

    findings: list[Finding]
    rules: list[Rule]
    applied: set[str]
    pairs: list[tuple[str, str]]
    objects: int
    dockerfiles: int

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error" and not f.waived]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


def evaluate(
    rules: list[Rule], targets: list[Target], waivers: list[Waiver] | None = None
) -> Result:
    """Findings for every rule over every target, with waivers applied."""
    findings: list[Finding] = []
    applied: set[str] = set()
    pairs: dict[tuple[str, str], None] = {}
    for i, target in enumerate(targets):
        for rule in rules:
            for once in (True, False) if i == 0 else (False,):
                for subject in subjects(rule, target, once):
                    applied.add(rule.id)
                    pairs[(rule.id, subject.ref)] = None
                    for v in run_rule(rule, subject, target):
                        findings.append(_to_finding(rule, v, subject, target))
    apply_waivers(findings, targets, waivers or [])
    dockerfiles = {id(d) for t in targets for d in t.dockerfiles}
    return Result(
        findings=_dedupe(findings),
        rules=rules,
        applied=applied,
        pairs=list(pairs),
        objects=sum(len(t.objects) for t in targets),
        dockerfiles=len(dockerfiles),
    )


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding when several profiles produce the same one at the same place."""
    seen: dict[tuple, Finding] = {}
    for f in findings:
        key = (
            f.rule,
            f.kind,
            f.namespace,
            f.name,
            f.container,
            f.file,
            f.line,
            f.message.rsplit(" (profile ", 1)[0],
        )
        if key in seen:
            prev = seen[key]
            if prev.profile and f.profile and f.profile not in prev.message:
                prev.message = prev.message[:-1] + f", {f.profile})"
            continue
        seen[key] = f
    return list(seen.values())


def apply_waivers(findings: list[Finding], targets: list[Target], waivers: list[Waiver]) -> None:
    by_ref: dict[tuple[str, str], dict[str, Any]] = {}
    for t in targets:
        for o in t.objects:
            by_ref.setdefault((o.kind, o.name), o.annotations)
    day = today()
    for f in findings:
        if f.rule == "waiver-without-reason":
            continue
        reasons = annotation_waivers(by_ref.get((f.kind, f.name), {}))
        reason = reasons.get(f.rule)
        if reason:
            f.waived, f.waiver_reason = True, reason
            continue
        for w in waivers:
            if w.expires >= day and w.matches(f.rule, f.kind, f.name, f.file, f.profile):
                f.waived, f.waiver_reason = True, f"{w.reason} (until {w.expires})"
                break
