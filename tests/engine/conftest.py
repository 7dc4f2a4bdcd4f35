"""Fixtures the engine tests share."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    """Return a copy of policies/ that a test may change (a rule file, waivers.yaml)."""
    dest = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", dest)
    return dest
