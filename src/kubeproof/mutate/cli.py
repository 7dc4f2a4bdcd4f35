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
    p.add_argument(
        "--list", action="store_true", help="print the catalogue (operators, rules, kinds) and exit"
    )


def main(args: argparse.Namespace) -> int:
    from ..cli import emit, inputs_from_args
    from ..errors import KubeproofError
    from .report import write
    from .runner import run_mutation

    if args.list:
        return _list(args.format)
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


def _list(fmt: str) -> int:
    """The catalogue: each operator's scope, kinds, profiles, rules and what it does."""
    import json

    from .operators import catalogue

    rows = [
        {"operator": op.name, **op.declared(), "description": op.description}
        for op in catalogue().values()
    ]
    if fmt == "json":
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        where = r["scope"] + (f" ({', '.join(r['kinds'])})" if r["kinds"] else "")
        if r["profiles"]:
            where += f", profile {', '.join(r['profiles'])}"
        print(f"{r['operator']:<34} {', '.join(r['rules'])}\n{'':<34} {where}: {r['description']}")
    return 0
