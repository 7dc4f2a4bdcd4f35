"""scripts/cluster: every config template renders with every placeholder filled, into
a file its reader can parse; `up` cannot be run here (others use the cluster), so this
is what guards a cold `up` between CI runs."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

CLUSTER = Path(__file__).resolve().parents[2] / "scripts" / "cluster"
#: What the functions that render each template set as locals before calling render.
LOCALS = {
    "kubeconfig.yaml": "SERVER=https://127.0.0.1:6443 USER_NAME=admin CA_DATA=Y2E= "
    "CERT_DATA=Y2VydA== KEY_DATA=a2V5",
    "kube-proxy-config.yaml": "NODE_NAME=node-1",
}
PARSERS = {
    ".yaml": lambda text: all(yaml.safe_load_all(text)),  # every document, none empty
    ".toml": tomllib.loads,
    ".conflist": json.loads,
}


def render(template: Path) -> subprocess.CompletedProcess[str]:
    script = f'HERE={CLUSTER}; . "$HERE/lib/common.sh"; {LOCALS.get(template.name, "")} '
    script += f'render "{template}"'
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    "template",
    [*sorted((CLUSTER / "templates").iterdir()), CLUSTER / "manifests" / "coredns.yaml"],
    ids=lambda p: p.name,
)
def test_every_template_renders_completely_into_a_parseable_file(template):
    proc = render(template)
    assert proc.returncode == 0, proc.stderr
    assert "@" not in proc.stdout, proc.stdout
    assert PARSERS[template.suffix](proc.stdout)


def test_a_placeholder_without_a_value_stops_render_naming_it(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text("a: @NO_SUCH_SETTING@\n")
    proc = render(template)
    assert proc.returncode == 1
    assert "no value for @NO_SUCH_SETTING@" in proc.stderr
