"""Static-tier benchmarks, in one run on this machine; writes a Markdown table.

    .venv/bin/python bench/static.py [--apps 2600] [--repeat 5] [--out bench/static.md]

Measures: the whole static tier (pytest -m static); rendering through the helm
CLI vs in-process (helm-python-sdk); `kubeproof check` on the repository chart
(the pre-commit path); rule throughput on a generated corpus (bench/corpus.py)
beside kube-score, conftest (bench/static_rego), kubeconform and checkov, taken
from ${KUBEPROOF_CACHE:-/var/cache/kubeproof}/bench-tools. Missing tools are
reported as missing. No thresholds: numbers only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(os.environ.get("KUBEPROOF_CACHE", "/var/cache/kubeproof")) / "bench-tools"
PY = sys.executable
KP = str(Path(PY).parent / "kubeproof")


def wall(cmd: list[str], repeat: int = 1, **kw) -> tuple[float, int]:
    """Median wall seconds of ``cmd`` and its last exit code."""
    times, code = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, **kw)
        times.append(time.perf_counter() - t0)
        code = proc.returncode
    return statistics.median(times), code


def tool(name: str) -> str | None:
    path = TOOLS / name
    if path.exists():
        return str(path)
    return shutil.which(name)


def in_process_render(repeat: int) -> tuple[float, float]:
    """(first render incl. library load, median warm render) in a fresh interpreter."""
    code = f"""
import time, sys
sys.path.insert(0, {str(ROOT / "src")!r})
t0 = time.perf_counter()
from kubeproof.load.chart import render_inprocess
render_inprocess('charts/todo-chatbot', ['charts/todo-chatbot/ci/minikube-values.yaml'], 'todo')
first = time.perf_counter() - t0
ts = []
for _ in range({repeat * 4}):
    t0 = time.perf_counter()
    render_inprocess('charts/todo-chatbot', ['charts/todo-chatbot/ci/minikube-values.yaml'], 'todo')
    ts.append(time.perf_counter() - t0)
