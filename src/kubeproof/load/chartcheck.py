"""What makes helm render something other than the chart the user sees, named before rendering.

- ``.helmignore``: helm's rules are not git's. A ``!pattern`` line does not
  re-include; it makes helm ignore every path that does *not* match it, Chart.yaml
  included. A plain pattern can hide ``templates/`` or ``templates/tests/``.
- Dependencies declared in Chart.yaml (or requirements.yaml) but not vendored in
  ``charts/``: ``helm template`` refuses them, the in-process renderer silently
  renders without them.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError


@dataclass
class ChartProblem:
    """A cause found in the chart's files; ``blocking`` ones stop helm from rendering it."""

    message: str
    file: str
    line: int
    blocking: bool
    rule: str = "chart-render"


@dataclass
class _Pattern:
    text: str
    line: int
    negate: bool
    must_dir: bool
    pattern: str

    def match(self, rel: str) -> bool:
        pat = self.pattern
        if pat.startswith("/"):
            return fnmatch.fnmatchcase(rel, pat.lstrip("/"))
        if "/" in pat:
            return fnmatch.fnmatchcase(rel, pat.replace("**/", "*"))
        return fnmatch.fnmatchcase(Path(rel).name, pat)


def _patterns(text: str) -> list[_Pattern]:
    out = []
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        body = line[1:] if negate else line
        must_dir = body.endswith("/")
        out.append(_Pattern(line, i, negate, must_dir, body.rstrip("/") or body))
    return out


def ignored_by(patterns: list[_Pattern], rel: str, is_dir: bool) -> _Pattern | None:
    """The .helmignore line that makes helm ignore ``rel`` (helm's pkg/ignore semantics)."""
    for p in patterns:
        if p.negate:
            if (p.must_dir and not is_dir) or not p.match(rel):
                return p
            continue
        if p.must_dir and not is_dir:
            continue
        if p.match(rel):
            return p
    return None


def _ignored_path(patterns: list[_Pattern], rel: str, is_dir: bool) -> _Pattern | None:
    """Like helm's walk: a path is ignored when it or any parent directory is."""
    parts = Path(rel).parts
    for i in range(1, len(parts) + 1):
        sub = "/".join(parts[:i])
        hit = ignored_by(patterns, sub, is_dir or i < len(parts))
        if hit is not None:
            return hit
    return None


def helm_ignores(chart_dir: str, rel: str, is_dir: bool = False) -> bool:
    """Whether the chart's .helmignore hides ``rel`` from helm (e.g. values.schema.json)."""
    try:
        text = Path(chart_dir, ".helmignore").read_text()
    except OSError:
        return False
    return _ignored_path(_patterns(text), rel, is_dir) is not None


def helmignore_problems(chart_dir: str) -> list[ChartProblem]:
    path = Path(chart_dir, ".helmignore")
    try:
        text = path.read_text()
    except OSError:
        return []
    patterns = _patterns(text)
    problems: list[ChartProblem] = []
    for rel, is_dir in (("Chart.yaml", False), ("values.yaml", False), ("templates", True)):
        if rel == "values.yaml" and not Path(chart_dir, rel).exists():
            continue
        hit = _ignored_path(patterns, rel, is_dir)
        if hit is None:
            continue
        if hit.negate:
            why = (
                f"`{hit.text}` makes helm ignore every file that does not match "
                f"{hit.pattern}, {rel} included (in .helmignore a `!` line does not "
                f"re-include, it excludes everything else): remove it"
            )
        else:
            why = f"`{hit.text}` hides {rel} from helm"
        problems.append(ChartProblem(f"{path}:{hit.line}: {why}", str(path), hit.line, True))
        return problems  # the first one is the cause
    tests = Path(chart_dir, "templates", "tests")
    if tests.is_dir():
        hit = _ignored_path(patterns, "templates/tests", True)
        if hit is not None:
            problems.append(
                ChartProblem(
                    f"{path}:{hit.line}: `{hit.text}` hides templates/tests from helm, so "
                    f"`helm test` finds no test pod: narrow the pattern (e.g. /tests/)",
                    str(path),
                    hit.line,
                    False,
                    rule="helmignore-hides-tests",
                )
            )
    return problems


def dependency_problems(chart_dir: str) -> list[ChartProblem]:
    """Declared dependencies with nothing in ``charts/``: run ``helm dependency build``."""
    from .yamlsrc import load_yaml_mapping, plain

    problems = []
    for name in ("Chart.yaml", "requirements.yaml"):
        path = Path(chart_dir, name)
        try:
            data, lines = load_yaml_mapping(path.read_text(), str(path))
        except (OSError, InputError):
            continue
        deps = plain(data).get("dependencies")
        if not isinstance(deps, list):
            continue
        vendored = {p.name for p in Path(chart_dir, "charts").glob("*")}
        for i, dep in enumerate(deps):
            if not isinstance(dep, dict) or not dep.get("name"):
                continue
            dname = str(dep["name"])
            if dname in vendored or any(
                v.startswith(f"{dname}-") and v.endswith(".tgz") for v in vendored
            ):
                continue
            line = lines(("dependencies", i))
            repo = f" from {dep['repository']}" if dep.get("repository") else ""
            problems.append(
                ChartProblem(
                    f"{path}:{line}: the dependency {dname}{repo} is declared but not in "
                    f"{Path(chart_dir, 'charts')}/: run `helm dependency build {chart_dir}`",
                    str(path),
                    line,
                    True,
                )
            )
    return problems


def chart_problems(chart_dir: str) -> list[ChartProblem]:
    """Every cause found in the chart's files, blocking ones first."""
    found = helmignore_problems(chart_dir) + dependency_problems(chart_dir)
    return sorted(found, key=lambda p: not p.blocking)
