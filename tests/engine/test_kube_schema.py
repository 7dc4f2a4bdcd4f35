"""The compiled Kubernetes schemas (jsonschema-rs) give jsonschema's verdict on every object."""

from __future__ import annotations

import copy
import json

import pytest

from kubeproof.checks.kube_schema import compiled, validator

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}, "annotations": {"a": "b"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "web",
                        "image": "web:1.0",
                        "ports": [{"containerPort": 8080, "name": "http"}],
                        "resources": {"limits": {"cpu": 1, "memory": "512Mi"}},
                        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                    }
                ]
            },
        },
    },
}


def _with(path: str, value: object) -> dict:
    data = copy.deepcopy(DEPLOYMENT)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = data
    for p in parents:
        node = node[p]
    node[last] = value
    return data


@pytest.mark.parametrize(
    ("data", "valid"),
    [
        (DEPLOYMENT, True),
        (_with("spec.replicas", None), True),  # nullable, as the API server accepts
        (_with("spec.template.spec.containers.0.ports.0.containerPort", "8080"), False),
        (_with("spec.template.spec.containers.0.imagePullPolicyy", "Always"), False),
        (_with("spec.template.spec.containers.0.readinessProbe.httpGet.port", 8080), True),
        (_with("spec.template.spec.containers.0.readinessProbe.httpGet.port", 1.5), False),
        (_with("spec.replicas", True), False),  # a boolean is no integer
        (_with("metadata.labels.app", 1), False),
        (_with("spec.selector", "app=web"), False),
        (_with("spec.template.spec.containers.0.name", None), False),  # required, not nullable
        (_with("kind", "Deploymentt"), False),
    ],
)
def test_compiled_schema_agrees_with_jsonschema(data, valid):
    fast = compiled("1.34", True, "Deployment", "apps/v1")
    slow = validator("1.34", True, "Deployment", "apps/v1")
    assert fast is not None, "jsonschema-rs is a core dependency"
    errors = [e.message for e in slow.iter_errors(data)]
    assert (not errors) is valid, errors
    assert fast.is_valid(data) is valid


def test_no_schema_for_a_custom_resource():
    assert compiled("1.34", True, "Widget", "example.com/v1") is None
    assert validator("1.34", True, "Widget", "example.com/v1") is None


def test_every_rule_schema_compiled_agrees_with_jsonschema_on_every_fixture():
    """Rules written as JSON Schema: jsonschema-rs's verdict decides whether jsonschema
    is asked for errors, so the two must agree on every object, pod spec and container
    of the rule fixtures (each failing fixture breaks some rule on purpose)."""
    from tests.rules.rulefixtures import build, cases, rules

    schema_rules = [r for r in rules() if r.schema is not None]
    assert schema_rules and all(r.compiled() is not None for r in schema_rules)
    units = {}  # distinct by content: the cases share most of the base app
    for _, _, _, case in cases():
        (target,), _ = build(case)
        for obj in target.objects:
            for unit in [obj.data, obj.pod_spec or {}, *(c for _, c in obj.containers(init=True))]:
                units[json.dumps(unit, sort_keys=True)] = unit
    units = list(units.values())
    disagree = [
        (r.id, unit)
        for r in schema_rules
        for unit in units
        if r.compiled().is_valid(unit) != r.validator().is_valid(unit)
    ]
    assert not disagree, disagree[:3]
    assert any(not r.compiled().is_valid(u) for r in schema_rules for u in units)


def _deployment_schema():
    from kubeproof.checks.kube_schema import _schema

    directory, schema = _schema("1.34", True, "Deployment", "apps/v1")
    return directory, schema


def test_cut_definitions_hold_every_reference_and_give_the_same_verdicts():
    """jsonschema-rs gets only the definitions a kind reaches: every $ref must resolve
    in them, and the verdicts must be those of the full definitions."""
    import jsonschema_rs

    from kubeproof.checks.kube_schema import (
        _DEFINITIONS_URI,
        _definitions,
        compile_schema,
        reached_definitions,
    )

    directory, schema = _deployment_schema()
    full = _definitions(directory)
    cut = reached_definitions(full, schema)
    assert cut is not None and 0 < len(cut["$defs"]) < len(full["$defs"])
    assert "io.k8s.api.core.v1.Container" in cut["$defs"]
    base = "https://kubernetes.io/api/deployment.json"
    fast = {
        name: compile_schema(
            schema, registry=jsonschema_rs.Registry([(_DEFINITIONS_URI, defs)]), base_uri=base
        )
        for name, defs in (("cut", cut), ("full", full))
    }
    cases = [
        DEPLOYMENT,
        _with("spec.template.spec.containers.0.imagePullPolicyy", "Always"),
        _with("spec.template.spec.containers.0.readinessProbe.httpGet.port", 1.5),
        _with("metadata.labels.app", 1),
    ]
    verdicts = [[fast[n].is_valid(c) for c in cases] for n in ("cut", "full")]
    assert verdicts[0] == verdicts[1] == [True, False, False, False]
    assert reached_definitions(full, {"$ref": "https://elsewhere.example/x.json"}) is None
    assert reached_definitions(full, {"$ref": "#/$defs/no.such.Definition"}) is None


def test_a_stale_corrupt_or_unwritable_schema_cache_never_changes_the_schema(tmp_path, monkeypatch):
    from kubeproof import cache
    from kubeproof.checks.kube_schema import (
        _definitions,
        _reached_definitions,
        reached_definitions,
    )
    from kubeproof.cli import user_cache_dir

    directory, schema = _deployment_schema()
    want = reached_definitions(_definitions(directory), schema)

    def reached():
        return _reached_definitions(directory, "Deployment", "apps/v1", schema)

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "DIR", user_cache_dir())
    assert str(tmp_path / "cache" / "kubeproof") == cache.DIR
    assert reached() == want
    (entry,) = (tmp_path / "cache" / "kubeproof" / "kubernetes-schemas").rglob(
        "deployment-apps-v1.json"
    )
    assert json.loads(cache.read(entry))["definitions"] == want
    assert reached() == want  # from the cache

    entry.write_bytes(b'{"stamp": [1, 2')  # corrupt: cut again, and written again
    assert reached() == want
    assert json.loads(cache.read(entry))["definitions"] == want

    stale = json.loads(cache.read(entry))
    stale["stamp"] = [0, 0, 0, 0]  # for other files (another install of the same version)
    stale["definitions"] = {"$defs": {}}
    cache.write(entry, json.dumps(stale).encode())  # whole, but made from other files
    assert reached() == want
    assert json.loads(cache.read(entry))["stamp"] != [0, 0, 0, 0]

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setattr(cache, "DIR", str(blocker / "kubeproof"))  # cannot be written
    assert reached() == want
    assert blocker.read_text() == ""
    monkeypatch.setattr(cache, "DIR", None)  # no cache (the library's default)
    assert reached() == want
