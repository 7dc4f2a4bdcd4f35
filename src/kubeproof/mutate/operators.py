"""Mutation operators: small named functions that break one property of a good artifact.

An operator declares the rules that must catch it (``rules``), rules that may
fire as a consequence without being noise (``also``), where it applies
(``scope`` and ``kinds``, hooks, profiles) and, optionally, ``variants``
(one mutant per variant and site). It is applied at every site that fits: every
container, every Service, every Dockerfile. The function gets a :class:`Mut`
holding copies it may change, and returns True when it changed something
(False: this site does not fit, e.g. the container has no probe to drop).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..checks.util import mappings
from ..load.dockerfile import parse_dockerfile
from ..model import (
    LONG_RUNNING_KINDS,
    WORKLOAD_KINDS,
    ChartInfo,
    Dockerfile,
    K8sObject,
    Target,
    dig,
)

SCOPES = ("container", "pod", "object", "release", "dockerfile", "chart", "render")
#: Kinds whose containers run a pod template (every pod-bearing kind).
POD_KINDS = tuple(sorted(WORKLOAD_KINDS))
#: Long-running workloads (serve traffic, have probes).
SERVING = tuple(sorted(LONG_RUNNING_KINDS))


@dataclass(frozen=True)
class Operator:
    name: str
    rules: tuple[str, ...]
    scope: str
    fn: Callable[..., bool]
    description: str
    kinds: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    hooks: str = "include"  # include | exclude | only
    profiles: tuple[str, ...] = ()
    variants: tuple[Any, ...] = (None,)
    # the severity its rules report this defect at, when below the rules' own (a named
    # non-root USER is a warning of dockerfile-user-nonroot); None: the rules' severity
    severity: str | None = None
    # the parts it mutates one at a time (each a variant): of an object (object scope,
    # e.g. every key of a Secret) or of the chart (render scope, e.g. values keys)
    parts: Callable[[Any], list[Any]] | None = None

    def declared(self) -> dict[str, Any]:
        """Where it applies and which rules must catch it, as the reports list them."""
        return {
            "scope": self.scope,
            "kinds": list(self.kinds),
            "profiles": list(self.profiles),
            "rules": list(self.rules),
            "also": list(self.also),
        }

    def fits(self, obj: K8sObject) -> bool:
        if self.kinds and obj.kind not in self.kinds:
            return False
        if self.hooks == "exclude" and obj.is_hook:
            return False
        return not (self.hooks == "only" and not obj.is_hook)


_CATALOGUE: dict[str, Operator] = {}


def operator(
    name: str,
    *,
    rules: Iterable[str],
    scope: str,
    kinds: Iterable[str] = (),
    also: Iterable[str] = (),
    hooks: str = "include",
    profiles: Iterable[str] = (),
    variants: Iterable[Any] = (None,),
    severity: str | None = None,
    parts: Callable[[Any], list[Any]] | None = None,
) -> Callable[[Callable[..., bool]], Callable[..., bool]]:
    """Register ``fn`` as the operator ``name`` (its docstring's first line describes it)."""
    if scope not in SCOPES:
        raise ValueError(f"operator {name}: scope must be one of {SCOPES}")

    def register(fn: Callable[..., bool]) -> Callable[..., bool]:
        if name in _CATALOGUE:
            raise ValueError(f"operator {name} registered twice")
        _CATALOGUE[name] = Operator(
            name=name,
            rules=tuple(rules),
            scope=scope,
            fn=fn,
            description=(fn.__doc__ or name).strip().splitlines()[0],
            kinds=tuple(kinds),
            also=tuple(also),
            hooks=hooks,
            profiles=tuple(profiles),
            variants=tuple(variants),
            severity=severity,
            parts=parts,
        )
        return fn

    return register


def catalogue() -> dict[str, Operator]:
    """Every registered operator by name (objects, Dockerfiles, chart files)."""
    from . import (  # noqa: F401  (they register)
        chart_ops,
        dockerfile_ops,
        object_ops,
        realworld_ops,
        render_ops,
    )

    return dict(_CATALOGUE)


# --- what an operator function sees and may change ---------------------------


@dataclass
class Mut:
    """Copies an operator may change in place (only the parts its scope names are set)."""

    target: Target
    variant: Any = None
    obj: K8sObject | None = None
    container: dict[str, Any] | None = None
    df: Dockerfile | None = None
    text: str | None = None  # a Dockerfile's text: operators assign the new text here
    chart: ChartInfo | None = None
    deleted: bool = False  # object scope: drop the object from the render
    # render scope: a copy of the chart directory, its default values, --set overrides
    chart_dir: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    sets: list[str] = field(default_factory=list)
    set_strings: list[str] = field(default_factory=list)
    # Dockerfile scope: an edit of the component's workload made with the Dockerfile's
    workload_edit: Callable[[K8sObject], None] | None = None

    @property
    def data(self) -> dict[str, Any]:
        assert self.obj is not None
        return self.obj.data

    @property
    def pod(self) -> dict[str, Any]:
        assert self.obj is not None and self.obj.pod_spec is not None
        return self.obj.pod_spec

    @property
    def component(self) -> dict[str, Any]:
        owner = (
            self.obj.component if self.obj is not None else self.df.component if self.df else None
        )
        return self.target.component(owner)

    def objects(self, *kinds: str) -> list[K8sObject]:
        """Objects of the mutant's target (release scope: copies it may change)."""
        return [o for o in self.target.objects if not kinds or o.kind in kinds]


@dataclass
class Site:
    """Where one mutant is made: an operator, a variant and a place in the artifacts."""

    op: Operator
    variant: Any
    label: str  # e.g. 'Deployment/todo-backend container "backend"'
    target: int | None  # index of the target (profile); None: every target
    obj: int | None = None  # index into target.objects
    path: tuple[Any, ...] = ()  # container path inside the object
    df: int | None = None  # index into target.dockerfiles

    @property
    def name(self) -> str:
        v = f"[{self.variant}]" if self.variant is not None else ""
        return f"{self.op.name}{v}"


def sites(op: Operator, targets: list[Target]) -> Iterator[Site]:
    """Every place ``op`` could apply (whether it really fits is known once applied)."""
    for variant in op.variants:
        if op.scope in ("dockerfile", "chart", "render"):
            first = targets[0] if targets else None
            if first is None:
                continue
            if op.scope == "render":
                profiles = {t.profile for t in targets}
                if first.chart is None or (op.profiles and not profiles & set(op.profiles)):
                    continue
                if op.parts is None:
                    yield Site(op, variant, f"{first.chart.ref} files", None)
                    continue
                for part in op.parts(first.chart):  # values.yaml keys
                    yield Site(op, part, f"{first.chart.ref} values {'.'.join(part)}", None)
                continue
            if op.scope == "chart":
                if first.chart is not None:
                    yield Site(op, variant, first.chart.ref, None)
                continue
            for d, df in enumerate(first.dockerfiles):
                yield Site(op, variant, df.ref, None, df=d)
            continue
        for ti, t in enumerate(targets):
            if op.profiles and t.profile not in op.profiles:
                continue
            if op.scope == "release":
                yield Site(op, variant, t.ref, ti)
                continue
            for oi, obj in enumerate(t.objects):
                if not op.fits(obj):
                    continue
                if op.scope == "container":
                    for path, c in obj.containers(init=True):
                        label = f'{obj.ref} container "{c.get("name") or path[-1]}"'
                        yield Site(op, variant, label, ti, obj=oi, path=path)
                elif op.scope == "pod":
                    if obj.pod_spec is not None:
                        yield Site(op, variant, obj.ref, ti, obj=oi)
                elif op.parts is not None:  # one mutant per part (e.g. per key)
                    for part in op.parts(obj):
                        yield Site(op, part, obj.ref, ti, obj=oi)
                else:
                    yield Site(op, variant, obj.ref, ti, obj=oi)


def clone_object(obj: K8sObject) -> K8sObject:
    new = copy.copy(obj)
    new.data = copy.deepcopy(obj.data)
    return new


def retarget(
    t: Target,
    *,
    objects: list[K8sObject] | None = None,
    dockerfiles: list[Dockerfile] | None = None,
    chart: ChartInfo | None = None,
) -> Target:
    """A new Target like ``t`` with some parts replaced (its index rebuilt)."""
    return dataclasses.replace(
        t,
        objects=t.objects if objects is None else objects,
        dockerfiles=t.dockerfiles if dockerfiles is None else dockerfiles,
        chart=t.chart if chart is None else chart,
    )


@dataclass
class Mutant:
    """The mutated artifacts of one site: (target index, mutated target) pairs."""

    site: Site
    targets: list[tuple[int, Target]] = field(default_factory=list)
    extra: list[Any] = field(default_factory=list)  # findings of the render itself (render scope)
    note: str = ""  # what changed outside the rendered objects (chart files, --set)


def apply(site: Site, targets: list[Target]) -> Mutant | None:
    """The mutant ``site`` makes of ``targets``, or None when the operator does not fit."""
    op = site.op
    if op.scope == "dockerfile":
        assert site.df is not None
        df = targets[0].dockerfiles[site.df]
        m = Mut(target=targets[0], variant=site.variant, df=df, text=df.text)
        if not op.fn(m) or m.text == df.text:
            return None
        new = parse_dockerfile(m.text or "", df.file)
        new.component = df.component
        out = Mutant(site)
        for i, t in enumerate(targets):
            dfs = list(t.dockerfiles)
            dfs[site.df] = new
            objects = t.objects
            workload = t.workload_for(df.component)
            if m.workload_edit is not None:
                if workload is None:
                    return None
                objects = [clone_object(o) if o is workload else o for o in objects]
                m.workload_edit(next(o for o in objects if o.ref == workload.ref))
            out.targets.append((i, retarget(t, objects=objects, dockerfiles=dfs)))
        return out
    if op.scope == "chart":
        chart = targets[0].chart
        assert chart is not None
        new_chart = copy.copy(chart)
        new_chart.data = copy.deepcopy(chart.data)
        if not op.fn(Mut(target=targets[0], variant=site.variant, chart=new_chart)):
            return None
        if (new_chart.data, new_chart.has_values_schema) == (chart.data, chart.has_values_schema):
            return None  # equivalent: Chart.yaml already was that way
        return Mutant(site, [(i, retarget(t, chart=new_chart)) for i, t in enumerate(targets)])
    assert site.target is not None
    t = targets[site.target]
    if op.scope == "release":
        objects = [clone_object(o) for o in t.objects]
        m = Mut(target=retarget(t, objects=objects), variant=site.variant)
    else:
        assert site.obj is not None
        obj = clone_object(t.objects[site.obj])
        objects = list(t.objects)
        objects[site.obj] = obj
        m = Mut(target=retarget(t, objects=objects), variant=site.variant, obj=obj)
        if op.scope == "container":
            m.container = dig(obj.data, site.path)
        if op.scope == "pod" and obj.pod_spec is None:
            return None
    if not op.fn(m):
        return None
    kept = [o for o in m.target.objects if o is not m.obj or not m.deleted]
    if not m.deleted and [o.data for o in kept] == [o.data for o in t.objects]:
        return None  # an equivalent mutant: the artifact already was that way
    return Mutant(site, [(site.target, retarget(t, objects=kept))])


# --- small helpers the operators share ----------------------------------------


def setdefault_path(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The mapping at ``keys`` inside ``data``, created where missing."""
    for k in keys:
        nxt = data.get(k)
        if not isinstance(nxt, dict):
            nxt = data[k] = {}
        data = nxt
    return data


def named_ports(container: dict[str, Any]) -> list[dict[str, Any]]:
    return mappings(container.get("ports"))
