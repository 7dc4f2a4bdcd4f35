"""The cluster the live tier runs against: which one it is, how images get into it,
and where its components log.

Three providers are supported:

``kubeproof``
    Our CI cluster from ``scripts/cluster/cluster.sh`` (real Kubernetes built from
    Go modules, Debian's containerd). Images go in with
    ``docker save IMAGE | ctr -n k8s.io images import -`` on its own containerd socket.
``kind``
    ``kind load docker-image IMAGE --name CLUSTER``.
``minikube``
    ``minikube image load IMAGE -p PROFILE``.

The provider is detected from the kubeconfig in use (see :func:`detect_provider`);
``KUBEPROOF_CLUSTER_PROVIDER`` overrides the detection.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kubeproof.testing import environment

STATE_DIR = Path("/var/lib/kubeproof-cluster")
LOG_DIR = Path("/var/log/kubeproof-cluster")
RUN_DIR = Path("/run/kubeproof-cluster")
CONTAINERD_SOCKET = RUN_DIR / "containerd.sock"
CLUSTER_SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "cluster" / "cluster.sh"

#: Components of the kubeproof CI cluster; each logs to ``LOG_DIR/<name>.log``.
COMPONENTS = (
    "etcd",
    "containerd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
)

PROVIDERS = ("kubeproof", "kind", "minikube")


class ClusterError(RuntimeError):
    """A cluster operation failed; the message says which command and why."""


@dataclass(frozen=True)
class Provider:
    name: str  # one of PROVIDERS, or "unknown"
    context: str | None  # kubeconfig current-context
    cluster: str | None  # kind cluster name / minikube profile


def kubeconfig() -> Path | None:
    """The kubeconfig the tests use: ``$KUBECONFIG``, our CI cluster's, or ``~/.kube/config``."""
    return environment.kubeconfig()


