"""Which tier each folder of tests/ belongs to: the one table of folders to markers.

``pytest -m static`` (what ``tox`` runs by default) picks every folder marked
static: pure parts of the engine and the harness, the rule fixtures, our chart.
A test in a folder missing from this table is a collection error, so no test
silently falls outside every tier.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent

#: folder under tests/ -> the marker (tier) of every test in it
TIERS: dict[str, str] = {
    "engine": "static",  # loaders, reporters, CLI, waivers, rules loading: no chart of ours
    "harness": "static",  # pure parts of kubeproof.testing (no Docker, no cluster)
    "rules": "static",  # every rule's pass and fail fixtures on a small fixture app
    "chart": "static",  # our chart and Dockerfiles: render, lint, every policy
    "golden": "static",  # findings on our chart, the rule fixtures and a corpus stay put
    "anyteam": "static",  # charts written here, checked as a team that did not write kubeproof
    "mutate": "static",  # the mutation catalogue: meta-tests, our chart and another app mutated
    "fuzz": "fuzz",
    "image": "image",
    "cluster": "cluster",
    "smoke": "smoke",
    "package": "package",  # builds the wheel, installs it in a fresh venv: pre-commit, Action, helm
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath))
        if HERE not in path.parents:
            continue  # e.g. apps/backend/tests: the app's own tests
        folder = path.relative_to(HERE).parts[0]
        if folder not in TIERS:
            raise pytest.UsageError(
                f"{path.relative_to(HERE.parent)} is in no tier: add tests/{folder} to TIERS "
                f"in {Path(__file__).relative_to(HERE.parent)}"
            )
        item.add_marker(TIERS[folder])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "prestart(fn, ...): call each fn when collection ends, if the test is selected "
        "(tests/background.py: start the processes it waits for early)",
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    from tests.background import prestart

    if session.config.option.collectonly:
        return
    prestart([fn for item in session.items for m in item.iter_markers("prestart") for fn in m.args])


def pytest_sessionfinish(session: pytest.Session) -> None:
    from tests.background import stop_all

    stop_all()
