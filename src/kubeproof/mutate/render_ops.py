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


def values_keys(pattern: str, types: tuple[type, ...] = (str, int)):
    """Parts for a values operator: the path of every values.yaml leaf whose last key
    matches ``pattern`` and whose value has one of ``types`` (one mutant, one render,
    per value; lists such as imagePullSecrets and flags such as
    automountServiceAccountToken are not what the operator means)."""
    key = re.compile(pattern)

    def parts(chart: Any) -> list[tuple[str, ...]]:
        return [
            p
            for p, v in _leaves(chart.values)
            if p and key.fullmatch(p[-1]) and isinstance(v, types) and not isinstance(v, bool)
        ]

    return parts


def _set(m: Mut, value: str, *, string: bool = False) -> bool:
    (m.set_strings if string else m.sets).append(f"{'.'.join(m.variant)}={value}")
    return True


@operator(
    "values-pull-policy-always",
    rules=["image-pull-policy", CHART_RENDER],
    scope="render",
    profiles=["minikube"],
    parts=values_keys(r"(?i).*pullPolicy", (str,)),
)
def values_pull_policy_always(m: Mut) -> bool:
    """Set a `*pullPolicy` value to Always (each in turn)."""
    return _set(m, "Always")


@operator(
    "values-image-tag-latest",
    rules=["image-tag-pinned", CHART_RENDER],
    scope="render",
    profiles=["production"],
    parts=values_keys(r"(?i)(image)?tag"),
)
def values_image_tag_latest(m: Mut) -> bool:
    """Set an image `tag` value to latest (each in turn)."""
    return _set(m, "latest", string=True)


@operator(
    "values-replicas-zero",
    rules=["replicas-min", CHART_RENDER],
    scope="render",
    parts=values_keys(r"(?i)replica(s|Count)", (int,)),
)
def values_replicas_zero(m: Mut) -> bool:
    """Set a `replicaCount`/`replicas` value to 0 (each in turn)."""
    return _set(m, "0")


@operator(
    "values-run-as-user-root",
    rules=["run-as-user-numeric", CHART_RENDER],
    also=["image-user-matches-pod"],
    scope="render",
    parts=values_keys(r"runAsUser", (int,)),
)
def values_run_as_user_root(m: Mut) -> bool:
    """Set a `runAsUser` value to 0 (each in turn)."""
    return _set(m, "0")


@operator(
    "values-health-path-changed",
    rules=["probe-health-path", "healthcheck-matches-probe", CHART_RENDER],
    also=["test-pod-reaches-services"],
    scope="render",
    parts=values_keys(r"(?i)(health|probe|liveness|readiness)Path", (str,)),
)
def values_health_path_changed(m: Mut) -> bool:
    """Point a health/probe path value elsewhere (each in turn)."""
    return _set(m, "/mutated")


_SECRET_KEY = r"(?i)(?!.*(existing|name))(.*(password|secret|token|api_?key|apikey).*)"


@operator(
    "values-secret-real",
    rules=["values-no-secrets"],
    also=["secret-looks-real", CHART_RENDER],
    scope="render",
    parts=values_keys(_SECRET_KEY, (str,)),
)
def values_secret_real(m: Mut) -> bool:
    """Commit a real-looking API key in values.yaml for a secret-named value (each in turn)."""
    from ..load.yamlsrc import load_yaml_mapping

    path = Path(m.chart_dir, "values.yaml")
    text = path.read_text()
    _, line_of = load_yaml_mapping(text, str(path))
    lines = text.splitlines(keepends=True)
    n = line_of(m.variant) - 1
    key = re.escape(m.variant[-1])
    new = re.sub(rf"^(\s*{key}\s*:\s*).*$", rf'\g<1>"{FAKE_API_KEY}"', lines[n])
    if new == lines[n]:
        return False
    lines[n] = new
    path.write_text("".join(lines))
    return True
