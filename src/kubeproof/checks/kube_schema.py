"""Strict, offline validation against the Kubernetes schemas kubernetes-validate ships.

Each kind's schema is compiled once by jsonschema-rs (Rust), which gives the verdict
for every object at a few microseconds each. Only an object it rejects is validated
again by jsonschema (built once per kind, memoised by content), whose errors name the
path and say what is wrong: findings and messages are those jsonschema always gave.
Without jsonschema-rs, jsonschema alone does all of it (slower, same findings).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from ..model import K8sObject, Target, Violation
from ..policy import compile_schema
from . import check


@cache
def _schema_root() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or spec.origin is None:
        raise RuntimeError("kubernetes-validate is not installed")
    return Path(spec.origin).parent / "kubernetes-json-schema"


@cache
def _schema_dir(version: str, strict: bool) -> Path:
    """The newest schema directory not newer than ``version`` (like kubernetes-validate)."""
    want = tuple(int(x) for x in version.lstrip("v").split(".")[:2])
    best = None
    for d in _schema_root().iterdir():
        m = re.match(r"^v(\d+)\.(\d+)\.\d+-local(-strict)?$", d.name)
        if m and bool(m.group(3)) == strict:
            v = (int(m.group(1)), int(m.group(2)))
            if v <= want and (best is None or v > best[0]):
                best = (v, d)
    if best is None:
        raise RuntimeError(f"no Kubernetes schemas for version {version}")
    return best[1]


@cache
def _schema(version: str, strict: bool, kind: str, api_version: str) -> tuple[Path, Any] | None:
    """(directory, schema) for (kind, apiVersion), or None when no schema exists."""
    directory = _schema_dir(version, strict)
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = directory / f"{kind.lower()}-{group}.json"
    if not path.is_file():
        return None
    return directory, json.loads(path.read_text())


@cache
def _definitions(directory: Path) -> Any:
    return json.loads((directory / "_definitions.json").read_text())


_DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"  # its $id; schemas refer to it


@cache
def _registry(directory: Path) -> Any:
    from referencing import Registry, Resource

    return Resource.from_contents(_definitions(directory)) @ Registry()


@cache
def validator(version: str, strict: bool, kind: str, api_version: str) -> Any:
    """A cached jsonschema validator for (kind, apiVersion), or None when no schema exists."""
    from jsonschema import Draft202012Validator

    found = _schema(version, strict, kind, api_version)
    return found and Draft202012Validator(found[1], registry=_registry(found[0]))


@cache
def _compiled_registry(directory: Path) -> Any:
    import jsonschema_rs

    return jsonschema_rs.Registry([(_DEFINITIONS_URI, _definitions(directory))])


@cache
def compiled(version: str, strict: bool, kind: str, api_version: str) -> Any:
    """The kind's schema compiled by jsonschema-rs, or None (no schema, or no jsonschema-rs).

    jsonschema-rs gets only the definitions the kind reaches, from a small per-kind file
    in the user's cache (built once from the 1.5 MB ``_definitions.json``); where that
    cache cannot be used, the full definitions, as before. Either gives the same verdict."""
    found = _schema(version, strict, kind, api_version)
    if found is None:
        return None
    try:
        import jsonschema_rs
    except ImportError:
        return None
    base = f"https://kubernetes.io/api/{kind.lower()}.json"
    reached = _reached_definitions(found[0], kind, api_version, found[1])
    if reached is not None:
        registry = jsonschema_rs.Registry([(_DEFINITIONS_URI, reached)])
        fast = compile_schema(found[1], registry=registry, base_uri=base)
        if fast is not None:
            return fast
    return compile_schema(found[1], registry=_compiled_registry(found[0]), base_uri=base)


_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/([^/~]+)$")


def _refs(node: Any, into: set[str]) -> bool:
    """Add the definitions ``node`` refers to into ``into``; False on a $ref of another form."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if ref is not None:
                m = _REF.match(ref) if isinstance(ref, str) else None
                if m is None:
                    return False
                into.add(m.group(1))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def reached_definitions(definitions: Any, schema: Any) -> Any:
    """``definitions`` (``_definitions.json``) cut to what ``schema`` reaches, or None when
    a reference is of a form not understood here (then the full definitions are used)."""
    defs = definitions.get("$defs")
    if not isinstance(defs, dict):
        return None
    todo: set[str] = set()
    if not _refs(schema, todo):
        return None
    kept: dict[str, Any] = {}
    while todo:
        name = todo.pop()
        if name in kept:
            continue
        if name not in defs:
            return None
        kept[name] = defs[name]
        found: set[str] = set()
        if not _refs(defs[name], found):
            return None
        todo |= found - kept.keys()
    return {**{k: v for k, v in definitions.items() if k != "$defs"}, "$defs": kept}


