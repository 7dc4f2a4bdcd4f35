"""Container images of the app: build them, run them until healthy, and clean up.

Used by the image tier (``tests/image``) and by anything else that needs the
images built first (the cluster tier builds, then loads them into a cluster).

- :func:`image_specs` reads what each image must be from ``kubeproof.yaml``
  (repository, Dockerfile, context, upstream base, port, health path, user).
- :func:`choose_base` picks the upstream base when it exists locally, else the
  stand-in made by ``scripts/images/base-images.sh`` (built on demand): this
  machine has no registry to pull from.
- :func:`build` builds through the docker SDK with the layer cache, streaming
  the build's steps to a progress callback, and raises :class:`ImageBuildError`
  with the failing step and the log tail.
- :func:`wait_healthy` waits for Docker's own HEALTHCHECK verdict and returns, per
  container, nothing (healthy) or its health log and container log.
- Every container, network and image a run creates carries :data:`RUN_LABEL`
  (the run id) and :data:`PID_LABEL`; :func:`sweep` removes one run's resources,
  :func:`sweep_stale` those of runs whose process is gone (killed with SIGKILL).
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import AppConfig, load_config
from ..errors import KubeproofError
from .namespaces import pid_alive

if TYPE_CHECKING:  # docker is imported lazily: the static tiers must not need it
    import docker
    from docker.models.containers import Container

ROOT = Path(__file__).resolve().parents[3]
#: This machine's facts live in the checkout's scripts, not here: the stand-in
#: bases (upstream -> local, built by base-images.sh) and where extra CAs come from.
IMAGE_SCRIPTS = ROOT / "scripts" / "images"
BASE_IMAGES_SCRIPT = IMAGE_SCRIPTS / "base-images.sh"
STAND_INS_FILE = IMAGE_SCRIPTS / "stand-ins.txt"
EXTRA_CA_SCRIPT = IMAGE_SCRIPTS / "extra-ca.sh"
#: Label on everything a test run creates; the value is the run id.
RUN_LABEL = "io.kubeproof.test.run"
#: Labels with the pid and host of the process that created the resource: a stale
#: sweep removes only what a dead process on this host left behind.
PID_LABEL = "io.kubeproof.test.pid"
HOST_LABEL = "io.kubeproof.test.host"
#: One environment string is capped at 128 KiB (MAX_ARG_STRLEN); stay below it.
MAX_EXTRA_CA_BYTES = 100_000

Progress = Callable[[str], None]


class ImageError(KubeproofError):
    """Building, running or cleaning up an image failed."""


class ImageBuildError(ImageError):
    """``docker build`` failed; the message names the step and ends with the log tail."""


@dataclass(frozen=True)
class ImageSpec:
    """What one component's image must be, from kubeproof.yaml."""

    component: str
    repository: str
    dockerfile: Path
    context: Path
    base_image: str
    base_arg: str
    port: int
    health_path: str
    user: str
    uid: int
    gid: int
    stages: tuple[str, ...] = ()

    @property
    def stand_in(self) -> str | None:
        return stand_ins().get(self.base_image)


