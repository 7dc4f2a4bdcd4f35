"""What this machine provides (helm, Docker, a cluster), and what a missing part means.

A tier whose part is missing skips with a reason that names the part. When the
environment variable ``KUBEPROOF_REQUIRE`` lists the part (``.ci/run`` sets
``KUBEPROOF_REQUIRE=helm,docker,cluster`` once it has provided them), a missing
part fails the test instead: CI must not turn a broken setup into skips.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path


def required_parts() -> set[str]:
    return {p.strip() for p in os.environ.get("KUBEPROOF_REQUIRE", "").split(",") if p.strip()}


@cache
def helm_missing() -> str | None:
    if shutil.which("helm") is None:
        return "helm CLI not on PATH (install: scripts/install-helm.sh)"
    return None


@cache
def helm4_missing() -> str | None:
    if shutil.which("helm4") is None:
        return "helm 4 not on PATH as helm4 (install: scripts/install-helm.sh v4)"
    return None


@cache
def docker_missing() -> str | None:
    import gc
    import warnings

    reason = None
    with warnings.catch_warnings():  # a failed probe leaves a socket for the GC to close
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            import docker

            client = docker.from_env(timeout=5)
            try:
                client.ping()
            finally:
                client.close()
        except Exception as exc:  # any failure to reach the daemon means "no docker"
            reason = (
                f"no Docker daemon reachable ({type(exc).__name__}); "
                "start one: scripts/docker-up.sh"
            )
        gc.collect()
    return reason


def kubeconfig() -> Path | None:
    """The kubeconfig the tests use (the active cluster provider's)."""
    from .cluster import kubeconfig as active_kubeconfig

    return active_kubeconfig()


def cluster_missing() -> str | None:
    """Why the active cluster provider's cluster cannot be used (None: it can)."""
    from .providers import active

    return active().ensure()


def postgresql_bindir() -> Path | None:
    """Debian's PostgreSQL server binaries (initdb, postgres, pg_ctl), newest version first."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


@cache
def postgresql_missing() -> str | None:
    if postgresql_bindir() is None:
        return "no PostgreSQL server (Debian: apt-get install postgresql; scripts/setup.sh does)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: initdb refuses to run as root"
    return None


@cache
def browser_missing() -> str | None:
    from .browser import chromium_binary

    missing = [] if chromium_binary() else ["chromium"]
    missing += [] if shutil.which("chromedriver") else ["chromedriver"]
    if missing:
        return (
            f"{' and '.join(missing)} not on PATH (Debian: apt-get install chromium "
            "chromium-driver; scripts/setup.sh does)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is missing (pip install 'kubeproof[live]')"
    return None


CHECKS: dict[str, Callable[[], str | None]] = {
    "helm": helm_missing,
    "helm4": helm4_missing,
    "docker": docker_missing,
    "cluster": cluster_missing,
    "postgresql": postgresql_missing,
    "browser": browser_missing,
}


def require(part: str) -> None:
    """Skip the calling test when ``part`` is missing, or fail it when CI requires the part."""
    import pytest

    reason = CHECKS[part]()
    if reason is None:
        return
    if part in required_parts():
        pytest.fail(
            f"{part} is required here (KUBEPROOF_REQUIRE) but missing: {reason}", pytrace=False
        )
    pytest.skip(f"{part} missing: {reason}")
