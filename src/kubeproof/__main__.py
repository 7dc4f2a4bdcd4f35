"""``python -m kubeproof``: the same command line as the ``kubeproof`` script."""

from .cli import console

console()
