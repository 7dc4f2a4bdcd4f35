"""Discovery: the frontend and backend of a chart nobody here wrote, by labels, names,
ports and images; Services, ConfigMaps, Secrets and Dockerfiles follow; the app-specific
rules then run with nothing of this project's chart expected."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kubeproof.discover import classify_text, discover
from kubeproof.load.yamlsrc import load_manifests

from .charts import rules_of, run_json

TEAM = Path(__file__).parent / "fixtures" / "team"
#: kubeproof's inputs in a copy of the team's repository
TEAM_ARGS = ["--chart", "chart", "--dockerfile", "web/Dockerfile", "--dockerfile", "api/Dockerfile"]
OUR_VALUES = ("todo-backend", "todo-frontend", "10001", "100m", "128Mi", "/docs", "nextjs")


@pytest.fixture
def team(monkeypatch):
    """Run from the team's repository root, as its maintainers would."""
    monkeypatch.chdir(TEAM)
    return ["--chart", "chart", "--dockerfile", "web/Dockerfile", "--dockerfile", "api/Dockerfile"]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("todo-frontend", {"frontend"}),
        ("taskbot-web", {"frontend"}),
        ("webApp", {"frontend"}),
        ("core_api", {"backend"}),
        ("todo-chatbot-backend", {"backend"}),
        ("todo-chatbot", set()),
        ("postgres", set()),
        ("web-api", {"frontend", "backend"}),
    ],
)
def test_words_of_a_name_say_which_component(text, want):
    assert classify_text(text) == want


def test_team_chart_components_are_matched_and_reported(capsys, team):
    _code, report, _ = run_json(capsys, *team)
    matched = {(m["component"], m["object"]) for m in report["discovery"]["matched"]}
    assert matched == {
        ("frontend", "Deployment/taskbot-web"),
        ("frontend", "Service/taskbot-web"),
        ("frontend", "Dockerfile web/Dockerfile"),
        ("backend", "Deployment/taskbot-api"),
        ("backend", "Service/taskbot-api"),
        ("backend", "ConfigMap/taskbot-api-settings"),
        ("backend", "Secret/taskbot-db"),
        ("backend", "Dockerfile api/Dockerfile"),
    }
    hows = {m["object"]: m["how"] for m in report["discovery"]["matched"]}
    assert hows["Deployment/taskbot-web"] == "label tier=web"
    assert hows["Service/taskbot-api"] == "selector picks Deployment/taskbot-api"
    # the database matches no component: a visible info finding, not a silent skip
    (db,) = [f for f in report["findings"] if f["rule"] == "component-discovery"]
    assert db["name"] == "taskbot-db" and db["severity"] == "info"
    assert db["file"] == os.path.join("chart", "templates", "db.yaml")


def test_rules_needing_declared_values_are_skipped_with_a_reason(capsys, team):
    _code, report, _ = run_json(capsys, *team)
    skipped = {s["rule"]: s["why"] for s in report["skipped"]}
    assert "needs `healthPath` in kubeproof.yaml" in skipped["probe-health-path"]
    assert "resources-as-declared" in skipped and "image-repository" in skipped
    assert "rolling-update" not in skipped and "healthcheck-matches-probe" not in skipped


def test_app_rules_run_on_discovered_components_without_our_values(capsys, team):
    _code, report, _ = run_json(capsys, *team)
    by_rule = {}
    for f in report["findings"]:
        by_rule.setdefault(f["rule"], []).append(f)
    # the api Deployment sets no strategy: at one replica Kubernetes' 25% defaults are the
    # entity model's surge 1 / unavailable 0, so rolling-update (which ran) has nothing to say
    assert "rolling-update" not in by_rule
    assert "rolling-update" not in {s["rule"] for s in report["skipped"]}
    for f in report["findings"]:
        for ours in OUR_VALUES:
            assert ours not in f["message"], f
    for rule in ("image-user-matches-pod", "expose-port-chain", "healthcheck-matches-probe"):
        assert rule not in by_rule  # the team's chart agrees with its Dockerfiles


def test_cross_checks_fire_on_discovered_pairs(capsys, team, tmp_path):
    bad = tmp_path / "api.Dockerfile"
    text = (TEAM / "api" / "Dockerfile").read_text()
    bad.write_text(
        text.replace("USER 1500:1500", "USER 1600:1600").replace("EXPOSE 8000", "EXPOSE 8080")
    )
    args = ["--chart", "chart", "--dockerfile", "web/Dockerfile", "--dockerfile", str(bad)]
    _code, report, _ = run_json(capsys, *args)
    hows = {m["object"]: m["how"] for m in report["discovery"]["matched"]}
    assert hows[f"Dockerfile {bad}"] == f"path {bad}"  # api.Dockerfile: "api" in the name
    rules = rules_of(report)
    assert "image-user-matches-pod" in rules and "expose-port-chain" in rules
    (user,) = [f for f in report["findings"] if f["rule"] == "image-user-matches-pod"]
    assert "runAsUser 1500" in user["message"] and "USER uid 1600" in user["message"]


