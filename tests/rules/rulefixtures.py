"""Rule fixtures: a clean base app plus, per rule, patches that keep it clean or break it.

``base/`` holds a small app that every rule passes (manifests for the
minikube profile, a patch for production, two Dockerfiles, chart metadata and
its kubeproof.yaml). ``fixtures/<rule-id>.yaml`` lists ``pass`` and
``fail`` cases, each a patch on that base:

- ``profile``: minikube (default) or production
- ``set: {Kind/name: {path: value}}``, ``remove: {Kind/name: [path]}``,
  ``add: [object]``, ``delete: [Kind/name]``; a path is dotted
  (``spec.ports.0.port``) with ``[key.with.dots]`` for keys holding dots
- ``dockerfile: {component: [[old, new], ...]}``: text replacements
- ``config: {path: value}`` on kubeproof.yaml (null deletes); ``config: null`` drops it
- ``chart: {path: value}`` on Chart.yaml; ``values: {path: value}`` on its values.yaml;
  ``values_schema: false``
- ``waive: [rule]``: waivers for rules the same defect also trips by design
- ``expect``: a substring of the rule's message
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from kubeproof.checks.dockerfiles import start_hadolint
from kubeproof.config import AppConfig, load_config
from kubeproof.engine import evaluate
from kubeproof.load.chart import chart_info
from kubeproof.load.dockerfile import parse_dockerfile
from kubeproof.load.yamlsrc import load_manifests
from kubeproof.model import Dockerfile, K8sObject, Result, Target
from kubeproof.policy import Rule, load_rules
from kubeproof.waivers import Waiver

ROOT = Path(__file__).resolve().parents[2]
BASE = Path(__file__).parent / "base"
RULE_FIXTURES = Path(__file__).parent / "fixtures"
POLICIES = ROOT / "policies"
_PART = re.compile(r"\[([^\]]+)\]|([^.\[\]]+)")


@cache
def rules() -> tuple[Rule, ...]:
    return tuple(load_rules(str(POLICIES)))


def fixture_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted(RULE_FIXTURES.glob("*.yaml"))}


def cases() -> list[tuple[str, str, int, dict[str, Any]]]:
    """(rule, "pass"|"fail", index, case) for every fixture case (a copy: read once)."""
    return copy.deepcopy(_cases())


@cache
def _cases() -> list[tuple[str, str, int, dict[str, Any]]]:
    out = []
    for rule, path in fixture_files().items():
        data = yaml.load(path.read_text(), Loader=yaml.CSafeLoader) or {}
        for outcome in ("pass", "fail"):
            for i, case in enumerate(data.get(outcome) or []):
                out.append((rule, outcome, i, case or {}))
    return out


def parse_path(path: str | list[Any]) -> list[Any]:
    if isinstance(path, list):
        return path
    parts: list[Any] = []
    for m in _PART.finditer(path):
        part = m.group(1) or m.group(2)
        parts.append(int(part) if m.group(2) and part.isdigit() else part)
    return parts


def set_path(data: Any, path: str | list[Any], value: Any) -> None:
    parts = parse_path(path)
    for part in parts[:-1]:
        if isinstance(data, dict) and part not in data:
            data[part] = {}
        data = data[part]
    if value is None and isinstance(data, dict):
        data.pop(parts[-1], None)
    else:
        data[parts[-1]] = value


def remove_path(data: Any, path: str | list[Any]) -> None:
    parts = parse_path(path)
    for part in parts[:-1]:
        data = data[part]
    del data[parts[-1]]


def patch_objects(objects: list[K8sObject], patch: dict[str, Any]) -> list[K8sObject]:
    by_ref = {o.ref: o for o in objects}
    for ref, sets in (patch.get("set") or {}).items():
        for path, value in sets.items():
            set_path(by_ref[ref].data, path, copy.deepcopy(value))
    for ref, paths in (patch.get("remove") or {}).items():
        for path in paths:
            remove_path(by_ref[ref].data, path)
    gone = set(patch.get("delete") or [])
    objects = [o for o in objects if o.ref not in gone]
    for data in patch.get("add") or []:
        objects.append(K8sObject(data=copy.deepcopy(data), file="<fixture>", line=1))
    return objects


@cache
def _base_objects() -> tuple[K8sObject, ...]:
    text = (BASE / "minikube.yaml").read_text()
    return tuple(load_manifests(text, str(BASE / "minikube.yaml")))


@cache
def _base_config() -> AppConfig:
    return load_config(str(BASE / "kubeproof.yaml"))


@cache
def _production_patch() -> dict[str, Any]:
    return yaml.safe_load((BASE / "production.yaml").read_text())


@cache
def _base_chart() -> Any:
    return chart_info(str(BASE / "chart"))


@cache
def _base_dockerfile(comp: str) -> str:
    return (BASE / f"{comp}.Dockerfile").read_text()


def case_dockerfiles(case: dict[str, Any]) -> list[Dockerfile]:
    """The base app's two Dockerfiles with the case's text replacements."""
    dockerfiles = []
    for comp in ("web", "api"):
        path = BASE / f"{comp}.Dockerfile"
        dtext = _base_dockerfile(comp)
        for old, new in (case.get("dockerfile") or {}).get(comp, []):
            assert old in dtext, f"fixture replaces {old!r}, not in {path.name}"
            dtext = dtext.replace(old, new)
        dockerfiles.append(parse_dockerfile(dtext, str(path)))
    return dockerfiles


@cache
def hadolint_starter(index: int) -> Callable[[], None]:
    """A function that starts hadolint on case ``index``'s Dockerfiles in the background
    (the same function each time: tests/background.py's prestart calls it once). The
    hadolint check finds the result waiting, cached by Dockerfile text and config."""
    return lambda: start_hadolint(case_dockerfiles(_cases()[index][3]))


def start_all_hadolint() -> None:
    for i in range(len(_cases())):
        hadolint_starter(i)()


def build(case: dict[str, Any]) -> tuple[list[Target], list[Waiver]]:
    profile = case.get("profile", "minikube")
    config: AppConfig | None = copy.deepcopy(_base_config())
    if "config" in case and case["config"] is None:
        config = None
    elif config is not None:
        for path, value in (case.get("config") or {}).items():
            set_path(config.data, path, copy.deepcopy(value))
        config.components = config.data["components"]
    objects = [copy.copy(o) for o in _base_objects()]
    for o in objects:
        o.data = copy.deepcopy(o.data)
    if profile == "production":
        objects = patch_objects(objects, copy.deepcopy(_production_patch()))
    objects = patch_objects(objects, case)
    dockerfiles = case_dockerfiles(case)
    chart = copy.deepcopy(_base_chart())
    for path, value in (case.get("chart") or {}).items():
        set_path(chart.data, path, value)
    for path, value in (case.get("values") or {}).items():
        set_path(chart.values, path, value)
    if case.get("values_schema") is False:
        chart.has_values_schema = False
    target = Target(
        objects=objects, dockerfiles=dockerfiles, chart=chart, config=config, profile=profile
    )
    waivers = [
        Waiver(rule=r, reason="the fixture isolates another rule", expires=dt.date(2999, 1, 1))
        for r in case.get("waive") or []
    ]
    return [target], waivers


_RESULTS: dict[str, Result] = {}


def run_case(case: dict[str, Any]) -> Result:
    """Every rule's Result on the base app patched by ``case``, evaluated once per session:
    the rule fixture tests and the golden findings ask for the same cases."""
    key = json.dumps(case, sort_keys=True, default=repr)
    if key not in _RESULTS:
        targets, waivers = build(case)
        _RESULTS[key] = evaluate(list(rules()), targets, waivers)
    return _RESULTS[key]
