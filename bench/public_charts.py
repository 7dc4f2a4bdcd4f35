"""kubeproof beside checkov and kube-score on public charts of this app, in one run.

    .venv/bin/python bench/public_charts.py --charts DIR [--out bench/public_charts.md]
        [--checkov PATH] [--kube-score PATH]

DIR holds each repository of bench/public-charts.tsv checked out at its commit, as
DIR/<name>/ (their files never enter this repository). For each chart, as a team would
run each tool from its repository root:

- kubeproof: ``kubeproof check --chart C --dockerfile F... --format json``
- checkov: ``checkov -d C --framework helm --skip-download -o json`` plus
  ``checkov -f F... --framework dockerfile --skip-download -o json`` (its own helm
  rendering; offline, so no severities: every failed check counts as an error)
- kube-score: ``helm template C | kube-score score -o json -`` (manifests only; CRITICAL
  is an error, WARNING a finding)

Reports per chart and tool: findings, errors, wall seconds, and whether the tool did
the work (checkov's resource count, kube-score's object count, kubeproof's checked
objects/Dockerfiles); a tool that could not run says why. Records the commands, tool
versions and ``uptime`` load with the numbers. No thresholds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIST = ROOT / "bench" / "public-charts.tsv"
TOOLS = Path(os.environ.get("KUBEPROOF_CACHE", "/var/cache/kubeproof")) / "bench-tools"
KP = str(Path(sys.executable).parent / "kubeproof")
_VERSION = "import importlib.metadata as m; print(m.version('kubeproof'))"
HOW = """\
Each cell: findings / errors / wall seconds (what the tool checked).
- kubeproof: `kubeproof check --chart C --dockerfile F... --format json` (errors: severity
  error, exit 1; a failed render is one `chart-render` error, exit 2, while the
  Dockerfiles are still checked).
- checkov: `checkov -d C --framework helm` and `checkov -f F... --framework dockerfile`,
  both `--skip-download -o json` (offline: no severities, so every failed check counts
  as an error).
