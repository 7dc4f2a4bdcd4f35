"""Both renderers give the same objects: the helm CLI is the reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeproof.config import load_config
from kubeproof.load.chart import render_chart
from kubeproof.testing.environment import require

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(str(ROOT / "kubeproof.yaml"))


@pytest.mark.parametrize("profile", sorted(CONFIG.profiles))
def test_helm_cli_and_in_process_render_the_same_objects(profile):
    require("helm")
    values = [CONFIG.profiles[profile]]
    cli = render_chart(CONFIG.chart, values, renderer="cli", profile=profile)
    fast = render_chart(CONFIG.chart, values, renderer="inprocess", profile=profile)

    def index(objs):
        return {(o.kind, o.name): (o.data, o.file, o.template) for o in objs}

    assert index(cli).keys() == index(fast).keys()
    for key, value in index(cli).items():
        assert index(fast)[key] == value, key
    assert any(o.is_test_hook for o in fast)
