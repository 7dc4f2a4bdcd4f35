"""The ``kubeproof`` command line (see the CLI contract in the README)."""

import sys


def main(argv: list[str] | None = None) -> int:
    print("kubeproof: not implemented yet", file=sys.stderr)
    return 2