def kubectl(
    *args: str,
    check: bool = True,
    timeout: float = 60,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run kubectl against :func:`kubeconfig`; raise :class:`ClusterError` if ``check`` fails."""
    exe = shutil.which("kubectl")
    if exe is None:
        raise ClusterError("kubectl not on PATH")
    cmd = [exe]
    cfg = kubeconfig()
    if cfg is not None:
        cmd += ["--kubeconfig", str(cfg)]
    cmd += list(args)
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, input=input, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ClusterError(f"kubectl {' '.join(args)} timed out after {timeout}s") from exc
    if check and proc.returncode != 0:
        raise ClusterError(
            f"kubectl {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}"
        )
    return proc


def current_context(cfg: Path | None = None) -> str | None:
    cfg = cfg or kubeconfig()
    if cfg is None:
        return None
    try:
        import yaml

        data = yaml.safe_load(cfg.read_text())
    except Exception:
        return None
    ctx = data.get("current-context") if isinstance(data, dict) else None
    return str(ctx) if ctx else None


def detect_provider() -> Provider:
    """Which kind of cluster the kubeconfig points at.

    ``KUBEPROOF_CLUSTER_PROVIDER`` (kubeproof|kind|minikube) wins; otherwise our
    CI cluster is recognised by its kubeconfig path, kind by a ``kind-<name>``
    context, minikube by a context that is a minikube profile.
    """
    cfg = kubeconfig()
    ctx = current_context(cfg)
    forced = os.environ.get("KUBEPROOF_CLUSTER_PROVIDER", "").strip()
    if forced:
        if forced not in PROVIDERS:
            raise ClusterError(
                f"KUBEPROOF_CLUSTER_PROVIDER={forced!r}: expected one of {PROVIDERS}"
            )
        cluster = (
            ctx[len("kind-") :] if forced == "kind" and ctx and ctx.startswith("kind-") else ctx
        )
        return Provider(forced, ctx, cluster)
    if cfg is not None and cfg.resolve() == (STATE_DIR / "kubeconfig").resolve():
        return Provider("kubeproof", ctx, "kubeproof")
    if ctx and ctx.startswith("kind-"):
        return Provider("kind", ctx, ctx[len("kind-") :])
    if ctx and (ctx == "minikube" or (Path.home() / ".minikube" / "profiles" / ctx).is_dir()):
        return Provider("minikube", ctx, ctx)
    return Provider("unknown", ctx, None)


def _run(cmd: Sequence[str], what: str, timeout: float = 600, **kw: object) -> None:
    try:
        proc = subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=timeout, check=False, **kw
        )
    except FileNotFoundError as exc:
        raise ClusterError(f"{what}: {cmd[0]} not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise ClusterError(f"{what}: timed out after {timeout}s") from exc
    if proc.returncode != 0:
        raise ClusterError(f"{what} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


def _ctr(*args: str) -> list[str]:
    return ["ctr", "--address", str(CONTAINERD_SOCKET), "--namespace", "k8s.io", *args]


def containerd_ref(image_ref: str) -> str:
    """How a Docker image name appears in containerd.

    ``todo-backend:1`` -> ``docker.io/library/todo-backend:1``.

    ``docker save`` records the name as Docker shows it; ``ctr import`` normalises it
    the way Kubernetes does, so ``imagePullPolicy: Never`` pods can use the short name.
    """
    name, _, tag = (
        image_ref.rpartition(":") if ":" in image_ref.split("/")[-1] else (image_ref, "", "latest")
    )
    first = name.split("/")[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    return f"{name}:{tag}"


def load_image(image_ref: str, provider: Provider | None = None) -> None:
    """Make a locally built Docker image usable by pods with ``imagePullPolicy: Never``."""
    provider = provider or detect_provider()
    if provider.name == "kubeproof":
        if not CONTAINERD_SOCKET.exists():
            raise ClusterError(f"containerd socket {CONTAINERD_SOCKET} missing: is the cluster up?")
        with subprocess.Popen(["docker", "save", image_ref], stdout=subprocess.PIPE) as save:
            try:
                _run(_ctr("images", "import", "-"), f"ctr import {image_ref}", stdin=save.stdout)
            finally:
                if save.stdout:
                    save.stdout.close()
                save.wait(timeout=600)
            if save.returncode != 0:
                raise ClusterError(f"docker save {image_ref} failed ({save.returncode})")
    elif provider.name == "kind":
        _run(
            ["kind", "load", "docker-image", image_ref, "--name", provider.cluster or "kind"],
            f"kind load {image_ref}",
        )
    elif provider.name == "minikube":
        _run(
            ["minikube", "image", "load", image_ref, "-p", provider.cluster or "minikube"],
            f"minikube image load {image_ref}",
        )
    else:
        raise ClusterError(
            f"don't know how to load images into context {provider.context!r}; "
            "set KUBEPROOF_CLUSTER_PROVIDER=kubeproof|kind|minikube"
        )


def remove_image(image_ref: str, provider: Provider | None = None) -> None:
    """Remove an image loaded with :func:`load_image` from the cluster (best effort for kind)."""
    provider = provider or detect_provider()
    if provider.name == "kubeproof":
        _run(_ctr("images", "rm", containerd_ref(image_ref)), f"ctr images rm {image_ref}")
    elif provider.name == "kind":
        node = f"{provider.cluster or 'kind'}-control-plane"
        _run(
            ["docker", "exec", node, "crictl", "rmi", containerd_ref(image_ref)],
            f"crictl rmi {image_ref} on {node}",
        )
    elif provider.name == "minikube":
        _run(
            ["minikube", "image", "rm", image_ref, "-p", provider.cluster or "minikube"],
            f"minikube image rm {image_ref}",
        )


def component_log_tail(name: str, lines: int = 40) -> str:
    """The last ``lines`` lines of a CI-cluster component's log (``LOG_DIR/<name>.log``).

    For ``coredns`` (a pod, not a host process) the pod logs are fetched with kubectl.
    Never raises: a missing log is reported in the returned text.
    """
    if name == "coredns":
        proc = kubectl(
            "-n",
            "kube-system",
            "logs",
            "deployment/coredns",
            f"--tail={lines}",
            check=False,
            timeout=20,
        )
        return proc.stdout or proc.stderr
    path = LOG_DIR / f"{name}.log"
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 256 * 1024))
            data = fh.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"(no log for {name}: {exc})"
    return "\n".join(data.splitlines()[-lines:])


def component_running(name: str) -> bool | None:
    """Whether a CI-cluster component's process is alive (None: not one of its processes)."""
    if name not in COMPONENTS:
        return None
    pidfile = RUN_DIR / f"{name}.pid"
    try:
        pid = int(pidfile.read_text().strip())
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except (OSError, ValueError):
        return False if STATE_DIR.is_dir() else None
    return f"KUBEPROOF_CLUSTER_COMPONENT={name}".encode() in environ.split(b"\0")


def describe_failure(component: str, message: str, lines: int = 40) -> str:
    """A failure message naming the component at fault, with its log tail."""
    running = component_running(component)
    state = {True: "", False: " (its process is NOT running)", None: ""}[running]
    tail = component_log_tail(component, lines)
    return f"[{component}]{state} {message}\n--- last {lines} lines of {component} log ---\n{tail}"
