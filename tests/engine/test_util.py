"""The helpers checks share have tests of their own, not only through the rules that call them."""

from __future__ import annotations

import pytest

from kubeproof.checks.util import (
    digits,
    effective,
    effective_path,
    image_parts,
    indexed,
    mapping,
    mappings,
    quantity,
    resolve_port,
    service_ports,
)
from kubeproof.model import K8sObject


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("100m", 0.1),
        ("128Mi", 128 * 2**20),
        ("1.5", 1.5),
        (2, 2.0),
        ("1e3", 1000.0),
        ("1G", 1e9),
        ("lots", None),
        (None, None),
        (True, None),
        (["1"], None),
    ],
)
def test_quantity(value, number):
    assert quantity(value) == number


@pytest.mark.parametrize(
    ("image", "parts"),
    [
        ("nginx", ("nginx", None, None)),
        ("nginx:1.27", ("nginx", "1.27", None)),
        ("registry:5000/team/app", ("registry:5000/team/app", None, None)),
        ("registry:5000/team/app:2", ("registry:5000/team/app", "2", None)),
        ("app@sha256:abc", ("app", None, "sha256:abc")),
        ("app:1@sha256:abc", ("app", "1", "sha256:abc")),
    ],
)
def test_image_parts(image, parts):
    assert image_parts(image) == parts


def test_resolve_port_by_number_name_or_not_at_all():
    c = {"ports": [{"name": "http", "containerPort": 8000}, "junk", {"name": "x"}]}
    assert resolve_port(c, 8000) == 8000
    assert resolve_port(c, "8000") == 8000
    assert resolve_port(c, "http") == 8000
    assert resolve_port(c, "grpc") is None
    assert resolve_port(c, "x") is None  # a named port without a number
    assert resolve_port(c, "¹") is None  # isdigit() but not a number int() reads
    assert resolve_port({"ports": "8000"}, "http") is None
    assert resolve_port(c, ["http"]) is None


def test_digits_is_what_int_reads():
    assert digits("10001") and not digits("¹") and not digits("") and not digits("-1")


def test_the_container_wins_over_the_pod():
    pod = {"securityContext": {"runAsUser": 1000, "runAsNonRoot": True}}
    container = {"securityContext": {"runAsUser": 2000}}
    assert effective(pod, container, "runAsUser") == 2000
    assert effective(pod, container, "runAsNonRoot") is True
    assert effective(pod, {"securityContext": "junk"}, "runAsUser") == 1000
    assert effective({"securityContext": None}, {}, "runAsUser") is None
    path = ("spec", "containers", 0)
    assert effective_path(path, container, "runAsUser") == (*path, "securityContext", "runAsUser")
    assert effective_path(path, {}, "runAsUser") == (*path, "securityContext")


def test_malformed_shapes_read_as_empty():
    assert mapping("text") == {} and mapping({"a": 1}) == {"a": 1}
    assert mappings({"a": 1}) == [] and mappings([{"a": 1}, "b", None]) == [{"a": 1}]
    assert indexed([None, {"a": 1}]) == [(1, {"a": 1})] and indexed("ab") == []
    svc = K8sObject({"kind": "Service", "spec": {"ports": [{"port": 80}, 7]}}, "s.yaml", 1)
    assert service_ports(svc) == [(0, {"port": 80})]
    assert service_ports(K8sObject({"kind": "Service", "spec": "x"}, "s.yaml", 1)) == []