@cache
def _validate_version() -> str:
    """kubernetes-validate's version, read from its version.py (importlib.metadata costs
    more than the cache saves)."""
    try:
        text = (_schema_root().parent / "version.py").read_text()
    except OSError:
        return "unknown"
    m = re.search(r"__version__\s*=\s*[\"']([^\"']+)", text)
    return m.group(1) if m else "unknown"


def _reached_definitions(directory: Path, kind: str, api_version: str, schema: Any) -> Any:
    """The definitions the kind reaches: from the cache when its entry is for these very
    files (size and mtime of the kind's schema and of ``_definitions.json``), else cut from
    ``_definitions.json`` and written to the cache (atomically; silently not when it
    cannot be written). None when they cannot be cut (the caller uses them all)."""
    from .. import cache as kcache

    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    source = directory / f"{kind.lower()}-{group}.json"
    try:
        stamp = kcache.stamp(source, directory / "_definitions.json")
    except OSError:
        return None
    entry = kcache.entry(
        "kubernetes-schemas",
        f"kubernetes-validate-{_validate_version()}",
        directory.name,
        source.name,
    )
    try:
        cached = json.loads(kcache.read(entry) or b"null")
        if (
            isinstance(cached, dict)
            and cached.get("stamp") == stamp
            and isinstance(cached.get("definitions"), dict)
        ):
            return cached["definitions"]
    except ValueError:
        pass
    reached = reached_definitions(_definitions(directory), schema)
    if reached is not None:
        kcache.write(entry, json.dumps({"stamp": stamp, "definitions": reached}).encode())
    return reached


@dataclass(frozen=True)
class KubernetesSchemaParams:
    """Validate against Kubernetes ``version`` (default: --kube-version), ``strict``: no
    unknown fields; kinds without a schema at ``unknown_severity``; at most ``max_errors``."""

    version: str | None = None
    strict: bool = True
    unknown_severity: Literal["error", "warning", "info"] = "warning"
    max_errors: int = 20


@check
def kubernetes_schema(
    t: Target, obj: K8sObject, params: KubernetesSchemaParams
) -> Iterable[Violation]:
    version = str(params.version or t.kube_version)
    strict = params.strict
    if not obj.kind or not obj.api_version:
        yield Violation(f"{obj.ref or 'document'} has no kind or apiVersion")
        return
    if _schema(version, strict, obj.kind, obj.api_version) is None:
        yield Violation(
            f"{obj.ref}: no schema for {obj.api_version} {obj.kind} in Kubernetes {version} "
            f"(a custom resource, or an API that version does not serve)",
            severity=params.unknown_severity,
        )
        return
    fast = compiled(version, strict, obj.kind, obj.api_version)
    if fast is not None and fast.is_valid(obj.data):
        return
    v = validator(version, strict, obj.kind, obj.api_version)
    for path, message in _errors(v, obj.data, params.max_errors):
        where = ".".join(str(p) for p in path) or "(root)"
        yield Violation(
            f"{obj.ref} does not validate against Kubernetes {version}: {where}: {message}", path
        )


_SEEN: dict[tuple[int, str], list[tuple[tuple[Any, ...], str]]] = {}


def _errors(v: Any, data: dict[str, Any], limit: int) -> list[tuple[tuple[Any, ...], str]]:
    """jsonschema's errors as (path, message), memoised by content (profiles share objects)."""
    key = (id(v), json.dumps(data, sort_keys=True, default=str))
    found = _SEEN.get(key)
    if found is None:
        errors = sorted(v.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
        found = []
        for err in errors[:limit]:
            message = err.message
            if err.validator == "additionalProperties":
                message = message.replace("Additional properties are not allowed", "unknown field")
            found.append((tuple(err.absolute_path), message))
        _SEEN[key] = found
    return found
