"""``kubeproof mutate`` on our chart (both profiles) and on an app that is not ours."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kubeproof.api import Inputs
from kubeproof.cli import main
from kubeproof.mutate.runner import CAUGHT, MISSED, run_mutation

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "tests" / "rules" / "base"


@pytest.fixture(scope="module")
def ours():
    """The report of the whole catalogue on our chart, every profile, both Dockerfiles."""
    cwd = os.getcwd()
    os.chdir(ROOT)  # kubeproof.yaml and policies/ as a user in the repository sees them
    try:
        return run_mutation(Inputs())
    finally:
        os.chdir(cwd)


def test_our_chart_baseline_is_clean(ours):
    assert not ours.baseline_errors, [f.message for f in ours.baseline_errors]
    assert set(ours.profiles) == {"minikube", "production"}


def test_every_mutant_of_our_chart_is_caught_by_its_rules(ours):
    assert ours.results, "no mutant was made"
    bad = [
        f"{r.name} at {r.site} ({r.profile}): {r.status}"
        for r in ours.results
        if r.status != CAUGHT
    ]
    assert not bad, bad
    silent = [
        f"{r.name} at {r.site}: {sorted(set(r.expected) - set(r.fired))}" for r in ours.partial
    ]
    assert not silent, f"expected rules that stayed silent: {silent}"
    assert ours.exit_code == 0


def test_our_chart_mutants_make_no_unrelated_findings(ours):
    noise = [f"{r.name} at {r.site}: {f.rule}: {f.message}" for r, f in ours.noise]
    assert not noise, noise


def test_every_operator_applies_to_our_chart_and_every_rule_is_exercised(ours):
    idle_ops = sorted(name for name, n in ours.applied.items() if n == 0)
    assert not idle_ops, f"operators with no site on our chart: {idle_ops}"
    scores = ours.rule_scores()
    idle_rules = sorted(r for r, (want, _) in scores.items() if want == 0 and r != "hadolint")
    assert not idle_rules, f"rules no mutant of our chart expects: {idle_rules}"
    assert all(got == want for want, got in scores.values()), scores


def test_a_mutant_is_a_real_change_of_one_artifact(ours):
    """Every mutant differs from the good artifacts, in one object, Dockerfile or chart file
    (the Dockerfile operator that also edits the pod touches two)."""
    from kubeproof.mutate.patch import diff_targets

    good = ours.targets
    for r in ours.results:
        patch = diff_targets(good, r.mutant.targets)
        if r.mutant.site.op.scope == "render":  # chart files and --set: the note says which
            assert r.mutant.note, f"{r.name} changed no chart file and set no value"
            continue
        files = {
            _strip_profile(line[6:], ours.profiles)
            for line in patch.splitlines()
            if line.startswith("+++ b/")
        }
        assert patch, f"{r.name} at {r.site} changed nothing"
        limit = 2 if r.operator == "named-user-without-run-as-user" else 1
        assert 1 <= len(files) <= limit, f"{r.name} at {r.site} changed {sorted(files)}"


def _strip_profile(name: str, profiles: list) -> str:
    head, _, rest = name.partition("/")
    return rest if head in profiles else name


def test_an_app_that_is_not_ours_reports_what_its_rules_do_not_guard():
    """The rule fixtures' app as plain manifests without kubeproof.yaml: generic rules only."""
    report = run_mutation(Inputs(manifests=[str(BASE / "minikube.yaml")], no_config=True))
    assert not report.baseline_errors
    missed = {r.operator for r in report.by_status(MISSED)}
    # what only kubeproof.yaml's expectations can guard is reported as missed, not hidden
    assert {"probe-path-changed", "service-port-changed", "key-removed"} <= missed, missed
    # what generic rules guard is still caught
    caught = {r.operator for r in report.by_status(CAUGHT)}
    assert {"drop-probe", "privileged", "host-namespace", "capability-added"} <= caught
    assert report.exit_code == 1
    assert not report.noise, [(r.name, f.message) for r, f in report.noise]


def test_the_same_app_with_its_expectations_is_fully_guarded():
    report = run_mutation(
        Inputs(
            manifests=[str(BASE / "minikube.yaml")],
            profile="minikube",
            config=str(BASE / "kubeproof.yaml"),
            dockerfiles=[str(BASE / "web.Dockerfile"), str(BASE / "api.Dockerfile")],
        )
    )
    assert not report.baseline_errors
    assert not report.by_status(MISSED), [(r.name, r.site) for r in report.by_status(MISSED)]
    assert report.exit_code == 0


