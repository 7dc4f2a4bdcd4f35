"""The ``kubeproof`` command line (the CLI contract in docs/design.md).

Exit 0: no finding at severity error. 1: at least one. 2: the input or the
command line is wrong (one clear line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import os
import sys

from .model import DEFAULT_KUBE_VERSION, DEFAULT_RENDERER, FORMATS, RENDERERS


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        print(f"kubeproof: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kubeproof", description="Prove a Helm chart and its Dockerfiles.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    c = sub.add_parser("check", help="render, lint and cross-check; print findings")
    c.add_argument("--chart", metavar="DIR")
    c.add_argument("--values", metavar="FILE", action="append", default=[])
    c.add_argument("--profile", metavar="NAME", default=os.environ.get("KUBEPROOF_PROFILE"))
    c.add_argument("--manifests", metavar="FILE|-", action="append", default=[])
    c.add_argument("--dockerfile", metavar="FILE", action="append", default=[])
    c.add_argument("--policies", metavar="DIR")
    c.add_argument("--format", choices=FORMATS, default="text")
    c.add_argument("--output", metavar="FILE")
    c.add_argument(
        "--config",
        metavar="FILE",
        help="the app's expectations (default: ./kubeproof.yaml when present)",
    )
    c.add_argument(
        "--no-config", action="store_true", help="ignore kubeproof.yaml: generic rules only"
    )
    c.add_argument(
        "--kube-version",
        metavar="X.Y",
        default=os.environ.get("KUBEPROOF_KUBE_VERSION", DEFAULT_KUBE_VERSION),
    )
    c.add_argument(
        "--renderer",
        choices=RENDERERS,
        default=os.environ.get("KUBEPROOF_RENDERER", DEFAULT_RENDERER),
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .api import Inputs, run
    from .errors import KubeproofError

    inp = Inputs(
        chart=args.chart,
        values=args.values,
        profile=args.profile,
        manifests=args.manifests,
        dockerfiles=args.dockerfile,
        policies=args.policies,
        config=args.config,
        kube_version=args.kube_version,
        renderer=args.renderer,
        no_config=args.no_config,
    )
    try:
        result = run(inp)
    except KubeproofError as err:
        print(f"kubeproof: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 2
    from .report import write

    if args.output:
        try:
            with open(args.output, "w") as out:
                write(result, args.format, out, color=False)
        except OSError as err:
            print(f"kubeproof: cannot write {args.output}: {err.strerror}", file=sys.stderr)
            return 2
    else:
        write(result, args.format, sys.stdout)
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
