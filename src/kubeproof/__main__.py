"""``python -m kubeproof``: the same command line as the ``kubeproof`` script."""

import sys

from .cli import main

sys.exit(main())