def test_cli_json_report(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = main(
        [
            "mutate",
            "--profile",
            "minikube",
            "--format",
            "json",
            "--operator",
            "drop-probe",
            "--operator",
            "user-root",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["baseline"]["clean"] is True
    assert {o["operator"] for o in data["operators"]} == {"drop-probe", "user-root"}
    assert data["summary"]["mutants"] == len(data["mutants"]) == 4 + 2
    assert all(m["status"] == "caught" for m in data["mutants"])
    rules = {r["rule"]: r for r in data["rules"]}
    assert rules["probes-present"]["expected"] == rules["probes-present"]["caught"] == 4


def test_cli_exit_1_when_a_mutant_is_missed(capsys):
    code = main(
        [
            "mutate",
            "--manifests",
            str(BASE / "minikube.yaml"),
            "--no-config",
            "--operator",
            "probe-path-changed",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "MISSED  probe-path-changed[livenessProbe]" in out
    assert "no kubeproof.yaml" in out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--chart", "/nonexistent-chart"], "not a chart"),
        (["--manifests", "/nonexistent.yaml", "--no-config"], "cannot read manifests"),
        (["--operator", "no-such-operator"], "unknown operator"),
        (["--format", "sarif"], "invalid choice"),
    ],
)
def test_cli_bad_input_exit_2_one_line(capsys, monkeypatch, argv, says):
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) if "--format" in argv else _nothing() as exc:
        code = main(["mutate", *argv])
    if exc is not None and hasattr(exc, "value"):
        code = exc.value.code
    err = capsys.readouterr().err
    assert code == 2
    assert says in err and len(err.strip().splitlines()) == 1, err


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_another_teams_chart_reports_its_dirty_baseline_and_what_is_not_guarded():
    """The any-chart issue's fixture chart (discovery, no kubeproof.yaml of its own)."""
    team = ROOT / "tests" / "anyteam" / "fixtures" / "team"
    report = run_mutation(
        Inputs(
            chart=str(team / "chart"),
            dockerfiles=[str(team / "web" / "Dockerfile"), str(team / "api" / "Dockerfile")],
        )
    )
    assert report.baseline_errors, "that chart has known findings: the report must show them"
    assert report.exit_code == 1
    assert not report.noise, [(r.name, f.rule, f.message) for r, f in report.noise]
    missed = report.by_status(MISSED)
    assert missed, "discovery cannot know image repositories or stages: some mutants go unseen"
    for r in missed:  # each says why its rule was not in force
        idle = [x for x in report.expected_rules(r.operator) if x not in r.expected]
        assert idle and all(x in report.skipped for x in idle), (r.name, idle)
    assert report.by_status(CAUGHT)


def test_an_operator_that_raises_is_reported_and_the_run_exits_2(monkeypatch, capsys):
    """An operator meeting input it did not foresee: one line, the others still run."""
    from kubeproof.mutate import runner
    from kubeproof.mutate.operators import Operator, catalogue

    def broken(m):
        raise KeyError("spec")

    ops = {
        "drop-probe": catalogue()["drop-probe"],
        "broken": Operator("broken", ("probes-present",), "object", broken, "raises"),
    }
    monkeypatch.setattr(runner, "catalogue", lambda: ops)
    monkeypatch.chdir(ROOT)
    code = main(["mutate", "--profile", "minikube"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "operator broken failed at" in err and "KeyError" in err
    assert "drop-probe" in out and "ERROR   operator broken" in out


def test_equivalent_and_already_broken_mutants_are_not_missed(tmp_path):
    """A mutant that changes nothing is not applicable; one that re-breaks what the good
    artifact already breaks is 'already broken', not a miss of its rule."""
    import yaml

    from kubeproof.mutate.runner import ALREADY

    docs = list(yaml.safe_load_all((BASE / "minikube.yaml").read_text()))
    web = next(
        d for d in docs if d and d["kind"] == "Deployment" and d["metadata"]["name"] == "shop-web"
    )
    web["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = 0  # pod-level root
    web["spec"]["template"]["spec"]["containers"][0]["securityContext"][
        "readOnlyRootFilesystem"
    ] = False
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    report = run_mutation(
        Inputs(manifests=[str(path)], no_config=True),
        only=["run-as-user-root", "writable-root-filesystem"],
    )
    sites = {(r.operator, r.site): r.status for r in report.results}
    assert sites[("run-as-user-root", 'Deployment/shop-web container "web"')] == ALREADY
    # readOnlyRootFilesystem already false on web: writing false again is no mutant
    assert ("writable-root-filesystem", 'Deployment/shop-web container "web"') not in sites
    assert sites[("writable-root-filesystem", 'Deployment/shop-api container "api"')] == CAUGHT


def test_cli_lists_the_catalogue(capsys):
    from kubeproof.mutate.operators import catalogue

    assert main(["mutate", "--list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["operator"] for r in rows} == set(catalogue())
    assert all(r["rules"] and r["description"] for r in rows)
