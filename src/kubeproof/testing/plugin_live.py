"""pytest options and fixtures for the live tiers (``cluster`` and ``smoke``).

``--cluster=current|minikube|kind|kubeproof`` (env ``KUBEPROOF_CLUSTER``) picks the
cluster provider (:mod:`kubeproof.testing.providers`). Without it: ``kubeproof`` where
CI requires a cluster (``KUBEPROOF_REQUIRE`` lists ``cluster``) or our cluster's
kubeconfig exists, else ``current``. pytest-kind's ``--cluster-name``,
``--keep-cluster`` and ``--kubeconfig`` apply as they do there.

``--release NAME`` / ``--namespace NS`` (or ``KUBEPROOF_RELEASE`` /
``KUBEPROOF_NAMESPACE``) name an existing release for ``pytest -m smoke``.
Without one, the smoke tier skips and says so; when ``KUBEPROOF_REQUIRE``
lists ``release`` (as CI does after deploying), it fails instead.

Fixtures: ``kube_cluster`` (the provider, once its cluster answers),
``namespace_factory`` / ``module_namespace_factory`` (namespaces labelled as ours,
deleted after the test or module), ``namespace`` / ``module_namespace`` (one each),
``rollout_timeline`` (a PNG of a rollout under traffic, linked from the JUnit report),
``browser`` (headless Chromium, a screenshot per step kept with the artifacts).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from . import providers

if TYPE_CHECKING:
    from .browser import Browser
    from .namespaces import NamespaceFactory

#: One id per pytest process: every namespace of the run carries it.
RUN_ID = uuid.uuid4().hex[:8]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kubeproof-live", "kubeproof live tiers")
    group.addoption(
        "--cluster",
        choices=sorted(providers.REGISTRY),
        default=os.environ.get("KUBEPROOF_CLUSTER") or None,
        help="cluster provider for the live tiers (env KUBEPROOF_CLUSTER); default: "
        "kubeproof where CI requires it or its kubeconfig exists, else current",
    )
    group.addoption(
        "--minikube-profile",
        default=os.environ.get("KUBEPROOF_MINIKUBE_PROFILE", "minikube"),
        help="minikube profile for --cluster=minikube (env KUBEPROOF_MINIKUBE_PROFILE)",
    )
    group.addoption(
        "--release",
        default=os.environ.get("KUBEPROOF_RELEASE"),
        help="Helm release the smoke tier checks (env KUBEPROOF_RELEASE)",
    )
    group.addoption(
        "--namespace",
        default=os.environ.get("KUBEPROOF_NAMESPACE", "default"),
        help="namespace of that release (env KUBEPROOF_NAMESPACE, default: default)",
    )


def provider_options(config: pytest.Config) -> providers.Options:
    """The provider options from the command line, falling back to the environment."""
    env = providers.Options.from_environment()
    explicit = config.getoption("kubeconfig", None)  # pytest-kind's option, when installed
    return providers.Options(
        kubeconfig=Path(explicit) if explicit else env.kubeconfig,
        cluster_env=env.cluster_env,
        kind_name=config.getoption("cluster_name", None) or "pytest-kind",
        keep_cluster=bool(config.getoption("keep_cluster", False)),
        minikube_profile=config.getoption("--minikube-profile"),
        workdir=Path(str(config.rootpath)),
    )


#: The tiers this plugin's fixtures and options serve (``pytest -m smoke --release R``),
#: registered so that a project with ``--strict-markers`` can mark and select its tests.
MARKERS = {
    "cluster": "end-to-end on a real Kubernetes cluster (kubeproof's cluster fixtures)",
    "smoke": "read-only checks against an already deployed release (--release/--namespace)",
}


def pytest_configure(config: pytest.Config) -> None:
    from .environment import required_parts
    from .plugin import register_markers

    register_markers(config, MARKERS)

    options = provider_options(config)
    name = config.getoption("--cluster") or providers.default_name(
        options, required="cluster" in required_parts()
    )
    providers.activate(providers.create(name, options))


def pytest_unconfigure(config: pytest.Config) -> None:
    providers.active().close()  # a kind cluster we made goes, unless --keep-cluster


@pytest.fixture(scope="session")
def kube_cluster() -> providers.Provider:
    """Return the active cluster provider once its cluster answers (skip or fail otherwise)."""
    from .environment import require

    require("cluster")
    from .namespaces import sweep_stale

    sweep_stale()  # what runs killed outright left behind on this host
    return providers.active()


def _factory(kube_cluster: providers.Provider) -> Iterator[NamespaceFactory]:
    from .namespaces import NamespaceFactory

    factory = NamespaceFactory(RUN_ID)
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture
def namespace_factory(kube_cluster: providers.Provider) -> Iterator[NamespaceFactory]:
    """Return a NamespaceFactory whose namespaces are deleted after the test."""
    yield from _factory(kube_cluster)


@pytest.fixture(scope="module")
def module_namespace_factory(kube_cluster: providers.Provider) -> Iterator[NamespaceFactory]:
    """Return a NamespaceFactory whose namespaces are deleted after the module."""
    yield from _factory(kube_cluster)


@pytest.fixture
def namespace(namespace_factory: NamespaceFactory) -> str:
    """Return the name of a fresh namespace of this test (deleted after it)."""
    return namespace_factory.create("kp-test")


@pytest.fixture(scope="module")
def module_namespace(
    module_namespace_factory: NamespaceFactory, request: pytest.FixtureRequest
) -> str:
    """Return the name of a fresh namespace shared by this module's tests."""
    stem = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    return module_namespace_factory.create(f"kp-{stem}"[:40].lower())