def stand_ins(path: Path = STAND_INS_FILE) -> dict[str, str]:
    """Upstream base -> local stand-in, from ``scripts/images/stand-ins.txt`` (empty
    without a checkout: then only the upstream bases are used)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    pairs = [line.split() for line in lines if line.strip() and not line.startswith("#")]
    return {words[0]: words[1] for words in pairs if len(words) == 2}


def _base_arg(dockerfile: Path, base_image: str) -> str:
    """The name of the ARG (before the first FROM) whose default is ``base_image``."""
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if not words:
            continue
        if words[0].upper() == "FROM":
            break
        m = re.fullmatch(r"ARG\s+(\w+)=(\S+)", line.strip(), flags=re.I)
        if m and m.group(2).strip("\"'") == base_image:
            return m.group(1)
    raise ImageError(f"{dockerfile}: no ARG before the first FROM defaults to {base_image}")


def image_specs(config: AppConfig | str | Path | None = None) -> dict[str, ImageSpec]:
    """Return component name -> :class:`ImageSpec` for every component with an image."""
    if not isinstance(config, AppConfig):
        config = load_config(str(config or ROOT / "kubeproof.yaml"))
    specs = {}
    for name, comp in config.components.items():
        image = comp.get("image")
        if not image:
            continue
        try:
            user = image["user"]
            dockerfile = config.root / image["dockerfile"]
            specs[name] = ImageSpec(
                component=name,
                repository=image["repository"],
                dockerfile=dockerfile,
                context=config.root / image["context"],
                base_image=image["baseImage"],
                base_arg=_base_arg(dockerfile, image["baseImage"]),
                port=int(comp["port"]),
                health_path=comp["healthPath"],
                user=user["name"],
                uid=int(user["uid"]),
                gid=int(user["gid"]),
                stages=tuple(image.get("stages") or ()),
            )
        except (KeyError, TypeError) as err:
            raise ImageError(f"{config.file}: component {name!r}: image needs {err}") from err
    return specs


def client(timeout: int = 600) -> docker.DockerClient:
    """Return a docker SDK client (long timeout: builds answer slowly)."""
    import docker

    return docker.from_env(timeout=timeout)


def image_exists(dc: docker.DockerClient, ref: str) -> bool:
    import docker

    try:
        dc.images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    return True


def choose_base(dc: docker.DockerClient, spec: ImageSpec, progress: Progress | None = None) -> str:
    """Return the base to build from: upstream if present, else the stand-in (built if needed)."""
    if image_exists(dc, spec.base_image) or spec.stand_in is None:
        return spec.base_image
    if not image_exists(dc, spec.stand_in):
        if progress:
            progress(f"{spec.base_image} is not available locally; building stand-ins")
        proc = subprocess.run(
            ["bash", str(BASE_IMAGES_SCRIPT)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0 or not image_exists(dc, spec.stand_in):
            raise ImageError(
                f"{BASE_IMAGES_SCRIPT.name} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}"
            )
    return spec.stand_in


def extra_ca_certs() -> str:
    """Return the PEM text of the extra CAs builds should trust ('' when there are none).

    Exactly what ``scripts/images/build.sh`` passes (``extra_ca_pem`` of
    ``scripts/images/extra-ca.sh``: ``KUBEPROOF_EXTRA_CA_FILE``, else the host's
    local CA additions), so both builds share the layer cache.
    """
    if not EXTRA_CA_SCRIPT.is_file():
        return ""
    proc = subprocess.run(
        ["bash", "-c", 'set -e; . "$1"; extra_ca_pem', "extra-ca", str(EXTRA_CA_SCRIPT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise ImageError(f"{EXTRA_CA_SCRIPT}: extra_ca_pem failed: {proc.stderr.strip()}")
    text = proc.stdout.rstrip("\n")  # "$(extra_ca_pem)" in bash drops trailing newlines
    if len(text) > MAX_EXTRA_CA_BYTES:
        raise ImageError(
            f"extra CA bundle is {len(text)} bytes; "
            f"pass only the extra CAs (KUBEPROOF_EXTRA_CA_FILE), at most {MAX_EXTRA_CA_BYTES} bytes"
        )
    return text


def git_revision() -> str:
    proc = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() or "unknown"


@dataclass
class BuiltImage:
    spec: ImageSpec
    tags: list[str]
    id: str
    base: str
    seconds: float
    cached_steps: int
    steps: int
    buildargs: dict[str, str] = field(default_factory=dict, repr=False)
    log: list[str] = field(default_factory=list, repr=False)

    @property
    def tag(self) -> str:
        return self.tags[0]


_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")


def build(
    dc: docker.DockerClient,
    spec: ImageSpec,
    tags: Iterable[str] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    nocache: bool = False,
    base: str | None = None,
    version: str = "1.0.0",
    revision: str | None = None,
) -> BuiltImage:
    """Build ``spec`` with the layer cache and return the result.

    ``progress`` receives one line per build step. The whole log is kept on the
    result, and its tail goes into the :class:`ImageBuildError` raised when the
    build fails. ``revision`` (default: git HEAD) only changes the last layer.
    """
    tags = list(tags or [f"{spec.repository}:latest"])
    base = base or choose_base(dc, spec, progress)
    buildargs = {
        spec.base_arg: base,
        "EXTRA_CA_CERTS": extra_ca_certs(),
        "VERSION": version,
        "REVISION": revision or git_revision(),
    }
    say = progress or (lambda _line: None)
    say(f"building {tags[0]} from {base} ({spec.dockerfile.relative_to(ROOT)})")
    started = time.monotonic()
    log: list[str] = []
    image_id = None
    steps = cached = 0
    current = ""
    stream = dc.api.build(
        path=str(spec.context),
        dockerfile=str(spec.dockerfile),
        tag=tags[0],
        buildargs=buildargs,
        labels=dict(labels or {}),
        nocache=nocache,
        rm=True,
        forcerm=True,
        decode=True,
    )
    for chunk in stream:
        if "error" in chunk:
            detail = chunk.get("errorDetail", {}).get("message") or chunk["error"]
            tail = "\n".join(log[-40:])
            raise ImageBuildError(
                f"building {tags[0]} from {spec.dockerfile.name} failed at {current or 'start'}: "
                f"{detail.strip()}\n--- build log (tail) ---\n{tail}"
            )
        if "aux" in chunk and "ID" in chunk["aux"]:
            image_id = chunk["aux"]["ID"]
        text = chunk.get("stream") or chunk.get("status") or ""
        for line in text.splitlines():
            line = line.rstrip()
            if not line:
                continue
            log.append(line)
            if m := _STEP.match(line):
                steps = int(m.group(2))
                current = f"step {m.group(1)}/{m.group(2)} ({m.group(3)[:80]})"
                say(f"  {tags[0]}: Step {m.group(1)}/{m.group(2)} : {m.group(3)[:100]}")
            elif line.strip() == "---> Using cache":
                cached += 1
            elif m := re.match(r"^Successfully built ([0-9a-f]+)$", line):
                image_id = image_id or m.group(1)
    if image_id is None:
        raise ImageBuildError(f"building {tags[0]}: the daemon reported no image id")
    image = dc.images.get(image_id)
    for extra in tags[1:]:
        repo, _, tag = extra.rpartition(":")
        image.tag(repo, tag)
    seconds = time.monotonic() - started
    say(
        f"built {tags[0]} in {seconds:.1f} s ({cached}/{steps} steps cached, "
        f"{image.attrs['Size'] / 1e6:.0f} MB)"
    )
    return BuiltImage(spec, tags, image.id, base, seconds, cached, steps, buildargs, log)


def build_app_images(
    tags: Iterable[str] = ("latest",), progress: Progress | None = print
) -> dict[str, BuiltImage]:
    """Build every image kubeproof.yaml declares, as ``<repository>:<tag>``, by component."""
    dc = client()
    return {
        name: build(dc, spec, [f"{spec.repository}:{t}" for t in tags], progress=progress)
        for name, spec in image_specs().items()
    }


# ---- running ---------------------------------------------------------------


def new_run_id() -> str:
    return uuid.uuid4().hex[:10]


def run_labels(run_id: str) -> dict[str, str]:
    """Return the labels every resource of run ``run_id`` carries."""
    return {RUN_LABEL: run_id, PID_LABEL: str(os.getpid()), HOST_LABEL: socket.gethostname()}


def health_report(container: Container, log_lines: int = 30) -> str:
    """Return the container's state, its health-check log and the tail of its output."""
    container.reload()
    state = container.attrs.get("State", {})
    health = state.get("Health") or {}
    lines = [
        f"container {container.name} ({container.image.tags or container.image.id}): "
        f"status={state.get('Status')} exit={state.get('ExitCode')} "
        f"health={health.get('Status', 'none')} failing_streak={health.get('FailingStreak', 0)}"
    ]
    for probe in health.get("Log") or []:
        output = (probe.get("Output") or "").strip().replace("\n", " | ")
        lines.append(f"  health check exit {probe.get('ExitCode')}: {output[:300]}")
    test = (container.attrs.get("Config", {}).get("Healthcheck") or {}).get("Test")
    if test:
        lines.append(f"  health command: {shlex.join(test)}")
    logs = container.logs(tail=log_lines).decode(errors="replace").rstrip()
    lines.append(f"--- last {log_lines} log lines ---\n{logs}")
    return "\n".join(lines)


