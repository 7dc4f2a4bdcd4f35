"""One way to run the cluster's command-line tools: kubectl, helm and ctr.

Every call goes through :func:`run`: the tool is looked up on PATH, pointed at the
cluster the tests use (:class:`Target`: kubeconfig, context, containerd socket),
bounded by a timeout, and any failure becomes a :class:`ClusterError` whose one
line says which command failed and why. Which cluster that is, is the business of
:mod:`kubeproof.testing.providers`; it calls :func:`use` once.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import KubeproofError


class ClusterError(KubeproofError):
    """A cluster command failed; the message says which command and why."""


@dataclass(frozen=True)
class Target:
    """Where kubectl, helm and ctr point: a kubeconfig file, a context in it, and
    (on our CI cluster only) the containerd socket images are imported through."""

    kubeconfig: Path | None = None
    context: str | None = None
    containerd_socket: Path | None = None


_target = Target()


def use(target: Target) -> None:
    """Point every later command at ``target``."""
    global _target
    _target = target


def target() -> Target:
    """Return the target commands currently point at."""
    return _target


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    timeout: float = 60,
    input: str | None = None,
    stdin: IO[bytes] | None = None,
    what: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (its first word looked up on PATH); raise :class:`ClusterError`
    when it is missing, times out, or (with ``check``) exits non-zero."""
    what = what or " ".join(argv)
    exe = shutil.which(argv[0])
    if exe is None:
        raise ClusterError(f"{what}: {argv[0]} not on PATH")
    try:
        proc = subprocess.run(
            [exe, *argv[1:]],
            capture_output=True,
            text=stdin is None,
            timeout=timeout,
            input=input,
            stdin=stdin,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ClusterError(f"{what}: timed out after {timeout:g} s") from exc
    if stdin is not None:  # binary mode was needed for the pipe; hand back text
        proc = subprocess.CompletedProcess(
            proc.args,
            proc.returncode,
            proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"),
        )
    if check and proc.returncode != 0:
        detail = (proc.stderr.strip() or proc.stdout.strip())[-2000:]
        raise ClusterError(f"{what} failed (exit {proc.returncode}): {detail}")
    return proc


def kubectl_argv(*args: str, to: Target | None = None) -> list[str]:
    """The kubectl command line for ``args`` against ``to`` (default: the current target)."""
    to = to or _target
    argv = ["kubectl"]
    if to.kubeconfig is not None:
        argv += ["--kubeconfig", str(to.kubeconfig)]
    if to.context:
        argv += ["--context", to.context]
    return [*argv, *args]


def helm_argv(*args: str, to: Target | None = None) -> list[str]:
    """The helm command line for ``args`` against ``to`` (default: the current target)."""
    to = to or _target
    argv = ["helm", *args]
    if to.kubeconfig is not None:
        argv += ["--kubeconfig", str(to.kubeconfig)]
    if to.context:
        argv += ["--kube-context", to.context]
    return argv


def ctr_argv(*args: str, to: Target | None = None) -> list[str]:
    """The ctr command line for ``args`` in the ``k8s.io`` namespace of the target's containerd."""
    to = to or _target
    if to.containerd_socket is None:
        raise ClusterError(f"ctr {' '.join(args)}: this cluster has no containerd socket of ours")
    return ["ctr", "--address", str(to.containerd_socket), "--namespace", "k8s.io", *args]


def kubectl(
    *args: str,
    check: bool = True,
    timeout: float = 60,
    input: str | None = None,
    to: Target | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run kubectl against the target; raise :class:`ClusterError` on failure if ``check``."""
    argv = kubectl_argv(*args, to=to)
    return run(argv, check=check, timeout=timeout, input=input, what=f"kubectl {' '.join(args)}")


def helm(
    *args: str, check: bool = True, timeout: float = 400, to: Target | None = None
) -> subprocess.CompletedProcess[str]:
    """Run helm against the target; raise :class:`ClusterError` on failure if ``check``."""
    argv = helm_argv(*args, to=to)
    return run(argv, check=check, timeout=timeout, what=f"helm {' '.join(args)}")


def ctr(
    *args: str,
    check: bool = True,
    timeout: float = 600,
    stdin: IO[bytes] | None = None,
    to: Target | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ctr on the target's containerd (``k8s.io`` namespace)."""
    argv = ctr_argv(*args, to=to)
    return run(argv, check=check, timeout=timeout, stdin=stdin, what=f"ctr {' '.join(args)}")
