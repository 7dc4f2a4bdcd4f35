"""The ``package`` tier: kubeproof as a user gets it, outside this checkout.

One session-scoped virtualenv in a temporary directory: ``python -m build``
makes the sdist and, from it, the wheel; the wheel is installed alone (the core
set, recorded), then with its ``[test]`` extra. Every test here uses that venv
and works on copies in temporary directories. Dependencies come from PyPI
through pip's cache; without PyPI the tier skips (fails when
``KUBEPROOF_REQUIRE`` lists ``pypi``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_OFFLINE = ("NewConnectionError", "Could not fetch", "No matching distribution", "ProxyError")


@dataclass
class Venv:
    """A virtualenv outside the checkout with the built kubeproof installed."""

    root: Path
    dist: Path  # the sdist and wheel python -m build made
    core: dict[str, str]  # what installing the wheel alone brought: name -> version
    core_check: subprocess.CompletedProcess[str] | None = None  # kubeproof check, core only

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def python(self) -> str:
        return str(self.bin / "python")

    @property
    def wheel(self) -> Path:
        (wheel,) = self.dist.glob("kubeproof-*.whl")
        return wheel

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a user who activated this venv (nothing of this checkout's)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBEPROOF_", "PYTHON"))}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.root)
        return {**env, **extra}

    def run(
        self, *cmd: str | Path, cwd: Path, timeout: float = 300, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(c) for c in cmd],
            cwd=cwd,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def pip(self, *args: str | Path, cwd: Path) -> None:
        proc = self.run(self.python, "-m", "pip", "--disable-pip-version-check", *args, cwd=cwd)
        if proc.returncode != 0:
            out = proc.stdout + proc.stderr
            if any(s in out for s in _OFFLINE) and "pypi" not in _required():
                pytest.skip(f"PyPI unreachable for pip {' '.join(map(str, args))}: {out[-300:]}")
            pytest.fail(f"pip {' '.join(map(str, args))} failed:\n{out[-3000:]}", pytrace=False)

    def packages(self) -> dict[str, str]:
        proc = self.run(self.python, "-m", "pip", "list", "--format", "json", cwd=self.root)
        return {normalize(p["name"]): p["version"] for p in json.loads(proc.stdout)}


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them (jsonschema_rs == jsonschema-rs)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _required() -> set[str]:
    return {p.strip() for p in os.environ.get("KUBEPROOF_REQUIRE", "").split(",")}


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """Return the session's venv: kubeproof built from this checkout and installed from
    its wheel, first alone (``core`` records what that brought), then with ``[test]``."""
    base = tmp_path_factory.mktemp("package")
    root = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(root)
    env = Venv(root=root, dist=base / "dist", core={})
    env.pip("install", "-q", "build", cwd=base)
    proc = env.run(env.python, "-m", "build", "--outdir", env.dist, ROOT, cwd=base, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"python -m build failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
    before = env.packages()
    env.pip("install", "-q", env.wheel, cwd=base)
    env.core = {k: v for k, v in env.packages().items() if k not in before}
    (base / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    env.core_check = env.run(
        env.bin / "kubeproof", "check", "--manifests", "cm.yaml", "--format", "json", cwd=base
    )
    env.pip("install", "-q", f"{env.wheel}[test]", cwd=base)
    return env


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a directory outside the checkout holding copies of our chart (``chart``),
    our Dockerfiles (``dockerfiles``) and a small chart with findings (``bad-chart``)."""
    work = tmp_path_factory.mktemp("work")
    shutil.copytree(ROOT / "charts" / "todo-chatbot", work / "chart")
    shutil.copytree(ROOT / "dockerfiles", work / "dockerfiles")
    bad = work / "bad-chart"
    (bad / "templates").mkdir(parents=True)
    (bad / "Chart.yaml").write_text("apiVersion: v2\nname: bad\nversion: 0.1.0\n")
    (bad / "templates" / "deployment.yaml").write_text(
        """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:latest
"""
    )
    return work


@pytest.fixture(scope="session")
def checkout_json():
    """Return a function running ``kubeproof check`` from this checkout (the reference)."""

    def check(*args: str, cwd: Path) -> tuple[int, dict]:
        proc = subprocess.run(
            [sys.executable, "-m", "kubeproof", "check", *args, "--format", "json"],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        return proc.returncode, json.loads(proc.stdout or "{}")

    return check
