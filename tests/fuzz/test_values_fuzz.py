"""Fuzz tier: hypothesis generates values overrides for the chart.

Two properties, on both supported profiles:

1. Whatever values.schema.json accepts either renders objects that satisfy every
   policy, apart from the rules the override deliberately breaks (changing the
   declared resources, the profile's Service type or pull policy, a `latest` tag
   in production), or fails the render with a message naming the values (the
   chart's own guards: requests above limits, colliding NodePorts). The test
   computes independently which of the two must happen.
2. An override the schema must reject fails the render with a message naming the
   offending value; it never renders a broken object.

Examples per property: KUBEPROOF_FUZZ_EXAMPLES (default 60). With CI set,
hypothesis runs derandomized, so a CI failure reproduces.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kubeproof.api import Inputs, run
from kubeproof.config import load_config
from kubeproof.load.chart import deep_merge, read_values

ROOT = Path(__file__).resolve().parents[2]
APP = yaml.safe_load((ROOT / "kubeproof.yaml").read_text())
CHART = str(ROOT / APP["chart"])
EXPECT = load_config(str(ROOT / "kubeproof.yaml")).expectations  # the rules' own numbers
DECLARED = EXPECT.resources()
FUZZ = settings(
    max_examples=int(os.environ.get("KUBEPROOF_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- quantities, parsed here independently of the chart's template guards ----
MEMORY_UNITS = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}


def millicores(q: str) -> float:
    return float(q[:-1]) if q.endswith("m") else float(q) * 1000


def memory_bytes(q: str) -> int:
    number, unit = re.fullmatch(r"([0-9]+)([A-Za-z]*)", q).groups()
    return int(number) * MEMORY_UNITS[unit]


cpu = st.one_of(
    st.integers(1, 4000).map(lambda m: f"{m}m"),
    st.sampled_from(["0.1", "0.25", "0.5", "1", "2"]),
)
memory = st.one_of(
    st.integers(16, 4096).map(lambda n: f"{n}Mi"),
    st.integers(1, 4).map(lambda n: f"{n}Gi"),
    st.integers(100, 900).map(lambda n: f"{n}M"),
)
quantities = st.fixed_dictionaries({"cpu": cpu, "memory": memory})
probe = st.fixed_dictionaries(
    {},
    optional={
        "initialDelaySeconds": st.integers(0, 600),
        "periodSeconds": st.integers(1, 300),
        "timeoutSeconds": st.integers(1, 60),
        "failureThreshold": st.integers(1, 30),
    },
)
tag = st.one_of(
    st.just("latest"), st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}", fullmatch=True)
)
env_name = st.from_regex(r"[A-Z][A-Z0-9_]{0,15}", fullmatch=True).filter(
    lambda k: k != "API_BASE_URL"
)
config_value = st.sampled_from(
    ["info", "debug", "true", "false", "3", "en-US", "http://example.com"]
)


def component(extra: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "replicaCount": st.integers(1, 50),
            "image": st.fixed_dictionaries(
                {},
                optional={
                    "tag": tag,
                    "pullPolicy": st.sampled_from(["Always", "IfNotPresent", "Never"]),
                },
            ),
            "shutdownDelaySeconds": st.integers(0, 120),
            "writablePaths": st.lists(
                st.sampled_from(["/tmp", "/app/.next/cache", "/var/tmp", "/data"]),
                unique=True,
                max_size=4,
            ),
            "service": st.fixed_dictionaries(
                {},
                optional={
                    "type": st.sampled_from(["ClusterIP", "NodePort"]),
                    "nodePort": st.none() | st.integers(30000, 32767),
                },
            ),
            "resources": st.fixed_dictionaries({"requests": quantities, "limits": quantities}),
            "probes": st.fixed_dictionaries({}, optional={"liveness": probe, "readiness": probe}),
            **extra,
        },
    )


overrides = st.fixed_dictionaries(
    {},
    optional={
        "frontend": component({"config": st.dictionaries(env_name, config_value, max_size=3)}),
        "backend": component(
            {
                "config": st.fixed_dictionaries(
                    {},
                    optional={
                        "corsOrigins": st.sampled_from(
                            ["http://localhost:3000", "https://todo.example.com"]
                        ),
                        "jwtAlgorithm": st.sampled_from(["HS256", "HS384", "HS512"]),
                        "jwtExpirationDays": st.integers(1, 365),
                    },
                )
            }
        ),
        "tests": st.fixed_dictionaries(
            {},
            optional={
                "resources": st.fixed_dictionaries({"requests": quantities, "limits": quantities})
            },
        ),
    },
)


@cache
def profile_values(profile: str) -> dict[str, Any]:
    """values.yaml with the profile on top, as helm coalesces them (read once)."""
    return read_values([str(Path(CHART, "values.yaml")), str(ROOT / APP["profiles"][profile])])


def merged(profile: str, override: dict[str, Any]) -> dict[str, Any]:
    """The values a render with ``override`` sees."""
    return deep_merge(profile_values(profile), override)


def render_must_fail(values: dict[str, Any]) -> list[str]:
    """The chart guards this test expects to stop the render, as text each names."""
    reasons = []
    for name in ("frontend", "backend", "tests"):
        res = values[name]["resources"]
        if millicores(res["requests"]["cpu"]) > millicores(res["limits"]["cpu"]):
            reasons.append(f"{name}.resources.requests.cpu")
        if memory_bytes(res["requests"]["memory"]) > memory_bytes(res["limits"]["memory"]):
            reasons.append(f"{name}.resources.requests.memory")
    fe, be = values["frontend"]["service"], values["backend"]["service"]
    if (
        fe["type"] == be["type"] == "NodePort"
        and fe.get("nodePort")
        and fe.get("nodePort") == be.get("nodePort")
    ):
        reasons.append("frontend.service.nodePort and backend.service.nodePort")
    for name in ("frontend", "backend"):
        pdb = values[name]["podDisruptionBudget"]
        if pdb["enabled"] and pdb["maxUnavailable"] >= values[name]["replicaCount"]:
            reasons.append(f"{name}.podDisruptionBudget.maxUnavailable")
    secret = values["backend"]["secret"]
    if values["backend"]["replicaCount"] > 1 and not secret["existingSecret"]:
        for value in ("betterAuthSecret", "databaseUrl"):
            if secret[value] in ("", "CHANGE_ME", "changeme", "change-me"):
                reasons.append(f"backend.secret.{value} is a placeholder")
    return reasons


def explained_rules(profile: str, values: dict[str, Any]) -> set[str]:
    """Rules the override breaks on purpose: they must fire, and only they may."""
    rules = set()
    for name in ("frontend", "backend"):
        comp = values[name]
        if comp["resources"] != DECLARED:
            rules.add("resources-as-declared")
        expected = EXPECT.profile(profile)
        if comp["service"]["type"] != expected["serviceType"]:
            rules.add("service-type")
        pulls = expected["imagePullPolicy"]  # each component's image is the app's own
        policy = comp["image"]["pullPolicy"]
        if policy in pulls.get("forbidden", []) or policy not in pulls.get("allowed", [policy]):
            rules.add("image-pull-policy")
        if expected["pinnedTags"] and comp["image"]["tag"] == "latest":
            rules.add("image-tag-pinned")
    return rules


def write_override(override: dict[str, Any], fh: Any) -> None:
    """Write values as helm reads them: JSON (a YAML subset) quotes every key and string,
    so a key like ``N`` stays a string (PyYAML leaves it bare; helm's YAML 1.1 reads false)."""
    json.dump(override, fh)


def check(profile: str, override: dict[str, Any]):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        write_override(override, fh)
    try:
        return run(Inputs(chart=CHART, profile=profile, values=[fh.name]))
    finally:
        os.unlink(fh.name)


def render_failure(profile: str, override: dict[str, Any]) -> str:
    """The message of the chart-render finding a refused render becomes (the other rules
    still run on the Dockerfiles); fails the test when the chart rendered."""
    failed = [f.message for f in check(profile, override).findings if f.rule == "chart-render"]
    assert failed, "the chart rendered"
    return "\n".join(failed)


@FUZZ
@given(profile=st.sampled_from(sorted(APP["profiles"])), override=overrides)
def test_schema_valid_values_render_policy_clean_objects(profile, override):
    values = merged(profile, override)
    must_fail = render_must_fail(values)
    event("render refused by a chart guard" if must_fail else "rendered")
    if must_fail:
        failure = render_failure(profile, override)
        assert any(reason in failure for reason in must_fail), failure
        return
    result = check(profile, override)
    fired = {f.rule for f in result.findings if f.severity == "error" and not f.waived}
    expected = explained_rules(profile, values)
    event(f"deliberately broken rules: {len(expected)}")
    assert fired <= expected, f"unexpected findings: {sorted(fired - expected)}"
    assert expected <= fired, f"rules that should have fired did not: {sorted(expected - fired)}"


# (path, invalid value, text the render error must contain)
INVALID = [
    (("frontend", "service", "nodePort"), 29999, "nodePort"),
    (("backend", "service", "nodePort"), 32768, "nodePort"),
    (("backend", "service", "type"), "LoadBalancer", "type"),
    (("frontend", "image", "pullPolicy"), "Sometimes", "pullPolicy"),
    (("backend", "image", "tag"), "", "tag"),
    (("frontend", "image", "tag"), "has space", "tag"),
    (("frontend", "replicaCount"), 0, "replicaCount"),
    (("backend", "replicaCount"), "two", "replicaCount"),
    (("backend", "resources", "limits", "cpu"), "lots", "cpu"),
    (("frontend", "resources", "requests", "memory"), "12XB", "memory"),
    (("backend", "healthPath"), "docs", "healthPath"),
    (("frontend", "containerPort"), 70000, "containerPort"),
    (("backend", "runAsUser"), 0, "runAsUser"),
    (("backend", "probes", "liveness", "timeoutSeconds"), 0, "timeoutSeconds"),
    (("backend", "config", "jwtAlgorithm"), "none", "jwtAlgorithm"),
    (("backend", "config", "jwtExpirationDays"), 0, "jwtExpirationDays"),
    (("frontend", "config", "API_BASE_URL"), "http://elsewhere", "API_BASE_URL"),
    (("backend", "secret", "databaseUrl"), "", "databaseUrl"),
    (("frontend", "colour"), "blue", "colour"),
]


@FUZZ
@given(
    profile=st.sampled_from(sorted(APP["profiles"])),
    override=overrides,
    invalid=st.sampled_from(INVALID),
)
def test_schema_invalid_values_fail_naming_the_value(profile, override, invalid):
    path, value, named = invalid
    node = override
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    failure = render_failure(profile, override)
    assert named in failure, failure
