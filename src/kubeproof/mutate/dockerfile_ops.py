"""Operators over Dockerfiles: USER, HEALTHCHECK, EXPOSE, stages, base images, secrets, ADD."""

from __future__ import annotations

import re

from ..load.dockerfile import parse_healthcheck
from ..model import Dockerfile, Instruction
from .object_ops import FAKE_API_KEY
from .operators import Mut, operator


def _span(lines: list[str], start: int) -> int:
    """How many lines the instruction starting at ``lines[start]`` takes (continuations)."""
    end = start
    while end < len(lines) - 1:
        line = lines[end].rstrip("\n")
        if not line.rstrip().endswith("\\") and not (end > start and line.lstrip().startswith("#")):
            break
        end += 1
    return end - start + 1


def _replace(text: str, ins: Instruction, new: str | None) -> str:
    """``text`` with the instruction ``ins`` (all its lines) replaced by ``new`` (None: removed)."""
    lines = text.splitlines(keepends=True)
    start = ins.line - 1
    count = _span(lines, start)
    lines[start : start + count] = [] if new is None else [new.rstrip("\n") + "\n"]
    return "".join(lines)


def _source(text: str, ins: Instruction) -> str:
    """The instruction's text as written (all its lines)."""
    lines = text.splitlines(keepends=True)
    start = ins.line - 1
    return "".join(lines[start : start + _span(lines, start)])


def _insert_after(text: str, line: int, new: str) -> str:
    lines = text.splitlines(keepends=True)
    lines.insert(line, new.rstrip("\n") + "\n")
    return "".join(lines)


def _replace_final(m: Mut, keyword: str, new: str | None) -> bool:
    """Replace the final stage's last ``keyword`` instruction by ``new`` (None: remove it);
    False where there is none."""
    ins = m.df.last_in_final(keyword)
    if ins is None:
        return False
    m.text = _replace(m.text, ins, new)
    return True


@operator(
    "user-root",
    rules=["dockerfile-user-nonroot"],
    also=["hadolint/DL3002", "hadolint/DL3066"],
    scope="dockerfile",
)
def user_root(m: Mut) -> bool:
    """End the final stage as USER root."""
    ins = m.df.last_in_final("USER")
    if ins is None:
        m.text = _insert_after(m.text, len(m.text.splitlines()), "USER root")
    else:
        m.text = _replace(m.text, ins, "USER root")
    return True


@operator("user-removed", rules=["dockerfile-user-nonroot"], scope="dockerfile")
def user_removed(m: Mut) -> bool:
    """Remove the final stage's USER (the image runs as root)."""
    users = m.df.final.all("USER") if m.df.final else []
    for ins in reversed(users):
        m.text = _replace(m.text, ins, None)
    return bool(users)


def _user_name(m: Mut) -> str:
    return str(((m.component.get("image") or {}).get("user") or {}).get("name") or "app")


@operator(
    "user-named",
    rules=["dockerfile-user-nonroot"],
    also=["hadolint/DL3066"],
    scope="dockerfile",
    severity="warning",  # runs fine while the pod sets a numeric runAsUser
)
def user_named(m: Mut) -> bool:
    """Set the final USER by name instead of a numeric uid."""
    ins = m.df.last_in_final("USER")
    if ins is None or not ins.value.split(":")[0].strip().isdigit():
        return False
    m.text = _replace(m.text, ins, f"USER {_user_name(m)}")
    return True


@operator(
    "named-user-without-run-as-user",
    rules=["named-user-needs-run-as-user"],
    also=["dockerfile-user-nonroot", "run-as-user-numeric", "hadolint/DL3066"],
    scope="dockerfile",
)
def named_user_without_run_as_user(m: Mut) -> bool:
    """Set the final USER by name and drop runAsUser from the component's pod."""
    if not user_named(m):
        return False

    def drop_run_as_user(obj) -> None:
        spec = obj.pod_spec or {}
        for sc in [spec.get("securityContext")] + [
            c.get("securityContext") for _, c in obj.containers(init=True)
        ]:
            if isinstance(sc, dict):
                sc.pop("runAsUser", None)

    m.workload_edit = drop_run_as_user
    return True


@operator("healthcheck-removed", rules=["dockerfile-healthcheck"], scope="dockerfile")
def healthcheck_removed(m: Mut) -> bool:
    """Remove the final stage's HEALTHCHECK."""
    return _replace_final(m, "HEALTHCHECK", None)


