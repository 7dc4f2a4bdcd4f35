"""Wire kubeproof's pytest plugins for runs from a source checkout, and skip whole
folders of tiers that ``-m`` leaves out before importing them.

An installed kubeproof registers its plugins through ``pytest11`` entry points;
a bare checkout (no ``pip install -e .``) gets them from ``src/`` here instead.
"""

import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

ROOT = Path(__file__).parent

if not any(ep.value.startswith("kubeproof.") for ep in entry_points(group="pytest11")):
    sys.path.insert(0, str(ROOT / "src"))
    pytest_plugins = ["kubeproof.testing.plugin", "kubeproof.testing.plugin_live"]


def _tiers(config: pytest.Config) -> dict[str, str]:
    """tests/conftest.py's table: folder under tests/ -> the tier marker of its tests."""
    conftest = config.pluginmanager.get_plugin(str(ROOT / "tests" / "conftest.py"))
    return getattr(conftest, "TIERS", {})


def _folder_tier(path: Path, tiers: dict[str, str]) -> str | None:
    """The tier marker every test under ``path`` carries ("" for none), or None if unknown."""
    backend = ROOT / "apps" / "backend" / "tests"
    if path == backend or backend in path.parents:
        return ""  # the app's own unit tests carry no tier marker
    if ROOT / "tests" in path.parents:
        return tiers.get(path.relative_to(ROOT / "tests").parts[0])
    return None


def deselected_folder(path: Path, markexpr: str, tiers: dict[str, str]) -> bool:
    """Whether ``-m markexpr`` deselects every test under ``path``: a folder's tests carry
    its tier's marker and no other tier's (``tiers``: tests/conftest.py's TIERS); other
    markers may be on any test, so only when no combination of them selects it."""
    tier = _folder_tier(path, tiers)
    if not markexpr or tier is None:
        return False
    from itertools import product

    from _pytest.mark.expression import Expression

    expr = Expression.compile(markexpr)
    free = sorted(expr.idents() - set(tiers.values()))
    for values in product((False, True), repeat=len(free)):
        on = {tier} | {name for name, v in zip(free, values, strict=True) if v}
        if expr.evaluate(lambda name, /, on=on, **kw: name in on):
            return False
    return True


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave out a folder of a tier that ``-m`` deselects, so that its modules
    (hypothesis, docker, the backend app) are not even imported."""
    if config.option.markexpr and deselected_folder(
        collection_path, config.option.markexpr, _tiers(config)
    ):
        return True
    return None


def pytest_configure(config: pytest.Config) -> None:
    """pytest rewrites the asserts of every module of a distribution that registers a
    plugin, so all of kubeproof (the engine, checks, loaders) would be parsed, rewritten
    and compiled again on every run where bytecode is not cached: a tenth of a second
    of the static tier, for asserts that are not tests. Only kubeproof.testing (the
    plugins and the harness the tiers call) keeps rewriting."""
    marked = getattr(config.pluginmanager.rewrite_hook, "_must_rewrite", None)
    if isinstance(marked, set) and "kubeproof" in marked:
        marked.discard("kubeproof")
        marked.add("kubeproof.testing")


def pytest_collection_finish(session: pytest.Session) -> None:
    """hypothesis's plugin imports all of hypothesis when the run ends, also when no
    collected test uses it (the static tier): then it has nothing to report, so drop it."""
    if "hypothesis" not in sys.modules:
        plugin = session.config.pluginmanager.get_plugin("hypothesispytest")
        if plugin is not None:
            session.config.pluginmanager.unregister(plugin)
