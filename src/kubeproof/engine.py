"""Evaluate rules over a set of inputs and produce findings (with waivers applied)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any

from .model import (
    INPUT_KINDS,
    KIND_GROUPS,
    ChartInfo,
    Dockerfile,
    Finding,
    K8sObject,
    Result,
    Target,
    Violation,
)
from .policy import Rule
from .waivers import Waiver, annotation_waivers, today


def _kinds_match(rule: Rule, kind: str) -> bool:
    if not rule.kinds:
        return kind not in INPUT_KINDS
    return kind in rule.kinds or any(kind in KIND_GROUPS.get(k, ()) for k in rule.kinds)


def subjects(rule: Rule, target: Target, once: bool) -> Iterable[Any]:
    """The objects a rule looks at in ``target`` (``once``: Dockerfiles and the chart)."""
    if rule.profiles and target.profile not in rule.profiles:
        return
    if rule.app_specific and target.config is None:
        return
    if target.render_error is not None and not once:
        return  # nothing rendered: object and release rules have nothing to look at
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
        pool = target.where_kind(lambda kind: _kinds_match(rule, kind))
    for subject in pool:
        if rule.names and not any(fnmatchcase(subject.name, n) for n in rule.names):
            continue
        if rule.hooks == "exclude" and subject.is_hook:
            continue
        if rule.hooks == "only" and not subject.is_hook:
            continue
        if rule.app_specific and (
            subject.component not in rule.components
            if rule.components != "any"
            # "any": objects of some component (a database no component claims is not
            # the app's); test pods and chart metadata belong to the whole app
            else subject.component is None
            and not subject.is_test_hook
            and subject.kind != "HelmChart"
        ):
            continue
        yield subject


@cache
def _checks() -> dict[str, Any]:
    from .checks import registry

    return registry()


def run_rule(rule: Rule, subject: Any, target: Target) -> Iterable[Violation]:
    params = rule.params_for(target.profile)
    if rule.check is not None:
        yield from _checks()[rule.check](target, subject, params)
        return
    yield from _schema_check(rule, subject)


def _schema_check(rule: Rule, obj: K8sObject) -> Iterable[Violation]:
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
    fast = rule.compiled()
    for base, data, container in units:
        if fast is not None and fast.is_valid(data):
            continue  # jsonschema (slower) only names the errors of what jsonschema-rs refused
        errors = rule.validator().iter_errors(data)
        for err in sorted(errors, key=lambda e: list(map(str, e.path))):
            where = f'{obj.ref} container "{container}"' if container else obj.ref
            detail = _describe_error(err)
            msg = (rule.message or "{where}: {detail}").format(
                where=where, detail=detail, ref=obj.ref, container=container, name=obj.name
            )
            yield Violation(msg, (*base, *err.absolute_path), container)


def _describe_error(err: Any) -> str:
    """A JSON Schema error in Kubernetes and YAML words: "missing `securityContext`",
    "`privileged` is true; expected false"."""
    from .checks.util import yaml_scalar

    path = ".".join(str(p) for p in err.absolute_path)
    where = f" in {path}" if path else ""
    if err.validator == "required":
        missing = [f"`{k}`" for k in err.validator_value if k not in (err.instance or {})]
        return f"missing {', '.join(missing[:1] or ['a required field'])}{where}"
    field = f"`{path}`" if path else "the value"
    got = yaml_scalar(err.instance)
    if err.validator == "const":
        return f"{field} is {got}; expected {yaml_scalar(err.validator_value)}"
    if err.validator == "enum":
        wanted = " or ".join(yaml_scalar(v) for v in err.validator_value)
        return f"{field} is {got}; expected {wanted}"
    if err.validator == "contains":
        want = err.validator_value
        want = want.get("const", want) if isinstance(want, dict) else want
        return f"{field} is {got}; expected it to contain {yaml_scalar(want)}"
    if err.validator == "type":
        return f"{field} is {got}; expected a {err.validator_value}"
    return f"{path}: {err.message}" if path else err.message


def _profiles(target: Target, subject: Any) -> tuple[str, ...]:
    """The profile a finding on ``subject`` holds for: the target's, except on a Dockerfile
    or the chart's metadata (the same in every profile)."""
    per_profile = target.profile and not isinstance(subject, Dockerfile | ChartInfo)
    return (target.profile,) if per_profile else ()


