"""What the package declares, imports and reads (issue 8), checked without building it.

The wheel itself is built and installed by the ``package`` tier (tests/package).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "src" / "kubeproof"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

#: Declared for the live tier before its code uses them (the issue allows it while
#: they sit in an extra). Once imported, the test below asks to drop them from here.
PENDING: dict[str, str] = {}  # declared, not yet imported: name -> the issue that will


def _name(requirement: str) -> str:
    return re.match(r"[A-Za-z0-9._-]+", requirement).group(0)


def requirements() -> dict[str, list[str]]:
    """Every declared distribution by role ("core" or the extra's name), without self-references."""
    out = {"core": [_name(r) for r in PYPROJECT["project"]["dependencies"]]}
    for extra, reqs in PYPROJECT["project"]["optional-dependencies"].items():
        out[extra] = [n for n in map(_name, reqs) if n != "kubeproof"]
    return out


@cache
def _provides() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            out.setdefault(dist.lower(), set()).add(module)
    return out


def provided(name: str) -> tuple[set[str], set[str]]:
    """The import names and the executables an installed distribution provides."""
    try:
        dist = distribution(name)
    except PackageNotFoundError:
        pytest.skip(f"{name} is not installed here: pip install -e '.[dev]'")
    modules = _provides().get(dist.metadata["Name"].lower(), set())
    exes = {Path(str(f)).name for f in dist.files or [] if "/bin/" in str(f)}
    return {m for m in modules if not m.startswith("_")}, exes


def python_files() -> list[Path]:
    dirs = [ROOT / "src", ROOT / "tests", ROOT / "bench"]
    return [ROOT / "conftest.py", *[p for d in dirs for p in d.rglob("*.py")]]


def imported(path: Path, top_level_only: bool = False) -> set[str]:
    """Top-level names of the modules a file imports (anywhere, or only at module level)."""
    tree = ast.parse(path.read_text(), str(path))
    nodes = tree.body if top_level_only else ast.walk(tree)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@cache
def all_imports() -> set[str]:
    return set().union(*(imported(p) for p in python_files()))


@cache
def command_text() -> str:
    """Where executables are run: tox, CI, scripts and the engine's own subprocesses."""
    files = [ROOT / "tox.ini", ROOT / ".ci" / "run", *ROOT.glob("scripts/**/*.sh")]
    files += list(PKG.rglob("*.py"))
    return "\n".join(p.read_text() for p in files if p.is_file())


@pytest.mark.parametrize("name", [n for names in requirements().values() for n in names])
def test_every_declared_dependency_is_imported_or_run(name):
    modules, exes = provided(name)
    used = sorted(modules & all_imports())
    run = sorted(
        e for e in exes if re.search(rf"(?<![\w-]){re.escape(e)}(?![\w-])", command_text())
    )
    if name in PENDING:
        assert not used, f"{name} is used now ({used}): drop it from PENDING"
        return
    assert used or run, f"{name} is declared but nothing imports {modules} or runs {exes}"


def third_party(names: set[str]) -> set[str]:
    return {n for n in names if n not in sys.stdlib_module_names and n != "kubeproof"}


def test_the_engine_imports_only_the_core_set():
    core = set()
    for name in requirements()["core"]:
        core |= provided(name)[0]
    engine = [p for p in PKG.rglob("*.py") if "testing" not in p.relative_to(PKG).parts]
    stray = {str(p.relative_to(ROOT)): third_party(imported(p)) - core for p in engine}
    assert {f: sorted(m) for f, m in stray.items() if m} == {}


def test_the_pytest_plugins_import_nothing_beyond_pytest_at_import_time():
    plugins = PYPROJECT["project"]["entry-points"]["pytest11"].values()
    for module in plugins:
        path = ROOT / "src" / Path(*module.split(".")).with_suffix(".py")
        assert third_party(imported(path, top_level_only=True)) <= {"pytest"}, path


def test_plugins_and_cli_run_without_the_extras_installed(tmp_path):
    """With docker, kubernetes, testinfra and pytest-kind unimportable, the plugins
    import and ``kubeproof check`` runs; the CLI imports no pytest or hypothesis."""
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\n")
    code = f"""
import sys
for name in ("docker", "kubernetes", "testinfra", "pytest_kind"):
    sys.modules[name] = None  # import raises ImportError
import kubeproof.testing.plugin, kubeproof.testing.plugin_live
for name in [m for m in sys.modules if m.split(".")[0] in ("pytest", "_pytest", "kubeproof")]:
    del sys.modules[name]
sys.modules["pytest"] = sys.modules["hypothesis"] = None
from kubeproof.cli import main
code = main(["check", "--manifests", {str(manifest)!r}, "--no-config", "--format", "json"])
sys.exit(10 + code)
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert proc.returncode == 10, proc.stderr
    assert '"objects": 1' in proc.stdout


def _chart(tmp_path: Path) -> Path:
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\n"
    )
    return chart


def test_kubeproof_release_does_not_change_what_check_renders(
    tmp_path, monkeypatch, capsys, request
):
    """KUBEPROOF_RELEASE/KUBEPROOF_NAMESPACE name the smoke tier's deployed release
    (.ci/run exports them); they change neither the CLI's render nor the plugin's."""
    import json

    from kubeproof.api import Inputs, load_targets
    from kubeproof.cli import main
    from kubeproof.testing.plugin import render_options

    monkeypatch.setenv("KUBEPROOF_RELEASE", "deployed-elsewhere")
    monkeypatch.setenv("KUBEPROOF_NAMESPACE", "elsewhere")
    chart = str(_chart(tmp_path))
    (target,) = load_targets(Inputs(chart=chart, no_config=True), None)
    assert [o.name for o in target.objects] == ["c-config"]
    (target,) = load_targets(Inputs(chart=chart, no_config=True, release="r"), None)
    assert [o.name for o in target.objects] == ["r-config"]
    assert main(["check", "--chart", chart, "--no-config", "--format", "json"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)["release"]["name"] == "c"
    assert render_options(request.config) == {}


def test_inputs_defaults_do_not_read_the_environment(monkeypatch):
    from kubeproof.api import Inputs
    from kubeproof.model import DEFAULT_KUBE_VERSION

    monkeypatch.setenv("KUBEPROOF_KUBE_VERSION", "1.27")
    assert Inputs().kube_version == DEFAULT_KUBE_VERSION != "1.27"


def test_only_the_cli_and_the_harness_read_environment_variables():
    readers = set()
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG)
        if rel.parts[0] == "testing" or rel.name == "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            name = getattr(node, "attr", None) or getattr(node, "id", None)
            if name in ("environ", "environb", "getenv"):
                readers.add(f"{rel}:{node.lineno}")
    assert sorted(readers) == []


def test_the_built_in_rules_are_found_from_any_directory(tmp_path, monkeypatch):
    """A ``policies/`` folder in the working directory (another tool's) is not read."""
    from kubeproof.policy import default_policies_dir

    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "deny.yaml").write_text("package main\n")
    monkeypatch.chdir(tmp_path)
    assert Path(default_policies_dir()) == ROOT / "policies"


def test_the_pre_commit_hook_checks_each_chart_once_and_each_dockerfile(tmp_path, monkeypatch):
    from kubeproof.precommit import runs

    monkeypatch.chdir(tmp_path)
    for chart in ("deploy/a", "deploy/b"):
        (tmp_path / chart / "templates" / "web").mkdir(parents=True)
        (tmp_path / chart / "Chart.yaml").write_text("name: x\n")
    (tmp_path / "templates").mkdir()  # a templates/ folder of no chart
    files = [
        "deploy/a/templates/web/deployment.yaml",
        "deploy/a/values.yaml",
        "deploy/b/Chart.yaml",
        "templates/page.html",
        "Dockerfile",
        "api/backend.Dockerfile",
    ]
    assert runs(["--profile=prod", *files]) == [
        ["check", "--chart", "deploy/a", "--dockerfile", "Dockerfile", "--dockerfile",
         "api/backend.Dockerfile", "--profile=prod"],
        ["check", "--chart", "deploy/b", "--profile=prod"],
    ]  # fmt: skip
    assert runs(["Dockerfile"]) == [["check", "--dockerfile", "Dockerfile"]]
    assert runs(["templates/page.html"]) == []
