"""Waivers: reasons required, expiry honoured, waived findings counted and shown."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kubeproof.cli import main
from kubeproof.errors import PolicyError
from kubeproof.waivers import load_waivers

from .test_cli import BASE, base_args


@pytest.fixture
def broken(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text((BASE / "minikube.yaml").read_text().replace("replicas: 1", "replicas: 0", 1))
    return str(path)


def check(capsys, policies, manifests):
    code = main(["check", "--policies", str(policies), *base_args(manifests), "--format", "json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else None), err


def test_file_waiver_applies_until_it_expires(capsys, policies, broken):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    (policies / "waivers.yaml").write_text(
        f"waivers:\n  - rule: replicas-min\n    name: shop-web\n"
        f"    reason: scaled to zero on purpose\n    expires: {tomorrow}\n"
    )
    code, doc, _ = check(capsys, policies, broken)
    assert code == 0
    (f,) = doc["findings"]
    assert f["waived"] is True and f["rule"] == "replicas-min"

    yesterday = dt.date.today() - dt.timedelta(days=1)
    (policies / "waivers.yaml").write_text(
        f"waivers:\n  - rule: replicas-min\n    reason: old\n    expires: {yesterday}\n"
    )
    code, doc, _ = check(capsys, policies, broken)
    assert code == 1 and doc["findings"][0]["waived"] is False


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("  - rule: replicas-min\n    expires: 2999-01-01\n", "has no reason"),
        ("  - rule: replicas-min\n    reason: ''\n    expires: 2999-01-01\n", "has no reason"),
        ("  - rule: replicas-min\n    reason: why\n", "needs 'expires"),
    ],
)
def test_waiver_without_reason_or_expiry_is_an_error(
    tmp_path, capsys, policies, broken, entry, message
):
    (policies / "waivers.yaml").write_text("waivers:\n" + entry)
    with pytest.raises(PolicyError, match=message):
        load_waivers(str(policies / "waivers.yaml"))
    code, _, err = check(capsys, policies, broken)
    assert code == 2 and message in err


def test_annotation_waiver_is_shown_in_text(capsys, policies, tmp_path):
    path = tmp_path / "waived.yaml"
    text = (BASE / "minikube.yaml").read_text().replace("replicas: 1", "replicas: 0", 1)
    text = text.replace(
        "  name: shop-web\n  namespace: shop\n",
        "  name: shop-web\n  namespace: shop\n  annotations:\n"
        '    kubeproof.io/waive.replicas-min: "scaled down for the demo"\n',
        1,
    )
    path.write_text(text)
    code = main(["check", "--policies", str(policies), *base_args(str(path))])
    out = capsys.readouterr().out
    assert code == 0
    assert "waived" in out and "scaled down for the demo" in out and "1 waived" in out
