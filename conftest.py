"""Wire kubeproof's pytest plugins for runs from a source checkout.

An installed kubeproof registers its plugins through ``pytest11`` entry points;
a bare checkout (no ``pip install -e .``) gets them from ``src/`` here instead.
"""

import sys
from importlib.metadata import entry_points
from pathlib import Path

if not any(ep.value.startswith("kubeproof.") for ep in entry_points(group="pytest11")):
    sys.path.insert(0, str(Path(__file__).parent / "src"))
    pytest_plugins = ["kubeproof.testing.plugin", "kubeproof.testing.plugin_live"]
