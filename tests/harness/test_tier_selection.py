"""``pytest -m TIER`` leaves out other tiers' folders before importing them (conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIERS = {"engine": "static", "chart": "static", "fuzz": "fuzz", "cluster": "cluster"}


@pytest.fixture(scope="module")
def deselected(pytestconfig):
    """Return the root conftest's ``deselected_folder``."""
    return pytestconfig.pluginmanager.get_plugin(str(ROOT / "conftest.py")).deselected_folder


@pytest.mark.parametrize(
    ("folder", "markexpr", "left_out"),
    [
        ("tests/fuzz", "static", True),
        ("tests/fuzz/test_values_fuzz.py", "static", True),
        ("apps/backend/tests", "static", True),  # no tier marker at all
        ("apps/backend/tests", "not cluster", False),
        ("tests/engine", "static", False),
        ("tests/engine/test_cli.py", "static", False),
        ("tests/fuzz", "not static", False),
        ("tests/cluster", "not cluster", True),
        ("tests/fuzz", "fuzz or cluster", False),
        ("tests/fuzz", "static or slow", False),  # a test there may carry a marker "slow"
        ("tests/fuzz", "static and slow", True),
        ("tests/fuzz", "", False),
        ("tests/unknown", "static", False),  # a folder outside the table is collected
        ("src/kubeproof", "static", False),
    ],
)
def test_a_folder_is_left_out_only_when_no_test_in_it_can_match(
    deselected, folder, markexpr, left_out
):
    assert deselected(ROOT / folder, markexpr, TIERS) is left_out


def test_only_the_harness_is_rewritten_by_pytest(pytestconfig):
    """conftest.py narrows pytest's assertion rewriting from all of kubeproof to
    kubeproof.testing through a pytest internal (the rewrite hook's ``_must_rewrite``).
    Should a pytest upgrade rename it, the speed-up would stop silently: this fails then."""
    from importlib.metadata import entry_points

    marked = getattr(pytestconfig.pluginmanager.rewrite_hook, "_must_rewrite", None)
    assert isinstance(marked, set), "pytest's rewrite hook has no _must_rewrite set any more"
    assert "kubeproof" not in marked
    if any(ep.value.startswith("kubeproof.") for ep in entry_points(group="pytest11")):
        assert "kubeproof.testing" in marked  # installed: the plugins' package stays rewritten
