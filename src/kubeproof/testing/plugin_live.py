"""pytest options and fixtures for the live tiers (``cluster`` and ``smoke``).

``--release NAME`` / ``--namespace NS`` (or ``KUBEPROOF_RELEASE`` /
``KUBEPROOF_NAMESPACE``) name an existing release for ``pytest -m smoke``.
Without one, the smoke tier skips and says so; when ``KUBEPROOF_REQUIRE``
lists ``release`` (as CI does after deploying), it fails instead.
"""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kubeproof-live", "kubeproof live tiers")
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


@pytest.fixture(scope="session")
def deployed_release(request: pytest.FixtureRequest):
    """The existing release named by --release/--namespace (read-only use only)."""
    from kubeproof.testing.environment import require, required_parts
    from kubeproof.testing.live import Release

    require("helm")
    require("cluster")
    name = request.config.getoption("--release")
    if not name:
        reason = "no release to check: pass --release NAME [--namespace NS] (or KUBEPROOF_RELEASE)"
        if "release" in required_parts():
            pytest.fail(f"release is required here (KUBEPROOF_REQUIRE): {reason}", pytrace=False)
        pytest.skip(reason)
    return Release(name, request.config.getoption("--namespace"))