def health_status(container: Container) -> str:
    """Return Docker's health verdict: starting, healthy, unhealthy, none, or exited."""
    container.reload()
    state = container.attrs.get("State", {})
    if state.get("Status") in ("exited", "dead"):
        return "exited"
    return (state.get("Health") or {}).get("Status", "none")


def wait_healthy(containers: Iterable[Container], timeout: float = 120) -> dict[str, str]:
    """Wait until each container is healthy, unhealthy or exited; return name -> report.

    The report is ``""`` for a healthy container and the :func:`health_report`
    otherwise (also for those still starting when ``timeout`` runs out). All
    containers are waited for together, so slow starters do not add up.
    """
    pending = {c.name: c for c in containers}
    outcome: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while pending:
        for name, c in list(pending.items()):
            status = health_status(c)
            if status == "healthy":
                outcome[name] = ""
            elif status in ("unhealthy", "exited", "none"):
                outcome[name] = f"{status}:\n{health_report(c)}"
            else:
                continue
            del pending[name]
        if pending and time.monotonic() > deadline:
            for name, c in pending.items():
                outcome[name] = f"not healthy after {timeout:.0f} s:\n{health_report(c)}"
            break
        if pending:
            time.sleep(1)
    return outcome


def published_port(container: Container, port: int) -> int:
    """Return the host port Docker published ``port``/tcp on."""
    container.reload()
    bindings = container.attrs["NetworkSettings"]["Ports"].get(f"{port}/tcp") or []
    if not bindings:
        raise ImageError(f"{container.name}: port {port}/tcp is not published")
    return int(bindings[0]["HostPort"])