def test_ports_and_images_when_nothing_else_speaks(tmp_path):
    docs = []
    for name, port, image in (("alpha", 3000, "ghcr.io/x/one:1"), ("beta", 8000, "x/two:1")):
        docs.append(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
            f"  selector: {{matchLabels: {{k: {name}}}}}\n  template:\n"
            f"    metadata: {{labels: {{k: {name}}}}}\n    spec:\n      containers:\n"
            f"      - name: c\n        image: {image}\n        ports:\n"
            f"        - containerPort: {port}\n"
        )
    objects = load_manifests("---\n".join(docs), "raw.yaml")  # raw: no "# Source:" lines
    found = discover(objects, [])
    assert {(m.component, m.ref, m.how) for m in found.matches} == {
        ("frontend", "Deployment/alpha", "containerPort 3000"),
        ("backend", "Deployment/beta", "containerPort 8000"),
    }


def test_two_workloads_claiming_one_component_are_a_warning(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no kubeproof.yaml here
    docs = [
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {n}\nspec:\n"
        f"  template:\n    spec:\n      containers: [{{name: c, image: x:1}}]\n"
        for n in ("shop-web", "admin-web")
    ]
    raw = tmp_path / "raw.yaml"
    raw.write_text("---\n".join(docs))
    _code, report, _ = run_json(capsys, "--manifests", str(raw))
    hits = [f for f in report["findings"] if f["rule"] == "component-discovery"]
    assert {f["name"] for f in hits} == {"shop-web", "admin-web"}
    assert all(f["severity"] == "warning" and "matches frontend" in f["message"] for f in hits)


def test_an_explicit_mapping_in_kubeproof_yaml_wins(capsys, team, tmp_path):
    cfg = tmp_path / "kubeproof.yaml"
    cfg.write_text(
        json.dumps(
            {
                "chart": str(TEAM / "chart"),
                "components": {
                    "frontend": {"deployment": "taskbot-api", "service": "taskbot-api"},
                    "backend": {"deployment": "taskbot-web"},
                },
            }
        )
    )
    _code, report, _ = run_json(capsys, *team, "--config", str(cfg))
    assert report["discovery"]["source"] == str(cfg)
    matched = {(m["component"], m["object"]) for m in report["discovery"]["matched"]}
    assert ("frontend", "Deployment/taskbot-api") in matched
    assert ("backend", "Deployment/taskbot-web") in matched


def _init_team(tmp_path, monkeypatch) -> Path:
    """A copy of the team's repository as the working directory, after `kubeproof init`."""
    import shutil

    from kubeproof.cli import main

    repo = tmp_path / "repo"
    shutil.copytree(TEAM, repo)
    monkeypatch.chdir(repo)
    assert main(["init", *TEAM_ARGS]) == 0
    return repo


def test_init_writes_a_commented_config_that_check_then_uses(capsys, tmp_path, monkeypatch):
    from kubeproof.cli import main

    repo = _init_team(tmp_path, monkeypatch)
    text = (repo / "kubeproof.yaml").read_text()
    assert "deployment: taskbot-web" in text and "# Deployment/taskbot-web: label tier=web" in text
    assert "healthPath: /healthz  # its HTTP probe's path" in text
    assert "user: {uid: 1500}  # USER 1500:1500" in text
    assert "conventions: false" in text and "reaches: [frontend, backend]" in text
    for ours in OUR_VALUES:
        assert ours not in text
    assert main(["init", *TEAM_ARGS]) == 2  # never overwrites without --force
    capsys.readouterr()
    _code, report, _ = run_json(capsys, *TEAM_ARGS)
    assert report["discovery"]["source"] == "kubeproof.yaml"
    skipped = {s["rule"] for s in report["skipped"]}
    assert "probe-health-path" not in skipped and "resources-as-declared" in skipped
    assert "probe-health-path" not in rules_of(report)  # pinned from the chart: it agrees


def test_profile_minikube_applies_to_a_chart_without_ci_values(capsys, team):
    """No ci/minikube-values.yaml: the profile's built-in expectations apply to the chart's
    own values (IfNotPresent works after `minikube image load`; a ClusterIP api is not
    reachable from the host)."""
    code, report, err = run_json(capsys, *team, "--profile", "minikube")
    assert code == 1 and not err
    by_rule = {}
    for f in report["findings"]:
        by_rule.setdefault(f["rule"], []).append(f)
    assert "image-pull-policy" not in by_rule  # web: IfNotPresent; api: pinned tag, no policy
    (svc,) = by_rule["service-type"]
    assert svc["name"] == "taskbot-api" and svc["profiles"] == ["minikube"]
    code, _, err = run_json(capsys, *team, "--profile", "staging")
    assert code == 2 and "unknown profile 'staging'" in err


def test_pytest_plugin_renders_with_the_kubeproof_render_options(tmp_path, monkeypatch):
    """The plugin's --kubeproof-release/--kubeproof-set reach the render, as check's do."""
    import subprocess
    import sys

    repo = _init_team(tmp_path, monkeypatch)
    (repo / "test_team.kubeproof.yaml").write_text("config: kubeproof.yaml\n")

    def pytest(*flags: str) -> str:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--rootdir",
                ".",
                "test_team.kubeproof.yaml",
                *flags,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        return proc.stdout + proc.stderr

    plain = pytest()
    assert "passed" in plain and "component-objects-present" not in plain
    moved = pytest("--kubeproof-release", "shop")
    assert "FAILED test_team.kubeproof.yaml::default::component-objects-present" in moved
    assert "Deployment/taskbot-web of component frontend is not in the render" in moved


def test_a_service_selecting_both_components_is_a_warning(tmp_path):
    docs = [
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-{n}\nspec:\n"
        f"  template:\n    metadata: {{labels: {{app: shop, tier: {n}}}}}\n"
        f"    spec:\n      containers: [{{name: c, image: x:1}}]\n"
        for n in ("web", "api")
    ]
    docs.append(
        "apiVersion: v1\nkind: Service\nmetadata: {name: shop}\nspec:\n  selector: {app: shop}\n"
    )
    found = discover(load_manifests("---\n".join(docs), "raw.yaml"), [])
    ((svc, comps, _why),) = found.ambiguous
    assert (svc.ref, comps) == ("Service/shop", ["frontend", "backend"])
    assert [f.severity for f in found.findings()] == ["warning"]


def _deployment(name: str, labels: dict[str, str]) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
        f"  template:\n    metadata: {{labels: {json.dumps(labels)}}}\n"
        f"    spec:\n      containers: [{{name: c, image: 'x:1'}}]\n"
    )


