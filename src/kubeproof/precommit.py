"""The pre-commit hook (``.pre-commit-hooks.yaml``, id ``kubeproof``): files in, checks out.

pre-commit passes the changed files that match the hook's ``files`` pattern. A
Dockerfile is checked as one (``--dockerfile``); any other file belongs to the
chart whose ``Chart.yaml`` is found in it or above it (a template, a values file,
``Chart.yaml`` itself), and that chart is checked once. Options given as the
hook's ``args`` (``--profile=production``, ``--no-config``: the ``--opt=value``
form, since file names follow) are passed on to every ``kubeproof check``. The
exit code is the worst of the runs: 0 clean, 1 findings at severity error, 2 bad
input.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

#: Dockerfile names: Dockerfile, Dockerfile.prod, backend.Dockerfile, api.dockerfile
DOCKERFILE = re.compile(r"^(?:.+\.)?[Dd]ockerfile(?:\..+)?$")


def is_dockerfile(path: str) -> bool:
    return bool(DOCKERFILE.match(Path(path).name))


def chart_of(path: str) -> str | None:
    """The chart directory holding ``path`` (the nearest ``Chart.yaml`` at or above it)."""
    here = Path(path).parent
    for d in (here, *here.parents):
        if (d / "Chart.yaml").is_file():
            return str(d)
    return None


def runs(argv: list[str]) -> list[list[str]]:
    """The ``kubeproof check`` argument lists the hook's arguments call for."""
    options = [a for a in argv if a.startswith("-")]
    files = [a for a in argv if not a.startswith("-")]
    dockerfiles = [f for f in files if is_dockerfile(f)]
    charts = list(dict.fromkeys(c for f in files if not is_dockerfile(f) if (c := chart_of(f))))
    with_dockerfiles = [a for d in dockerfiles for a in ("--dockerfile", d)]
    if not charts:
        return [["check", *with_dockerfiles, *options]] if dockerfiles else []
    # the Dockerfiles go with the first chart, so each is reported once
    return [
        ["check", "--chart", c, *(with_dockerfiles if i == 0 else []), *options]
        for i, c in enumerate(charts)
    ]


def main(argv: list[str] | None = None) -> int:
    from .cli import main as kubeproof

    worst = 0
    for args in runs(sys.argv[1:] if argv is None else argv):
        print(f"kubeproof {' '.join(args)}", flush=True)
        worst = max(worst, kubeproof(args))
        sys.stdout.flush()
    return worst


if __name__ == "__main__":
    from .cli import exit_now

    exit_now(main())