def listening_ports(proc_net_tcp: str) -> set[int]:
    """Return the ports in LISTEN state in the text of /proc/net/tcp and/or tcp6.

    Slim images have neither ``ss`` nor ``netstat``; the kernel's table is enough.
    Header lines (``sl local_address ...``) are skipped by their ``st`` column.
    """
    ports = set()
    for line in proc_net_tcp.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[3] == "0A":  # TCP_LISTEN
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


# ---- cleanup ---------------------------------------------------------------


def sweep(
    dc: docker.DockerClient, run_id: str | None = None, *, stale_only: bool = False
) -> list[str]:
    """Remove the containers, networks and images labelled for ``run_id``; return what went.

    With ``run_id=None`` every labelled resource is a candidate; ``stale_only``
    keeps those whose creating process (``PID_LABEL``) is still alive or ran on
    another host (``HOST_LABEL``: a shared daemon). Images are removed with
    ``noprune`` so that the build's layer cache survives.
    """
    import docker

    selector = f"{RUN_LABEL}={run_id}" if run_id else RUN_LABEL
    removed: list[str] = []

    here = socket.gethostname()

    def wanted(labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        if not stale_only:
            return True
        return labels.get(HOST_LABEL) == here and not pid_alive(labels.get(PID_LABEL, ""))

    for c in dc.containers.list(all=True, filters={"label": selector}):
        if wanted(c.labels):
            try:
                c.remove(force=True, v=True)
                removed.append(f"container {c.name}")
            except docker.errors.NotFound:
                pass
    for n in dc.networks.list(filters={"label": selector}):
        if wanted(n.attrs.get("Labels")):
            try:
                n.remove()
                removed.append(f"network {n.name}")
            except docker.errors.NotFound:
                pass
    for image in dc.images.list(filters={"label": selector}):
        if wanted(image.labels):
            for ref in image.tags or [image.id]:
                try:
                    dc.images.remove(ref, force=True, noprune=True)
                    removed.append(f"image {ref}")
                except docker.errors.NotFound:
                    pass
    return removed


def sweep_stale(dc: docker.DockerClient) -> list[str]:
    """Remove what earlier runs left behind when they were killed; keep live runs' resources."""
    return sweep(dc, None, stale_only=True)
