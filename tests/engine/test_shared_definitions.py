"""Findings on objects rendered from a named definition point into that definition.

Our own chart writes one object per template file, but other teams' charts and
library charts render several objects from one `define` in `_helpers.tpl`. The
fixture chart tests/engine/charts/shared-definitions does only that: each
of its templates is a one-line `include`, so a finding traced to the template
file would say line 1 of a file with nothing to fix in it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeproof.api import Inputs, run
from kubeproof.testing.environment import require

CHART = Path(__file__).parent / "charts" / "shared-definitions"
HELPERS = CHART / "templates" / "_helpers.tpl"


def line_of(text: str) -> int:
    """1-based line of the only line of _helpers.tpl that holds `text`."""
    (line,) = [i for i, s in enumerate(HELPERS.read_text().splitlines(), 1) if text in s]
    return line


@pytest.mark.parametrize("renderer", ["inprocess", "cli"])
def test_findings_point_into_the_shared_definition(renderer):
    if renderer == "cli":
        require("helm")
    findings = run(Inputs(chart=str(CHART), no_config=True, renderer=renderer)).findings
    deployments = {f.name: f for f in findings if f.kind == "Deployment"}
    assert set(deployments) == {"api", "web"}, "both Deployments must have findings"

    for name in ("api", "web"):
        where = {
            f.rule: (Path(f.file).resolve(), f.line)
            for f in findings
            if f.kind == "Deployment" and f.name == name
        }
        assert where["run-as-user-numeric"] == (HELPERS.resolve(), line_of("runAsUser: 0"))
        assert where["read-only-root-filesystem"] == (
            HELPERS.resolve(),
            line_of("readOnlyRootFilesystem: false"),
        )
        assert where["resources-set"] == (HELPERS.resolve(), line_of("containers:"))

    for f in findings:
        if f.kind in ("Deployment", "Service"):
            assert Path(f.file).resolve() == HELPERS.resolve(), f
            assert f.line > 1, f


def test_the_fixture_chart_renders_every_object_from_an_include():
    """The fixture keeps its point: no template but _helpers.tpl holds an object."""
    templates = sorted(p for p in (CHART / "templates").iterdir() if p.name != "_helpers.tpl")
    assert templates
    for template in templates:
        assert template.read_text().strip().startswith('{{- include "shared.'), template
        assert len(template.read_text().splitlines()) == 1, template
