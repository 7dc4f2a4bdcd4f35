"""The cluster the live tier runs against, whichever provider it is.

A thin face over :func:`kubeproof.testing.providers.active`: tests and scripts say
``cluster.load_image(ref)`` or ``cluster.kubectl(...)`` without knowing whether the
cluster is ours, kind, minikube or the current context.
"""

from __future__ import annotations

from pathlib import Path

from .providers import active, containerd_ref
from .runner import ClusterError, helm, kubectl

__all__ = [
    "ClusterError",
    "containerd_ref",
    "describe_failure",
    "helm",
    "kubeconfig",
    "kubectl",
    "load_image",
    "remove_image",
]


def kubeconfig() -> Path | None:
    """The kubeconfig the tests use (the active provider's)."""
    return active().target().kubeconfig


def load_image(image_ref: str) -> None:
    """Make a locally built Docker image usable by pods with ``imagePullPolicy: Never``."""
    active().load_image(image_ref)


def remove_image(image_ref: str) -> None:
    """Remove an image :func:`load_image` put into the cluster."""
    active().remove_image(image_ref)


def describe_failure(component: str, message: str) -> str:
    """A failure message naming the component at fault, with its log tail where known."""
    return active().describe_failure(component, message)
