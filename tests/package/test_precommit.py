"""The pre-commit hook (.pre-commit-hooks.yaml, id ``kubeproof``), run by pre-commit from PyPI."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def hook() -> dict:
    (h,) = [h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())]
    return h


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("charts/app/Chart.yaml", True),
        ("charts/app/values.yaml", True),
        ("charts/app/values.schema.json", True),
        ("charts/app/ci/prod-values.yaml", True),
        ("charts/app/templates/web/deployment.yaml", True),
        ("charts/app/templates/_helpers.tpl", True),
        ("Dockerfile", True),
        ("docker/Dockerfile.prod", True),
        ("dockerfiles/backend.Dockerfile", True),
        ("README.md", False),
        ("src/app/main.py", False),
        ("docker-compose.yaml", False),
    ],
)
def test_the_hook_runs_on_chart_files_and_dockerfiles(path, matches):
    assert bool(re.search(hook()["files"], path)) is matches


@pytest.fixture(scope="module")
def pre_commit(installed) -> Path:
    """Return the pre-commit executable, installed from PyPI into the session's venv."""
    if shutil.which("git") is None:
        pytest.skip("git missing: pre-commit needs it")
    installed.pip("install", "-q", "pre-commit", cwd=installed.root)
    return installed.bin / "pre-commit"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_pre_commit_try_repo_checks_the_changed_chart_and_dockerfile(
    installed, pre_commit, workdir, tmp_path
):
    """A project with a chart that has findings, a clean Dockerfile and a README:
    the hook checks the chart and the Dockerfile, fails on the chart's errors."""
    repo = tmp_path / "project"
    repo.mkdir()
    shutil.copytree(workdir / "bad-chart", repo / "deploy" / "chart")
    shutil.copy(workdir / "dockerfiles" / "backend.Dockerfile", repo / "Dockerfile")
    (repo / "README.md").write_text("# a project\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    proc = installed.run(
        pre_commit,
        "try-repo",
        ROOT,
        "kubeproof",
        "--all-files",
        "--verbose",
        cwd=repo,
        timeout=900,
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out  # the chart's errors fail the hook
    assert "kubeproof check --chart deploy/chart --dockerfile Dockerfile" in out, out
    assert "Deployment/bad-web" in out and "Failed" in out, out
    assert "checked 1 object(s), 1 Dockerfile(s)" in out, out
    assert "Traceback" not in out, out
