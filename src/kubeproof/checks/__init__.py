"""Named reusable checks for what a JSON Schema cannot say (selectors, ports, cross-checks).

A check is ``fn(target, subject, params) -> Iterable[Violation]``, registered
under a kebab-case name that rule files refer to as ``check: {name: ..., params: ...}``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

_REGISTRY: dict[str, Callable[..., Any]] = {}
_MODULES = ("workloads", "services", "data", "dockerfiles", "cross", "kube_schema", "meta")


def check(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        _REGISTRY[name] = fn
        return fn

    return register


@cache
def registry() -> dict[str, Callable[..., Any]]:
    import importlib

    for mod in _MODULES:
        importlib.import_module(f"{__name__}.{mod}")
    return _REGISTRY
