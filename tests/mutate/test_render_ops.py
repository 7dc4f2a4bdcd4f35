"""Operators that change chart files render the chart again: what they rely on holds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kubeproof.errors import RenderError
from kubeproof.load.chart import chart_info, render_chart
from kubeproof.testing.environment import require

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "todo-chatbot"


@pytest.fixture
def chart_copy(tmp_path):
    """A copy of our chart in a temporary directory (returns its path)."""
    dest = tmp_path / "todo-chatbot"
    shutil.copytree(CHART, dest)
    return dest


@pytest.mark.parametrize("renderer", ["inprocess", "cli"])
def test_helm_validates_no_values_against_a_schema_helmignore_hides(chart_copy, tmp_path, renderer):
    """Why helmignore-hides-schema is a defect: helm really stops using the schema."""
    if renderer == "cli":
        require("helm")
    bad = tmp_path / "bad.yaml"
    bad.write_text("frontend:\n  replicaCount: 0\n")
    with pytest.raises(RenderError, match="replicaCount"):
        render_chart(str(chart_copy), [str(bad)], renderer=renderer)
    with (chart_copy / ".helmignore").open("a") as fh:
        fh.write("*.json\n")
    objects = render_chart(str(chart_copy), [str(bad)], renderer=renderer)
    deployment = next(o for o in objects if o.kind == "Deployment" and "frontend" in o.name)
    assert deployment.data["spec"]["replicas"] == 0


def test_chart_info_sees_the_schema_only_when_helm_does(chart_copy):
    assert chart_info(str(chart_copy)).has_values_schema
    with (chart_copy / ".helmignore").open("a") as fh:
        fh.write("values.schema.json\n")
    assert not chart_info(str(chart_copy)).has_values_schema


def test_a_render_scope_mutant_notes_its_chart_file_change_and_sets():
    import os

    from kubeproof.api import Inputs
    from kubeproof.mutate.runner import CAUGHT, run_mutation

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        report = run_mutation(
            Inputs(profile="minikube"),
            only=["helmignore-hides-tests", "values-pull-policy-always", "values-replicas-zero"],
        )
    finally:
        os.chdir(cwd)
    by_op = {r.operator: r for r in report.results}
    sites = sorted(r.site for r in report.results if r.operator == "values-pull-policy-always")
    assert sites == [  # one mutant, one render, per value
        "HelmChart/todo-chatbot values backend.image.pullPolicy",
        "HelmChart/todo-chatbot values frontend.image.pullPolicy",
    ]
    assert all(r.status == CAUGHT for r in report.results), [
        (r.name, r.status) for r in report.results
    ]
    assert "+tests/" in by_op["helmignore-hides-tests"].mutant.note
    pull = by_op["values-pull-policy-always"].mutant.note
    assert pull.startswith("--set ") and "image.pullPolicy=Always" in pull
    assert by_op["values-replicas-zero"].fired == ["chart-render"]  # values.schema.json said no


def test_names_drawn_at_random_in_a_render_are_no_noise(tmp_path):
    """A chart whose test pod is named with randAlphaNum (as podinfo's are): a new render
    renames it, and its findings are not new findings of the mutant."""
    from kubeproof.api import Inputs
    from kubeproof.mutate.runner import CAUGHT, run_mutation

    chart = tmp_path / "rnd"
    (chart / "templates" / "tests").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: rnd\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("replicaCount: 1\n")
    (chart / "templates" / "deploy.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: rnd}\nspec:\n"
        "  replicas: {{ .Values.replicaCount }}\n"
        "  selector: {matchLabels: {app: rnd}}\n"
        "  template:\n    metadata: {labels: {app: rnd}}\n"
        "    spec: {containers: [{name: app, image: 'nginx:1.27'}]}\n"
    )
    (chart / "templates" / "tests" / "t.yaml").write_text(
        "apiVersion: v1\nkind: Pod\n"
        "metadata:\n  name: rnd-test-{{ randAlphaNum 5 | lower }}\n"
        "  annotations: {helm.sh/hook: test}\n"
        "spec: {restartPolicy: Never, containers: [{name: t, image: 'busybox:1.36'}]}\n"
    )
    report = run_mutation(Inputs(chart=str(chart), no_config=True), only=["values-replicas-zero"])
    assert report.baseline_errors  # the pods lack a security context: known, not new
    [result] = report.results
    assert result.status == CAUGHT and result.fired == ["replicas-min"]
    assert not result.noise, [f.message for f in result.noise]