def _to_finding(rule: Rule, v: Violation, subject: Any, target: Target) -> Finding:
    obj = v.subject if v.subject is not None else subject
    line = v.line if v.line is not None else obj.line_of(v.path)
    return Finding.on(
        obj,
        rule=v.rule or rule.id,
        severity=v.severity or rule.severity,
        container=v.container,
        line=line,
        message=v.message,
        remediation=rule.remediation,
        profiles=_profiles(target, obj),
    )


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
                    findings += _check(rule, subject, target)
    findings = _merge_profiles(apply_waivers(findings, targets, rules, waivers or []))
    dockerfiles = {id(d) for t in targets for d in t.dockerfiles}
    crashed = [f for f in findings if f.rule == CHECK_ERROR]
    problems = []
    if crashed:
        more = f" (and {len(crashed) - 1} more)" if len(crashed) > 1 else ""
        problems.append(
            f"{len(crashed)} check(s) could not run, reported as {CHECK_ERROR} findings: "
            f"{crashed[0].file}:{crashed[0].line}: {crashed[0].message}{more}"
        )
    return Result(
        findings=findings,
        rules=rules,
        applied=applied,
        pairs=list(pairs),
        objects=sum(len(t.objects) for t in targets),
        dockerfiles=len(dockerfiles),
        problems=problems,
    )


#: The rule id of a finding that says a check raised instead of judging an object.
CHECK_ERROR = "check-error"


def _check(rule: Rule, subject: Any, target: Target) -> list[Finding]:
    """The rule's findings on ``subject``; a check that raises yields one check-error."""
    try:
        return [_to_finding(rule, v, subject, target) for v in run_rule(rule, subject, target)]
    except Exception as err:  # a bug in a check, or input it did not foresee
        return [_check_error(rule, subject, target, err)]


def _check_error(rule: Rule, subject: Any, target: Target, err: Exception) -> Finding:
    import os
    import traceback

    frames = traceback.extract_tb(err.__traceback__)
    ours = [f for f in frames if f"{os.sep}kubeproof{os.sep}" in f.filename]
    frame = (ours or frames)[-1]  # the last line of kubeproof's own code that ran
    detail = " ".join(str(err).split())[:200]
    where = f"{Path(frame.filename).name}:{frame.lineno}"
    return Finding.on(
        subject,
        rule=CHECK_ERROR,
        severity="error",
        line=subject.line,
        message=f"rule {rule.id} could not check {subject.ref}: "
        f"{type(err).__name__}: {detail} (at {where})",
        remediation="A bug in kubeproof's check, or input it does not handle: please report "
        "it with the object; the other rules still ran.",
        profiles=_profiles(target, subject),
    )


def _merge_profiles(findings: list[Finding]) -> list[Finding]:
    """One finding when several profiles produce the same one at the same place (and waiver)."""
    seen: dict[tuple, Finding] = {}
    for f in findings:
        key = (f.rule, f.kind, f.namespace, f.name, f.container, f.file, f.line, f.message)
        key += (f.waived, f.waiver_reason)
        prev = seen.get(key)
        if prev is None:
            seen[key] = f
        elif f.profiles and prev.profiles:
            merged = prev.profiles + tuple(p for p in f.profiles if p not in prev.profiles)
            seen[key] = replace(prev, profiles=merged)
    return list(seen.values())


def apply_waivers(
    findings: list[Finding], targets: list[Target], rules: list[Rule], waivers: list[Waiver]
) -> list[Finding]:
    """The findings with those an annotation or a waivers.yaml entry waives marked waived.

    A waiver names a rule by its id or by one of its aliases (an id it had before).
    """
    names = {r.id: (r.id, *r.aliases) for r in rules}
    by_ref: dict[tuple[str, str], dict[str, Any]] = {}
    for t in targets:
        for o in t.objects:
            by_ref.setdefault((o.kind, o.name), o.annotations)
    day = today()
    out = []
    for f in findings:
        if f.rule not in ("waiver-without-reason", CHECK_ERROR):
            f = _waived(f, names.get(f.rule, (f.rule,)), by_ref, waivers, day)
        out.append(f)
    return out


def _waived(
    f: Finding,
    names: tuple[str, ...],
    by_ref: dict[tuple[str, str], dict[str, Any]],
    waivers: list[Waiver],
    day: Any,
) -> Finding:
    reasons = annotation_waivers(by_ref.get((f.kind, f.name), {}))
    reason = next((reasons[n] for n in names if reasons.get(n)), None)
    if reason:
        return replace(f, waived=True, waiver_reason=reason)
    profile = f.profiles[0] if f.profiles else None  # one until profiles merge
    for w in waivers:
        if w.expires >= day and any(w.matches(n, f.kind, f.name, f.file, profile) for n in names):
            return replace(f, waived=True, waiver_reason=f"{w.reason} (until {w.expires})")
    return f