- kube-score: `helm template C | kube-score score -o json -` (CRITICAL = error,
  WARNING = finding; no Dockerfiles; nothing when helm cannot render the chart)."""


def charts() -> list[tuple[str, str, str, str, list[str]]]:
    out = []
    for line in LIST.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, repo, commit, chart, dfs = line.split("\t")
            out.append((name, repo, commit, chart, dfs.split()))
    return out


def timed(
    cmd: list[str], cwd: Path, stdin: str | None = None
) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, input=stdin, capture_output=True, text=True, check=False, timeout=600
    )
    return time.perf_counter() - t0, proc


def run_kubeproof(repo: Path, chart: str, dfs: list[str]) -> dict:
    cmd = [KP, "check", "--chart", chart, "--format", "json"]
    for f in dfs:
        cmd += ["--dockerfile", f]
    secs, proc = timed(cmd, repo)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        return {"secs": secs, "ran": f"no JSON (exit {proc.returncode}): {proc.stderr[:200]}"}
    live = [f for f in report["findings"] if not f["waived"]]
    checked = report["checked"]
    return {
        "secs": secs,
        "findings": len(live),
        "errors": sum(f["severity"] == "error" for f in live),
        "exit": proc.returncode,
        "ran": f"{checked['objects']} objects, {checked['dockerfiles']} Dockerfiles",
        "rules": sorted({f["rule"] for f in live if f["severity"] == "error"}),
    }


def run_checkov(checkov: str | None, repo: Path, chart: str, dfs: list[str]) -> dict:
    if checkov is None:
        return {"ran": "checkov not installed"}
    failed = resources = 0
    secs_total = 0.0
    notes = []
    runs = [["-d", chart, "--framework", "helm"]]
    if dfs:
        runs.append([x for f in dfs for x in ("-f", f)] + ["--framework", "dockerfile"])
    for args in runs:
        cmd = [checkov, *args, "--skip-download", "-o", "json", "--quiet", "--compact"]
        secs, proc = timed(cmd, repo)
        secs_total += secs
        try:
            data = json.loads(proc.stdout or "[]")
        except ValueError:
            notes.append(f"{args[-1]}: no JSON (exit {proc.returncode})")
            continue
        for part in data if isinstance(data, list) else [data]:
            summary = part.get("summary", {}) if isinstance(part, dict) else {}
            failed += int(summary.get("failed", 0))
            resources += int(summary.get("resource_count", 0))
    return {
        "secs": secs_total,
        "findings": failed,
        "errors": failed,  # offline checkov has no severities: a failed check fails the run
        "ran": f"{resources} resources" + (f"; {'; '.join(notes)}" if notes else ""),
    }


def run_kube_score(kube_score: str | None, repo: Path, chart: str) -> dict:
    if kube_score is None:
        return {"ran": "kube-score not installed"}
    helm = shutil.which("helm")
    if helm is None:
        return {"ran": "helm not installed"}
    t_render, rendered = timed([helm, "template", Path(chart).name, chart], repo)
    if rendered.returncode != 0:
        line = (rendered.stderr.strip().splitlines() or ["helm template failed"])[0]
        return {"secs": t_render, "ran": f"could not run: {line[:120]}"}
    secs, proc = timed([kube_score, "score", "-o", "json", "-"], repo, stdin=rendered.stdout)
    try:
        objects = json.loads(proc.stdout or "[]")
    except ValueError:
        return {"secs": t_render + secs, "ran": f"no JSON (exit {proc.returncode})"}
    grades = [
        c.get("grade") for o in objects for c in o.get("checks") or [] if not c.get("skipped")
    ]
    return {
        "secs": t_render + secs,
        "findings": sum(g in (1, 5) for g in grades),
        "errors": sum(g == 1 for g in grades),
        "ran": f"{len(objects)} objects",
    }


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "-"


def cell(r: dict, key: str) -> str:
    return str(r[key]) if key in r else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--charts", required=True, metavar="DIR")
    ap.add_argument("--out", default=str(ROOT / "bench" / "public_charts.md"))
    ap.add_argument("--checkov", default=str(TOOLS / "checkov-venv" / "bin" / "checkov"))
    ap.add_argument("--kube-score", default=str(TOOLS / "kube-score"))
    args = ap.parse_args(argv)
    base = Path(args.charts)
    if not base.is_dir():
        print(f"public_charts: {base} is not a directory", file=sys.stderr)
        return 2
    checkov = args.checkov if Path(args.checkov).exists() else shutil.which("checkov")
    kube_score = args.kube_score if Path(args.kube_score).exists() else shutil.which("kube-score")
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    rows, totals = [], {"kubeproof": [0.0, 0, 0], "checkov": [0.0, 0, 0], "kube-score": [0.0, 0, 0]}
    details = []
    for name, repo_name, commit, chart, dfs in charts():
        repo = base / name
        if not (repo / chart / "Chart.yaml").exists() and not (repo / chart).is_dir():
            rows.append(f"| {name} | not checked out under {base} | | |")
            continue
        results = {
            "kubeproof": run_kubeproof(repo, chart, dfs),
            "checkov": run_checkov(checkov, repo, chart, dfs),
            "kube-score": run_kube_score(kube_score, repo, chart),
        }
        cols = []
        for tool_name, r in results.items():
            t = totals[tool_name]
            t[0] += r.get("secs", 0.0)
            t[1] += r.get("findings", 0)
            t[2] += r.get("errors", 0)
            secs = f"{r['secs']:.1f}" if "secs" in r else "-"
            cols.append(f"{cell(r, 'findings')} / {cell(r, 'errors')} / {secs}s ({r['ran']})")
        rows.append(
            f"| {name} ([{repo_name}](https://github.com/{repo_name}/tree/{commit[:12]})) | "
            + " | ".join(cols)
            + " |"
        )
        details.append(
            f"- {name}: kubeproof exit {results['kubeproof'].get('exit')}, error rules: "
            + ", ".join(results["kubeproof"].get("rules", []))
        )
        print(
            name,
            {
                k: (v.get("findings"), v.get("errors"), round(v.get("secs", 0), 1))
                for k, v in results.items()
            },
            flush=True,
        )
    n = len(charts())
    versions = []
    for label, cmd in (
        (
            "kubeproof",
            [sys.executable, "-c", "import importlib.metadata as m; print(m.version('kubeproof'))"],
        ),
        ("checkov", [checkov or "", "--version"]),
        ("kube-score", [kube_score or "", "version"]),
        ("helm", ["helm", "version", "--short"]),
    ):
        try:
            v = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            v = "missing"
        versions.append(f"{label} {v.splitlines()[0] if v else '?'}")
    total = " | ".join(f"{t[1]} / {t[2]} / {t[0]:.1f}s" for t in totals.values())
    text = "\n".join(
        [
            "# kubeproof, checkov and kube-score on public todo-chatbot charts",
            "",
            f"One run of `.venv/bin/python bench/public_charts.py --charts {args.charts}` on "
            f"{n} charts listed in bench/public-charts.tsv (each repository at the commit "
            "named there).",
            f"Machine load at the start: `{load}`. Tools: {'; '.join(versions)}.",
            "",
            HOW,
            "",
            "| chart | kubeproof | checkov | kube-score |",
            "|---|---|---|---|",
            *rows,
            f"| **total** | {total} |",
            "",
            "Time, all charts in this one run: checkov / kubeproof = "
            f"{_ratio(totals['checkov'][0], totals['kubeproof'][0])}, "
            "kubeproof / kube-score = "
            f"{_ratio(totals['kubeproof'][0], totals['kube-score'][0])} (kube-score checks "
            "rendered manifests only: no Dockerfiles, no cross-checks, nothing on a chart "
            "helm cannot render).",
            "",
            "Error rules kubeproof raised per chart (each judged in bench/public_charts_notes.md):",
            "",
            *details,
            "",
        ]
    )
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
