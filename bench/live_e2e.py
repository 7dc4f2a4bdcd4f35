"""Warm end-to-end time of the live tier, by phase, beside what a user would run by hand.

    .venv/bin/python bench/live_e2e.py [--cluster kubeproof] [--repeat 2] [--out bench/live-e2e.md]

Warm: images built and the cluster up. Two flows on the same cluster, alternating:

* ``kubeproof``: load the app images, namespace (labelled, random), ``helm install
  --wait`` (minikube profile), the tests a deploy is proven by: ``pytest -m smoke``
  against the release and ``helm test``, then ``helm uninstall --wait`` and the
  namespace deleted until gone.
* ``helm by hand`` (what chart-testing's ``ct install`` does): the same install,
  ``helm test``, uninstall and namespace delete, no kubeproof tests.

Each phase is timed; the table gives the median per phase, the ratio of the two
flows, and the ``uptime`` load before and after. The smoke run's own report is read
to make sure it ran tests and passed (a run that checked nothing is not a time).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

from kubeproof.testing import cluster, namespaces, providers
from kubeproof.testing.runner import helm, kubectl

ROOT = Path(__file__).resolve().parents[1]
APP = yaml.safe_load((ROOT / "kubeproof.yaml").read_text())
IMAGES = [f"{c['image']['repository']}:latest" for c in APP["components"].values()]


def load() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` shows them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Phases:
    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    def __call__(self, name: str, fn, *args, **kw):
        t0 = time.perf_counter()
        result = fn(*args, **kw)
        self.times[name] = time.perf_counter() - t0
        return result


def smoke(release: str, namespace: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "smoke",
         "--release", release, "--namespace", namespace, "tests/smoke"],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "KUBEPROOF_REQUIRE": "helm,cluster,release"},
    )  # fmt: skip
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr
    passed = re.search(r"(\d+) passed", tail)
    if proc.returncode != 0 or not passed or " skipped" in tail:
        raise SystemExit(f"smoke run failed or checked nothing: {tail}")


def flow(kind: str) -> dict[str, float]:
    """One warm run of ``kind`` ('kubeproof' or 'helm'); returns seconds per phase."""
    phase = Phases()
    factory = namespaces.NamespaceFactory(run_id=f"bench-{os.getpid()}")
    release = f"bench-{os.urandom(3).hex()}"
    if kind == "kubeproof":
        phase("load images", lambda: [cluster.load_image(i) for i in IMAGES])
    ns = phase("namespace", factory.create, "kp-bench")
    phase(
        "helm install --wait",
        helm,
        "install", release, str(ROOT / APP["chart"]), "-n", ns,
        "-f", str(ROOT / APP["profiles"]["minikube"]),
        "--set", "frontend.service.nodePort=null", "--set", "backend.service.nodePort=null",
        "--wait", "--timeout", "5m",
    )  # fmt: skip
    if kind == "kubeproof":
        phase("pytest -m smoke", smoke, release, ns)
    phase("helm test", helm, "test", release, "-n", ns, "--timeout", "3m")
    phase("helm uninstall --wait", helm, "uninstall", release, "-n", ns, "--wait")
    phase(
        "namespace deleted",
        kubectl,
        "delete", "namespace", ns, "--wait=true", "--timeout=180s", timeout=200,
    )  # fmt: skip
    factory.made.clear()
    phase.times["total"] = sum(phase.times.values())
    return phase.times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", default="kubeproof", choices=sorted(providers.REGISTRY))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "live-e2e.md")
    args = parser.parse_args()
    provider = providers.activate(providers.create(args.cluster))
    if (reason := provider.ensure()) is not None:
        print(f"live_e2e: no cluster: {reason}", file=sys.stderr)
        return 2
    before = load()
    runs: dict[str, list[dict[str, float]]] = {"kubeproof": [], "helm": []}
    for _ in range(args.repeat):
        for kind in runs:
            runs[kind].append(flow(kind))
            print(kind, {k: round(v, 1) for k, v in runs[kind][-1].items()}, flush=True)
    after = load()
    phases = list(dict.fromkeys(k for kind in runs for r in runs[kind] for k in r))
    lines = [
        "| phase | kubeproof (s) | helm by hand (s) |",
        "|---|---|---|",
    ]
    med = {
        kind: {p: statistics.median(r[p] for r in rs) for p in phases if all(p in r for r in rs)}
        for kind, rs in runs.items()
    }
    for p in phases:
        cells = [f"{med[k][p]:.1f}" if p in med[k] else "-" for k in runs]
        lines.append(f"| {p} | {cells[0]} | {cells[1]} |")
    ratio = med["kubeproof"]["total"] / med["helm"]["total"]
    command = " ".join(["bench/live_e2e.py", *sys.argv[1:]])
    text = "\n".join(lines)
    print(text)
    print(f"ratio kubeproof/helm: {ratio:.2f}; load before {before}, after {after}")
    args.out.write_text(
        f"# Live tier, warm, end to end by phase\n\n"
        f"`{command}` ({args.repeat} runs of each flow, alternating; median per phase).\n"
        f"Cluster: `--cluster={args.cluster}`; load average before {before}, after {after}.\n\n"
        f"{text}\n\nkubeproof / helm by hand: **{ratio:.2f}x** (total).\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
