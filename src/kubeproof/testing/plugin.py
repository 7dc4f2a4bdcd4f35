"""kubeproof's pytest plugin (registered through the ``pytest11`` entry point).

It only wires things: a ``test_*.kubeproof.yaml`` file becomes one collector per
values profile and one test item per rule and object, named like
``probes-present[Deployment/todo-backend]``, so ``pytest -k`` and
``--junit-xml`` work as users expect. The file says what to check::

    config: ../../kubeproof.yaml   # the app's expectations (relative to this file)
    profiles: [minikube, production]  # optional; default: every profile of the config

``--kubeproof-profile NAME`` (or ``KUBEPROOF_PROFILE``) narrows the run to one profile.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kubeproof", "kubeproof policy checks")
    group.addoption(
        "--kubeproof-profile",
        action="append",
        default=None,
        metavar="NAME",
        help="values profile(s) to check (env KUBEPROOF_PROFILE, comma separated); default: all",
    )
    group.addoption(
        "--kubeproof-policies",
        default=os.environ.get("KUBEPROOF_POLICIES"),
        metavar="DIR",
        help="rules directory (env KUBEPROOF_POLICIES); default: the built-in rules",
    )
    # rendering as `kubeproof check` (and helm install) takes it; distinct from the smoke
    # tier's --release/--namespace (KUBEPROOF_RELEASE/KUBEPROOF_NAMESPACE), which name an
    # already deployed release and must not change what the static tier renders
    for flag, env, many, what in (
        ("values", "KUBEPROOF_VALUES", True, "extra values file (as helm -f)"),
        ("set", "KUBEPROOF_SET", True, "K=V (as helm --set)"),
        ("set-string", "KUBEPROOF_SET_STRING", True, "K=V (as helm --set-string)"),
        (
            "release",
            "KUBEPROOF_RENDER_RELEASE",
            False,
            "release name to render with (default: chart's)",
        ),
        (
            "namespace",
            "KUBEPROOF_RENDER_NAMESPACE",
            False,
            "namespace to render into (default: default)",
        ),
        ("kube-version", "KUBEPROOF_KUBE_VERSION", False, "Kubernetes version X.Y"),
    ):
        group.addoption(
            f"--kubeproof-{flag}",
            action="append" if many else "store",
            default=None,
            metavar="VALUE",
            help=f"{what} (env {env}{', comma separated' if many else ''})",
        )


#: The marker every rule item carries, registered here so that a project with
#: ``--strict-markers`` (or warnings as errors) can select ``-m static`` without listing it.
MARKERS = {"static": "kubeproof rule checks of a chart and its Dockerfiles (no cluster)"}


def register_markers(config: pytest.Config, markers: dict[str, str]) -> None:
    """Register ``markers`` (name -> help) unless the project's own ini already does."""
    known = {line.split(":", 1)[0].split("(", 1)[0].strip() for line in config.getini("markers")}
    for name, text in markers.items():
        if name not in known:
            config.addinivalue_line("markers", f"{name}: {text}")


def pytest_configure(config: pytest.Config) -> None:
    register_markers(config, MARKERS)


def render_options(config: pytest.Config) -> dict[str, Any]:
    """The api Inputs fields the --kubeproof-* render options (or their env vars) set."""
    out: dict[str, Any] = {}
    for flag, env, field in (
        ("values", "KUBEPROOF_VALUES", "values"),
        ("set", "KUBEPROOF_SET", "sets"),
        ("set-string", "KUBEPROOF_SET_STRING", "set_strings"),
        ("release", "KUBEPROOF_RENDER_RELEASE", "release"),
        ("namespace", "KUBEPROOF_RENDER_NAMESPACE", "namespace"),
        ("kube-version", "KUBEPROOF_KUBE_VERSION", "kube_version"),
    ):
        value = config.getoption(f"--kubeproof-{flag}")
        if value is None and os.environ.get(env):
            value = os.environ[env]
            if field in ("values", "sets", "set_strings"):
                value = [v for v in value.split(",") if v]
        if value is not None:
            out[field] = value
    return out


def selected_profiles(config: pytest.Config) -> list[str] | None:
    """Profiles chosen by option or environment, or None for all."""
    chosen = config.getoption("--kubeproof-profile") or []
    if not chosen and os.environ.get("KUBEPROOF_PROFILE"):
        chosen = [os.environ["KUBEPROOF_PROFILE"]]
    names = [n.strip() for c in chosen for n in c.split(",") if n.strip()]
    return names or None


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.name.startswith("test_") and file_path.name.endswith(".kubeproof.yaml"):
        return KubeproofFile.from_parent(parent, path=file_path)
    return None


