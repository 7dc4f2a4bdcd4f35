"""Operators over the chart's files that need a new render: ``.helmignore`` and values.

Each works on a copy of the chart directory (``m.chart_dir``) and may add ``--set``
overrides (``m.sets``, typed as helm parses them; ``m.set_strings`` for strings).
The chart is rendered again for every profile with the same inputs; a render the
chart refuses (values.schema.json, a template's ``fail``) is the chart's own guard
catching the mutant (rule ``chart-render``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .object_ops import FAKE_API_KEY
from .operators import Mut, operator

#: What a refused render reports (not a policy file: the chart itself said no).
CHART_RENDER = "chart-render"


def _append_helmignore(m: Mut, line: str) -> bool:
    path = Path(m.chart_dir, ".helmignore")
    text = path.read_text() if path.exists() else ""
    path.write_text(text + ("" if not text or text.endswith("\n") else "\n") + line + "\n")
    return True


@operator(
    "helmignore-hides-tests",
    rules=["test-pod-present"],
    also=["helmignore-hides-tests", "test-pod-reaches-services"],
    scope="render",
)
def helmignore_hides_tests(m: Mut) -> bool:
    """Add `tests/` to .helmignore: helm drops templates/tests, `helm test` finds nothing."""
    if not Path(m.chart_dir, "templates", "tests").is_dir():
        return False
    return _append_helmignore(m, "tests/")


@operator("helmignore-hides-schema", rules=["chart-values-schema"], scope="render")
def helmignore_hides_schema(m: Mut) -> bool:
    """Add `*.json` to .helmignore: helm stops validating values against values.schema.json."""
    if not Path(m.chart_dir, "values.schema.json").is_file():
        return False
    return _append_helmignore(m, "*.json")


@operator("helmignore-negation", rules=[CHART_RENDER], also=["chart-values-schema"], scope="render")
def helmignore_negation(m: Mut) -> bool:
    """Add `!templates/` to .helmignore (it excludes everything else, Chart.yaml included)."""
    return _append_helmignore(m, "!templates/")


def _leaves(values: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(values, dict):
        for k, v in values.items():
            yield from _leaves(v, (*path, str(k)))
    else:
        yield path, values


def _set_every(m: Mut, key: re.Pattern[str], value: str, *, string: bool = False) -> bool:
    """A --set of ``value`` for every values.yaml leaf whose last key matches ``key``."""
    paths = [".".join(p) for p, _ in _leaves(m.values) if p and key.fullmatch(p[-1])]
    for p in paths:
        (m.set_strings if string else m.sets).append(f"{p}={value}")
    return bool(paths)


@operator(
    "values-pull-policy-always",
    rules=["image-pull-policy", CHART_RENDER],
    scope="render",
    profiles=["minikube"],
)
def values_pull_policy_always(m: Mut) -> bool:
    """Set every `*pullPolicy` value to Always."""
    return _set_every(m, re.compile(r"(?i).*pullPolicy"), "Always")


@operator(
    "values-image-tag-latest",
    rules=["image-tag-pinned", CHART_RENDER],
    scope="render",
    profiles=["production"],
)
def values_image_tag_latest(m: Mut) -> bool:
    """Set every image `tag` value to latest."""
    return _set_every(m, re.compile(r"(?i)(image)?tag"), "latest", string=True)


@operator("values-replicas-zero", rules=["replicas-min", CHART_RENDER], scope="render")
def values_replicas_zero(m: Mut) -> bool:
    """Set every `replicaCount`/`replicas` value to 0."""
    return _set_every(m, re.compile(r"(?i)replica(s|Count)"), "0")


@operator(
    "values-run-as-user-root",
    rules=["run-as-user-numeric", CHART_RENDER],
    also=["image-user-matches-pod"],
    scope="render",
)
def values_run_as_user_root(m: Mut) -> bool:
    """Set every `runAsUser` value to 0."""
    return _set_every(m, re.compile(r"runAsUser"), "0")


@operator(
    "values-health-path-changed",
    rules=["probe-health-path", "healthcheck-matches-probe", CHART_RENDER],
    also=["test-pod-reaches-services"],
    scope="render",
)
def values_health_path_changed(m: Mut) -> bool:
    """Point every health/probe path value elsewhere."""
    return _set_every(m, re.compile(r"(?i)(health|probe|liveness|readiness)Path"), "/mutated")


@operator(
    "values-secret-real",
    rules=["values-no-secrets"],
    also=["secret-looks-real", CHART_RENDER],
    scope="render",
)
def values_secret_real(m: Mut) -> bool:
    """Commit a real-looking API key in values.yaml for every secret-named string value."""
    from ..load.yamlsrc import load_yaml_mapping

    path = Path(m.chart_dir, "values.yaml")
    if not path.exists():
        return False
    text = path.read_text()
    _, line_of = load_yaml_mapping(text, str(path))
    key = re.compile(r"(?i).*(password|secret|token|api_?key|apikey).*")
    lines = text.splitlines(keepends=True)
    changed = False
    for p, v in _leaves(m.values):
        if not p or not key.fullmatch(p[-1]) or not isinstance(v, str):
            continue
        if "existing" in p[-1].lower() or "name" in p[-1].lower():
            continue  # the name of a Secret, not a secret
        n = line_of(p) - 1
        new = re.sub(rf"^(\s*{re.escape(p[-1])}\s*:\s*).*$", rf'\g<1>"{FAKE_API_KEY}"', lines[n])
        changed |= new != lines[n]
        lines[n] = new
    path.write_text("".join(lines))
    return changed
