"""The Helm plugin (plugin.yaml + scripts/helm-plugin.sh): ``helm kubeproof check ./chart``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from kubeproof.testing.environment import require

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=["helm", "helm4"])
def helm_home(request, tmp_path_factory, installed) -> dict[str, str]:
    """Return the environment of a helm (3, then 4) whose plugin, data, config and cache
    homes are in a temporary directory, with the plugin installed from this repository."""
    require(request.param)
    home = tmp_path_factory.mktemp(request.param)
    env = {f"HELM_{k}": str(home / k.lower()) for k in ("DATA_HOME", "CONFIG_HOME", "CACHE_HOME")}
    # helm's default; Helm 4.3 installs into $HELM_DATA_HOME/plugins whatever
    # HELM_PLUGINS says, and loads from HELM_PLUGINS
    env["HELM_PLUGINS"] = str(home / "data_home" / "plugins")
    helm = shutil.which(request.param)
    assert helm is not None
    version = installed.run(helm, "version", "--short", cwd=home, **env).stdout
    assert version.startswith("v3." if request.param == "helm" else "v4."), version
    proc = installed.run(helm, "plugin", "install", ROOT, cwd=home, **env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "kubeproof" in proc.stdout
    listed = installed.run(helm, "plugin", "list", cwd=home, **env)
    assert "kubeproof" in listed.stdout, listed.stdout
    return {"helm": helm, **env}


def helm_kubeproof(installed, helm_home, *args: str, cwd: Path):
    env = {k: v for k, v in helm_home.items() if k != "helm"}
    return installed.run(helm_home["helm"], "kubeproof", *args, cwd=cwd, **env)


def test_plugin_yaml_names_the_command():
    plugin = yaml.safe_load((ROOT / "plugin.yaml").read_text())
    assert plugin["name"] == "kubeproof"
    script = plugin["command"].replace("$HELM_PLUGIN_DIR/", "")
    assert (ROOT / script).is_file() and (ROOT / script).stat().st_mode & 0o111


def test_helm_kubeproof_check_a_chart(installed, helm_home, workdir, checkout_json):
    proc = helm_kubeproof(
        installed, helm_home, "check", "bad-chart", "--format", "json", cwd=workdir
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert (1, doc) == checkout_json("--chart", "bad-chart", cwd=workdir)
    # the chart after the options, and with a Dockerfile
    proc = helm_kubeproof(
        installed,
        helm_home,
        "check",
        "--format",
        "json",
        "--dockerfile",
        "dockerfiles/backend.Dockerfile",
        "chart",
        cwd=workdir,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["checked"]["dockerfiles"] == 1 and doc["checked"]["objects"] > 5


def test_helm_kubeproof_on_no_chart_exits_2(installed, helm_home, workdir):
    proc = helm_kubeproof(installed, helm_home, "check", "no-such-chart", cwd=workdir)
    assert proc.returncode == 2
    assert proc.stderr.startswith("kubeproof: no-such-chart is not a chart"), proc.stderr
