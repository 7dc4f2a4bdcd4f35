"""What the loaders produce and the rules consume: objects that remember where they came from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
WORKLOAD_KINDS = frozenset(POD_SPEC_PATHS)


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
    template_text: str | None = None
    component: str | None = None

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
    content: str = ""


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
    profile: str | None = None  # unused; present so Dockerfiles and objects share a shape

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
    component = None
    profile = None
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


@dataclass
class Finding:
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
    profile: str | None = None

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
        }

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"
