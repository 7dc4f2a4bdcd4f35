"""Typed check parameters: each check declares a frozen dataclass, checked when a rule loads.

A check names its parameter class in its signature, ``def probes(t, obj, params:
ProbesParams)``; a rule file's ``check.params`` (and each ``check.profiles.<name>``)
become an instance of it. An unknown key, a wrong type or a missing required
parameter is a :class:`~kubeproof.errors.PolicyError` naming the rule file, never a
silently used default. Keys may be written with hyphens (``max-errors``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal


@dataclasses.dataclass(frozen=True)
class NoParams:
    """A check that takes no parameters."""


def build(cls: type, raw: Any, where: str) -> Any:
    """``raw`` (a rule file's mapping) as an instance of ``cls``; PolicyError when it is not one."""
    from ..errors import PolicyError

    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: params must be a mapping, got {_shown(raw)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = str(key).replace("-", "_")
        if name not in fields:
            known = ", ".join(sorted(fields)) or "none"
            raise PolicyError(f"{where}: unknown parameter {key!r} (known: {known})")
        if not conforms(value, hints[name]):
            raise PolicyError(
                f"{where}: parameter {key!r} must be {describe(hints[name])}, got {_shown(value)}"
            )
        values[name] = value
    missing = [
        n
        for n, f in fields.items()
        if n not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise PolicyError(f"{where}: missing parameter(s) {', '.join(missing)}")
    return cls(**values)


def conforms(value: Any, tp: Any) -> bool:
    """Whether a YAML value has type ``tp`` (str, int, float, bool, Any, lists, mappings,
    optional and union types, Literal)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return True
    if tp is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, a) for a in args)
    if origin is Literal:
        return value in args
    if origin is list:
        return isinstance(value, list) and all(conforms(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            conforms(k, args[0]) and conforms(v, args[1]) for k, v in value.items()
        )
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, tp)


def describe(tp: Any) -> str:
    """A type as a rule file's author reads it."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return "anything"
    if tp is type(None):
        return "null"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin is list:
        return f"a list of {describe(args[0])}"
    if origin is dict:
        return f"a mapping of {describe(args[0])} to {describe(args[1])}"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclasses.dataclass(frozen=True)
class ExternalParams:
    """Names of ConfigMaps and Secrets that exist outside the chart (made by other means)."""

    external: list[str] = dataclasses.field(default_factory=list)
