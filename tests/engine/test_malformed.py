"""Malformed field types never crash a rule: every check (and schema rule) meets objects of
the kinds it scopes with a string where a mapping belongs, a list where a string belongs,
null anywhere, and must judge them or pass them, never raise (a ``check-error``).

Objects come from the rule fixtures' clean app (one of every workload kind is derived
from its Deployment), are broken at one or more places, written back to YAML and
loaded like any input, so line lookups see the same malformed tree a user's file has.
"""

from __future__ import annotations

import copy
import json
import string
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubeproof.config import load_config
from kubeproof.engine import CHECK_ERROR, evaluate
from kubeproof.errors import InputError
from kubeproof.load.chart import chart_info
from kubeproof.load.dockerfile import load_dockerfile, parse_dockerfile
from kubeproof.load.yamlsrc import load_manifests
from kubeproof.model import WORKLOAD_KINDS, Target
from kubeproof.policy import load_rules

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "tests" / "rules" / "base"

#: apiVersion of each workload kind derived from the fixture app's Deployment
_API = {
    "Pod": "v1",
    "ReplicationController": "v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
}


@cache
def all_rules() -> tuple:
    return tuple(load_rules(str(ROOT / "policies")))


#: Checks that hand the object to another tool's validator: a sweep each of their own
#: (the Kubernetes schemas' error naming costs ~50 ms per malformed object; hadolint is
#: a process per Dockerfile).
WRAPPERS = ("kubernetes-schema", "hadolint")


def rules(wrappers: bool = False) -> list:
    return [r for r in all_rules() if wrappers or r.check not in WRAPPERS]


@cache
def base_objects() -> tuple[dict[str, Any], ...]:
    text = (BASE / "minikube.yaml").read_text()
    return tuple(o.data for o in load_manifests(text, "base.yaml"))


@cache
def samples() -> dict[str, dict[str, Any]]:
    """kind -> one well-formed object of that kind: every kind a rule scopes."""
    out = {o["kind"]: o for o in base_objects() if o["kind"] != "Pod"}
    deployment = out["Deployment"]
    for kind in sorted(WORKLOAD_KINDS - {"Deployment"}):
        obj = copy.deepcopy(deployment)
        obj["kind"], obj["apiVersion"] = kind, _API.get(kind, "apps/v1")
        template = obj["spec"]["template"]
        if kind == "Pod":
            obj = {**obj, "spec": template["spec"]}
        elif kind in ("Job", "CronJob"):
            template["spec"]["restartPolicy"] = "Never"
            job = {"template": template}
            obj["spec"] = {"schedule": "@daily", "jobTemplate": {"spec": job}}
            if kind == "Job":
                obj["spec"] = job
        out[kind] = obj
    return out


def paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a node below the root, parents before children."""
    found: list[tuple] = []
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return found
    for key, value in items:
        found.append((*prefix, key))
        found += paths(value, (*prefix, key))
    return found


def put(data: Any, path: tuple, value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


WRONG = [None, "text", ["a", "b"], {"key": "value"}, 7, True, [{"name": None}], ""]
short = st.text(alphabet=string.ascii_letters + string.digits + " :/-_.@=", max_size=6)
wrong = st.one_of(
    st.sampled_from(WRONG),
    short,
    st.integers(-2, 70000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.one_of(st.none(), short, st.integers()), max_size=2),
    st.dictionaries(short, st.one_of(st.none(), short, st.integers()), max_size=2),
)


@cache
def context() -> dict[str, Any]:
    return {
        "config": load_config(str(BASE / "kubeproof.yaml")),
        "dockerfiles": [load_dockerfile(str(BASE / f"{c}.Dockerfile")) for c in ("web", "api")],
        "chart": chart_info(str(BASE / "chart")),
    }


def check_errors(
    broken: dict[str, Any] | None,
    profile: str,
    dockerfiles: list | None = None,
    chart: Any = None,
    wrappers: bool = False,
) -> list[str]:
    """The check-error findings of every rule on the fixture app with ``broken`` in it."""
    ctx = context()
    others = [o for o in base_objects() if broken is None or _ref(o) != _ref(broken)]
    docs = others if broken is None else [broken, *others]
    text = "\n---\n".join(json.dumps(o, indent=1) for o in docs)  # JSON is YAML
    target = Target(
        objects=load_manifests(text, "broken.yaml"),
        dockerfiles=ctx["dockerfiles"] if dockerfiles is None else dockerfiles,
        chart=chart or ctx["chart"],
        config=ctx["config"],
        profile=profile,
    )
    result = evaluate(rules(wrappers), [target])
    return [f.message for f in result.findings if f.rule == CHECK_ERROR]


def _ref(obj: dict[str, Any]) -> tuple[Any, Any]:
    md = obj.get("metadata")
    return obj.get("kind"), md.get("name") if isinstance(md, dict) else None


def test_every_kind_a_rule_scopes_has_a_sample():
    from kubeproof.engine import _kinds_match

    kinds = {k for r in all_rules() for k in samples() if _kinds_match(r, k)}
    scoped = {k for r in all_rules() for k in r.kinds} - {"Workload", "LongRunning"}
    assert scoped - {"Dockerfile", "HelmChart", "Release"} <= set(samples())
    assert kinds >= WORKLOAD_KINDS


def others(value: Any) -> list[Any]:
    """Values of other types than ``value``: text and a number for a mapping or list, a
    list for a scalar."""
    return ["text", 7] if isinstance(value, dict | list) else [["a"]]


#: One kind of each shape: the other workload kinds share Deployment's or CronJob's.
SHAPES = ["ConfigMap", "CronJob", "Deployment", "Pod", "Secret", "Service"]


@pytest.mark.parametrize("kind", SHAPES)
def test_each_node_replaced_by_null_and_by_another_type(kind):
    """Deterministic sweep: one node at a time, null and values of other types."""
    sample = samples()[kind]
    crashes = []
    for path in paths(sample):
        if path in (("kind",), ("apiVersion",)):
            continue
        node = sample
        for part in path:
            node = node[part]
        for value in (None, *others(node)):
            broken = copy.deepcopy(sample)
            put(broken, path, value)
            crashes += [
                f"{'.'.join(map(str, path))} = {value!r}: {m}"
                for m in check_errors(broken, "production")
            ]
    assert not crashes, "\n".join(crashes[:20])


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_no_check_raises_on_malformed_objects(data):
    kind = data.draw(st.sampled_from(sorted(samples())), label="kind")
    broken = copy.deepcopy(samples()[kind])
    for _ in range(data.draw(st.integers(1, 4), label="breaks")):
        candidates = [p for p in paths(broken) if p not in (("kind",), ("apiVersion",))]
        if not candidates:
            break
        path = data.draw(st.sampled_from(candidates), label="path")
        put(broken, path, copy.deepcopy(data.draw(wrong, label="value")))
    profile = data.draw(st.sampled_from(["minikube", "production"]), label="profile")
    assert not check_errors(broken, profile)


INSTRUCTIONS = ["FROM", "ARG", "ENV", "USER", "EXPOSE", "HEALTHCHECK", "ADD", "COPY", "RUN"]
dockerfile_lines = st.lists(
    st.tuples(
        st.sampled_from(INSTRUCTIONS),
        st.text(st.characters(blacklist_categories=["Cc", "Cs"]), max_size=24),
    ),
    max_size=8,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=dockerfile_lines, final=dockerfile_lines)
def test_no_check_raises_on_odd_dockerfiles(lines, final):
    """Instructions with odd arguments, in the build and in the final stage."""
    text = "FROM node:22-alpine AS deps\n"
    text += "".join(f"{i} {a}\n" for i, a in lines)
    text += "FROM deps AS runner\n" + "".join(f"{i} {a}\n" for i, a in final)
    try:
        df = parse_dockerfile(text, str(BASE / "web.Dockerfile"))
    except InputError:
        return  # not a Dockerfile: an input error (exit 2), not a check's crash
    target = Target(
        objects=[], dockerfiles=[df], chart=context()["chart"], config=context()["config"]
    )
    result = evaluate(rules(), [target])
    assert not [f.message for f in result.findings if f.rule == CHECK_ERROR]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_check_raises_on_a_malformed_chart_yaml(data):
    chart = copy.deepcopy(context()["chart"])
    for _ in range(data.draw(st.integers(1, 3), label="breaks")):
        path = data.draw(st.sampled_from(paths(chart.data) or [("name",)]), label="path")
        put(chart.data, path, copy.deepcopy(data.draw(wrong, label="value")))
    assert not check_errors(None, "production", chart=chart)


@pytest.mark.parametrize("kind", sorted(samples()))
def test_the_schema_check_names_malformed_fields_of_every_kind(kind):
    """kubernetes-schema (and every other rule) on each top-level field made null or a list."""
    sample = samples()[kind]
    for key in sample:
        if key in ("kind", "apiVersion"):
            continue
        for value in (None, ["a"]):
            broken = {**copy.deepcopy(sample), key: value}
            assert not check_errors(broken, "production", wrappers=True), (key, value)


def test_a_secret_whose_string_data_is_a_string_is_judged_not_crashed():
    secret = copy.deepcopy(samples()["Secret"])
    secret["stringData"] = "DATABASE_URL=postgres://u:p@h/db"
    assert not check_errors(secret, "minikube")
