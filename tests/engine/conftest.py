"""Fixtures the engine tests share."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _state(path: Path) -> tuple[int, int, int] | None:
    """What tells a changed file from the copy made: inode, mtime, size (None: not a file)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size) if path.is_file() else None


@pytest.fixture(scope="session")
def _policies_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """One real copy of policies/ for the session, and the state of each file in it."""
    dest = tmp_path_factory.mktemp("policies-copy") / "policies"
    shutil.copytree(ROOT / "policies", dest)
    return dest, {p.name: _state(p) for p in dest.iterdir()}


@pytest.fixture
def policies(_policies_copy: tuple[Path, dict]):
    """Return a copy of policies/ that a test may change (a rule file, waivers.yaml, a new
    file). It is copied once per session and put back after each test: creating 64 files
    per test cost more than the checks that read them, on this disk."""
    dest, made = _policies_copy
    yield dest
    for path in dest.iterdir():
        if path.name not in made:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()  # a file the test added: a FIFO, binary, oversize...
    for name, state in made.items():
        path = dest / name
        if _state(path) != state:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
            shutil.copy2(ROOT / "policies" / name, path)
            made[name] = _state(path)
