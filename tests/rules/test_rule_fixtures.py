"""Every rule has passing and failing fixtures; each failing one produces exactly its rule."""

from __future__ import annotations

import pytest

from tests.rules.rulefixtures import (
    RULE_FIXTURES,
    cases,
    fixture_files,
    hadolint_starter,
    rules,
    run_case,
)

CASES = cases()


def _unwaived(result):
    return sorted({f.rule for f in result.findings if not f.waived})


def _detail(result):
    return [f"{f.rule}: {f.message}" for f in result.findings if not f.waived]


def _params(outcome):
    """One test case per fixture of ``outcome`` ("pass" or "fail"), named rule-outcome-index;
    its hadolint runs start when collection ends (tests/background.py)."""
    return [
        pytest.param(
            r, c, id=f"{r}-{outcome}-{i}", marks=pytest.mark.prestart.with_args(hadolint_starter(n))
        )
        for n, (r, o, i, c) in enumerate(CASES)
        if o == outcome
    ]


def test_every_rule_has_a_passing_and_a_failing_fixture():
    have = {(rule, outcome) for rule, outcome, _, _ in CASES}
    missing = [
        f"{r.id} ({outcome})"
        for r in rules()
        for outcome in ("pass", "fail")
        if (r.id, outcome) not in have
    ]
    assert not missing, f"rules without fixtures under {RULE_FIXTURES}: {', '.join(missing)}"


def test_every_fixture_names_a_rule():
    ids = {r.id for r in rules()}
    orphans = sorted(set(fixture_files()) - ids)
    assert not orphans, f"fixtures for unknown rules: {orphans}"


@pytest.mark.parametrize(("rule", "case"), _params("pass"))
def test_passing_fixture_has_no_finding(rule, case):
    result = run_case(case)
    assert rule in result.applied or case.get("not-applied"), f"{rule} never ran on this fixture"
    found = _detail(result)
    assert not found, f"{rule} passing fixture {case.get('name', '')!r} has findings: {found}"


@pytest.mark.parametrize(("rule", "case"), _params("fail"))
def test_failing_fixture_produces_exactly_its_rule(rule, case):
    result = run_case(case)
    got = _unwaived(result)
    if rule == "hadolint":
        assert got and all(g.startswith("hadolint/") for g in got), got
    else:
        assert got == [rule], f"expected only {rule}, got {_detail(result)}"
    mine = [f for f in result.findings if not f.waived]
    if "expect" in case:
        assert any(case["expect"] in f.message for f in mine), [f.message for f in mine]
    for f in mine:
        assert f.file and f.line and f.line >= 1, f"{f.rule} finding lacks file:line: {f}"
