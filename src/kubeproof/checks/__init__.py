"""Named reusable checks for what a JSON Schema cannot say (selectors, ports, cross-checks).

A check is ``fn(target, subject, params) -> Iterable[Violation]``, registered by
``@check`` under its function's name in kebab case (``def probe_health_path`` is
``probe-health-path``), the name rule files refer to as ``check: {name: ..., params: ...}``.
The annotation of ``params`` is the check's parameter class (a frozen dataclass, see
``params.py``): rule files are checked against it when they load.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

_REGISTRY: dict[str, Callable[..., Any]] = {}
_MODULES = (
    "workloads",
    "services",
    "data",
    "dockerfiles",
    "cross",
    "kube_schema",
    "meta",
    "realworld",
)


def check(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``fn`` as the check named like the function (underscores as hyphens)."""
    name = fn.__name__.replace("_", "-")
    if name in _REGISTRY:
        raise RuntimeError(f"two checks named {name}")
    _REGISTRY[name] = fn
    return fn


def params_type(name: str) -> type:
    """The parameter class the check ``name`` declares (NoParams when it takes none)."""
    from .params import NoParams

    fn = registry()[name]
    ann = fn.__annotations__.get("params", NoParams)
    return eval(ann, fn.__globals__) if isinstance(ann, str) else ann  # our own annotation


@cache
def registry() -> dict[str, Callable[..., Any]]:
    import importlib

    for mod in _MODULES:
        importlib.import_module(f"{__name__}.{mod}")
    return _REGISTRY
