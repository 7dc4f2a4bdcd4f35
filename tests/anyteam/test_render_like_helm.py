"""Render like ``helm install`` does (--set, --set-string, --release, --namespace), name the
cause when it cannot (.helmignore traps, unvendored dependencies, undefined values), and
never lose the other checks when a render fails."""

from __future__ import annotations

import pytest

from kubeproof.testing.environment import require

from .charts import rules_of, run_json, write_chart

RENDERERS = ("inprocess", "cli")

CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
  namespace: {{ .Release.Namespace }}
data:
  replicas: {{ .Values.count | quote }}
  kind: {{ kindOf .Values.count | quote }}
"""

ROOT_DOCKERFILE = 'FROM python:3.11-slim\nCMD ["python", "-m", "http.server"]\n'


@pytest.fixture
def dockerfile(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(ROOT_DOCKERFILE)  # no USER: dockerfile-user-nonroot fires
    return str(path)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_set_set_string_release_and_namespace_reach_the_templates(capsys, tmp_path, renderer):
    require("helm")
    from kubeproof.api import Inputs, load_targets

    chart = write_chart(tmp_path, {"cm.yaml": CM}, "count: 1\n")
    inp = Inputs(
        chart=str(chart),
        sets=["count=3"],
        release="shop",
        namespace="team-a",
        renderer=renderer,
        no_config=True,
    )
    (target,) = load_targets(inp, None)
    (cm,) = target.objects
    assert (cm.name, cm.namespace) == ("shop-settings", "team-a")
    assert cm.data["data"] == {
        "replicas": "3",
        "kind": "int64" if renderer == "cli" else cm.data["data"]["kind"],
    }
    inp.sets, inp.set_strings = ["count=3"], ["count=007"]  # --set-string wins, stays a string
    (target,) = load_targets(inp, None)
    assert target.objects[0].data["data"] == {"replicas": "007", "kind": "string"}


def test_default_release_is_the_chart_name_and_the_report_says_so(capsys, tmp_path):
    chart = write_chart(tmp_path, {"cm.yaml": CM}, "count: 1\n", name="todo-team")
    code, report, _ = run_json(capsys, "--chart", str(chart), "--no-config")
    assert code != 2
    assert report["release"] == {"name": "todo-team", "namespace": "default", "default": True}
    _code, report, _ = run_json(capsys, "--chart", str(chart), "--no-config", "--release", "r1")
    assert report["release"]["name"] == "r1" and report["release"]["default"] is False


def test_bad_set_expression_is_one_line_exit_2(capsys, tmp_path):
    chart = write_chart(tmp_path, {"cm.yaml": CM}, "count: 1\n")
    code, _, err = run_json(capsys, "--chart", str(chart), "--no-config", "--set", "justakey")
    assert code == 2 and err.count("\n") == 1
    assert '--set justakey: key "justakey" has no value' in err


@pytest.mark.parametrize("renderer", RENDERERS)
def test_helmignore_negation_is_named_and_dockerfile_rules_still_run(
    capsys, tmp_path, dockerfile, renderer
):
    require("helm")
    chart = write_chart(tmp_path, {"cm.yaml": CM}, "count: 1\n")
    (chart / ".helmignore").write_text("# docs\n*.md\n!README.md\n")
    code, report, err = run_json(
        capsys,
        "--chart",
        str(chart),
        "--dockerfile",
        dockerfile,
        "--no-config",
        "--renderer",
        renderer,
    )
    assert code == 2
    assert f"{chart / '.helmignore'}:3: `!README.md` makes helm ignore every file" in err
    rules = rules_of(report)
    assert "chart-render" in rules and "dockerfile-user-nonroot" in rules
    (render,) = [f for f in report["findings"] if f["rule"] == "chart-render"]
    assert render["file"].endswith(".helmignore") and render["line"] == 3


def test_helmignore_hiding_templates_tests_is_a_warning_and_rendering_goes_on(capsys, tmp_path):
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n"
        "    helm.sh/hook: test\nspec:\n  containers: []\n"
    )
    chart = write_chart(tmp_path, {"cm.yaml": CM, "tests/t.yaml": pod}, "count: 1\n")
    (chart / ".helmignore").write_text(".git/\ntests/\n")
    code, report, _ = run_json(capsys, "--chart", str(chart), "--no-config")
    (hit,) = [f for f in report["findings"] if f["rule"] == "helmignore-hides-tests"]
    assert hit["severity"] == "warning" and hit["line"] == 2
    assert report["checked"]["objects"] == 1  # the ConfigMap; the test pod is hidden
    assert code != 2


@pytest.mark.parametrize("renderer", RENDERERS)
def test_unvendored_dependency_says_run_helm_dependency_build(capsys, tmp_path, renderer):
    require("helm")
    chart = write_chart(tmp_path, {"cm.yaml": CM}, "count: 1\n")
    (chart / "Chart.yaml").write_text(
        (chart / "Chart.yaml").read_text()
        + "dependencies:\n- name: postgresql\n  version: 12.1.0\n"
        "  repository: https://charts.example.org\n"
    )
    code, _report, err = run_json(
        capsys, "--chart", str(chart), "--no-config", "--renderer", renderer
    )
    assert code == 2
    assert f"{chart / 'Chart.yaml'}:6: the dependency postgresql" in err
    assert f"run `helm dependency build {chart}`" in err


@pytest.mark.parametrize("renderer", RENDERERS)
def test_undefined_value_names_template_line_and_key(capsys, tmp_path, renderer):
    require("helm")
    dep = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
        "{{- if not .Values.frontend.autoscaling.enabled }}\ndata: {x: y}\n{{- end }}\n"
    )
    chart = write_chart(tmp_path, {"web/deploy.yaml": dep}, "frontend:\n  image: x\n")
    code, _report, err = run_json(
        capsys, "--chart", str(chart), "--no-config", "--renderer", renderer
    )
    assert code == 2
    assert f"{chart / 'templates' / 'web' / 'deploy.yaml'}:10: reads the value " in err
    assert "`frontend.autoscaling.enabled`, but `frontend.autoscaling` is not set" in err
    assert err.count("templates/web/deploy.yaml") == 1  # the user's path only, once


SPLIT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-web
spec:
  template:
    spec:
      containers:
        - name: web
          image: shop/web:1.0
          securityContext:
            privileged: false
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-api
spec:
  template:
    spec:
      containers:
        - name: api
          image: shop/api:1.0
          securityContext:
            privileged: true
"""


