"""Charts: metadata, and rendering with a values profile through the helm CLI or in-process."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, RenderError
from ..model import DEFAULT_RENDERER, ChartInfo, K8sObject, deep_merge
from .files import read_input
from .yamlsrc import load_manifests, load_yaml_mapping, plain

_TEMPLATE_POS = re.compile(
    r"(?:template: |execution error at \(|parse error at \(|^)"
    r"([^\s:()]+\.(?:yaml|yml|tpl|txt|json)):(\d+)(?::(\d+))?\)?"
)
_NIL_VALUE = re.compile(r"at <(\.Values(?:\.[\w-]+)+)>: nil pointer evaluating [^.]*\.([\w-]+)")

DEFAULT_NAMESPACE = "default"


def chart_info(chart_dir: str) -> ChartInfo:
    from .chartcheck import helm_ignores

    path = Path(chart_dir, "Chart.yaml")
    if not path.exists():
        raise InputError(f"{chart_dir} is not a chart: no {path}")
    text = read_input(path, "chart metadata")
    values: dict[str, Any] = {}
    values_lines = None
    repeats: list[tuple[str, int, int]] = []
    if Path(chart_dir, "values.yaml").exists():  # helm reads it; fail as clearly as for --values
        vtext = read_input(Path(chart_dir, "values.yaml"), "chart values")
        found: list = []
        try:  # comments only, or broken: the render says so, with helm's words
            vdata, values_lines = load_yaml_mapping(
                vtext, str(Path(chart_dir, "values.yaml")), found
            )
            values = plain(vdata)
        except InputError:
            pass
        repeats = repeated_keys(found)
    data, lines = load_yaml_mapping(text, str(path))
    return ChartInfo(
        dir=chart_dir,
        data=plain(data),
        file=str(path),
        # helm neither packages nor validates against a schema its .helmignore hides
        has_values_schema=Path(chart_dir, "values.schema.json").is_file()
        and not helm_ignores(chart_dir, "values.schema.json"),
        lines=lines,
        values=values,
        values_lines=values_lines,
        values_repeats=repeats,
    )


def repeated_keys(found: list) -> list[tuple[str, int, int]]:
    """(key, line, line of its first occurrence), 1-based, of each key a values file
    repeats (``load_plain``'s collected duplicates)."""
    out = []
    for node, key, line in found:
        first = next((k.start_mark.line for k, _ in node.value if k.value == str(key)), line)
        out.append((str(key), line + 1, first + 1))
    return out


def values_files(files: list[str]) -> tuple[tuple[str, dict[str, Any], Any, list], ...]:
    """(file, mapping, line lookup, repeated keys) of each values file that reads as a
    mapping; one that does not is left to the render, which says why in helm's words."""
    out = []
    for f in dict.fromkeys(files):
        found: list = []
        try:
            data, lines = load_yaml_mapping(read_input(f, "values file"), f, found)
        except InputError:
            continue
        out.append((f, plain(data), lines, repeated_keys(found)))
    return tuple(out)


def read_values(files: list[str]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for f in files:
        text = read_input(f, "values file")
        if not text.strip():
            continue
        data, _ = load_yaml_mapping(text, f, [])  # a repeated key: the last wins, as in helm
        merged = deep_merge(merged, plain(data))
    return merged


def _describe(chart_dir: str, values: list[str]) -> str:
    with_values = f" with {', '.join(values)}" if values else ""
    return f"rendering {chart_dir}{with_values}"


def _render_error(chart_dir: str, values: list[str], message: str) -> RenderError:
    """One line naming the template file:line (the user's path) and, for a nil pointer,
    the values key the template reads."""
    message = " ".join(message.replace("Error: ", "").split())
    message = message.replace(" Use --debug flag to render out invalid YAML", "")
    nil = _NIL_VALUE.search(message)
    m = _TEMPLATE_POS.search(message)
    if m:
        tfile = Path(chart_dir, *Path(m.group(1)).parts[1:])
        tail = message[m.end() :].lstrip(": ")
        if nil:
            key = nil.group(1)[len(".Values.") :]
            parent = key.rsplit(".", 1)[0] if "." in key else key
            tail = (
                f"reads the value `{key}`, but `{parent}` is not set in values.yaml "
                f"or the values given (nil pointer)"
            )
        tail = re.sub(r"^executing \"[^\"]*\" at <[^>]*>: ", "", tail)
        return RenderError(f"{_describe(chart_dir, values)}: {tfile}:{m.group(2)}: {tail}")
    return RenderError(f"{_describe(chart_dir, values)}: {message}")


@dataclass
class RenderOptions:
    """What ``helm install``/``helm template`` take besides the chart: values files,
    ``--set``/``--set-string`` expressions, release name, namespace, Kubernetes version.

    The release defaults to the chart's name, the
    name most charts' READMEs install under (``helm install todo-chatbot ./chart``),
    rather than ``helm template``'s ``release-name``.
    """

    values: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)
    set_strings: list[str] = field(default_factory=list)
    release: str | None = None
    namespace: str = DEFAULT_NAMESPACE
    kube_version: str | None = None

    def release_for(self, chart_dir: str) -> str:
        return self.release or chart_info(chart_dir).name


def set_overrides(sets: list[str], set_strings: list[str]) -> dict[str, Any]:
    """``--set`` then ``--set-string`` expressions merged in helm's order, parsed by helm's
    own strvals parser (helm-python-sdk)."""
    if not sets and not set_strings:
        return {}
    try:
        import helm_python as helm
    except (ImportError, OSError) as err:
        raise RenderError(f"helm-python-sdk unavailable to parse --set: {err}") from err
    merged: dict[str, Any] = {}
    for flag, parse, exprs in (
        ("--set", helm.parse_set_string, sets),
        ("--set-string", helm.parse_set_string_values, set_strings),
    ):
        for expr in exprs:
            try:
                merged = deep_merge(merged, parse(expr))
            except helm.HelmError as err:
                raise InputError(f"{flag} {expr}: {err}") from err
    return merged


def render_cli(
    chart_dir: str,
    values: list[str],
    release: str,
    namespace: str = DEFAULT_NAMESPACE,
    kube_version: str | None = None,
    sets: list[str] | None = None,
    set_strings: list[str] | None = None,
) -> str:
    """``helm template`` output (the reference renderer)."""
    helm = shutil.which("helm")
    if helm is None:
        raise RenderError("helm CLI not on PATH (install: scripts/install-helm.sh)")
    cmd = [helm, "template", release, chart_dir, "--namespace", namespace]
    for v in values:
        cmd += ["--values", v]
    for flag, exprs in (("--set", sets or []), ("--set-string", set_strings or [])):
        for expr in exprs:
            cmd += [flag, expr]
    if kube_version:
        cmd += ["--kube-version", kube_version]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise _render_error(chart_dir, values, proc.stderr.strip() or "helm template failed")
    return proc.stdout


def render_inprocess(
    chart_dir: str,
    values: list[str],
    release: str,
    namespace: str = DEFAULT_NAMESPACE,
    overrides: dict[str, Any] | None = None,
) -> str:
    """The same stream ``helm template`` prints, rendered in-process by helm-python-sdk."""
    try:
        import helm_python as helm
    except (ImportError, OSError) as err:  # the native library may be missing
        raise RenderError(f"helm-python-sdk unavailable: {err}") from err
    user_values = deep_merge(read_values(values), overrides or {})
    try:
        with helm.Chart.load(chart_dir) as chart:
            chart.validate_schema(chart.merge_values(user_values))
            rendered = chart.render(user_values, name=release, namespace=namespace, is_install=True)
    except helm.HelmError as err:
        raise _render_error(chart_dir, values, str(err)) from err
    parts = []
    for name in sorted(rendered):
        text = rendered[name]
        if not name.endswith((".yaml", ".yml", ".json")) or not text.strip():
            continue
        for doc in re.split(r"(?m)^---\s*$", text):
            if doc.strip():
                parts.append(f"---\n# Source: {name}\n{doc.strip()}\n")
    return "".join(parts)


def _reads_capabilities(chart_dir: str) -> bool:
    """Whether a template (or a vendored subchart's) reads ``.Capabilities``."""
    for path in Path(chart_dir).rglob("*"):
        if path.suffix in (".yaml", ".yml", ".tpl") and "templates" in path.parts:
            try:
                if ".Capabilities" in path.read_text(errors="replace"):
                    return True
            except OSError:
                continue
    return False


def render_chart(
    chart_dir: str,
    values: list[str],
    *,
    release: str | None = None,
    namespace: str = DEFAULT_NAMESPACE,
    profile: str | None = None,
    renderer: str | None = None,
    sets: list[str] | None = None,
    set_strings: list[str] | None = None,
    kube_version: str | None = None,
) -> list[K8sObject]:
    """The chart's objects rendered with ``values``, each with its template file and line.

    Before rendering, the chart is read for what makes helm render something else
    than the user thinks (a ``.helmignore`` that hides the chart, a dependency not
    vendored): those raise RenderError naming the cause. ``renderer`` defaults to
    ``DEFAULT_RENDERER`` (``inprocess``: helm-python-sdk); ``cli`` runs ``helm template``.
    Nothing here reads the environment: the CLI and the pytest plugins turn variables
    into arguments.
    """
    from .chartcheck import chart_problems

    if not Path(chart_dir, "Chart.yaml").is_file():
        raise InputError(f"{chart_dir} is not a chart (no Chart.yaml)")
    for v in values:  # helm reads them too (the CLI renderer): refuse what it cannot read first
        read_input(v, "values file")
    blocking = [p for p in chart_problems(chart_dir) if p.blocking]
    if blocking:
        raise RenderError(f"{_describe(chart_dir, values)}: {blocking[0].message}")
    opts = RenderOptions(values, sets or [], set_strings or [], release, namespace, kube_version)
    release = opts.release_for(chart_dir)
    renderer = renderer or DEFAULT_RENDERER
    if renderer == "inprocess" and kube_version and _reads_capabilities(chart_dir):
        # helm-python-sdk renders with its own Kubernetes version: a chart that reads
        # .Capabilities renders as `helm template --kube-version` does only through the CLI
        renderer = "cli" if shutil.which("helm") else renderer
    if renderer == "cli":
        text = render_cli(chart_dir, values, release, namespace, kube_version, sets, set_strings)
    else:
        from . import rendercache

        key = rendercache.key(chart_dir, values, opts.sets, opts.set_strings, release, namespace)
        text = rendercache.get(key)
        if text is None:
            overrides = set_overrides(opts.sets, opts.set_strings)
            text = render_inprocess(chart_dir, values, release, namespace, overrides)
            rendercache.put(key, text)
    label = _describe(chart_dir, values)
    try:
        objects = load_manifests(text, label, chart_dir=chart_dir, profile=profile)
    except InputError as err:
        raise RenderError(f"{label}: {err}") from err
    return objects
