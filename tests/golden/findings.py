"""Golden findings: what kubeproof reports today on our chart, every rule fixture and a corpus.

    python tests/golden/findings.py            # compare with tests/golden/findings.tsv
    python tests/golden/findings.py --write    # capture anew (explain the diff in the commit)
    python tests/golden/findings.py --apps N   # another corpus size alone (findings-corpusN.tsv)

One row per finding: group, rule, severity, kind, name, container, file, line
(messages are left out: their wording may improve; where a finding is and what
it is may not change unnoticed). ``tests/golden/test_golden.py`` runs the same
comparison in the static tier.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("findings.tsv")
CORPUS_APPS = 250
FIELDS = ("rule", "severity", "kind", "name", "container", "file", "line")


def _rows(group: str, findings) -> list[str]:
    rows = set()
    for f in findings:
        values = [group] + ["" if getattr(f, k) is None else str(getattr(f, k)) for k in FIELDS]
        rows.add("\t".join(values))
    return sorted(rows)


def chart_rows() -> list[str]:
    from kubeproof.api import Inputs, run

    rows: list[str] = []
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for profile in ("minikube", "production"):
            rows += _rows(f"chart:{profile}", run(Inputs(profile=profile)).findings)
    finally:
        os.chdir(cwd)
    return rows


def fixture_rows() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from tests.rules.rulefixtures import cases, run_case

    rows: list[str] = []
    for rule, outcome, i, case in cases():
        rows += _rows(f"fixture:{rule}:{outcome}:{i}", run_case(case).findings)
    return rows


def corpus_rows(apps: int = CORPUS_APPS) -> list[str]:
    import importlib.util

    from kubeproof.api import Inputs, run

    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp, "corpus.yaml")
        corpus.write_text(generator.corpus(apps))
        result = run(Inputs(manifests=[str(corpus)], no_config=True))
        # the temporary directory's name is not part of the finding
        findings = [replace(f, file="corpus.yaml" if f.file else f.file) for f in result.findings]
    return _rows(f"corpus:{apps}", findings)


def collect(apps: int = CORPUS_APPS) -> list[str]:
    return chart_rows() + fixture_rows() + corpus_rows(apps)


def header() -> str:
    return "\t".join(("group", *FIELDS))


def read_golden(path: Path = GOLDEN) -> list[str]:
    lines = path.read_text().splitlines()
    return [ln for ln in lines[1:] if ln]


def diff(expected: list[str], got: list[str]) -> list[str]:
    exp, now = set(expected), set(got)
    return [f"- {r}" for r in sorted(exp - now)] + [f"+ {r}" for r in sorted(now - exp)]


def main(argv: list[str]) -> int:
    apps = CORPUS_APPS
    if "--apps" in argv:
        apps = int(argv[argv.index("--apps") + 1])
    # another corpus size is checked on its own (findings-corpusN.tsv holds only its
    # corpus rows, so new rule fixtures do not make it stale)
    rows = collect(apps) if apps == CORPUS_APPS else corpus_rows(apps)
    path = GOLDEN if apps == CORPUS_APPS else GOLDEN.with_name(f"findings-corpus{apps}.tsv")
    if "--write" in argv:
        path.write_text(header() + "\n" + "\n".join(rows) + "\n")
        print(f"wrote {len(rows)} findings to {path}")
        return 0
    changes = diff(read_golden(path), rows)
    print("\n".join(changes) if changes else f"{len(rows)} findings, as golden")
    return 1 if changes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
