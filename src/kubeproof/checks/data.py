"""Checks on ConfigMaps and Secrets: required keys, URLs between components, secret values."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..model import K8sObject, Target, Violation
from . import check
from .params import NoParams
from .util import SECRET_NAME, indexed, mapping, service_ports

_KEY_PATTERNS = [
    re.compile(p)
    for p in (
        r"^sk-[A-Za-z0-9_-]{16,}",  # OpenAI-style API keys
        r"^gh[pousr]_[A-Za-z0-9]{20,}",  # GitHub tokens
        r"^AKIA[0-9A-Z]{16}$",  # AWS access key ids
        r"^xox[abposr]-[A-Za-z0-9-]{10,}",  # Slack tokens
        r"^AIza[0-9A-Za-z_-]{30,}",  # Google API keys
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
        r"^eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.",  # JWTs
    )
]
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@\s]+:([^@/\s]+)@", re.I)
_TOKEN = re.compile(r"^[A-Za-z0-9+/=_-]+$")


def _entropy(s: str) -> float:
    counts: dict[str, int] = {}
    for ch in s:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(n / len(s) * math.log2(n / len(s)) for n in counts.values())


_PLACEHOLDER_WORDS = re.compile(
    r"(dummy|example|placeholder|change[-_]?me|replace|your[-_]|xxxx|<[^>]+>|\$\{|\{\{)", re.I
)
_DEV_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@\s]+:([^@/\s]+)@([^:/?\s]+)", re.I)


def _in_cluster(host: str) -> bool:
    """localhost, a Service name, ``svc.namespace`` or ``*.svc[.cluster.local]``."""
    if host in ("localhost", "127.0.0.1"):
        return True
    return len(host.split(".")) <= 2 or host.endswith((".svc", ".svc.cluster.local"))


_NOT_SECRET_WORDS = re.compile(
    r"(_|^)(EXPIRE|EXPIRES|EXPIRY|MINUTES|SECONDS|HOURS|DAYS|TTL|LENGTH|ALGORITHM|TYPE|"
    r"HEADER|NAME|ENABLED|PATH|FILE|URL|URI|ENDPOINT|ISSUER|AUDIENCE|PREFIX|EXISTING|REF)(_|$)",
    re.I,
)


def named_like_secret(key: str, value: str) -> bool:
    """A key named like a secret (``API_KEY``, ``DB_PASSWORD``) holding a value that could
    be one: not a number, a boolean, or a setting about the secret
    (``ACCESS_TOKEN_EXPIRE_MINUTES``, ``JWT_SECRET_NAME``)."""
    v = value.strip()
    if not v or not SECRET_NAME.search(key) or _NOT_SECRET_WORDS.search(key):
        return False
    if v.lower() in ("true", "false", "yes", "no", "null") or v.replace(".", "").isdigit():
        return False
    return not _PLACEHOLDER_WORDS.search(v)


def dev_database_url(value: str) -> bool:
    """A URL to an in-cluster or local development database with a short password
    (``postgresql://todo:todo@postgres:5432/todo``): worth a warning, not an error."""
    m = _DEV_URL.match(value.strip())
    return m is not None and _in_cluster(m.group(2).lower()) and len(m.group(1)) < 12


def looks_real(value: str, placeholder: str = "CHANGE_ME") -> str | None:
    """Why ``value`` looks like a real credential, or None (placeholders such as
    ``dummy-secret-for-build-only`` or ``<your-key>`` are not)."""
    if not value or (placeholder and placeholder in value and not _URL_PASSWORD.match(value)):
        return None
    if _PLACEHOLDER_WORDS.search(value) and not any(p.search(value) for p in _KEY_PATTERNS):
        return None
    for pat in _KEY_PATTERNS:
        if pat.search(value):
            return "it has the shape of an API key or private key"
    m = _URL_PASSWORD.match(value)
    if m and not (placeholder and placeholder in m.group(1)) and m.group(1).lower() != "password":
        return "it is a URL with an embedded password"
    token = value.strip()
    if (
        len(token) >= 20
        and _TOKEN.match(token)
        and any(c.isdigit() for c in token)
        and any(c.isalpha() for c in token)
        and _entropy(token) >= 4.0
    ):
        return "it is a high-entropy string"
    return None


def secret_values(obj: K8sObject) -> Iterable[tuple[str, str, tuple]]:
    """(key, decoded value, path) for a Secret's stringData and data (base64-decoded)."""
    for key, value in mapping(obj.data.get("stringData")).items():
        yield key, "" if value is None else str(value), ("stringData", key)
    for key, value in mapping(obj.data.get("data")).items():
        try:
            decoded = base64.b64decode(str(value or ""), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            decoded = str(value)
        yield key, decoded, ("data", key)


def _keys(obj: K8sObject) -> set[str]:
    keys: set[str] = set()
    for section in ("data", "stringData", "binaryData"):
        if isinstance(obj.data.get(section), dict):
            keys |= set(obj.data[section])
    return keys


@check
def required_keys(t: Target, obj: K8sObject, params: NoParams) -> Iterable[Violation]:
    comp = t.component(obj.component)
    section = comp.get("configMap") if obj.kind == "ConfigMap" else comp.get("secret")
    want = (section or {}).get("keys") or []
    missing = [k for k in want if k not in _keys(obj)]
    if missing:
        where = "data" if "data" in obj.data else ("stringData" if "stringData" in obj.data else ())
        yield Violation(f"{obj.ref} lacks required keys {missing}", (where,) if where else ())


@dataclass(frozen=True)
class SecretTypeParams:
    """The type a Secret has when the app does not declare one."""

    type: str | None = None


@check
def secret_type(t: Target, obj: K8sObject, params: SecretTypeParams) -> Iterable[Violation]:
    want = (t.component(obj.component).get("secret") or {}).get("type") or params.type
    got = obj.data.get("type", "Opaque")
    if want and got != want:
        yield Violation(f"{obj.ref} has type {got!r}; expected {want!r}", ("type",))


@dataclass(frozen=True)
class PlaceholderParams:
    """The placeholder that stands for a value supplied at install time."""

    placeholder: str = "CHANGE_ME"


@check
def secret_looks_real(t: Target, obj: K8sObject, params: PlaceholderParams) -> Iterable[Violation]:
    placeholder = params.placeholder
    for key, value, path in secret_values(obj):
        why = looks_real(value, placeholder)
        if why and dev_database_url(value):
            yield Violation(
                f"{obj.ref} key {key} is a URL to an in-cluster development database with a "
                f"short password written in the chart",
                path,
                severity="warning",
            )
        elif why:
            yield Violation(
                f"{obj.ref} key {key} holds what looks like a real credential ({why})", path
            )


@check
def secret_placeholder(t: Target, obj: K8sObject, params: PlaceholderParams) -> Iterable[Violation]:
    """Values in version control are placeholders (real-looking ones are another rule)."""
    placeholder = params.placeholder
    for key, value, path in secret_values(obj):
        if placeholder not in value and not looks_real(value, placeholder):
            yield Violation(f"{obj.ref} key {key} is not a {placeholder} placeholder", path)


@check
def no_secret_looking_values(t: Target, obj: K8sObject, params: NoParams) -> Iterable[Violation]:
    """ConfigMap values that look like credentials, or keys named like secrets with a value."""
    for key, value in mapping(obj.data.get("data")).items():
        value = "" if value is None else str(value)
        why = looks_real(value, "")
        if why is None and named_like_secret(str(key), value):
            why = "its key is named like a secret"
        if why:
            yield Violation(
                f"{obj.ref} key {key} looks like a secret ({why}); put it in a Secret",
                ("data", key),
            )


@dataclass(frozen=True)
class ServiceUrlParams:
    """The ConfigMap ``key`` holding the URL, and the ``target`` component it names."""

    key: str
    target: str | None = None


@check
def service_url(t: Target, obj: K8sObject, params: ServiceUrlParams) -> Iterable[Violation]:
    """``params.key`` is an http URL naming another component's Service by DNS name and port.

    The target is ``params.target`` when the app declares such a component, else
    whichever other declared component's Service the URL names.
    """
    key = params.key
    comp = t.component(obj.component)
    if key not in ((comp.get("configMap") or {}).get("keys") or []):
        return
    value = mapping(obj.data.get("data")).get(key)
    if value is None:
        return  # required-keys reports it
    declared = t.config.components if t.config else {}
    if params.target in declared:
        names = [params.target]
    else:
        names = [c for c in declared if c != obj.component]
    services = [(c, t.get("Service", t.component(c).get("service") or "")) for c in names]
    services = [(c, s) for c, s in services if s is not None]
    if not services:
        yield Violation(f"{obj.ref} {key}: no Service of {names} is in the render", ("data", key))
        return
    m = re.match(r"^https?://([^/:]+)(?::(\d+))?(/.*)?$", str(value))
    for _, svc in services:
        ns = re.escape(svc.namespace) if svc.namespace else r"[a-z0-9-]+"
        host = re.compile(rf"^{re.escape(svc.name)}(\.{ns}(\.svc(\.cluster\.local)?)?)?$")
        ports = [p.get("port") for _, p in service_ports(svc)]
        if m and host.match(m.group(1)) and (int(m.group(2)) if m.group(2) else 80) in ports:
            return
    comp_name, svc = services[0]
    port = next((p.get("port", "?") for _, p in service_ports(svc)), "?")
    yield Violation(
        f"{obj.ref} {key} is {value!r}; expected http://{svc.name}:{port} "
        f"(the {comp_name} Service)",
        ("data", key),
    )


def literal_credential(name: str, value: str) -> tuple[str, str] | None:
    """(severity, why) when a literal ``value`` under ``name`` is a credential, else None:
    paths, flags, numbers, references, placeholders and settings about secrets are not; a
    URL to an in-cluster development database with a short password is only a warning."""
    plain = value.strip()
    if not plain or "$(" in plain or "{{" in plain:
        return None
    why = looks_real(plain, "")
    if why is None:
        if plain.startswith(("/", "./")) or not named_like_secret(name, plain):
            return None
        if re.match(r"^[a-z][a-z0-9+.-]*://", plain, re.I) and not _URL_PASSWORD.match(plain):
            return None  # a URL without credentials (TOKEN_URL, SECRET_ENDPOINT)
        why = "its name says it is a secret"
    if dev_database_url(plain):
        return "warning", "a URL to an in-cluster development database with a short password"
    return "error", why


_DB_IMAGE = re.compile(r"(^|/)(postgres|postgresql|mysql|mariadb|redis|mongo|mongodb)(:|@|$)")


def _bundled_db(container: dict[str, Any]) -> bool:
    """The container runs a database image (its password is the chart's own default)."""
    return bool(_DB_IMAGE.search(str(container.get("image", "")).split("/")[-1]))


@check
def env_no_secrets(t: Target, obj: K8sObject, params: NoParams) -> Iterable[Violation]:
    """Literal ``env`` values that are credentials (use secretKeyRef instead)."""
    for path, c in obj.containers(init=True):
        for i, env in indexed(c.get("env")):
            if not isinstance(env.get("value"), str):
                continue
            found = literal_credential(str(env.get("name", "")), env["value"])
            if found:
                severity, why = found
                if severity == "error" and _bundled_db(c) and len(env["value"]) < 12:
                    severity, why = "warning", "a short default password of a bundled database"
                yield Violation(
                    f'{obj.ref} container "{c.get("name") or path[-1]}" env {env.get("name")} '
                    f"holds a credential as a literal value ({why})",
                    (*path, "env", i, "value"),
                    str(c.get("name") or path[-1]),
                    severity=severity,
                )
