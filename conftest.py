"""Wire kubeproof's pytest plugin for runs from a source checkout.

An installed kubeproof registers the plugin through the ``pytest11`` entry point;
this only makes ``src/`` importable when the package is not installed.
"""

import sys
from pathlib import Path

_src = Path(__file__).parent / "src"
if str(_src) not in sys.path:
    sys.path.insert(0, str(_src))
try:
    import kubeproof.pytest_plugin  # noqa: F401
except ImportError:  # pragma: no cover
    raise
