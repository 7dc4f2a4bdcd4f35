"""The clusters the live tiers run on: one class per provider, behind a registry.

``current``
    The kubeconfig's current context (``--kubeconfig``, ``$KUBECONFIG`` or
    ``~/.kube/config``). Images are loaded the way the cluster behind the context
    takes them, when it is one of the others; otherwise loading is refused.
``minikube``
    A running minikube profile (``minikube status``); images via ``minikube image load``.
``kind``
    A throwaway cluster made by pytest-kind with the ``kind`` and ``kubectl`` binaries
    from PATH (never downloaded); deleted at the end unless ``--keep-cluster``, and
    reused when it exists. Images via ``kind load docker-image``.
``kubeproof``
    Our CI cluster (``scripts/cluster/cluster.sh``): its paths come from the checkout's
    ``scripts/cluster/paths.env``; images via ``docker save | ctr images import``.

A provider answers :meth:`Provider.ensure` with ``None`` when its cluster is usable, or
the reason it is not; the pytest plugin turns that reason into a skip (or a failure
where CI requires a cluster).
"""

from __future__ import annotations

import json
import os
import shutil
import string
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from . import runner
from .runner import ClusterError, Target

#: The checkout's definition of our CI cluster's paths, when run from a source tree.
CHECKOUT_CLUSTER_ENV = Path(__file__).resolve().parents[3] / "scripts" / "cluster" / "paths.env"


@dataclass(frozen=True)
class Options:
    """What the user chose (pytest options or environment), for every provider."""

    kubeconfig: Path | None = None  # --kubeconfig or $KUBECONFIG (current, minikube)
    cluster_env: Path = CHECKOUT_CLUSTER_ENV  # our CI cluster's paths.env
    kind_name: str = "pytest-kind"  # --cluster-name (pytest-kind's option)
    keep_cluster: bool = False  # --keep-cluster (pytest-kind's option)
    minikube_profile: str = "minikube"
    workdir: Path = field(default_factory=Path.cwd)  # where pytest-kind keeps its kubeconfig

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Options:
        """Options from KUBECONFIG, KUBEPROOF_CLUSTER_ENV and KUBEPROOF_MINIKUBE_PROFILE."""
        env = os.environ if environ is None else environ
        first = env.get("KUBECONFIG", "").split(os.pathsep)[0]
        return cls(
            kubeconfig=Path(first) if first else None,
            cluster_env=Path(env.get("KUBEPROOF_CLUSTER_ENV") or CHECKOUT_CLUSTER_ENV),
            minikube_profile=env.get("KUBEPROOF_MINIKUBE_PROFILE") or "minikube",
        )


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a shell environment file, ``$KEY``/``${KEY}`` of earlier
    lines expanded, surrounding quotes removed; comments and blank lines skipped."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.isidentifier():
            raise ClusterError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = string.Template(value).safe_substitute(values)
    return values


def readyz(to: Target) -> str | None:
    """None when the API server behind ``to`` answers ``/readyz``, else why not."""
    try:
        runner.kubectl("get", "--raw", "/readyz", "--request-timeout=5s", timeout=20, to=to)
    except ClusterError as exc:
        return str(exc)
    return None


