"""What the loaders produce and the rules consume: objects that remember where they came from.

Also the types the engine and the checks share (Violation, Target, Finding, Result)
and the constants every part names once (kind groups, formats, defaults).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import AppConfig
    from .policy import Rule

#: Kubernetes version whose schemas objects are validated against (``--kube-version``).
DEFAULT_KUBE_VERSION = "1.34"
#: How a chart is rendered: helm-python-sdk in this process, or the ``helm template`` CLI.
RENDERERS = ("inprocess", "cli")
DEFAULT_RENDERER = "inprocess"
#: Report formats of ``kubeproof check --format``.
FORMATS = ("text", "json", "sarif", "junit")
SEVERITIES = ("error", "warning", "info")
#: How grave a severity is: info 0, warning 1, error 2.
SEVERITY_RANK = {sev: rank for rank, sev in enumerate(reversed(SEVERITIES))}

POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
#: Kinds that carry a pod template (or are a Pod): rule scope ``kinds: [Workload]``.
WORKLOAD_KINDS = frozenset(POD_SPEC_PATHS)
#: Workloads that serve until replaced: rule scope ``kinds: [LongRunning]``.
LONG_RUNNING_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
#: Names a rule's ``scope.kinds`` may use for a group of kinds.
KIND_GROUPS: dict[str, frozenset[str]] = {
    "Workload": WORKLOAD_KINDS,
    "LongRunning": LONG_RUNNING_KINDS,
}
#: Kinds that are not Kubernetes objects: a rule names them to look at these inputs.
INPUT_KINDS = ("Dockerfile", "HelmChart", "Release")


def display_path(path: str | None) -> str | None:
    """A path relative to the working directory when it lies under it."""
    import os

    if not path or not os.path.isabs(path):
        return path
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on ``base`` as helm coalesces values: maps merge, anything else replaces."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def dig(data: Any, path: tuple[Any, ...]) -> Any:
    """The value at ``path`` inside nested dicts and lists, or None."""
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and -len(data) <= part < len(data):
            data = data[part]
        else:
            return None
    return data


@dataclass(eq=False)
class K8sObject:
    """One Kubernetes object with its provenance (file, first line, template)."""

    data: dict[str, Any]
    file: str
    line: int  # 1-based line of the document's first key
    template: str | None = None  # path of the template that produced it (from ``# Source:``)
    profile: str | None = None
    lines: Any = None  # callable(path) -> line in ``file``, or None
    component: str | None = None
    # keys a mapping repeats (the last value is kept, as helm and kubectl do):
    # (path of the mapping, key, 1-based line of the repeat in the rendered stream)
    duplicate_keys: list[tuple[tuple[Any, ...], str, int]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return str(self.data.get("kind") or "")

    @property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion") or "")

    @property
    def metadata(self) -> dict[str, Any]:
        md = self.data.get("metadata")
        return md if isinstance(md, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or "")

    @property
    def namespace(self) -> str | None:
        ns = self.metadata.get("namespace")
        return str(ns) if ns else None

    @property
    def annotations(self) -> dict[str, Any]:
        ann = self.metadata.get("annotations")
        return ann if isinstance(ann, dict) else {}

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def is_hook(self) -> bool:
        return "helm.sh/hook" in self.annotations

    @property
    def is_test_hook(self) -> bool:
        hooks = str(self.annotations.get("helm.sh/hook", ""))
        return any(h.strip() in ("test", "test-success") for h in hooks.split(","))

    @property
    def pod_spec_path(self) -> tuple[str, ...] | None:
        return POD_SPEC_PATHS.get(self.kind)

    @property
    def pod_spec(self) -> dict[str, Any] | None:
        path = self.pod_spec_path
        if path is None:
            return None
        spec = dig(self.data, path)
        return spec if isinstance(spec, dict) else None

    @property
    def pod_labels(self) -> dict[str, Any]:
        path = self.pod_spec_path
        if path is None:
            return {}
        labels = dig(self.data, (*path[:-1], "metadata", "labels")) if len(path) > 1 else None
        if self.kind == "Pod":
            labels = self.metadata.get("labels")
        return labels if isinstance(labels, dict) else {}

    def containers(self, init: bool = False) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
        """(path, container) for each container (and init container when ``init``)."""
        spec = self.pod_spec
        if spec is None:
            return
        base = self.pod_spec_path or ()
        for key in ("initContainers", "containers") if init else ("containers",):
            items = spec.get(key)
            if isinstance(items, list):
                for i, c in enumerate(items):
                    if isinstance(c, dict):
                        yield (*base, key, i), c

    def line_of(self, path: tuple[Any, ...]) -> int:
        """The 1-based line in ``file`` of the deepest existing node along ``path``."""
        if self.lines is None:
            return self.line
        return self.lines(path)


@dataclass
class Instruction:
    instruction: str  # upper case, e.g. "FROM"
    value: str
    line: int  # 1-based


@dataclass
class Stage:
    name: str | None
    base: str  # as written
    base_resolved: str  # ARG defaults substituted
    line: int
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, instruction: str) -> list[Instruction]:
        return [i for i in self.instructions if i.instruction == instruction]

    def last(self, instruction: str) -> Instruction | None:
        found = self.all(instruction)
        return found[-1] if found else None


@dataclass(eq=False)
class Dockerfile:
    """A parsed Dockerfile split into stages."""

    file: str
    text: str
    global_args: dict[str, str]
    instructions: list[Instruction]
    stages: list[Stage]
    component: str | None = None

    kind = "Dockerfile"
    namespace = None
    is_hook = False
    is_test_hook = False
    template = None

    @property
    def annotations(self) -> dict[str, Any]:
        return {}  # Dockerfiles carry no annotations; waive in policies/waivers.yaml

    @property
    def name(self) -> str:
        return self.component or Path(self.file).name

    @property
    def ref(self) -> str:
        return f"Dockerfile/{self.name}"

    @property
    def final(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def last_in_final(self, instruction: str) -> Instruction | None:
        """The final stage's last ``instruction`` (None: there is none, or no stage)."""
        return self.final.last(instruction) if self.final else None

    @property
    def line(self) -> int:
        return 1

    def line_of(self, path: tuple[Any, ...]) -> int:
        return 1


