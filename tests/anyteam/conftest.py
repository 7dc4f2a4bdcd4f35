"""Every test under tests/anyteam is in the ``static`` tier: charts written here, checked
the way a team that did not write kubeproof would check theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.static)
