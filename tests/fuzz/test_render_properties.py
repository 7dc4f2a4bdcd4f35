"""Fuzz tier: properties of the chart's render itself, over hypothesis values.

1. A render is deterministic: the same values give the same bytes (in-process, and
   through the helm CLI, the reference, where it is installed).
2. Selectors never change between two values sets that differ only in non-identity
   values (replicas, images, ports, resources, probes, config, Service types...):
   a Deployment's selector is immutable, so a change breaks ``helm upgrade``.

The values overrides are test_values_fuzz's strategy (every key it draws is
non-identity: the chart names objects and selects pods from namePrefix, the release
and the chart name only).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import cache

import pytest
import yaml
from hypothesis import assume, event, given
from hypothesis import strategies as st
from test_values_fuzz import (
    APP,
    CHART,
    FUZZ,
    ROOT,
    merged,
    overrides,
    render_must_fail,
    write_override,
)

from kubeproof.errors import RenderError
from kubeproof.load.chart import render_cli, render_inprocess

PROFILES = sorted(APP["profiles"])
RELEASE = "todo-chatbot"


def profile_file(profile: str) -> str:
    return str(ROOT / APP["profiles"][profile])


def render(profile: str, override: dict) -> str:
    return render_inprocess(CHART, [profile_file(profile)], RELEASE, overrides=override)


def selectors(text: str) -> dict[str, object]:
    """Kind/name -> the selector of every workload and Service in a rendered stream."""
    out = {}
    for doc in yaml.safe_load_all(text):
        if not isinstance(doc, dict):
            continue
        spec = doc.get("spec") or {}
        if doc.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Service"):
            out[f"{doc['kind']}/{doc['metadata']['name']}"] = spec.get("selector")
    return out


@cache
def good_selectors(profile: str) -> dict[str, object]:
    return selectors(render(profile, {}))


@FUZZ
@given(profile=st.sampled_from(PROFILES), override=overrides)
def test_same_values_render_the_same_bytes(profile, override):
    assume(not render_must_fail(merged(profile, override)))
    first = render(profile, override)
    assert first, "the render is empty"
    assert render(profile, override) == first


@FUZZ
@given(profile=st.sampled_from(PROFILES), override=overrides)
def test_non_identity_values_never_change_a_selector(profile, override):
    assume(not render_must_fail(merged(profile, override)))
    try:
        text = render(profile, override)
    except RenderError:  # a guard this test does not model; test_values_fuzz covers refusals
        event("render refused")
        assume(False)
    got, want = selectors(text), good_selectors(profile)
    assert set(got) == set(want), f"objects appeared or vanished: {set(got) ^ set(want)}"
    changed = {ref: (want[ref], got[ref]) for ref in want if got[ref] != want[ref]}
    assert not changed, f"selectors changed with {override}: {changed}"
    assert all(want.values()), f"an empty selector in the good render: {want}"


@pytest.mark.skipif(shutil.which("helm") is None, reason="need the helm CLI on PATH")
@FUZZ
@given(profile=st.sampled_from(PROFILES), override=overrides)
def test_the_helm_cli_renders_the_same_bytes_twice(profile, override):
    assume(not render_must_fail(merged(profile, override)))
    fd, path = tempfile.mkstemp(suffix=".yaml")
    try:
        with os.fdopen(fd, "w") as fh:
            write_override(override, fh)
        values = [profile_file(profile), path]
        first = render_cli(CHART, values, RELEASE)
        assert first.strip()
        assert render_cli(CHART, values, RELEASE) == first
    finally:
        os.unlink(path)