ts.sort()
print(first, ts[len(ts) // 2])
"""
    out = subprocess.run([PY, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    first, warm = map(float, out.stdout.split())
    return first, warm


def eval_split(corpus: str, policies: str) -> tuple[float, float, int]:
    """(load seconds, evaluate seconds, findings) for kubeproof in-process on the corpus."""
    code = f"""
import time, sys
sys.path.insert(0, {str(ROOT / "src")!r})
from kubeproof.load.yamlsrc import load_manifests
from kubeproof.engine import evaluate
from kubeproof.model import Target
from kubeproof.policy import load_rules
rules = load_rules({policies!r})
t0 = time.perf_counter()
objs = load_manifests(open({corpus!r}).read(), {corpus!r})
t1 = time.perf_counter()
res = evaluate(rules, [Target(objects=objs)])
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, len(res.findings))
"""
    out = subprocess.run([PY, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    a, b, n = out.stdout.split()
    return float(a), float(b), int(n)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--apps", type=int, default=2600)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "bench" / "static.md"))
    ap.add_argument("--skip-tier", action="store_true")
    args = ap.parse_args()
    rows: list[tuple[str, str, str]] = []
    env_note = f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start"

    if not args.skip_tier:
        t, code = wall([PY, "-m", "pytest", "-m", "static", "-q", "-p", "no:cacheprovider"])
        rows.append(("static tier: `pytest -m static`", f"{t:.2f} s", f"exit {code}"))

    helm = shutil.which("helm")
    if helm:
        t, _ = wall(
            [
                helm,
                "template",
                "todo",
                "charts/todo-chatbot",
                "-f",
                "charts/todo-chatbot/ci/minikube-values.yaml",
            ],
            args.repeat,
        )
        first, warm = in_process_render(args.repeat)
        rows.append(
            (
                "render, helm CLI (`helm template`, one profile)",
                f"{t * 1000:.0f} ms",
                "process per render",
            )
        )
        rows.append(
            (
                "render, in-process first call (incl. loading libhelm)",
                f"{first * 1000:.0f} ms",
                f"{t / first:.1f}x faster than the CLI",
            )
        )
        rows.append(
            (
                "render, in-process warm",
                f"{warm * 1000:.1f} ms",
                f"{t / warm:.0f}x faster than the CLI",
            )
        )

    t, code = wall([KP, "check"], args.repeat)
    rows.append(
        (
            "`kubeproof check` on the chart (2 profiles, all rules, schemas, 2 Dockerfiles)",
            f"{t:.2f} s",
            f"exit {code}",
        )
    )
    t_cli, _ = wall([KP, "check", "--renderer", "cli"], args.repeat)
    rows.append(("same with `--renderer cli`", f"{t_cli:.2f} s", ""))

    with tempfile.TemporaryDirectory() as tmp:
        corpus = str(Path(tmp) / "corpus.yaml")
        subprocess.run(
            [PY, str(ROOT / "bench" / "corpus.py"), corpus, str(args.apps)],
            check=True,
            capture_output=True,
        )
        n = args.apps * 4
        no_schema = Path(tmp) / "policies"
        shutil.copytree(ROOT / "policies", no_schema)
        (no_schema / "kubernetes-schema.yaml").unlink()
        load_s, eval_s, found = eval_split(corpus, str(no_schema))
        rows.append(
            (
                f"kubeproof: YAML load with line numbers, {n} objects",
                f"{load_s:.2f} s",
                f"{n / load_s:.0f} objects/s",
            )
        )
        rows.append(
            (
                "kubeproof: evaluate generic rules (no schema rule)",
                f"{eval_s:.2f} s",
                f"{n / eval_s:.0f} objects/s, {found} findings",
            )
        )
        corpus_rate: dict[str, float] = {}
        check = [KP, "check", "--manifests", corpus, "--no-config", "--format", "json"]
        check += ["--output", os.devnull]
        for label, extra in (
            ("kubeproof (CLI, generic rules, no schemas)", ["--policies", str(no_schema)]),
            ("kubeproof (CLI, generic rules + strict schemas)", []),
        ):
            corpus_rate[label], code = wall([*check, *extra])
        ks = tool("kube-score")
        if ks:
            t, _ = wall([ks, "score", corpus, "--output-format", "ci"])
            corpus_rate["kube-score score"] = t
        cf = tool("conftest")
        if cf:
            t, _ = wall(
                [
                    cf,
                    "test",
                    corpus,
                    "-p",
                    str(ROOT / "bench" / "static_rego"),
                    "--no-color",
                    "-o",
                    "json",
                ]
            )
            corpus_rate["conftest (5 Rego rules)"] = t
        kc = tool("kubeconform")
        if kc:
            import importlib.util

            spec = importlib.util.find_spec("kubernetes_validate")
            src = Path(spec.origin).parent / "kubernetes-json-schema" / "v1.34.0-local-strict"
            # the same schemas kubeproof uses, with refs kubeconform can resolve from a file
            dest = Path(tmp) / "schemas" / "v1.34.0-standalone-strict"
            dest.mkdir(parents=True)
            for f in src.glob("*.json"):
                text = f.read_text().replace('"/api/_definitions.json#', '"_definitions.json#')
                (dest / f.name).write_text(text)
            loc = (
                str(Path(tmp) / "schemas") + "/{{ .NormalizedKubernetesVersion }}-standalone"
                "{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
            )
            t, code = wall(
                [
                    kc,
                    "-strict",
                    "-kubernetes-version",
                    "1.34.0",
                    "-schema-location",
                    loc,
                    "-summary",
                    corpus,
                ]
            )
            corpus_rate[f"kubeconform -strict (schemas only, exit {code})"] = t
        ck = TOOLS / "checkov-venv" / "bin" / "checkov"
        if ck.exists():
            small = str(Path(tmp) / "corpus-small.yaml")
            apps_small = max(args.apps // 10, 1)
            subprocess.run(
                [PY, str(ROOT / "bench" / "corpus.py"), small, str(apps_small)],
                check=True,
                capture_output=True,
            )
            t, _ = wall(
                [
                    str(ck),
                    "-f",
                    small,
                    "--framework",
                    "kubernetes",
                    "--skip-download",
                    "--quiet",
                    "--compact",
                    "-o",
                    "json",
                ]
            )
            corpus_rate[f"checkov ({apps_small * 4} objects, scaled)"] = t * (n / (apps_small * 4))
        base = corpus_rate.get("kube-score score")
        for name, t in corpus_rate.items():
            ratio = f", {t / base:.2f}x kube-score's time" if base else ""
            rows.append(
                (f"corpus {n} objects: {name}", f"{t:.2f} s", f"{n / t:.0f} objects/s{ratio}")
            )

    lines = [
        "# Static tier benchmarks",
        "",
        f"One run of `{' '.join(['python', 'bench/static.py', *sys.argv[1:]])}` on this machine "
        f"({env_note}). Medians of {args.repeat} runs where repeated.",
        "",
        "| measurement | time | note |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        "",
    ]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