@dataclass(eq=False)
class ChartInfo:
    """A chart's metadata (Chart.yaml) and whether it ships values.schema.json."""

    dir: str
    data: dict[str, Any]
    file: str
    has_values_schema: bool
    lines: Any = None
    values: dict[str, Any] = field(default_factory=dict)  # values.yaml, as committed
    values_lines: Any = None  # callable(path) -> line in values.yaml
    #: the other values files the renders read (a profile's, --values), in order:
    #: (file, its mapping, callable(path) -> line, repeated keys as in values_repeats)
    values_files: tuple[tuple[str, dict[str, Any], Any, list], ...] = ()
    #: (key, line, first line) of each key values.yaml repeats (helm keeps the last)
    values_repeats: list[tuple[str, int, int]] = field(default_factory=list)
    component = None
    namespace = None
    is_hook = False
    is_test_hook = False
    template = None
    kind = "HelmChart"

    @property
    def name(self) -> str:
        return str(self.data.get("name") or Path(self.dir).name)

    @property
    def annotations(self) -> dict[str, Any]:
        ann = self.data.get("annotations")
        return ann if isinstance(ann, dict) else {}

    @property
    def ref(self) -> str:
        return f"HelmChart/{self.name}"

    @property
    def line(self) -> int:
        return 1

    def line_of(self, path: tuple[Any, ...]) -> int:
        return self.lines(path) if self.lines else 1


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one place; waivers and merging produce new findings."""

    rule: str
    severity: str
    kind: str
    namespace: str | None
    name: str
    container: str | None
    file: str | None
    line: int | None
    message: str
    remediation: str
    waived: bool = False
    waiver_reason: str | None = None
    profiles: tuple[str, ...] = ()  # the values profiles that produce it (none: no profile)

    @classmethod
    def on(cls, subject: Any, **fields: Any) -> Finding:
        """A finding about ``subject`` (an object, Dockerfile, chart or release): its kind,
        namespace, name and file, with ``fields`` (rule, severity, line, message, ...);
        ``fields`` may name the place more exactly (``file``: the template a render error
        points at, shown as given)."""
        place = {
            "kind": subject.kind,
            "namespace": getattr(subject, "namespace", None),
            "name": subject.name,
            "file": display_path(subject.file),
            "container": None,
        }
        return cls(**{**place, **fields})

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "container": self.container,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "remediation": self.remediation,
            "waived": self.waived,
            "profiles": list(self.profiles),
        }

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def shown_message(self) -> str:
        """The message with the profiles that produce it, as reporters print it."""
        if not self.profiles:
            return self.message
        return f"{self.message} (profile {', '.join(self.profiles)})"


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
    render_error: str | None = None  # the chart did not render: only Dockerfile/chart rules run

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
        self._kinds = [obj.kind for obj in self.objects]
        for obj in self.objects:
            self._index.setdefault((obj.kind, obj.name), []).append(obj)
            if self.config is not None and obj.component is None:
                obj.component = self.config.component_of(obj.kind, obj.name)
        for df in self.dockerfiles:
            if self.config is not None and df.component is None:
                df.component = self.config.component_of_dockerfile(df.file)

    @property
    def expectations(self) -> Any:
        """The Expectations in force: kubeproof.yaml's over the built-in ones."""
        from .expectations import BUILT_IN

        return self.config.expectations if self.config is not None else BUILT_IN

    def where_kind(self, match: Callable[[str], bool]) -> list[K8sObject]:
        """The objects whose kind ``match`` accepts, in order (``match`` judges each kind once)."""
        verdict: dict[str, bool] = {}
        out = []
        for obj, kind in zip(self.objects, self._kinds, strict=True):
            ok = verdict.get(kind)
            if ok is None:
                ok = verdict[kind] = match(kind)
            if ok:
                out.append(obj)
        return out

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


@dataclass
class Result:
    """Findings plus what was checked: rules applied and (rule, object) pairs."""

    findings: list[Finding]
    rules: list[Rule]
    applied: set[str]
    pairs: list[tuple[str, str]]
    objects: int
    dockerfiles: int
    problems: list[str] = field(default_factory=list)  # checks that could not run: exit 2
    context: dict[str, Any] = field(default_factory=dict)  # release, discovery, skipped rules

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error" and not f.waived]

    @property
    def exit_code(self) -> int:
        if self.problems:
            return 2
        return 1 if self.errors else 0
