"""The ``kubeproof mutate`` subcommand: the inputs of ``check`` plus ``--format text|json``."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..cli import add_input_args

    p = sub.add_parser(
        "mutate",
        help="break the good artifacts on purpose; report which rules catch each mutant",
    )
    add_input_args(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--output", metavar="FILE")
    p.add_argument(
        "--operator",
        metavar="NAME",
        action="append",
        default=[],
        help="only this operator (repeatable); default: the whole catalogue",
    )


def main(args: argparse.Namespace) -> int:
    from ..cli import emit, inputs_from_args
    from ..errors import KubeproofError
    from .report import write
    from .runner import run_mutation

    try:
        report = run_mutation(inputs_from_args(args), only=args.operator or None)
    except KubeproofError as err:
        print(f"kubeproof: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 2
    if not emit(args.output, lambda out, _color: write(report, args.format, out)):
        return 2
    for error in report.errors:
        print(f"kubeproof: {error}", file=sys.stderr)
    return report.exit_code
