"""A check that raises is a ``check-error`` finding and exit 2; the other rules still report.

The crash is provoked by registering a check that raises in place of one rule's check
(the engine's handling is what is tested; no rule of ours is known to crash). The
bad-input corpus at the end feeds the CLI malformed field types on every kind.
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from kubeproof.checks import registry
from kubeproof.cli import main

from .test_cli import ROOT, base_args, broken  # noqa: F401 (fixture)
from .test_malformed import samples


def _check(capsys, manifests: str, fmt: str = "json") -> tuple[int, str, str]:
    args = [*base_args(manifests), "--format", fmt]
    code = main(["check", "--policies", str(ROOT / "policies"), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def secret_type_raises(monkeypatch):
    """Make the check behind rule secret-type raise on every Secret."""

    def secret_type(t, obj, params):
        raise KeyError("boom")
        yield  # a generator, like every check

    monkeypatch.setitem(registry(), "secret-type", secret_type)


def test_a_crashing_check_is_a_finding_and_exit_2(capsys, broken, secret_type_raises):  # noqa: F811
    code, out, err = _check(capsys, broken)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "check-error" in lines[0] and "secret-type" in lines[0], lines[0]
    findings = json.loads(out)["findings"]
    (crash,) = [f for f in findings if f["rule"] == "check-error"]
    assert crash["kind"] == "Secret" and crash["name"] == "shop-api-secret"
    assert crash["file"] and crash["file"].endswith(".yaml") and crash["line"] > 1
    assert "rule secret-type could not check Secret/shop-api-secret: KeyError" in crash["message"]
    assert "(at engine.py:" in crash["message"]  # kubeproof's last line that ran
    # the other rules still ran and still report
    assert any(f["rule"] == "replicas-min" for f in findings), findings


def test_a_check_error_is_never_waived(capsys, tmp_path, secret_type_raises):
    text = (ROOT / "tests/rules/base/minikube.yaml").read_text()
    text = text.replace(
        "metadata:\n  name: shop-api-secret\n",
        "metadata:\n  name: shop-api-secret\n  annotations:\n"
        '    kubeproof.io/waive.check-error: "hide it"\n'
        '    kubeproof.io/waive.secret-type: "hide it"\n',
    )
    path = tmp_path / "waived.yaml"
    path.write_text(text)
    code, out, _ = _check(capsys, str(path))
    (crash,) = [f for f in json.loads(out)["findings"] if f["rule"] == "check-error"]
    assert code == 2 and crash["waived"] is False


@pytest.mark.parametrize("fmt", ["text", "sarif", "junit"])
def test_every_format_shows_the_check_error(capsys, broken, secret_type_raises, fmt):  # noqa: F811
    code, out, _ = _check(capsys, broken, fmt)
    assert code == 2
    assert "check-error" in out and "secret-type" in out


MALFORMED = [None, "text", ["a"], 7]


def _corpus() -> list:
    cases = []
    for kind, sample in sorted(samples().items()):
        for key in sample:
            if key not in ("kind", "apiVersion"):
                cases += [pytest.param(kind, key, v, id=f"{kind}.{key}={v!r}") for v in MALFORMED]
    return cases


@pytest.mark.parametrize(("kind", "key", "value"), _corpus())
def test_malformed_field_types_on_every_kind(capsys, tmp_path, kind, key, value):
    """No traceback, no check-error, and exit 1 only with an error finding to show for it."""
    doc = {**copy.deepcopy(samples()[kind]), key: value}
    path = tmp_path / "malformed.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    code = main(["check", "--manifests", str(path), "--no-config", "--format", "json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if code == 2:  # only bad input may stop the run, with one line naming it
        assert not out and len(err.strip().splitlines()) == 1, (out, err)
        return
    findings = json.loads(out)["findings"]
    assert not [f for f in findings if f["rule"] == "check-error"], findings
    errors = [f for f in findings if f["severity"] == "error" and not f["waived"]]
    assert code == (1 if errors else 0), (code, errors)