class KubeproofFile(pytest.File):
    """A ``test_*.kubeproof.yaml`` spec: one child per values profile."""

    def collect(self):
        import yaml

        spec = yaml.safe_load(self.path.read_text()) or {}
        from ..config import load_config

        cfg_path = (self.path.parent / spec.get("config", "kubeproof.yaml")).resolve()
        cfg = load_config(str(cfg_path))
        profiles = list(spec.get("profiles") or cfg.profiles) or [None]
        wanted = selected_profiles(self.config)
        if wanted:
            unknown = sorted(set(wanted) - set(profiles))
            if unknown:
                raise self.CollectError(f"unknown kubeproof profile(s) {unknown}; have {profiles}")
            profiles = [p for p in profiles if p in wanted]
        for i, profile in enumerate(profiles):
            yield ProfileCollector.from_parent(
                self,
                name=profile or "default",
                profile=profile,
                cfg_path=str(cfg_path),
                first=(i == 0),
            )


class ProfileCollector(pytest.Collector):
    """One profile rendered and evaluated; one item per (rule, object)."""

    def __init__(self, *, profile: str | None, cfg_path: str, first: bool, **kw: Any) -> None:
        super().__init__(**kw)
        self.profile, self.cfg_path, self.first = profile, cfg_path, first

    def collect(self):
        from ..api import Inputs, run
        from ..errors import KubeproofError

        root = Path(self.cfg_path).parent
        policies = self.config.getoption("--kubeproof-policies")  # None: the built-in rules
        inp = Inputs(
            config=self.cfg_path,
            profile=self.profile,
            policies=policies,
            **render_options(self.config),
        )
        cwd = os.getcwd()
        try:
            os.chdir(root)  # findings name files relative to the app's root
            result = run(inp)
        except KubeproofError as err:
            raise self.CollectError(f"kubeproof ({self.profile}): {err}") from err
        finally:
            os.chdir(cwd)
        by_pair: dict[tuple[str, str], list[Any]] = {}
        for f in result.findings:
            rule = f.rule.split("/", 1)[0] if "/" in f.rule else f.rule
            by_pair.setdefault((rule, f.ref), []).append(f)
        pairs = list(dict.fromkeys([*result.pairs, *by_pair]))
        aliases = {r.id: r.aliases for r in result.rules}
        for rule, ref in pairs:
            once = ref.startswith(("Dockerfile/", "HelmChart/"))
            if once and not self.first:
                continue
            item = RuleItem.from_parent(
                self, name=f"{rule}[{ref}]", findings=by_pair.get((rule, ref), [])
            )
            item.extra_keyword_matches.update(aliases.get(rule, ()))  # -k <former id>
            yield item


class RuleFailed(Exception):
    """A rule found errors on an object."""


class RuleItem(pytest.Item):
    """One rule applied to one object; fails on unwaived error findings."""

    def __init__(self, *, findings: list[Any], **kw: Any) -> None:
        super().__init__(**kw)
        self.findings = findings
        self.add_marker(pytest.mark.static)  # registered in pytest_configure

    def runtest(self) -> None:
        errors = [f for f in self.findings if f.severity == "error" and not f.waived]
        for f in self.findings:
            if f.waived or f.severity != "error":
                self.user_properties.append((f.rule, f"{f.severity}: {f.shown_message}"))
        if errors:
            raise RuleFailed(errors)
        waived = [f for f in self.findings if f.waived]
        if waived and len(waived) == len(self.findings):
            pytest.skip("waived: " + "; ".join(f.waiver_reason or "" for f in waived))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, RuleFailed):
            lines = []
            for f in excinfo.value.args[0]:
                lines.append(f"{f.file}:{f.line}: {f.rule}: {f.shown_message}")
                lines.append(f"    fix: {f.remediation}")
            return "\n".join(lines)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        f = self.findings[0] if self.findings else None
        return self.path, (f.line - 1 if f and f.line else None), self.name


@pytest.fixture(scope="session")
def kubeproof_check():
    """Return a function that runs ``kubeproof check`` in-process and returns its Result."""
    from ..api import Inputs, run

    def check(**kwargs: Any):
        return run(Inputs(**kwargs))

    return check
