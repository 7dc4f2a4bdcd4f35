"""One vocabulary: check names are function names, rule ids keep their former ids as aliases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from kubeproof.checks import registry
from kubeproof.cli import main
from kubeproof.errors import PolicyError
from kubeproof.model import Finding
from kubeproof.policy import load_rules

from .test_cli import BASE, ROOT, base_args

#: Rule ids renamed since the contract was published: former id -> current id.
RENAMED = {
    "image-pull-policy-minikube": "image-pull-policy",
    "image-pull-policy-production": "image-pull-policy",
    "service-type-minikube": "service-type",
    "service-type-production": "service-type",
    "image-tag-production": "image-tag-pinned",
}


def test_every_check_is_registered_under_its_function_name():
    for name, fn in registry().items():
        assert name == fn.__name__.replace("_", "-"), f"check {name} is {fn.__qualname__}"


def test_every_check_is_used_by_a_rule():
    used = {r.check for r in load_rules(str(ROOT / "policies"))}
    unused = sorted(set(registry()) - used)
    assert not unused, f"checks no rule uses (dead code): {unused}"


def test_every_renamed_id_is_an_alias_of_its_successor():
    by_id = {r.id: r for r in load_rules(str(ROOT / "policies"))}
    for old, new in RENAMED.items():
        assert old not in by_id, f"{old} is still a rule id"
        assert old in by_id[new].aliases, f"{new} does not accept its former id {old}"


def test_the_readme_lists_every_rename():
    readme = (ROOT / "README.md").read_text()
    for old, new in RENAMED.items():
        assert f"`{old}` | `{new}`" in readme, f"README lacks the rename {old} -> {new}"


def test_an_alias_used_twice_is_an_error(tmp_path):
    for rid, alias in (("one", "old"), ("two", "old")):
        (tmp_path / f"{rid}.yaml").write_text(
            f"id: {rid}\naliases: [{alias}]\nseverity: error\ndescription: d\n"
            "remediation: r\nscope: {kinds: [Service]}\ncheck: {schema: {}}\n"
        )
    with pytest.raises(PolicyError, match="used twice: old"):
        load_rules(str(tmp_path))


def test_finding_is_immutable_and_its_profiles_are_data():
    f = Finding("r", "error", "Service", None, "s", None, "f.yaml", 1, "bad", "fix")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.waived = True  # type: ignore[misc]
    both = dataclasses.replace(f, profiles=("minikube", "production"))
    assert both.message == "bad"
    assert both.shown_message == "bad (profile minikube, production)"
    assert both.to_json()["profiles"] == ["minikube", "production"]


def _check(capsys, policies, manifests, *extra):
    args = base_args(manifests)
    args[args.index("minikube")] = "production"
    code = main(["check", "--policies", str(policies), *args, "--format", "json", *extra])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else None, err


def _service_type(doc):
    return [f for f in doc["findings"] if f["rule"] == "service-type"]


def test_a_waiver_naming_the_former_id_still_waives(capsys, policies):
    nodeports = str(BASE / "minikube.yaml")  # NodePort Services, checked as production
    _, doc, err = _check(capsys, policies, nodeports)
    assert _service_type(doc) and not any(f["waived"] for f in _service_type(doc)), err
    (policies / "waivers.yaml").write_text(
        "waivers:\n  - rule: service-type-production\n    reason: a NodePort on purpose\n"
        f"    expires: {dt.date.today() + dt.timedelta(days=1)}\n"
    )
    _, doc, _ = _check(capsys, policies, nodeports)
    found = _service_type(doc)
    assert found and all(f["waived"] for f in found), found


def test_an_annotation_naming_the_former_id_still_waives(capsys, policies, tmp_path):
    text = (BASE / "minikube.yaml").read_text()
    text = text.replace(
        "  name: shop-web\n  namespace: shop\n",
        "  name: shop-web\n  namespace: shop\n  annotations:\n"
        '    kubeproof.io/waive.service-type-production: "exposed on a node on purpose"\n',
    )
    path = tmp_path / "annotated.yaml"
    path.write_text(text)
    _, doc, _ = _check(capsys, policies, str(path))
    web = [f for f in _service_type(doc) if f["name"] == "shop-web" and f["kind"] == "Service"]
    assert web and all(f["waived"] for f in web), _service_type(doc)


def test_pytest_k_accepts_a_former_id():
    import subprocess
    import sys

    spec = str(ROOT / "tests/chart/test_chart.kubeproof.yaml")
    args = ["-p", "no:cacheprovider", "--collect-only", "-q", spec, "-k", "image-tag-production"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    items = [ln for ln in proc.stdout.splitlines() if "::" in ln]
    assert items and all("::image-tag-pinned[" in ln for ln in items), proc.stdout + proc.stderr