def containerd_ref(image_ref: str) -> str:
    """How a Docker image name appears in containerd.

    ``todo-backend:1`` -> ``docker.io/library/todo-backend:1``: ``ctr import`` and
    the kubelet normalise names the same way, so pods can use the short name.
    """
    last = image_ref.split("/")[-1]
    name, tag = image_ref.rsplit(":", 1) if ":" in last else (image_ref, "latest")
    first = name.split("/")[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    return f"{name}:{tag}"


REGISTRY: dict[str, type[Provider]] = {}


def register(cls: type[Provider]) -> type[Provider]:
    """Class decorator: make a provider selectable by its ``name``."""
    REGISTRY[cls.name] = cls
    return cls


class Provider:
    """A cluster the tests can use: where commands point, how images get in."""

    name: ClassVar[str]

    def __init__(self, options: Options) -> None:
        self.options = options
        self._reason: str | None = None
        self._checked = False
        self._started = False

    def target(self) -> Target:
        """Where kubectl and helm point for this cluster."""
        return Target(kubeconfig=self.options.kubeconfig or _home_kubeconfig())

    def prerequisites(self) -> str | None:
        """Why this provider cannot be used on this machine at all (None: it can)."""
        return None

    def start(self) -> None:
        """Bring the cluster up when the provider makes its own (kind); default: nothing."""

    def stop(self) -> None:
        """Undo :meth:`start`; default: nothing."""

    def ensure(self) -> str | None:
        """Return None once the cluster answers, else the reason it cannot be used (cached)."""
        if not self._checked:
            self._checked = True
            self._reason = self.prerequisites()
            if self._reason is None:
                try:
                    self.start()
                    self._started = True
                except ClusterError as exc:
                    self._reason = f"--cluster={self.name}: {exc}"
            if self._reason is None and (why := readyz(self.target())) is not None:
                self._reason = f"--cluster={self.name}: the API server does not answer: {why}"
        return self._reason

    def close(self) -> None:
        """Stop what :meth:`ensure` started."""
        if self._started:
            self._started = False
            self.stop()

    def load_image(self, image_ref: str) -> None:
        """Make a local Docker image usable by pods with ``imagePullPolicy: Never``."""
        raise ClusterError(
            f"--cluster={self.name}: no way to load local images into this cluster; "
            "use --cluster=kubeproof|minikube|kind, or push the image where the cluster pulls"
        )

    def remove_image(self, image_ref: str) -> None:
        """Remove an image :meth:`load_image` put into the cluster."""

    def describe_failure(self, component: str, message: str) -> str:
        """A failure message naming the component at fault (with its log where known)."""
        return f"[{component}] {message}"


def _home_kubeconfig() -> Path | None:
    path = Path.home() / ".kube" / "config"
    return path if path.is_file() else None


def _docker_save_into(image_ref: str, argv: list[str], what: str) -> None:
    """``docker save image_ref | argv``: the import side's failure wins the message."""
    with subprocess.Popen(["docker", "save", image_ref], stdout=subprocess.PIPE) as save:
        try:
            runner.run(argv, stdin=save.stdout, timeout=600, what=what)
        finally:
            if save.stdout:
                save.stdout.close()
            save.wait(timeout=600)
    if save.returncode != 0:
        raise ClusterError(f"docker save {image_ref} failed (exit {save.returncode})")


@register
class Current(Provider):
    """The kubeconfig's current context, whatever cluster it is."""

    name = "current"

    def prerequisites(self) -> str | None:
        if self.target().kubeconfig is None:
            return (
                "no kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config): "
                "pass --cluster=kubeproof|minikube|kind or point KUBECONFIG at a cluster"
            )
        return None

    def owner(self) -> Provider | None:
        """The provider whose cluster the current context is, when it is one we know."""
        cfg = self.target().kubeconfig
        ours = Kubeproof(self.options)
        if cfg is not None and ours.kubeconfig_path() == cfg.resolve():
            return ours
        context = current_context(cfg)
        if context and context.startswith("kind-"):
            return Kind(replace(self.options, kind_name=context[len("kind-") :]), existing=cfg)
        profiles = Path.home() / ".minikube" / "profiles"
        if context and (context == "minikube" or (profiles / context).is_dir()):
            return Minikube(replace(self.options, minikube_profile=context))
        return None

    def load_image(self, image_ref: str) -> None:
        owner = self.owner()
        if owner is None:
            super().load_image(image_ref)
        else:
            owner.load_image(image_ref)

    def remove_image(self, image_ref: str) -> None:
        owner = self.owner()
        if owner is not None:
            owner.remove_image(image_ref)


def current_context(cfg: Path | None) -> str | None:
    """The ``current-context`` of a kubeconfig file (None when unreadable or unset)."""
    if cfg is None:
        return None
    import yaml

    try:
        data = yaml.safe_load(cfg.read_text())
    except (OSError, yaml.YAMLError):
        return None
    ctx = data.get("current-context") if isinstance(data, dict) else None
    return str(ctx) if ctx else None


@register
class Minikube(Provider):
    """A running minikube profile, reached through its kubeconfig context."""

    name = "minikube"

    def target(self) -> Target:
        return Target(
            kubeconfig=self.options.kubeconfig or _home_kubeconfig(),
            context=self.options.minikube_profile,
        )

    def _minikube(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        argv = ["minikube", *args, "-p", self.options.minikube_profile]
        return runner.run(argv, timeout=timeout, check=False)

    def prerequisites(self) -> str | None:
        if shutil.which("minikube") is None:
            return (
                "--cluster=minikube: minikube not on PATH (it needs a VM or privileged "
                "containers, which machines like our CI lack)"
            )
        proc = self._minikube("status", "-o", "json")
        try:
            status = json.loads(proc.stdout or "{}")
        except json.JSONDecodeError:
            status = {}
        if not isinstance(status, dict):
            status = {}
        if (status.get("Host"), status.get("APIServer")) != ("Running", "Running"):
            return (
                f"--cluster=minikube: profile {self.options.minikube_profile!r} is not running "
                f"({proc.stdout.strip() or proc.stderr.strip()}); "
                f"start it: minikube start -p {self.options.minikube_profile}"
            )
        return None

    def load_image(self, image_ref: str) -> None:
        argv = ["minikube", "image", "load", image_ref, "-p", self.options.minikube_profile]
        runner.run(argv, timeout=600)

    def remove_image(self, image_ref: str) -> None:
        argv = ["minikube", "image", "rm", image_ref, "-p", self.options.minikube_profile]
        runner.run(argv, timeout=120)


@register
class Kind(Provider):
    """A kind cluster made (or reused) through pytest-kind with binaries from PATH."""

    name = "kind"

    def __init__(self, options: Options, existing: Path | None = None) -> None:
        super().__init__(options)
        self._existing = existing  # a kubeconfig of a kind cluster someone else made
        self._cluster = None

    def kubeconfig_path(self) -> Path:
        """Where pytest-kind writes this cluster's kubeconfig."""
        if self._existing is not None:
            return self._existing
        return self.options.workdir / ".pytest-kind" / self.options.kind_name / "kubeconfig"

    def target(self) -> Target:
        return Target(kubeconfig=self.kubeconfig_path())

    def prerequisites(self) -> str | None:
        missing = [tool for tool in ("kind", "kubectl") if shutil.which(tool) is None]
        if missing:
            return (
                f"--cluster=kind: {' and '.join(missing)} not on PATH (never downloaded here; "
                "kind also needs privileged containers, which machines like our CI lack)"
            )
        return None

    def start(self) -> None:
        from pytest_kind import KindCluster

        cwd = Path.cwd()
        os.chdir(self.options.workdir)  # pytest-kind makes ./.pytest-kind/<name> here
        try:
            self._cluster = KindCluster(
                self.options.kind_name,
                self.kubeconfig_path().absolute(),  # its own, never the user's kubeconfig
                kind_path=Path(str(shutil.which("kind"))),
                kubectl_path=Path(str(shutil.which("kubectl"))),
            )
        finally:
            os.chdir(cwd)
        try:
            self._cluster.create()  # reuses a cluster of that name when it exists
        except (subprocess.CalledProcessError, OSError) as exc:
            raise ClusterError(
                f"kind create cluster --name {self.options.kind_name} failed: {exc}"
            ) from exc

    def stop(self) -> None:
        if self._cluster is None or self.options.keep_cluster:
            return
        try:
            self._cluster.delete()
        except subprocess.CalledProcessError as exc:
            raise ClusterError(
                f"kind delete cluster --name {self.options.kind_name} failed: {exc}"
            ) from exc

    def load_image(self, image_ref: str) -> None:
        argv = ["kind", "load", "docker-image", image_ref, "--name", self.options.kind_name]
        runner.run(argv, timeout=600)

    def remove_image(self, image_ref: str) -> None:
        node = f"{self.options.kind_name}-control-plane"
        argv = ["docker", "exec", node, "crictl", "rmi", containerd_ref(image_ref)]
        runner.run(argv, timeout=120)


@register
class Kubeproof(Provider):
    """Our CI cluster: host processes from ``scripts/cluster/cluster.sh``."""

    name = "kubeproof"

    def paths(self) -> dict[str, str]:
        """The cluster's paths, from ``paths.env`` (empty when there is none)."""
        try:
            return read_env_file(self.options.cluster_env)
        except OSError:
            return {}

    def kubeconfig_path(self) -> Path | None:
        value = self.paths().get("KUBEPROOF_CLUSTER_KUBECONFIG")
        return Path(value).resolve() if value else None

    def target(self) -> Target:
        paths = self.paths()
        socket = paths.get("KUBEPROOF_CLUSTER_CONTAINERD_SOCKET")
        return Target(
            kubeconfig=self.kubeconfig_path(), containerd_socket=Path(socket) if socket else None
        )

    def prerequisites(self) -> str | None:
        if not self.options.cluster_env.is_file():
            return (
                f"--cluster=kubeproof: {self.options.cluster_env} not found "
                "(our CI cluster needs a kubeproof checkout; set KUBEPROOF_CLUSTER_ENV)"
            )
        cfg = self.kubeconfig_path()
        if cfg is None or not cfg.is_file():
            return f"--cluster=kubeproof: no {cfg}: bring it up with scripts/cluster/cluster.sh up"
        return None

    def load_image(self, image_ref: str) -> None:
        """``docker save | ctr images import``, skipped when containerd already has this
        exact image under that name (same config digest as Docker's image id)."""
        socket = self.target().containerd_socket
        if socket is None or not socket.exists():
            raise ClusterError(f"containerd socket {socket} missing: is the cluster up?")
        docker_id = runner.run(["docker", "image", "inspect", "-f", "{{.Id}}", image_ref])
        if self.loaded_id(image_ref) == docker_id.stdout.strip():
            return
        argv = runner.ctr_argv("images", "import", "-", to=self.target())
        _docker_save_into(image_ref, argv, f"ctr images import {image_ref}")

    def loaded_id(self, image_ref: str) -> str | None:
        """The image id (config digest) containerd holds under ``image_ref``'s name, if any."""
        to = self.target()
        listing = runner.ctr("images", "ls", f"name=={containerd_ref(image_ref)}", check=False,
                             timeout=30, to=to)  # fmt: skip
        rows = listing.stdout.splitlines()[1:]
        if listing.returncode != 0 or not rows or len(rows[0].split()) < 3:
            return None
        manifest = runner.ctr("content", "get", rows[0].split()[2], check=False, timeout=30, to=to)
        try:
            return str(json.loads(manifest.stdout)["config"]["digest"])
        except (ValueError, KeyError, TypeError):
            return None

    def remove_image(self, image_ref: str) -> None:
        runner.ctr("images", "rm", containerd_ref(image_ref), to=self.target())

    def components(self) -> tuple[str, ...]:
        return tuple(self.paths().get("KUBEPROOF_CLUSTER_COMPONENTS", "").split())

    def component_log_tail(self, name: str, lines: int = 40) -> str:
        """The last ``lines`` lines of a component's log; never raises.

        ``coredns`` runs as a pod: its log comes from kubectl.
        """
        if name == "coredns":
            proc = runner.kubectl(
                "-n", "kube-system", "logs", "deployment/coredns", f"--tail={lines}",
                check=False, timeout=20, to=self.target(),
            )  # fmt: skip
            return proc.stdout or proc.stderr
        path = Path(self.paths().get("KUBEPROOF_CLUSTER_LOGS", "/nonexistent")) / f"{name}.log"
        try:
            with path.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - 256 * 1024))
                data = fh.read().decode("utf-8", "replace")
        except OSError as exc:
            return f"(no log for {name}: {exc})"
        return "\n".join(data.splitlines()[-lines:])

    def component_running(self, name: str) -> bool | None:
        """Whether a component's process is alive (None: not one of its processes)."""
        if name not in self.components():
            return None
        paths = self.paths()
        pidfile = Path(paths.get("KUBEPROOF_CLUSTER_RUN", "/nonexistent")) / f"{name}.pid"
        try:
            pid = int(pidfile.read_text().strip())
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except (OSError, ValueError):
            return False
        return f"KUBEPROOF_CLUSTER_COMPONENT={name}".encode() in environ.split(b"\0")

    def describe_failure(self, component: str, message: str, lines: int = 40) -> str:
        down = self.component_running(component) is False
        state = " (its process is NOT running)" if down else ""
        tail = self.component_log_tail(component, lines)
        return f"[{component}]{state} {message}\n--- last {lines} lines of its log ---\n{tail}"


def create(name: str, options: Options | None = None) -> Provider:
    """The provider registered as ``name``; ClusterError naming the known ones otherwise."""
    try:
        cls = REGISTRY[name]
    except KeyError:
        raise ClusterError(
            f"unknown cluster provider {name!r}; known: {', '.join(sorted(REGISTRY))}"
        ) from None
    return cls(options or Options.from_environment())


def default_name(options: Options, required: bool = False) -> str:
    """``kubeproof`` where CI requires a cluster or our cluster's kubeconfig exists here,
    else ``current``."""
    if required:
        return "kubeproof"
    ours = Kubeproof(options).kubeconfig_path()
    return "kubeproof" if ours is not None and ours.is_file() else "current"


_active: Provider | None = None


def activate(provider: Provider) -> Provider:
    """Make ``provider`` the one :func:`active` returns and point the runner at it."""
    global _active
    _active = provider
    runner.use(provider.target())
    return provider


def active() -> Provider:
    """The provider the tests use (the pytest plugin activates it from ``--cluster``;
    outside pytest, :func:`default_name` from the environment)."""
    if _active is None:
        options = Options.from_environment()
        name = os.environ.get("KUBEPROOF_CLUSTER") or default_name(options)
        return activate(create(name, options))
    return _active
