"""The installed pytest plugins in a project that is not this repository: a team's own
``pytest.ini`` with ``--strict-markers`` and warnings as errors must work unchanged,
so the plugins register every marker they apply or serve (``static``, ``cluster``,
``smoke``); this repository's pyproject.toml must not be what makes them known."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-web}
spec:
  selector: {matchLabels: {app: shop-web}}
  template:
    metadata: {labels: {app: shop-web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""


def test_a_strict_project_outside_the_repo_selects_static_and_marks_smoke(tmp_path):
    project = tmp_path / "team-project"
    (project / "chart" / "templates").mkdir(parents=True)
    (project / "chart" / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nversion: 0.1.0\n")
    (project / "chart" / "templates" / "web.yaml").write_text(DEPLOYMENT)
    (project / "kubeproof.yaml").write_text("chart: chart\n")
    (project / "test_chart.kubeproof.yaml").write_text("config: kubeproof.yaml\n")
    # the team's own tests use the live plugin's tiers
    (project / "test_live.py").write_text(
        "import pytest\n\n\n@pytest.mark.smoke\ndef test_release():\n    pass\n\n\n"
        "@pytest.mark.cluster\ndef test_install():\n    pass\n"
    )
    (project / "pytest.ini").write_text(
        "[pytest]\naddopts = --strict-markers -p no:cacheprovider\nfilterwarnings = error\n"
    )
    env = dict(os.environ)
    args = []
    if not any(ep.value.startswith("kubeproof.") for ep in entry_points(group="pytest11")):
        # a bare checkout: the plugins from src/, as the root conftest.py does
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")])
        )
        args = ["-p", "kubeproof.testing.plugin", "-p", "kubeproof.testing.plugin_live"]
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-q", "-rN", "-m", "static or smoke"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert "not found in `markers`" not in out and "Unknown" not in out, out
    assert "warning" not in out.lower(), out
    # the rule items ran (the bare Deployment has error findings) and the smoke test was
    # selected by its marker; the cluster test was deselected
    assert proc.returncode == 1, out
    assert "resources-set[Deployment/shop-web]" in out, out
    assert " passed" in out and "1 deselected" in out, out