def _service(name: str, selector: dict[str, str]) -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n"
        f"spec:\n  selector: {json.dumps(selector)}\n"
    )


@pytest.mark.parametrize(
    ("docs", "backend", "why"),
    [
        pytest.param(  # a worker beside the backend: the label outweighs the worker's name
            [
                _deployment("shop-api", {"app": "shop", "app.kubernetes.io/component": "api"}),
                _deployment("shop-api-worker", {"app": "shop-worker"}),
            ],
            "shop-api",
            "name shop-api-worker speaks of backend, but Deployment/shop-api claims it by "
            "label app.kubernetes.io/component=api",
            id="label-beats-name",
        ),
        pytest.param(  # both by name: the one a Service serves
            [
                _deployment("shop-api", {"pod": "one"}),
                _deployment("shop-api-worker", {"pod": "two"}),
                _service("shop-api", {"pod": "one"}),
            ],
            "shop-api",
            "name shop-api-worker speaks of backend, but Deployment/shop-api claims it by "
            "name shop-api",
            id="served-beats-unserved",
        ),
    ],
)
def test_a_worker_beside_a_component_does_not_take_its_rules(docs, backend, why):
    found = discover(load_manifests("---\n".join(docs), "raw.yaml"), [])
    assert found.components["backend"]["deployment"] == backend
    assert found.ambiguous == []
    ((obj, unmatched_why),) = found.unmatched
    assert obj.name == "shop-api-worker" and unmatched_why == why
    assert [f.severity for f in found.findings()] == ["info"]


def test_equal_claims_stay_ambiguous():
    docs = [
        _deployment("shop-api", {"pod": "one"}),
        _deployment("shop-api-worker", {"pod": "two"}),
    ]
    found = discover(load_manifests("---\n".join(docs), "raw.yaml"), [])
    assert "backend" not in found.components
    assert sorted(o.name for o, _, _ in found.ambiguous) == ["shop-api", "shop-api-worker"]
    assert [f.severity for f in found.findings()] == ["warning", "warning"]
