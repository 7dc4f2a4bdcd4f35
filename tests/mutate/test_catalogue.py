"""The catalogue covers the rules: every rule is some operator's expected rule, every operator
names rules that exist, and every operator applies somewhere on our chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeproof.mutate.operators import SCOPES, catalogue
from kubeproof.mutate.render_ops import CHART_RENDER
from kubeproof.policy import load_rules

ROOT = Path(__file__).resolve().parents[2]
RULES = {r.id: r for r in load_rules(str(ROOT / "policies"))}
ALIAS = {a: r.id for r in RULES.values() for a in r.aliases}

# Rules no mutation of an artifact can express, each with the reason.
NOT_MUTABLE = {
    # wraps an external linter (hadolint/<code> findings): its own test suite covers its
    # rules; operators name the codes they trip as consequences (e.g. hadolint/DL3002)
    "hadolint",
}


def test_every_rule_is_the_expected_rule_of_an_operator():
    expected = {ALIAS.get(r, r) for op in catalogue().values() for r in op.rules}
    uncovered = sorted(set(RULES) - expected - NOT_MUTABLE)
    assert not uncovered, f"rules no operator expects (add an operator): {uncovered}"


def test_the_not_mutable_list_holds_only_rules_that_exist_and_no_operator_expects():
    expected = {ALIAS.get(r, r) for op in catalogue().values() for r in op.rules}
    assert set(RULES) >= NOT_MUTABLE, sorted(NOT_MUTABLE - set(RULES))
    assert not NOT_MUTABLE & expected, sorted(NOT_MUTABLE & expected)


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_operator_names_existing_rules_and_a_scope(name):
    op = catalogue()[name]
    assert op.rules, f"operator {name} names no rule it must trigger"
    known = {*RULES, CHART_RENDER, "helmignore-hides-tests"}  # the last two: render findings
    unknown = [r for r in (*op.rules, *op.also) if r.split("/")[0] not in known]
    renamed = [r for r in (*op.rules, *op.also) if r in ALIAS]
    assert not renamed, f"operator {name} names former rule ids {renamed}: use the new ones"
    assert not unknown, f"operator {name} names unknown rules {unknown}"
    assert op.scope in SCOPES
    assert op.description and op.description != name, f"operator {name} has no docstring"
    for kind in op.kinds:
        assert kind[0].isupper(), f"operator {name}: kind {kind!r} is not a Kubernetes kind"