@pytest.mark.parametrize("renderer", RENDERERS)
def test_several_documents_in_one_template_each_point_at_their_own_block(
    capsys, tmp_path, renderer
):
    require("helm")
    chart = write_chart(tmp_path, {"apps.yaml": SPLIT})
    _code, report, _ = run_json(
        capsys, "--chart", str(chart), "--no-config", "--renderer", renderer
    )
    lines = {
        (f["name"], f["rule"]): f["line"]
        for f in report["findings"]
        if f["rule"] in ("resources-set", "no-privilege-escalation")
    }
    assert lines[("shop-web", "resources-set")] == 8  # containers: of the first document
    assert lines[("shop-api", "resources-set")] == 21  # not the first document's


DUP_LABELS = """{{- define "shop.labels" -}}
app.kubernetes.io/name: shop
tier: web
{{- end }}
{{- define "shop.selector" -}}
app.kubernetes.io/name: shop-web
{{- end }}
"""

DUP_CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: shop
  labels:
    {{- include "shop.labels" . | nindent 4 }}
    {{- include "shop.selector" . | nindent 4 }}
data:
  a: b
"""


@pytest.mark.parametrize("renderer", RENDERERS)
def test_duplicate_key_is_a_warning_at_the_template_line_and_checking_goes_on(
    capsys, tmp_path, renderer
):
    require("helm")
    chart = write_chart(tmp_path, {"_helpers.tpl": DUP_LABELS, "cm.yaml": DUP_CM})
    code, report, _ = run_json(capsys, "--chart", str(chart), "--no-config", "--renderer", renderer)
    assert code != 2 and report["checked"]["objects"] == 1
    (dup,) = [f for f in report["findings"] if f["rule"] == "duplicate-key"]
    assert dup["severity"] == "warning"
    assert (dup["file"], dup["line"]) == (str(chart / "templates" / "cm.yaml"), 7)
    assert "metadata.labels repeats `app.kubernetes.io/name`" in dup["message"]


def test_kube_version_reaches_templates_that_read_capabilities(capsys, tmp_path):
    require("helm")
    from kubeproof.api import Inputs, load_targets

    cm = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caps\ndata:\n"
        "  minor: {{ .Capabilities.KubeVersion.Minor | quote }}\n"
    )
    chart = write_chart(tmp_path, {"cm.yaml": cm})
    for version, minor in (("1.31", "31"), ("1.34", "34")):
        inp = Inputs(chart=str(chart), kube_version=version, no_config=True)
        (target,) = load_targets(inp, None)
        assert target.objects[0].data["data"]["minor"] == minor


@pytest.mark.parametrize("renderer", RENDERERS)
def test_requirements_yaml_dependency_not_vendored_is_named_too(capsys, tmp_path, renderer):
    """helm 3 still reads requirements.yaml (deprecated) and refuses an unvendored entry;
    the in-process renderer would render without it."""
    require("helm")
    chart = write_chart(tmp_path, {"cm.yaml": CM}, "count: 1\n")
    (chart / "requirements.yaml").write_text(
        "dependencies:\n- name: redis\n  version: 17.0.0\n  repository: https://charts.example.org\n"
    )
    code, _, err = run_json(capsys, "--chart", str(chart), "--no-config", "--renderer", renderer)
    assert code == 2
    assert f"{chart / 'requirements.yaml'}:2: the dependency redis" in err


PRIV = """apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: c
      image: busybox:1.36
      securityContext:
        privileged: {{ .Values.sec.privileged }}
"""


@pytest.mark.parametrize("renderer", RENDERERS)
def test_a_key_repeated_in_a_values_file_is_a_warning_and_the_last_value_is_checked(
    capsys, tmp_path, renderer
):
    """helm keeps a repeated values key's last value, whole; so does the check, with a
    warning at the repeat's line of that file (values.yaml or a --values file)."""
    if renderer == "cli":
        require("helm")
    chart = write_chart(tmp_path, {"pod.yaml": PRIV}, "sec:\n  privileged: false\nx: 1\nx: 2\n")
    extra = tmp_path / "dev-values.yaml"
    extra.write_text("sec:\n  privileged: false\n  other: 1\nsec:\n  privileged: true\n")
    code, report, _ = run_json(
        capsys, "--chart", str(chart), "--no-config", "--values", str(extra), "--renderer", renderer
    )
    assert code == 1, report  # not 2: the render went on with the last value
    assert "no-privileged" in rules_of(report)
    dups = {(f["file"], f["line"]): f for f in report["findings"] if f["rule"] == "duplicate-key"}
    assert set(dups) == {(str(chart / "values.yaml"), 4), (str(extra), 4)}
    assert all(f["severity"] == "warning" for f in dups.values())
    assert "repeats `sec` (first at line 1)" in dups[(str(extra), 4)]["message"]
