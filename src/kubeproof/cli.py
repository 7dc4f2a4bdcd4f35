"""The ``kubeproof`` command line (the CLI contract in docs/design.md).

Exit 0: no finding at severity error. 1: at least one. 2: the input or the
command line is wrong (one clear line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import sys
from collections.abc import Callable
from typing import IO, NoReturn

from .model import DEFAULT_KUBE_VERSION, DEFAULT_RENDERER, FORMATS, RENDERERS


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        print(f"kubeproof: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def add_input_args(p: argparse.ArgumentParser) -> None:
    """What to check and how to render it, as ``helm install`` takes it; shared by every
    subcommand that reads a chart (check, mutate, init)."""
    p.add_argument("--chart", metavar="DIR")
    p.add_argument("--values", "-f", metavar="FILE", action="append", default=[])
    p.add_argument(
        "--set", metavar="K=V", action="append", default=[], dest="sets", help="as helm --set"
    )
    p.add_argument(
        "--set-string",
        metavar="K=V",
        action="append",
        default=[],
        dest="set_strings",
        help="as helm --set-string",
    )
    p.add_argument(
        "--release",
        metavar="NAME",
        # no environment default: KUBEPROOF_RELEASE names the smoke tier's deployed release
        help="release name to render with (default: the chart's name)",
    )
    p.add_argument(
        "--namespace",
        "-n",
        metavar="NS",
        help="namespace to render into (default: default)",
    )
    p.add_argument(
        "--kube-version",
        metavar="X.Y",
        default=os.environ.get("KUBEPROOF_KUBE_VERSION", DEFAULT_KUBE_VERSION),
    )
    p.add_argument("--profile", metavar="NAME", default=os.environ.get("KUBEPROOF_PROFILE"))
    p.add_argument("--manifests", metavar="FILE|-", action="append", default=[])
    p.add_argument("--dockerfile", metavar="FILE", action="append", default=[])
    p.add_argument("--policies", metavar="DIR")
    p.add_argument(
        "--config",
        metavar="FILE",
        help="the app's expectations (default: ./kubeproof.yaml when present)",
    )
    p.add_argument(
        "--no-config", action="store_true", help="ignore kubeproof.yaml: generic rules only"
    )
    p.add_argument(
        "--renderer",
        choices=RENDERERS,
        default=os.environ.get("KUBEPROOF_RENDERER", DEFAULT_RENDERER),
    )


def inputs_from_args(args: argparse.Namespace):  # -> api.Inputs (imported lazily)
    """The api's Inputs from the arguments ``add_input_args`` declared."""
    from .api import Inputs

    return Inputs(
        chart=args.chart,
        values=args.values,
        sets=args.sets,
        set_strings=args.set_strings,
        release=args.release,
        namespace=args.namespace,
        profile=args.profile,
        manifests=args.manifests,
        dockerfiles=args.dockerfile,
        policies=args.policies,
        config=args.config,
        kube_version=args.kube_version,
        renderer=args.renderer,
        no_config=args.no_config,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kubeproof", description="Prove a Helm chart and its Dockerfiles.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    c = sub.add_parser("check", help="render, lint and cross-check; print findings")
    add_input_args(c)
    c.add_argument("--format", choices=FORMATS, default="text")
    c.add_argument("--output", metavar="FILE")
    c.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the cache of renders and schemas ($XDG_CACHE_HOME/kubeproof)",
    )
    i = sub.add_parser("init", help="write a commented kubeproof.yaml from discovery")
    add_input_args(i)
    i.add_argument("--output", "-o", metavar="FILE", default="kubeproof.yaml")
    i.add_argument("--force", action="store_true", help="overwrite an existing file")
    from .mutate.cli import add_parser as add_mutate

    add_mutate(sub)
    return parser


def _init(args: argparse.Namespace) -> int:
    from .errors import KubeproofError
    from .init import init

    try:
        text = init(inputs_from_args(args), args.output, force=args.force)
    except KubeproofError as err:
        print(f"kubeproof: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.output} ({text.count(chr(10))} lines): review it, then commit it")
    return 0


def emit(output: str | None, write: Callable[[IO[str], bool | None], None]) -> bool:
    """Write a report to ``output`` (no colour) or stdout; False when the file cannot be written."""
    if not output:
        write(sys.stdout, True if os.environ.get("FORCE_COLOR") else None)  # None: a terminal?
        return True
    try:
        with open(output, "w") as out:
            write(out, False)
    except OSError as err:
        print(f"kubeproof: cannot write {output}: {err.strerror}", file=sys.stderr)
        return False
    return True


#: the environment variables build_parser reads defaults from
_DEFAULTS_FROM_ENV = ("KUBEPROOF_KUBE_VERSION", "KUBEPROOF_PROFILE", "KUBEPROOF_RENDERER")


@functools.cache
def _parser(env: tuple[str | None, ...]) -> argparse.ArgumentParser:
    """One parser per environment of defaults: main runs many times in one process (the
    tests, hooks), and building the parser costs more than parsing with it."""
    return build_parser()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    args = _parser(tuple(os.environ.get(k) for k in _DEFAULTS_FROM_ENV)).parse_args(argv)
    for name, value in vars(args).items():  # a default list is the parser's own: copy it
        if isinstance(value, list):
            setattr(args, name, list(value))
    return args


def user_cache_dir() -> str | None:
    """kubeproof's directory in the user's cache: $XDG_CACHE_HOME, else ~/.cache."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if home == "~":
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "kubeproof")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "init":
        return _init(args)
    if args.command == "mutate":
        from .mutate.cli import main as mutate_main

        return mutate_main(args)
    inp = inputs_from_args(args)
    from . import cache

    # The user's cache, for this run only (main also runs in-process, in tests and hooks).
    # HELM_C_LIB makes helm-python-sdk load another library than the one installed, which
    # the render cache's key does not know: no cache then.
    off = args.no_cache or bool(os.environ.get("HELM_C_LIB"))
    cache_dir, cache.DIR = cache.DIR, None if off else user_cache_dir()
    # One run builds every object once and keeps it: the cyclic collector would walk that
    # growing heap again and again (a third of the CPU on 10,400 objects). Collect rarely,
    # for this run and its report only (main also runs in-process, in tests and hooks).
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 50)
    try:
        return _check(args, inp)
    finally:
        gc.set_threshold(*thresholds)
        cache.DIR = cache_dir


def _check(args: argparse.Namespace, inp) -> int:
    from .api import run
    from .errors import KubeproofError

    try:
        result = run(inp)
    except KubeproofError as err:
        print(f"kubeproof: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 2
    from .report import write

    if not emit(args.output, lambda out, color: write(result, args.format, out, color=color)):
        return 2
    for problem in result.problems:
        print(f"kubeproof: {problem}", file=sys.stderr)
    return result.exit_code


def exit_now(code: int) -> NoReturn:
    """End the process with ``code`` once stdout and stderr are flushed, without tearing
    down the interpreter: freeing every object of a run costs a sixth of a small run's
    time (as mypy's hard_exit does). For the console script and ``python -m kubeproof``,
    after main returned: nothing is left open then (files are closed, hadolint waited for,
    temporary directories removed by their ``finally``)."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: Python's own exit would not write it either
        pass
    os._exit(code)


def console() -> NoReturn:
    """The ``kubeproof`` console script."""
    exit_now(main())


if __name__ == "__main__":
    console()
