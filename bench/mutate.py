"""Mutation benchmarks, in one run on this machine; writes a Markdown table.

    .venv/bin/python bench/mutate.py [--repeat 3] [--examples 500] [--sample 24]
                                     [--out bench/mutate.md]

Measures, on our chart (both profiles, both Dockerfiles, every rule):
- `kubeproof mutate` (the whole catalogue, engine in-process per mutant), with the
  in-process renderer and with the helm CLI; its JSON is read to check every mutant
  was judged;
- what a user would do instead: one `kubeproof check --manifests` process per
  mutant (a sample, extrapolated to the catalogue); each must exit 1 (caught);
- fuzz examples per second: hypothesis sequences of operators (no render), and
  hypothesis values overrides rendered and checked with the in-process renderer vs
  the helm CLI (test_values_fuzz's strategy).
No thresholds: numbers and ratios only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
KP = str(Path(PY).parent / "kubeproof")
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))


def load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def catalogue_run(renderer: str, repeat: int) -> tuple[float, dict]:
    """Median wall seconds of `kubeproof mutate --format json` and its last report."""
    times, report = [], {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [KP, "mutate", "--format", "json", "--renderer", renderer],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        times.append(time.perf_counter() - t0)
        report = json.loads(proc.stdout)
        assert proc.returncode == 0, proc.stderr
    return statistics.median(times), report


def cli_per_mutant(sample: int) -> tuple[float, int, int]:
    """Seconds per mutant for one `kubeproof check --manifests` process per mutant."""
    import yaml

    from kubeproof.api import Inputs
    from kubeproof.mutate.runner import run_mutation

    os.chdir(ROOT)
    report = run_mutation(Inputs())
    object_mutants = [
        r
        for r in report.results
        if r.mutant.site.op.scope not in ("dockerfile", "chart") and len(r.mutant.targets) == 1
    ]
    step = max(1, len(object_mutants) // sample)
    chosen = object_mutants[::step][:sample]
    caught, spent = 0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for n, r in enumerate(chosen):
            _, target = r.mutant.targets[0]
            path = Path(tmp, f"mutant-{n}.yaml")
            path.write_text(yaml.safe_dump_all([o.data for o in target.objects]))
            t0 = time.perf_counter()
            proc = subprocess.run(
                [KP, "check", "--manifests", str(path), "--profile", str(target.profile)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            spent += time.perf_counter() - t0
            caught += proc.returncode == 1
    return spent / len(chosen), len(chosen), caught


def sequence_fuzz(examples: int) -> tuple[float, int]:
    import test_mutant_sequences as fuzz
    from hypothesis import HealthCheck, given, settings

    fuzz.mutator()  # load and render once, as the fuzz tier's cache does
    count = [0]
    inner = fuzz.test_every_sequence_of_mutations_is_caught.hypothesis.inner_test

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(profile=fuzz.st.integers(0, 1), sequence=fuzz.steps)
    def run(profile, sequence):
        count[0] += 1
        inner(profile, sequence)

    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0, count[0]


def values_fuzz(examples: int, renderer: str) -> tuple[float, int, int]:
    """(seconds, examples, objects checked) for values overrides rendered and checked."""
    import test_values_fuzz as vf
    import yaml
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from kubeproof.api import Inputs, run
    from kubeproof.errors import RenderError

    count, objects = [0], [0]  # objects: read from each result, so the renderer did the work

    @settings(  # derandomized: both renderers see the same examples
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(profile=st.sampled_from(sorted(vf.APP["profiles"])), override=vf.overrides)
    def one(profile, override):
        count[0] += 1
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
            yaml.safe_dump(override, fh)
        try:
            inp = Inputs(chart=vf.CHART, profile=profile, values=[fh.name], renderer=renderer)
            result = run(inp)
            objects[0] += result.objects
        except RenderError:
            pass  # a chart guard refused the values: rendered and judged all the same
        finally:
            os.unlink(fh.name)

    t0 = time.perf_counter()
    one()
    return time.perf_counter() - t0, count[0], objects[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--examples", type=int, default=500)
    ap.add_argument("--values-examples", type=int, default=100)
    ap.add_argument("--sample", type=int, default=24)
    ap.add_argument("--out", default=str(ROOT / "bench" / "mutate.md"))
    args = ap.parse_args()
    os.chdir(ROOT)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    start_load = load()
    rows = []

    secs, report = catalogue_run("inprocess", args.repeat)
    n = report["summary"]["mutants"]
    caught = report["summary"]["caught"]
    rows.append(
        (
            "`kubeproof mutate`, whole catalogue, in-process renderer",
            f"{secs:.2f} s",
            f"{n} mutants ({caught} caught), {n / secs:.0f} mutants/s",
        )
    )
    cli_secs, cli_report = catalogue_run("cli", args.repeat)
    rows.append(
        (
            "same with `--renderer cli` (helm template)",
            f"{cli_secs:.2f} s",
            f"{cli_report['summary']['mutants']} mutants, {n / cli_secs:.0f} mutants/s",
        )
    )
    per, sampled, sample_caught = cli_per_mutant(args.sample)
    rows.append(
        (
            "one `kubeproof check --manifests` process per mutant (sampled)",
            f"{per * 1000:.0f} ms/mutant",
            f"{sampled} sampled, {sample_caught} exit 1; whole catalogue ~{per * n:.0f} s, "
            f"{per * n / secs:.0f}x `kubeproof mutate`'s time",
        )
    )
    fz_secs, fz_n = sequence_fuzz(args.examples)
    rows.append(
        (
            f"fuzz: hypothesis operator sequences ({fz_n} examples)",
            f"{fz_secs:.2f} s",
            f"{fz_n / fz_secs:.0f} examples/s (no render: mutates the rendered objects)",
        )
    )
    vin_secs, vin_n, vin_obj = values_fuzz(args.values_examples, "inprocess")
    vcli_secs, vcli_n, vcli_obj = values_fuzz(args.values_examples, "cli")
    rows.append(
        (
            f"fuzz: values overrides rendered + checked, in-process ({vin_n} examples)",
            f"{vin_secs:.2f} s",
            f"{vin_n / vin_secs:.1f} examples/s, {vin_obj} objects checked",
        )
    )
    rows.append(
        (
            f"fuzz: values overrides rendered + checked, helm CLI ({vcli_n} examples)",
            f"{vcli_secs:.2f} s",
            f"{vcli_n / vcli_secs:.1f} examples/s, {vcli_obj} objects checked; "
            f"in-process {(vin_n / vin_secs) / (vcli_n / vcli_secs):.1f}x faster",
        )
    )
    end_load = load()
    lines = [
        "| measurement | time | note |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
    ]
    header = (
        f"`{' '.join([Path(PY).name, *sys.argv])}` at commit `{commit}`, "
        f"{time.strftime('%Y-%m-%d %H:%M')}, load average {start_load} at start, "
        f"{end_load} at end (2 cores shared)."
    )
    text = header + "\n\n" + "\n".join(lines) + "\n"
    print(text)
    if args.out != "-":
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
