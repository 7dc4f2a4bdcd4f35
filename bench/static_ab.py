"""Before/after in one run: the static tier's issue-12 sets and ``kubeproof check`` on our
chart, at an earlier commit and at this checkout, run alternately (so both see the same
load), medians of wall and CPU time; prints Markdown rows with ``uptime``.

    .venv/bin/python bench/static_ab.py --before COMMIT [--repeat 5] [--check-repeat 15]
                                        [--skip-tier]

The earlier commit is checked out in a temporary git worktree and imported through
PYTHONPATH (this venv's editable install would import this checkout otherwise); its
tests and chart are its own. No thresholds: numbers only.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from static import START_FUNCTIONS, START_SET  # noqa: E402

PY = sys.executable


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    last = (proc.stdout.strip().splitlines() or ["?"])[-1]
    return wall, cpu, f"exit {proc.returncode}; {last[:60]}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True, help="the commit to compare with")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each tier set, each side")
    ap.add_argument("--check-repeat", type=int, default=15)
    ap.add_argument("--skip-tier", action="store_true", help="kubeproof check only")
    args = ap.parse_args()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="kubeproof-before-"))
    before_tree = tmp / "tree"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "-q", str(before_tree), args.before],
        cwd=ROOT,
        check=True,
    )
    try:
        base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        sides = {
            "before": (before_tree, {**base, "PYTHONPATH": str(before_tree / "src")}),
            "after": (ROOT, {**base, "PYTHONPATH": str(ROOT / "src")}),
        }
        pytest = [PY, "-m", "pytest", "-q", "-m", "static", "-p", "no:cacheprovider"]
        cases = [
            ("static tier, the files of issue 12's start", [*pytest, *START_SET], args.repeat),
            (
                "static tier, the test functions of issue 12's start",
                [*pytest, *START_FUNCTIONS],
                args.repeat,
            ),
            (
                "`kubeproof check` on our chart, no bytecode cache (PYTHONDONTWRITEBYTECODE=1)",
                # python -m kubeproof: each side's own entry (the console script is this
                # checkout's); the after side reads the user's cache, warm after its first run
                [PY, "-m", "kubeproof", "check", "--format", "json", "--output", os.devnull],
                args.check_repeat,
            ),
        ]
        for tree, _ in sides.values():  # no side starts with a bytecode cache of its own
            for cache in (tree / "src").rglob("__pycache__"):
                shutil.rmtree(cache, ignore_errors=True)
        rows = []
        for label, cmd, repeat in cases[2:] if args.skip_tier else cases:
            rows += measure(label, cmd, repeat, sides, pyc=False)
        for _, (tree, env) in sides.items():  # write each side's bytecode cache once
            env2 = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
            subprocess.run(cases[2][1], cwd=tree, env=env2, capture_output=True, check=False)
        label = "`kubeproof check` on our chart, bytecode cache on (as an installed wheel)"
        rows += measure(label, cases[2][1], args.check_repeat, sides, pyc=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(before_tree)], cwd=ROOT)
        shutil.rmtree(tmp, ignore_errors=True)
    end = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
    after = head.stdout.decode().strip()
    print(
        f"`python bench/static_ab.py {' '.join(sys.argv[1:])}` (after: `{after}`); "
        f"{os.cpu_count()} cores; `uptime` at start: `{uptime}`; at end: `{end}`. Before and "
        "after run alternately; medians.\n"
    )
    print("| measurement | side | wall (median) | wall (min) | CPU (median) | last run |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


def measure(label, cmd, repeat, sides, pyc: bool) -> list[tuple[str, ...]]:
    got: dict[str, list[tuple[float, float, str]]] = {side: [] for side in sides}
    for _ in range(repeat):
        for side, (tree, env) in sides.items():
            if pyc:
                env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
            got[side].append(timed(cmd, tree, env))
    rows = []
    for side, runs in got.items():
        walls = [r[0] for r in runs]
        cpus = [r[1] for r in runs]
        rows.append(
            (
                label,
                side,
                f"{statistics.median(walls):.3f} s",
                f"{min(walls):.3f} s",
                f"{statistics.median(cpus):.3f} s",
                runs[-1][2],
            )
        )
    return rows


if __name__ == "__main__":
    sys.exit(main())
