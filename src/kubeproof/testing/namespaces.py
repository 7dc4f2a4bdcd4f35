"""Namespaces a test run makes for itself: random names, labelled as ours, removed after.

Every namespace carries :data:`MANAGED_BY` plus the run id, host and pid of the
process that made it. :meth:`NamespaceFactory.cleanup` deletes a factory's
namespaces; pytest runs it after ``yield`` (also on Ctrl-C, when pytest tears the
fixtures down), an ``atexit`` hook catches what an interrupted teardown left, and
:func:`sweep_stale` removes what a run killed outright left behind.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import socket

from .runner import ClusterError, kubectl

#: ``app.kubernetes.io/managed-by`` value on everything the test runs make.
MANAGED_BY = "kubeproof-tests"
RUN_LABEL = "kubeproof.io/test-run"
HOST_LABEL = "kubeproof.io/test-host"
PID_LABEL = "kubeproof.io/test-pid"

#: Namespaces made by this process and not yet deleted (the atexit hook's list).
_pending: set[str] = set()


def labels(run_id: str) -> dict[str, str]:
    """The labels that mark a namespace as made by this process for run ``run_id``."""
    return {
        "app.kubernetes.io/managed-by": MANAGED_BY,
        RUN_LABEL: run_id,
        HOST_LABEL: socket.gethostname()[:63],
        PID_LABEL: str(os.getpid()),
    }


def random_name(prefix: str) -> str:
    """``<prefix>-<6 hex>``, cut to a valid DNS label."""
    return f"{prefix[:55].rstrip('-')}-{secrets.token_hex(3)}"


def delete(names: list[str], wait: bool = False, timeout: float = 180) -> None:
    """Delete namespaces (ignoring ones already gone); with ``wait``, until they are gone."""
    if not names:
        return
    kubectl(
        "delete", "namespace", *names, "--ignore-not-found", f"--wait={str(wait).lower()}",
        f"--timeout={int(timeout)}s", timeout=timeout + 30,
    )  # fmt: skip
    _pending.difference_update(names)


class NamespaceFactory:
    """Makes namespaces for one scope and deletes all of them in :meth:`cleanup`."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.made: list[str] = []

    def create(self, prefix: str = "kubeproof", extra_labels: dict[str, str] | None = None) -> str:
        """Create a namespace ``<prefix>-<random>`` labelled as ours; return its name."""
        name = random_name(prefix)
        manifest = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": {**labels(self.run_id), **(extra_labels or {})}},
        }
        _pending.add(name)  # before the API call: a create cut short still gets cleaned
        self.made.append(name)
        kubectl("create", "-f", "-", input=json.dumps(manifest))
        return name

    def cleanup(self, wait: bool = False) -> None:
        """Delete every namespace this factory made (errors reported once, at the end)."""
        names, self.made = self.made, []
        delete(names, wait=wait)


def _delete_pending() -> None:
    if _pending:
        try:
            delete(sorted(_pending))
        except ClusterError as exc:  # interpreter exit: report, never raise
            print(f"kubeproof: could not delete test namespaces {sorted(_pending)}: {exc}")


atexit.register(_delete_pending)


def pid_alive(pid: str) -> bool:
    """Whether a process with this id (text, as a label holds it) runs on this host."""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def sweep_stale() -> list[str]:
    """Delete namespaces that a test process on this host made and that outlived it."""
    host = socket.gethostname()[:63]
    found = kubectl(
        "get", "namespaces", "-l", f"app.kubernetes.io/managed-by={MANAGED_BY},{HOST_LABEL}={host}",
        "-o", "json",
    )  # fmt: skip
    stale = [
        ns["metadata"]["name"]
        for ns in json.loads(found.stdout)["items"]
        if not pid_alive(ns["metadata"]["labels"].get(PID_LABEL, ""))
        and ns.get("status", {}).get("phase") != "Terminating"
    ]
    delete(stale)
    return stale
