"""Typed check parameters: a misspelt, unknown, missing or wrongly typed parameter in a rule
file is an error when the rules load (exit 2, naming the file and line), never a default."""

from __future__ import annotations

import dataclasses

import pytest

from kubeproof.checks import params_type, registry
from kubeproof.cli import main
from kubeproof.errors import PolicyError
from kubeproof.policy import load_rules

from .test_cli import ROOT, base_args


def test_every_check_declares_a_frozen_parameter_class():
    for name in registry():
        cls = params_type(name)
        assert dataclasses.is_dataclass(cls), f"{name}: {cls} is not a dataclass"
        assert cls.__dataclass_params__.frozen, f"{name}: {cls.__name__} is not frozen"
        assert cls.__doc__, f"{name}: {cls.__name__} says nothing about its parameters"


def test_the_rules_load_with_typed_parameters():
    rules = {r.id: r for r in load_rules(str(ROOT / "policies"))}
    nodeports = rules["nodeport-out-of-range"].params_for(None)
    assert (nodeports.min, nodeports.max) == (30000, 32767)
    assert rules["resources-as-declared"].params_for("production").expected is True
    assert rules["kubernetes-schema"].params_for(None).max_errors == 20  # written max-errors


@pytest.mark.parametrize(
    ("rule", "old", "new", "message"),
    [
        (
            "nodeport-out-of-range",
            "params: {min: 30000, max: 32767}",
            "params: {min: 30000, maximum: 32767}",
            "nodeport-out-of-range.yaml:8: check nodeport-range: unknown parameter 'maximum'",
        ),
        (
            "nodeport-out-of-range",
            "params: {min: 30000, max: 32767}",
            "params: {min: 30000, max: '32767'}",
            "parameter 'max' must be an integer, got '32767'",
        ),
        (
            "container-port-named-http",
            "    name: http",
            "    name: [http]",
            "parameter 'name' must be a string, got ['http']",
        ),
        (
            "dockerfile-healthcheck",
            "options: [interval, timeout, retries]",
            "options: [interval, timeout, retry]",
            "parameter 'options' must be a list of one of 'interval', 'timeout',",
        ),
        (
            "api-base-url",
            "    key: API_BASE_URL\n",
            "",
            "missing parameter(s) key",
        ),
        (
            "probes-present",
            "  name: probes\n",
            "  name: probes\n  params: 7\n",
            "params must be a mapping, got 7",
        ),
        (
            "replicas-min",
            '  message: "{ref} {detail}"\n',
            '  message: "{ref} {detail}"\n  params: {minimum: 1}\n',
            "check.params belong to a named check",
        ),
    ],
)
def test_a_bad_parameter_is_an_error_at_load(capsys, policies, rule, old, new, message):
    path = policies / f"{rule}.yaml"
    text = path.read_text()
    assert old in text, f"{rule}.yaml no longer has {old!r}"
    path.write_text(text.replace(old, new))
    with pytest.raises(PolicyError) as err:
        load_rules(str(policies))
    assert message in str(err.value) and str(path) in str(err.value)
    code = main(["check", "--policies", str(policies), *base_args()])
    out, err_text = capsys.readouterr()
    assert code == 2 and not out
    assert err_text.count("\n") == 1 and message in err_text, err_text
