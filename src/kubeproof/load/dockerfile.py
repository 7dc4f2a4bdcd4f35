"""Dockerfiles: instructions with their lines (dockerfile-parse), split into stages."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from ..errors import InputError
from ..model import Dockerfile, Instruction, Stage
from .files import read_input

_VAR = re.compile(r"\$(?:\{(\w+)(?::?-([^}]*))?\}|(\w+))")


def substitute(text: str, args: dict[str, str]) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(3)
        if name in args:
            return args[name]
        return m.group(2) if m.group(2) is not None else m.group(0)

    return _VAR.sub(repl, text)


def _arg_defaults(value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for token in value.split():
        if "=" in token:
            k, v = token.split("=", 1)
            out[k] = v.strip("\"'")
    return out


def parse_dockerfile(text: str, file: str) -> Dockerfile:
    import io

    from dockerfile_parse.parser import DockerfileParser

    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()), env_replace=False)
    instructions = [
        Instruction(s["instruction"].upper(), s["value"], s["startline"] + 1)
        for s in parser.structure
        if s["instruction"] != "COMMENT"
    ]
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for ins in instructions:
        if ins.instruction == "FROM":
            words = ins.value.split()
            words = [w for w in words if not w.startswith("--platform")]
            base = words[0] if words else ""
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append(Stage(name, base, substitute(base, global_args), ins.line, [ins]))
        elif not stages:
            if ins.instruction == "ARG":
                global_args.update(_arg_defaults(ins.value))
        else:
            stages[-1].instructions.append(ins)
    if not stages:
        raise InputError(f"{file}: no FROM instruction: not a Dockerfile")
    return Dockerfile(file, text, global_args, instructions, stages)


def load_dockerfile(path: str) -> Dockerfile:
    return parse_dockerfile(read_input(path, "Dockerfile"), path)


@dataclass
class Healthcheck:
    """A HEALTHCHECK instruction, parsed (dockerfile-parse leaves it as text)."""

    none: bool
    options: dict[str, str] = field(default_factory=dict)
    command: str = ""
    url: str | None = None
    port: int | None = None
    path: str | None = None


_URL = re.compile(r"https?://[^/\s'\"`:]+(?::(\d+))?(/[^\s'\"`),]*)?")
_PORT = re.compile(r"\bport['\"]?\s*[:=]\s*['\"]?(\d+)")
_PATH = re.compile(r"\bpath['\"]?\s*[:=]\s*['\"]([^'\"]+)['\"]")


def parse_healthcheck(value: str) -> Healthcheck:
    """Options, command, and the URL (port and path) the command probes."""
    rest = value.strip()
    options: dict[str, str] = {}
    while rest.startswith("--"):
        token, _, rest = rest.partition(" ")
        key, _, val = token[2:].partition("=")
        options[key] = val
        rest = rest.lstrip()
    if rest.upper() == "NONE":
        return Healthcheck(none=True, options=options)
    if rest[:3].upper() == "CMD":
        rest = rest[3:].strip()
    command = rest
    if rest.startswith("["):
        import json

        try:
            parsed = json.loads(rest)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            command = " ".join(map(str, parsed))
    hc = Healthcheck(none=False, options=options, command=command)
    m = _URL.search(command)
    if m:
        hc.url = m.group(0)
        hc.port = int(m.group(1)) if m.group(1) else 80
        hc.path = m.group(2) or "/"
    else:
        pm, pa = _PORT.search(command), _PATH.search(command)
        if pm:
            hc.port = int(pm.group(1))
        if pa:
            hc.path = pa.group(1)
    return hc


def parse_user(value: str) -> tuple[str, str | None]:
    """``USER name[:group]`` as (user, group)."""
    user, _, group = value.strip().partition(":")
    return user, group or None


def exposed_ports(stage: Stage) -> list[tuple[int, str, int]]:
    """(port, protocol, line) for every EXPOSE in ``stage``."""
    out = []
    for ins in stage.all("EXPOSE"):
        try:
            tokens = shlex.split(ins.value)
        except ValueError:  # an unclosed quote: docker itself splits on whitespace
            tokens = ins.value.split()
        for token in tokens:
            port, _, proto = token.partition("/")
            if port.isascii() and port.isdigit():
                out.append((int(port), proto or "tcp", ins.line))
    return out


def final_chain(df: Dockerfile) -> list[Stage]:
    """The final stage and the stages it is built FROM (``FROM base AS final``): what ships."""
    names = {s.name: s for s in df.stages if s.name}
    chain, stage = [], df.final
    while stage is not None and stage not in chain:
        chain.append(stage)
        stage = names.get(stage.base_resolved)
    return chain


def stage_env(df: Dockerfile) -> dict[str, str]:
    """ENV and ARG defaults the final stage sets (and the stages it is built FROM), for
    ``${PORT}`` in its HEALTHCHECK; later values win."""
    env: dict[str, str] = {}
    for stage in reversed(final_chain(df)):
        for ins in stage.instructions:
            if ins.instruction in ("ENV", "ARG"):
                for k, v in re.findall(r"""(\w+)=("[^"]*"|'[^']*'|\S*)""", ins.value):
                    env[k] = substitute(v.strip("\"'"), env)
                if ins.instruction == "ENV" and "=" not in ins.value:
                    key, _, value = ins.value.partition(" ")
                    env[key] = value.strip()
    return env
