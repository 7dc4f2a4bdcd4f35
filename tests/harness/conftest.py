"""The harness's own tests: pure parts and provider code paths, no Docker, no cluster.

They run in the default (``static``) tier (tests/conftest.py). Where a
provider's tool cannot exist on this machine (kind, minikube), a small recording
stand-in of its command line is put on PATH: what is tested is our side of the
conversation (which commands we send, what we make of the answers), never the
cluster.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest


class FakeTools:
    """Executables on PATH that log their argv (one line each) to ``calls``."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.log = bindir / "calls.log"

    def add(self, name: str, body: str) -> None:
        script = self.bindir / name
        script.write_text(f'#!/usr/bin/env bash\necho "{name} $*" >>"{self.log}"\n{body}\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)

    @property
    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeTools:
    """Return a FakeTools whose directory is the only one on PATH besides /usr/bin and /bin."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", os.pathsep.join([str(bindir), "/usr/bin", "/bin"]))
    return FakeTools(bindir)
