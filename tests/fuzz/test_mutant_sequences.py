"""Fuzz tier: hypothesis composes random sequences of mutation operators on our chart.

Property: whatever sequence of operators is applied (each at a site hypothesis picks),
the mutated artifacts yield at least one new finding at the severity the operators'
rules carry; the good artifacts yield none. A failing sequence is shrunk and printed
as a patch (unified diff of the rendered objects' YAML, Dockerfiles, Chart.yaml).

Examples: KUBEPROOF_FUZZ_EXAMPLES (default 60); with CI set, derandomized.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

from kubeproof.api import Inputs, load_targets, resolve_config
from kubeproof.model import SEVERITY_RANK
from kubeproof.mutate.operators import catalogue, sites
from kubeproof.mutate.patch import diff_targets
from kubeproof.mutate.render_ops import CHART_RENDER
from kubeproof.mutate.runner import Mutator, compose
from kubeproof.policy import default_policies_dir, load_rules
from kubeproof.waivers import load_waivers

ROOT = Path(__file__).resolve().parents[2]
# every operator over the rendered artifacts (render-scope ones render the chart again:
# they are judged by `kubeproof mutate`, one at a time)
OPERATORS = {name: op for name, op in catalogue().items() if op.scope != "render"}
FUZZ = settings(
    max_examples=int(os.environ.get("KUBEPROOF_FUZZ_EXAMPLES", "60")),
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@cache
def mutator() -> Mutator:
    """The engine's rules and our chart's good artifacts (every profile), loaded once.

    Without the hadolint rule: it runs a process per Dockerfile text (most of an
    example's time), and no operator expects it (it wraps an external linter)."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        inp = Inputs()
        cfg = resolve_config(inp)
        policies = default_policies_dir()
        rules = [r for r in load_rules(policies) if r.check != "hadolint"]
        targets = load_targets(inp, cfg)
        m = Mutator(rules, targets, load_waivers(str(Path(policies, "waivers.yaml"))))
        m.inputs = (inp, cfg)  # render-scope operators render a changed chart copy again
        return m
    finally:
        os.chdir(cwd)


steps = st.lists(
    st.tuples(st.sampled_from(sorted(OPERATORS)), st.integers(0, 63)), min_size=1, max_size=4
)


def test_the_good_artifacts_have_no_finding():
    m = mutator()
    assert len(m.targets) == 2
    for i in range(len(m.targets)):
        assert not [f.message for f in m.baseline((i,)) if f.severity == "error"]


@FUZZ
@given(profile=st.integers(0, 1), sequence=steps)
def test_every_sequence_of_mutations_is_caught(profile, sequence):
    m = mutator()
    good = [m.targets[profile]]
    mutated, applied = compose(good, [(OPERATORS[name], pick) for name, pick in sequence])
    assume(applied)
    event(f"operators applied: {len(applied)}")
    in_force = {r for op in applied for r in m.expected(op, mutated)}
    assume(in_force)
    want = max(
        SEVERITY_RANK[op.severity or m.by_id[r.split("/")[0]].severity]
        for op in applied
        for r in m.expected(op, mutated)
    )
    new = m.new_findings([(0, mutated[0])])
    got = [f for f in new if SEVERITY_RANK[f.severity] >= want]
    if not got:  # the patch only for a failing (and then shrunk) example: it costs a YAML dump
        patch = diff_targets(good, [(0, mutated[0])])
        note(f"operators: {[op.name for op in applied]}\npatch:\n{patch}")
        pytest.fail(
            f"no finding at severity >= {want} after {[op.name for op in applied]} "
            f"(expected one of {sorted(in_force)}); the mutation as a patch:\n{patch}"
        )


def test_a_counterexample_prints_as_a_patch():
    """The patch a failing example prints names the object and the changed line."""
    m = mutator()
    good = [m.targets[0]]
    mutated, applied = compose(good, [(OPERATORS["zero-replicas"], 0)])
    assert [op.name for op in applied] == ["zero-replicas"]
    patch = diff_targets(good, [(0, mutated[0])])
    assert "+++ b/minikube/Deployment/" in patch
    assert "-  replicas: 1" in patch and "+  replicas: 0" in patch


@pytest.mark.parametrize("name", ["drop-probe", "user-root", "chart-type-library"])
def test_compose_skips_steps_that_no_longer_fit(name):
    """The same operator twice at the same site: the second still applies or is skipped,
    never raises."""
    m = mutator()
    _, applied = compose([m.targets[0]], [(OPERATORS[name], 0)] * 2)
    assert 1 <= len(applied) <= 2


@cache
def render_sites() -> list:
    """Every site of the operators that change chart files (.helmignore, values)."""
    m = mutator()
    return [s for op in catalogue().values() if op.scope == "render" for s in sites(op, m.targets)]


@settings(FUZZ, max_examples=min(FUZZ.max_examples, 20))
@given(data=st.data())
def test_chart_file_mutations_compose(data):
    """Several chart-file operators on one copy of the chart, rendered again: caught by a
    rule at its severity, or refused by the chart itself (values.schema.json, fail)."""
    m = mutator()
    picked = data.draw(
        st.lists(st.sampled_from(render_sites()), min_size=1, max_size=3, unique_by=id)
    )
    mutant = m.rerender(*picked)
    assume(mutant is not None)
    ops = [s.op for s in picked]
    event(f"chart-file operators: {len(ops)}")
    new = m.new_findings(mutant.targets, rendered=True) + list(mutant.extra)
    refused = [f for f in new if f.rule == CHART_RENDER]
    if refused:
        event("refused by the chart")
        return
    in_force = {r for op in ops for r in m.expected(op, [t for _, t in mutant.targets])}
    in_force.discard(CHART_RENDER)
    assume(in_force)
    want = min(SEVERITY_RANK[m.by_id[r].severity] for r in in_force if r in m.by_id)
    got = [f for f in new if SEVERITY_RANK[f.severity] >= want]
    if not got:
        pytest.fail(
            f"no finding at severity >= {want} after {[s.name for s in picked]} "
            f"(expected one of {sorted(in_force)}); changed:\n{mutant.note}"
        )
