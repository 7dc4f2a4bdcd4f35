"""The CLI contract (docs/design.md): formats, exit codes, one-line errors."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from kubeproof.cli import main
from tests.background import Background

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "tests" / "rules" / "base"  # the rule fixtures' clean app
DATA = Path(__file__).parent / "data"
FIELDS = {
    "rule",
    "severity",
    "kind",
    "namespace",
    "name",
    "container",
    "file",
    "line",
    "message",
    "remediation",
    "waived",
    "profiles",  # beyond the contract's keys: the values profiles that produce the finding
}


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", "--policies", str(ROOT / "policies"), *args])
    out, err = capsys.readouterr()
    return code, out, err


def base_args(manifests: str | None = None) -> list[str]:
    return [
        "--manifests",
        manifests or str(BASE / "minikube.yaml"),
        "--config",
        str(BASE / "kubeproof.yaml"),
        "--profile",
        "minikube",
        "--dockerfile",
        str(BASE / "web.Dockerfile"),
        "--dockerfile",
        str(BASE / "api.Dockerfile"),
    ]


@pytest.fixture
def broken(tmp_path) -> str:
    text = (BASE / "minikube.yaml").read_text().replace("replicas: 1", "replicas: 0", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    return str(path)


def test_clean_input_exits_0_with_the_json_contract(capsys):
    code, out, err = run(capsys, *base_args(), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["findings"] == []
    assert doc["checked"] == {"objects": 8, "dockerfiles": 2, "rules": doc["checked"]["rules"]}
    assert doc["checked"]["rules"] >= 40


def test_an_error_exits_1_and_names_file_and_line(capsys, broken):
    code, out, _ = run(capsys, *base_args(broken), "--format", "json")
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert set(finding) == FIELDS
    assert finding["rule"] == "replicas-min"
    assert (finding["kind"], finding["name"], finding["namespace"]) == (
        "Deployment",
        "shop-web",
        "shop",
    )
    assert finding["file"] == broken
    assert Path(broken).read_text().splitlines()[finding["line"] - 1].strip() == "replicas: 0"
    assert finding["waived"] is False


def test_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", open(BASE / "minikube.yaml"))  # noqa: SIM115
    code, out, _ = run(capsys, *base_args("-"), "--format", "json")
    sys.stdin.close()
    assert code == 0
    assert json.loads(out)["checked"]["objects"] == 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--manifests", "/nonexistent.yaml"], "cannot read manifests /nonexistent.yaml"),
        (["--chart", "/nonexistent"], "is not a chart"),
        (["--format", "xml"], "invalid choice"),
        ([], "nothing to check"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)  # no kubeproof.yaml here
    try:
        code, _, err = run(capsys, *args)
    except SystemExit as exc:  # argparse errors
        code, err = exc.code, capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1, err
    assert "Traceback" not in err


def test_zero_objects_exits_2(capsys, tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("---\n# nothing\n")
    code, _, err = run(capsys, "--manifests", str(empty), "--no-config")
    assert code == 2
    assert "checked no object" in err


def test_duplicate_keys_are_a_warning_and_the_last_value_is_checked(capsys, tmp_path):
    dup = tmp_path / "dup.yaml"
    dup.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nkind: Secret\n")
    code, out, _ = run(capsys, "--manifests", str(dup), "--no-config", "--format", "json")
    assert code != 2
    (dupe,) = [f for f in json.loads(out)["findings"] if f["rule"] == "duplicate-key"]
    assert (dupe["severity"], dupe["kind"], dupe["line"]) == ("warning", "Secret", 4)
    assert "the top level repeats `kind`" in dupe["message"]


def test_render_error_names_the_template_line(capsys, tmp_path):
    from kubeproof.testing.environment import require

    require("helm")
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n"
        '  a: {{ required "value a is required" .Values.a }}\n'
    )
    for renderer in ("cli", "inprocess"):
        code, _, err = run(capsys, "--chart", str(chart), "--renderer", renderer, "--no-config")
        assert code == 2
        assert f"{chart / 'templates' / 'cm.yaml'}:6" in err, err
        assert "value a is required" in err and err.count("\n") == 1


def test_sarif_validates_against_the_sarif_2_1_0_schema(capsys, broken):
    import jsonschema

    code, out, _ = run(capsys, *base_args(broken), "--format", "sarif")
    assert code == 1
    doc = json.loads(out)
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
    (result,) = doc["runs"][0]["results"]
    assert result["ruleId"] == "replicas-min"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] > 1


def test_junit_is_what_pytest_consumers_read(capsys, broken, tmp_path):
    out_file = tmp_path / "report.xml"
    code, _, _ = run(capsys, *base_args(broken), "--format", "junit", "--output", str(out_file))
    assert code == 1
    suite = ET.parse(out_file).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) > 100
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["replicas-min[Deployment/shop-web]"]
    assert suite.get("failures") == "1"


def test_text_report_groups_by_object_and_counts(capsys, broken):
    code, out, _ = run(capsys, *base_args(broken))
    assert code == 1
    assert "Deployment/shop-web (shop)" in out
    assert "replicas-min" in out and "1 error(s)" in out


CONSOLE = Background(
    [str(Path(sys.executable).parent / "kubeproof"), "check", "--format", "json"], cwd=ROOT
)


@pytest.mark.prestart.with_args(CONSOLE.start)
def test_console_script_runs_on_the_repository_chart():
    from kubeproof.testing.environment import require

    require("helm")
    proc = CONSOLE.result()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert [f for f in doc["findings"] if not f["waived"] and f["severity"] == "error"] == []
    assert doc["checked"]["dockerfiles"] == 2 and doc["checked"]["objects"] > 10


# Unreadable input: every file the user names (or a chart holds) that is not UTF-8
# text of a sane size exits 2 with one line naming it (kubeproof.load.files).
UNREADABLE = ["binary", "non-utf8", "directory", "fifo", "oversize"]
ROLES = ["--manifests", "--values", "--dockerfile", "--config", "Chart.yaml", "values.yaml"]
ROLES += ["policies/a-rule.yaml", "policies/waivers.yaml"]  # --policies DIR's files


def _unreadable(path: Path, kind: str) -> None:
    from kubeproof.load.files import MAX_INPUT_BYTES

    if kind == "binary":
        path.write_bytes(b"apiVersion: v1\n\x00\x01\x02\xff\xfe")
    elif kind == "non-utf8":
        path.write_bytes(b"kind: ConfigMap\nmetadata: {name: caf\xe9}\n")  # Latin-1
    elif kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)  # reading it would block forever
    else:
        with open(path, "wb") as fh:
            fh.truncate(MAX_INPUT_BYTES + 1)  # sparse: no disk used


@pytest.mark.parametrize("kind", UNREADABLE)
@pytest.mark.parametrize("role", ROLES)
def test_unreadable_input_exits_2_naming_the_file(
    capsys, tmp_path, monkeypatch, request, role, kind
):
    monkeypatch.chdir(tmp_path)
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("a: 1\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
    )
    if role.startswith("--"):
        bad = tmp_path / f"input{role}"
        args = [role, str(bad)] + (["--chart", str(chart)] if role == "--values" else [])
        if role != "--config":
            args.append("--no-config")
        if role in ("--dockerfile", "--config"):
            args += ["--manifests", str(chart / "templates" / "cm.yaml")]
    elif role.startswith("policies/"):
        bad = request.getfixturevalue("policies") / role.split("/", 1)[1]
        bad.unlink(missing_ok=True)
        args = ["--policies", str(bad.parent), "--chart", str(chart), "--no-config"]
    else:
        bad = chart / role
        bad.unlink()
        args = ["--chart", str(chart), "--no-config"]
    _unreadable(bad, kind)
    if kind == "fifo":  # should the FIFO be read by mistake, unblock it: fail, don't hang
        threading.Thread(target=_unblock, args=(bad,), daemon=True).start()
    code, _, err = run(capsys, *args)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "cannot read " in err and str(bad) in err, err


def _unblock(fifo: Path) -> None:
    time.sleep(10)
    with contextlib.suppress(OSError):  # ENXIO: nobody reading, as it should be
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # a blocked reader gets EOF


def test_binary_stdin_exits_2(capsys, monkeypatch, tmp_path):
    path = tmp_path / "bin"
    path.write_bytes(b"\x00\x01binary")
    with open(path) as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        code, _, err = run(capsys, "--manifests", "-", "--no-config")
    assert code == 2
    assert "cannot read manifests <stdin>: binary data" in err and err.count("\n") == 1


@pytest.mark.parametrize("how", ["script", "module"])
def test_the_console_exits_hard_with_the_whole_report_and_its_code(tmp_path, broken, how):
    """The console script and ``python -m kubeproof`` end the process without tearing
    the interpreter down (cli.exit_now): the report is still written whole, through a
    pipe and to --output, and the exit code is main's."""
    import subprocess

    many = tmp_path / "many.yaml"
    many.write_text("\n---\n".join([Path(broken).read_text()] * 60))
    exe = Path(sys.executable).parent
    cmd = [str(exe / "kubeproof")] if how == "script" else [sys.executable, "-m", "kubeproof"]
    cmd += ["check", "--policies", str(ROOT / "policies"), *base_args(str(many))]
    proc = subprocess.run([*cmd, "--format", "json"], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stdout) > 1 << 16  # more than a pipe holds: written while read
    assert len(json.loads(proc.stdout)["findings"]) >= 60
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=buffered)  # small writes
    assert proc.returncode == 1, proc.stderr
    last = proc.stdout.rstrip().splitlines()[-1]  # the summary, written last
    assert re.fullmatch(r"[1-9]\d* error\(s\), .*checked \d+ object\(s\).*", last), last
    out = tmp_path / "report.json"
    proc = subprocess.run([*cmd, "--format", "json", "--output", str(out)], capture_output=True)
    assert proc.returncode == 1 and json.loads(out.read_text())["findings"]
    proc = subprocess.run([*cmd, "--chart", str(tmp_path / "nowhere")], capture_output=True)
    assert proc.returncode == 2 and proc.stderr.decode().count("\n") == 1
    with subprocess.Popen(
        [*cmd, "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as head:
        assert head.stdout is not None and head.stderr is not None
        assert head.stdout.read(10)
        head.stdout.close()  # the reader is gone, as with `| head -c 10`
        assert head.wait(timeout=60) in (1, 120)
        assert b"Traceback" not in head.stderr.read()


def test_exit_now_flushes_what_is_buffered_and_keeps_the_code():
    import subprocess

    code = "import sys; from kubeproof.cli import exit_now; sys.stdout.write('tail'); exit_now(3)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert (proc.returncode, proc.stdout, proc.stderr) == (3, "tail", "")
