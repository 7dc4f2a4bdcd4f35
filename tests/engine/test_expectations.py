"""Expectations: the entity model's numbers built in, kubeproof.yaml overriding them per
project, and kubeproof.yaml itself checked against its JSON Schema (errors name file:line)."""

from __future__ import annotations

import json

import pytest
import yaml

from kubeproof.cli import main
from kubeproof.config import SCHEMA, load_config
from kubeproof.errors import ConfigError
from kubeproof.expectations import DEFAULTS, Expectations

from .test_cli import BASE, ROOT, base_args


def test_built_in_expectations_are_the_entity_model():
    e = Expectations()
    assert e.profile("minikube")["serviceType"] == "NodePort"
    assert e.profile("production")["serviceType"] == "ClusterIP"
    assert e.profile("production")["pinnedTags"] is True
    assert e.resources() == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }
    assert e.rolling_update == {"maxSurge": 1, "maxUnavailable": 0}
    assert e.profile(None) == {} and e.profile("staging") == {}


def test_overrides_merge_into_the_built_in_ones():
    e = Expectations(
        {
            "profiles": {
                "production": {"serviceType": "LoadBalancer"},
                "staging": {"pinnedTags": True},
            },
            "resources": {"limits": {"memory": "1Gi"}},
        }
    )
    assert e.profile("production") == {
        **DEFAULTS["profiles"]["production"],
        "serviceType": "LoadBalancer",
    }
    assert e.profile("staging") == {"pinnedTags": True}
    assert e.resources()["limits"] == {"cpu": "500m", "memory": "1Gi"}
    assert e.resources({"resources": {"requests": {"cpu": "1"}}})["requests"] == {
        "cpu": "1",
        "memory": "128Mi",
    }
    assert DEFAULTS["resources"]["limits"]["memory"] == "512Mi"  # the defaults stay put


def test_the_schema_accepts_our_files_and_is_shipped_in_the_package():
    assert SCHEMA.parent.name == "kubeproof" and SCHEMA.is_file()
    for path in (ROOT / "kubeproof.yaml", BASE / "kubeproof.yaml"):
        load_config(str(path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "components:\n  web:\n    healthpath: /\n",
            "k.yaml:3: components.web.healthpath: unknown key",
        ),
        (
            "components:\n  web:\n    port: '80'\n",
            "k.yaml:3: components.web.port: '80' is not of type",
        ),
        ("components: [web]\n", "k.yaml:1: components: ['web'] is not of type 'object'"),
        ("chart: x\nprofile:\n  a: b.yaml\n", "k.yaml:2: profile: unknown key 'profile'"),
        (
            "expectations:\n  profiles:\n    prod:\n      serviceType: nodeport\n",
            "k.yaml:4: expectations.profiles.prod.serviceType: 'nodeport' is not one of",
        ),
        (
            "expectations:\n  resources:\n    limit: {cpu: 1}\n",
            "k.yaml:3: expectations.resources.limit: unknown key",
        ),
    ],
)
def test_a_malformed_kubeproof_yaml_names_file_line_and_field(tmp_path, capsys, text, message):
    path = tmp_path / "k.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(str(path))
    assert message in str(err.value), str(err.value)
    code = main(["check", "--config", str(path), "--manifests", str(BASE / "minikube.yaml")])
    out, err_text = capsys.readouterr()
    assert code == 2 and not out and err_text.count("\n") == 1 and message in err_text


def _with(tmp_path, extra: dict) -> str:
    """A copy of the fixture app's kubeproof.yaml with ``extra`` keys, beside its Dockerfiles."""
    data = yaml.safe_load((BASE / "kubeproof.yaml").read_text())
    data.update(extra)
    for comp in data["components"].values():
        comp["image"]["dockerfile"] = str(BASE / comp["image"]["dockerfile"])
    path = tmp_path / "kubeproof.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _rules(capsys, config: str, profile: str = "minikube") -> list[str]:
    args = base_args()
    args[args.index("--config") + 1] = config
    args[args.index("--profile") + 1] = profile
    main(["check", "--policies", str(ROOT / "policies"), *args, "--format", "json"])
    return sorted({f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]})


def test_a_project_overrides_an_expectation(capsys, tmp_path):
    assert _rules(capsys, str(BASE / "kubeproof.yaml")) == []
    own = {"expectations": {"profiles": {"minikube": {"serviceType": "ClusterIP"}}}}
    assert _rules(capsys, _with(tmp_path, own)) == ["service-type"]
    figures = {"expectations": {"resources": {"limits": {"memory": "1Gi"}}}}
    assert _rules(capsys, _with(tmp_path, figures)) == ["resources-as-declared"]
    surge = {"expectations": {"rollingUpdate": {"maxSurge": "25%"}}}
    assert _rules(capsys, _with(tmp_path, surge)) == ["rolling-update"]


def test_a_profile_of_its_own_gets_its_own_expectations(capsys, tmp_path):
    """A profile kubeproof knows nothing of expects nothing, until the project says so."""
    assert _rules(capsys, str(BASE / "kubeproof.yaml"), "staging") == []
    own = {"expectations": {"profiles": {"staging": {"serviceType": "ClusterIP"}}}}
    assert _rules(capsys, _with(tmp_path, own), "staging") == ["service-type"]