@pytest.fixture
def rollout_timeline(request: pytest.FixtureRequest, record_property) -> Callable[..., Path]:
    """Return ``save(watcher, traffic, marks=())``: draws the test's rollout timeline
    (replicas per Deployment, every request) as a PNG in the artifacts folder, next to
    the JUnit report, and links it from the report (property ``timeline``)."""
    from .report import artifacts_dir, timeline_png

    def save(watcher, traffic, marks: tuple[tuple[float, str], ...] = ()) -> Path:
        folder = artifacts_dir(request.config)
        stem = re.sub(r"[^\w.-]+", "_", f"{request.node.module.__name__}-{request.node.name}")
        path = timeline_png(
            folder / f"timeline-{stem}.png",
            watcher.samples,
            traffic.requests,
            title=f"{request.node.nodeid}: {traffic.summary()}",
            marks=marks,
        )
        record_property("timeline", str(path.relative_to(folder)))
        return path

    return save


@pytest.fixture
def browser(request: pytest.FixtureRequest, record_property) -> Iterator[Browser]:
    """Return a headless Chromium (Debian's, driven by Selenium) that reaches only the
    cluster's node IP (its NodePorts); each ``browser.shot(step)`` lands in
    ``<artifacts>/browser/<test>/``, linked from the JUnit report (``screenshots``)."""
    from .browser import chromium, node_ip
    from .environment import require
    from .report import artifacts_dir

    require("cluster")
    require("browser")
    stem = re.sub(r"[^\w.-]+", "_", f"{request.node.module.__name__}-{request.node.name}")
    shots = artifacts_dir(request.config) / "browser" / stem
    with chromium(shots, hosts=(node_ip(),)) as b:
        yield b
    record_property("screenshots", str(shots.relative_to(artifacts_dir(request.config))))


@pytest.fixture(scope="session")
def deployed_release(request: pytest.FixtureRequest):
    """The existing release named by --release/--namespace (read-only use only)."""
    from .environment import require, required_parts
    from .live import Release

    require("helm")
    require("cluster")
    name = request.config.getoption("--release")
    if not name:
        reason = "no release to check: pass --release NAME [--namespace NS] (or KUBEPROOF_RELEASE)"
        if "release" in required_parts():
            pytest.fail(f"release is required here (KUBEPROOF_REQUIRE): {reason}", pytrace=False)
        pytest.skip(reason)
    return Release(name, request.config.getoption("--namespace"))
