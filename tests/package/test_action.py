"""The composite GitHub Action (action.yml): its inputs and steps, and its shell steps run
here with the inputs substituted as the runner would (bash -eo pipefail, GITHUB_OUTPUT)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def step(name: str) -> dict:
    (found,) = [s for s in ACTION["runs"]["steps"] if s.get("name") == name]
    return found


def test_inputs_steps_and_outputs():
    assert ACTION["runs"]["using"] == "composite"
    inputs = ACTION["inputs"]
    assert {"chart", "values", "dockerfiles", "manifests", "profile", "args"} <= set(inputs)
    assert {"sarif-file", "upload-sarif", "fail-on-findings", "install"} <= set(inputs)
    assert all("description" in i and "default" in i for i in inputs.values())
    names = [s["name"] for s in ACTION["runs"]["steps"]]
    assert names == [
        "Set up Python",
        "Install kubeproof",
        "kubeproof check",
        "Upload SARIF to code scanning",
        "Fail on findings at severity error",
    ]
    assert step("Set up Python")["uses"] == "actions/setup-python@v5"
    upload = step("Upload SARIF to code scanning")
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    assert "inputs.sarif-file" in upload["with"]["sarif_file"]
    assert "always()" in upload["if"]  # the report goes up even when the check step fails
    assert "steps.check.outputs.exit-code" in ACTION["outputs"]["exit-code"]["value"]
    for s in ACTION["runs"]["steps"]:  # inputs reach scripts through env, never spliced in
        assert "${{" not in s.get("run", ""), s["name"]


def run_step(installed, name: str, inputs: dict[str, str], cwd: Path, tmp_path: Path):
    """Run one ``run:`` step as the runner would; returns (process, GITHUB_OUTPUT pairs)."""
    s = step(name)
    values = {k: v.get("default", "") for k, v in ACTION["inputs"].items()} | inputs

    def expand(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            expr = m.group(1)
            if expr == "github.action_path":
                return str(ROOT)
            assert expr.startswith("inputs."), f"unknown expression {expr} in {name}"
            return values[expr.removeprefix("inputs.")]

        return EXPR.sub(one, text)

    env = {k: expand(str(v)) for k, v in (s.get("env") or {}).items()}
    output = tmp_path / f"github-output-{name.replace(' ', '-')}"
    output.write_text("")
    script = tmp_path / "step.sh"
    script.write_text(s["run"])
    workdir = cwd / expand(s.get("working-directory", "."))
    assert s["shell"] == "bash"
    proc = installed.run(
        "bash",
        "--noprofile",
        "--norc",
        "-eo",
        "pipefail",
        script,
        cwd=workdir,
        GITHUB_OUTPUT=str(output),
        **env,
    )
    pairs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return proc, pairs


def test_install_step_installs_what_it_is_given(installed, tmp_path):
    """``install`` reaches pip (a wheel installs, a missing file fails the step); empty,
    pip installs the action's own checkout (github.action_path)."""
    given = {"install": str(installed.wheel)}
    proc, _ = run_step(installed, "Install kubeproof", given, tmp_path, tmp_path)
    assert proc.returncode == 0, proc.stderr
    missing = {"install": str(tmp_path / "kubeproof-0-py3-none-any.whl")}
    proc, _ = run_step(installed, "Install kubeproof", missing, tmp_path, tmp_path)
    assert proc.returncode != 0 and "kubeproof-0-py3-none-any.whl" in proc.stderr
    s = step("Install kubeproof")
    assert s["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '"${INSTALL:-$ACTION_PATH}"' in s["run"]


@pytest.mark.parametrize(
    ("inputs", "exit_code", "errors"),
    [
        ({"chart": "bad-chart"}, "1", True),
        (
            {
                "chart": "chart",
                "dockerfiles": "dockerfiles/backend.Dockerfile\ndockerfiles/frontend.Dockerfile\n",
                "values": "chart/ci/production-values.yaml",
                "args": "--kube-version 1.33 --no-config",
            },
            "0",
            False,
        ),
    ],
    ids=["findings", "clean"],
)
def test_check_step_writes_sarif_and_the_exit_code(
    installed, workdir, tmp_path, inputs, exit_code, errors
):
    inputs = {"sarif-file": f"out-{exit_code}.sarif", **inputs}
    proc, outputs = run_step(installed, "kubeproof check", inputs, workdir, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # findings fail a later step
    assert outputs == {"exit-code": exit_code, "sarif-file": inputs["sarif-file"]}
    sarif = json.loads((workdir / inputs["sarif-file"]).read_text())
    results = sarif["runs"][0]["results"]
    assert any(r["level"] == "error" for r in results) is errors
    if "dockerfiles" in inputs:
        assert "--dockerfile dockerfiles/frontend.Dockerfile" in proc.stdout
        assert "--values chart/ci/production-values.yaml --dockerfile" in proc.stdout


def test_check_step_fails_on_bad_input(installed, workdir, tmp_path):
    proc, outputs = run_step(
        installed, "kubeproof check", {"chart": "no-such-chart"}, workdir, tmp_path
    )
    assert proc.returncode == 2 and outputs["exit-code"] == "2"
    assert "no-such-chart is not a chart" in proc.stderr