@operator("healthcheck-none", rules=["dockerfile-healthcheck"], scope="dockerfile")
def healthcheck_none(m: Mut) -> bool:
    """Disable the health check (HEALTHCHECK NONE)."""
    return _replace_final(m, "HEALTHCHECK", "HEALTHCHECK NONE")


@operator("healthcheck-path-changed", rules=["healthcheck-matches-probe"], scope="dockerfile")
def healthcheck_path_changed(m: Mut) -> bool:
    """Make the HEALTHCHECK request another path than the probes."""
    ins = m.df.last_in_final("HEALTHCHECK")
    if ins is None:
        return False
    hc = parse_healthcheck(ins.value)
    if hc.url is None:
        return False
    new_url = re.sub(r"^(https?://[^/\s'\"`]+)(/[^\s'\"`),]*)?", r"\1/mutated-elsewhere", hc.url)
    m.text = _replace(m.text, ins, _source(m.text, ins).replace(hc.url, new_url))
    return True


@operator(
    "expose-changed",
    rules=["dockerfile-expose", "expose-port-chain"],
    also=["healthcheck-matches-probe"],
    scope="dockerfile",
)
def expose_changed(m: Mut) -> bool:
    """EXPOSE another port than the app listens on."""
    ins = m.df.last_in_final("EXPOSE")
    if ins is None:
        return False
    new = re.sub(r"\d+", lambda p: str(int(p.group(0)) + 1), ins.value, count=1)
    m.text = _replace(m.text, ins, f"EXPOSE {new}")
    return True


@operator("stage-renamed", rules=["dockerfile-stages"], scope="dockerfile")
def stage_renamed(m: Mut) -> bool:
    """Rename a build stage (and every reference to it)."""
    names = [s.name for s in m.df.stages if s.name]
    if not names:
        return False
    old = names[0]
    m.text = re.sub(
        rf"(?i)(\bAS\s+|--from=|^FROM\s+){re.escape(old)}\b",
        lambda g: g.group(1) + f"{old}-renamed",
        m.text,
        flags=re.M,
    )
    return True


def _external_bases(df: Dockerfile) -> list[str]:
    names = {s.name for s in df.stages if s.name}
    return [s.base_resolved for s in df.stages if s.base_resolved not in names | {"scratch"}]


def _rebase(m: Mut, new_base: str) -> bool:
    """Replace the final stage's external base image (in its FROM or in the ARG default)."""
    bases = _external_bases(m.df)
    if not bases or "$" in bases[-1]:
        return False
    old = bases[-1]
    text = re.sub(rf"(?<![\w./:-]){re.escape(old)}(?![\w./:-])", new_base, m.text)
    m.text = text
    return text != m.df.text


@operator(
    "base-image-latest",
    rules=["dockerfile-base-tag", "dockerfile-base-image"],
    also=["hadolint/DL3007"],
    scope="dockerfile",
)
def base_image_latest(m: Mut) -> bool:
    """Build the final stage FROM a `latest` base image."""
    bases = _external_bases(m.df)
    if not bases:
        return False
    repo = bases[-1].rsplit(":", 1)[0] if ":" in bases[-1].rsplit("/", 1)[-1] else bases[-1]
    return _rebase(m, f"{repo}:latest")


@operator(
    "base-image-changed",
    rules=["dockerfile-base-image"],
    also=["probe-binary-present"],  # a slim base has no curl/wget for the HEALTHCHECK
    scope="dockerfile",
)
def base_image_changed(m: Mut) -> bool:
    """Build the final stage FROM another base image than the declared one."""
    return _rebase(m, "debian:12.8-slim")


@operator(
    "secret-in-dockerfile-env",
    rules=["dockerfile-no-secrets"],
    also=["hadolint/DL3064"],
    scope="dockerfile",
)
def secret_in_env(m: Mut) -> bool:
    """Bake an API key into the image with ENV."""
    if m.df.final is None:
        return False
    m.text = _insert_after(m.text, m.df.final.line, f"ENV OPENAI_API_KEY={FAKE_API_KEY}")
    return True


@operator("remote-add", rules=["dockerfile-no-remote-add"], scope="dockerfile")
def remote_add(m: Mut) -> bool:
    """ADD a file straight from a URL."""
    if m.df.final is None:
        return False
    m.text = _insert_after(
        m.text, m.df.final.line, "ADD https://example.com/mutated/tool.tar.gz /tmp/tool.tar.gz"
    )
    return True
