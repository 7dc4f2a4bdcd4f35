"""Static-tier benchmarks, side by side in one run on this machine; writes a Markdown report.

    .venv/bin/python bench/static.py [--apps 2600] [--repeat 5] [--out bench/static.md]
                                     [--skip-tier] [--append]

Measures, each with the machine's load (``uptime``) when it ran:
- the static tier (``pytest -m static``), all of it and the files that made it up when
  issue 12 started (tests/static/ then, moved by what they test since);
- ``kubeproof check`` on the repository chart (the pre-commit path), and a profile of it;
- on the generated corpus (bench/corpus.py, APPS x 4 objects): kubeproof with the generic
  rules and strict schemas beside kube-score; kubeproof's schema validation alone beside
  kubeconform with standalone strict 1.34 schemas generated offline from the ones
  kubeproof uses, on the corpus with schema defects (--schema-defects), reading both
  outputs to check each reports exactly the planted defects.
kube-score and kubeconform come from ${KUBEPROOF_BENCH_TOOLS:-/var/cache/kubeproof/bench}
(``go install`` them there, see bench/static.md); a missing tool is reported as missing.
No thresholds: numbers and ratios only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(os.environ.get("KUBEPROOF_BENCH_TOOLS", "/var/cache/kubeproof/bench"))
PY = sys.executable
KP = str(Path(PY).parent / "kubeproof")
#: the static test files when issue 12 started (tests/static/*), where they are now
START_SET = [
    "tests/chart/test_chart_render.py",
    "tests/chart/test_render.py",
    "tests/chart/test_chart.kubeproof.yaml",
    "tests/engine/test_cli.py",
    "tests/engine/test_loaders.py",
    "tests/engine/test_waivers.py",
    "tests/rules/test_rule_fixtures.py",
    "tests/golden/test_golden.py",
]
#: the test functions of those files when issue 12 started (commit 9f5f7b4), where they are
#: now: the files hold more tests since (golden findings, unreadable input, new chart tests)
_START_FUNCTIONS = {
    "tests/chart/test_chart_render.py": [
        "test_profile_renders_the_spec_objects",
        "test_deployment_matches_the_spec",
        "test_security_context_matches_the_image_user",
        "test_service_and_pull_policy_per_profile",
        "test_configmaps_hold_the_spec_keys",
        "test_secret_placeholders_and_existing_secret",
        "test_helm_test_pod_reaches_both_services",
        "test_config_change_rolls_the_pods",
        "test_wrong_value_fails_the_render_naming_it",
        "test_every_object_validates_strictly_against_kubernetes_1_34",
        "test_helm_lint_strict_is_clean",
        "test_every_value_is_commented_starting_with_its_name",
    ],
    "tests/chart/test_render.py": ["test_helm_cli_and_in_process_render_the_same_objects"],
    "tests/engine/test_cli.py": [
        "test_clean_input_exits_0_with_the_json_contract",
        "test_an_error_exits_1_and_names_file_and_line",
        "test_stdin",
        "test_bad_input_exits_2_with_one_line",
        "test_zero_objects_exits_2",
        # test_duplicate_keys_exit_2 then; duplicate keys became a warning since
        "test_duplicate_keys_are_a_warning_and_the_last_value_is_checked",
        "test_render_error_names_the_template_line",
        "test_sarif_validates_against_the_sarif_2_1_0_schema",
        "test_junit_is_what_pytest_consumers_read",
        "test_text_report_groups_by_object_and_counts",
        "test_console_script_runs_on_the_repository_chart",
    ],
    "tests/engine/test_loaders.py": [
        "test_each_object_knows_its_file_line_and_template",
        "test_template_lines_point_into_the_template",
        "test_ambiguous_or_broken_documents_are_errors",
        "test_empty_documents_and_comments_are_skipped",
        "test_dockerfile_stages_args_and_lines",
        "test_no_from_is_not_a_dockerfile",
        "test_healthcheck_url_is_parsed",
        "test_healthcheck_none",
        "test_objects_from_a_shared_definition_point_into_it",
    ],
    "tests/engine/test_waivers.py": [
        "test_file_waiver_applies_until_it_expires",
        "test_waiver_without_reason_or_expiry_is_an_error",
        "test_annotation_waiver_is_shown_in_text",
    ],
    "tests/rules/test_rule_fixtures.py": [
        "test_every_rule_has_a_passing_and_a_failing_fixture",
        "test_every_fixture_names_a_rule",
        "test_passing_fixture_has_no_finding",
        "test_failing_fixture_produces_exactly_its_rule",
    ],
}
START_FUNCTIONS = [
    *(f"{path}::{name}" for path, names in _START_FUNCTIONS.items() for name in names),
    "tests/chart/test_chart.kubeproof.yaml",
]
sys.path.insert(0, str(ROOT / "bench"))
import corpus as corpus_gen  # noqa: E402


def load() -> str:
    """The 1-minute load average now, as uptime prints it."""
    return f"{os.getloadavg()[0]:.2f}"


def run(cmd: list[str], cwd: Path = ROOT, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, **kw)


CPU: dict[str, float] = {}  # the last wall() call's median CPU seconds (user + sys, children)


def wall(
    cmd: list[str],
    repeat: int = 1,
    before_each: Callable[[], None] | None = None,
    exit_0: bool = False,
    **kw,
) -> tuple[float, subprocess.CompletedProcess]:
    """Median wall seconds of ``cmd`` over ``repeat`` runs, and the last run's result;
    ``before_each`` runs before each run, outside the time; ``exit_0``: a run that exits
    otherwise stops the benchmark. The median CPU time it used
    (its processes, user + sys) is left in CPU["last"]: on a loaded machine it says more
    about the work than the wall time does."""
    times, cpus, proc = [], [], None
    for _ in range(repeat):
        if before_each is not None:
            before_each()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = run(cmd, **kw)
        times.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if exit_0 and proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}\n{proc.stderr}")
    CPU["last"] = statistics.median(cpus)
    return statistics.median(times), proc


def cpu() -> str:
    return f"{CPU['last']:.2f} s"


def tool(name: str) -> str | None:
    path = TOOLS / name
    return str(path) if path.exists() else shutil.which(name)


def standalone_schemas(dest: Path) -> Path:
    """kubeproof's strict 1.34 schemas (kubernetes-validate's), each made standalone for
    kubeconform: the definitions it reaches copied in as ``$defs``, refs made local."""
    sys.path.insert(0, str(ROOT / "src"))
    from kubeproof.checks.kube_schema import _schema_dir

    src = _schema_dir("1.34", True)
    defs = json.loads((src / "_definitions.json").read_text())["$defs"]
    ref = re.compile(r'"\$ref": "[^"#]*#/\$defs/([^"]+)"')
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.glob("*.json")):
        if path.name.startswith("_"):
            continue
        text = path.read_text()
        reached, todo = {}, ref.findall(text)
        while todo:
            name = todo.pop()
            if name not in reached:
                reached[name] = defs[name]
                todo += ref.findall(json.dumps(defs[name]))
        schema = json.loads(ref.sub(r'"$ref": "#/$defs/\1"', text))
        schema["$defs"] = json.loads(ref.sub(r'"$ref": "#/$defs/\1"', json.dumps(reached)))
        (dest / path.name).write_text(json.dumps(schema))
    return dest


def static_tier(rows: list, repeat: int) -> None:
    for label, args in (
        ("static tier, all of it: `pytest -m static`", []),
        ("static tier, the files of issue 12's start", START_SET),
        ("static tier, the test functions of issue 12's start", START_FUNCTIONS),
    ):
        cmd = [PY, "-m", "pytest", "-q", "-m", "static", "-p", "no:cacheprovider", *args]
        before = load()
        t, proc = wall(cmd, repeat)
        summary = (proc.stdout.strip().splitlines() or ["?"])[-1]
        rows.append((label, f"{t:.2f} s", cpu(), f"{summary}; exit {proc.returncode}", before))


def check_on_chart(rows: list, repeat: int, profile_out: list[str]) -> None:
    """``kubeproof check`` on our chart in the states a user meets: nothing changed since
    the last run (pre-commit again, CI on a commit that did not touch the chart), a
    template just edited (an editor's save: the renders are made again, hadolint's
    output and the schemas come from the cache), and no cache at all (``--no-cache``,
    as the first run on a new machine). The cache is a directory of this run's own."""
    cache_home = Path(tempfile.mkdtemp(prefix="kubeproof-bench-cache-"))
    # with a bytecode cache, as an installed wheel has it (pip compiles it at install)
    with_pyc = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with_pyc["XDG_CACHE_HOME"] = str(cache_home)
    cmd = [KP, "check", "--format", "json"]
    try:
        proc = run([*cmd, "--no-cache"], env=with_pyc)  # writes the bytecode cache
        doc = json.loads(proc.stdout) if proc.stdout.startswith("{") else {}
        checked = doc.get("checked", {})
        note = (
            f"exit {proc.returncode}, {checked.get('objects')} objects, "
            f"{checked.get('rules')} rules"
        )
        run(cmd, env=with_pyc)  # fills the cache
        before = load()
        t, _ = wall(cmd, repeat, env=with_pyc)
        label = "`kubeproof check` on our chart (2 profiles, all rules), cache warm"
        rows.append((label, f"{t:.3f} s", cpu(), f"{note}; bytecode cache on", before))
        before = load()
        t = edited(repeat, with_pyc, dockerfiles=False)
        label = "same, a template edited before each run (renders made again)"
        rows.append((label, f"{t:.3f} s", cpu(), "hadolint, schemas from the cache", before))
        before = load()
        t = edited(repeat, with_pyc, dockerfiles=True)
        label = "same, a template and both Dockerfiles edited (renders, hadolint again)"
        note = "schemas from the cache: what earlier runs measured"
        rows.append((label, f"{t:.3f} s", cpu(), note, before))
        before = load()
        t, _ = wall([*cmd, "--no-cache"], repeat, env=with_pyc)
        label = "same with `--no-cache` (everything made again, as on a new machine)"
        rows.append((label, f"{t:.3f} s", cpu(), "bytecode cache on", before))
        before = load()
        t, _ = wall([*cmd, "--renderer", "cli"], repeat, env=with_pyc)
        label = "same with `--renderer cli` (a helm process per profile, never cached)"
        rows.append((label, f"{t:.3f} s", cpu(), "", before))
        profile_check(rows, repeat, profile_out, with_pyc)
    finally:
        shutil.rmtree(cache_home, ignore_errors=True)


def edited(repeat: int, env: dict[str, str], dockerfiles: bool) -> float:
    """Median wall seconds of check on a copy of the project (kubeproof.yaml, the chart,
    the Dockerfiles and their build contexts) with a template edited before each run,
    and with ``dockerfiles`` both Dockerfiles too (a comment appended: a new render key,
    a new hadolint key)."""
    with tempfile.TemporaryDirectory() as tmp:
        for part in ("kubeproof.yaml", "charts", "dockerfiles", "apps"):
            src = ROOT / part
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, Path(tmp, part))
        edits = [Path(tmp, "charts", "todo-chatbot", "templates", "backend", "deployment.yaml")]
        if dockerfiles:
            edits += sorted(Path(tmp, "dockerfiles").glob("*.Dockerfile"))

        def edit() -> None:
            for path in edits:
                path.write_text(path.read_text() + f"\n# edit {time.time_ns()}\n")

        t, _ = wall(
            [KP, "check", "--format", "json"],
            repeat,
            before_each=edit,
            exit_0=True,
            cwd=Path(tmp),
            env=env,
        )
    return t


def profile_check(rows: list, repeat: int, profile_out: list[str], env: dict) -> None:
    t, _ = wall([PY, "-c", "pass"], repeat, env=env)
    rows.append(("the interpreter alone (`python -c pass`)", f"{t:.3f} s", cpu(), "", load()))
    for title, extra in (("cache warm", []), ("`--no-cache`", ["--no-cache"])):
        argv = ["check", "--format", "json", *extra]
        imports = run([PY, "-X", "importtime", "-m", "kubeproof", *argv], env=env).stderr
        top = []
        for line in imports.splitlines():
            m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
            if m and not m.group(2).startswith(" "):
                top.append((int(m.group(1)), m.group(2)))
        profile_out += [
            f"Top-level imports of `kubeproof check`, {title} (`-X importtime`, cumulative):",
            "",
            *[f"- {name}: {us / 1000:.1f} ms" for us, name in sorted(top, reverse=True)[:8]],
            "",
        ]
        code = (
            "import cProfile, pstats, io, sys; from kubeproof.cli import main; "
            f"p = cProfile.Profile(); p.enable(); main({[*argv, '--output', '/dev/null']!r}); "
            "p.disable(); s = io.StringIO(); "
            "pstats.Stats(p, stream=s).sort_stats('cumulative').print_stats(40); "
            "print(s.getvalue())"
        )
        stats = run([PY, "-c", code], env=env).stdout
        wanted = ("api.py", "engine.py", "chart.py", "policy.py", "config.py", "report", "_native")
        picked = [
            ln.strip().replace(f"{ROOT}/", "")
            for ln in stats.splitlines()
            if any(w in ln for w in wanted)
        ][:14]
        profile_out += [f"cProfile of `kubeproof check`, {title} (cumulative s, in-process):", ""]
        profile_out += ["    " + ln for ln in picked] + [""]


def corpora(rows: list, apps: int, tmp: Path) -> list[str]:
    notes: list[str] = []
    n = apps * 4
    plain = tmp / "corpus.yaml"
    plain.write_text(corpus_gen.corpus(apps))
    out = tmp / "kubeproof.json"
    cmd = [KP, "check", "--manifests", str(plain), "--no-config", "--format", "json"]
    before = load()
    t_kp, proc = wall([*cmd, "--output", str(out)])
    cpu_kp = cpu()
    doc = json.loads(out.read_text())
    notes.append(
        f"kubeproof on the corpus: exit {proc.returncode}, checked {doc['checked']['objects']} "
        f"objects with {doc['checked']['rules']} rules, {len(doc['findings'])} findings"
    )
    ks = tool("kube-score")
    t_ks = None
    if ks:
        before_ks = load()
        t_ks, proc = wall([ks, "score", str(plain), "--output-format", "ci"])
        objects = {m.group(1) for m in re.finditer(r"^\[\w+\] (\S+ \S+)", proc.stdout, re.M)}
        notes.append(
            f"kube-score on the corpus: exit {proc.returncode}, "
            f"{len(proc.stdout.splitlines())} result lines about {len(objects)} objects"
        )
    ratio = f", {t_kp / t_ks:.3f}x kube-score's time" if t_ks else ", kube-score missing"
    rows.append(
        (
            f"corpus {n} objects: kubeproof (CLI, generic rules + strict schemas)",
            f"{t_kp:.2f} s",
            cpu_kp,
            f"{n / t_kp:.0f} objects/s{ratio}",
            before,
        )
    )
    if t_ks:
        label = f"corpus {n} objects: kube-score score"
        rows.append((label, f"{t_ks:.2f} s", cpu(), "1.000x", before_ks))

    defects = tmp / "defects.yaml"
    defects.write_text(corpus_gen.corpus(apps, schema_defects=True))
    planted = {d[:2] for i in range(apps) if (d := corpus_gen.schema_defect(i))}
    only = tmp / "schema-only"
    only.mkdir()
    shutil.copy(ROOT / "policies" / "kubernetes-schema.yaml", only)
    out = tmp / "kubeproof-schema.json"
    cmd = [KP, "check", "--manifests", str(defects), "--no-config", "--policies", str(only)]
    before = load()
    t_kps, proc = wall([*cmd, "--format", "json", "--output", str(out)])
    cpu_kps = cpu()
    found = {(f["kind"], f["name"]) for f in json.loads(out.read_text())["findings"]}
    notes.append(
        f"kubeproof schema rule alone on the corpus with defects: exit {proc.returncode}, "
        f"{len(found)} objects reported, planted {len(planted)}, "
        f"{'exactly the planted ones' if found == planted else 'NOT the planted ones'}"
    )
    kc = tool("kubeconform")
    t_kc = None
    if kc:
        schemas = standalone_schemas(tmp / "schemas")
        loc = f"{schemas}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json"
        before_kc = load()
        kcmd = [kc, "-strict", "-schema-location", loc, "-output", "json", "-summary"]
        t_kc, proc = wall([*kcmd, str(defects)])
        report = json.loads(proc.stdout)
        bad = {(r["kind"], r["name"]) for r in report["resources"] if r["status"] != "statusValid"}
        statuses = {r["status"] for r in report["resources"]}
        notes.append(
            f"kubeconform on the corpus with defects: exit {proc.returncode}, summary "
            f"{report.get('summary')}, {len(bad)} objects reported ({sorted(statuses)}), "
            f"{'exactly the planted ones' if bad == planted else 'NOT the planted ones'}"
        )
    ratio = f", {t_kps / t_kc:.2f}x kubeconform's time" if t_kc else ", kubeconform missing"
    rows.append(
        (
            f"corpus {n} objects with {len(planted)} schema defects: kubeproof, schema rule alone",
            f"{t_kps:.2f} s",
            cpu_kps,
            f"{n / t_kps:.0f} objects/s{ratio}",
            before,
        )
    )
    if t_kc:
        rows.append(
            (
                f"corpus {n} objects with {len(planted)} schema defects: kubeconform -strict",
                f"{t_kc:.2f} s",
                cpu(),
                f"{n / t_kc:.0f} objects/s, 1.00x",
                before_kc,
            )
        )
    return notes


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--apps", type=int, default=2600)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "bench" / "static.md"))
    ap.add_argument("--skip-tier", action="store_true")
    ap.add_argument("--append", action="store_true", help="add this run below the file's text")
    args = ap.parse_args()
    rows: list[tuple[str, str, str, str, str]] = []
    profile: list[str] = []
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    uptime = run(["uptime"]).stdout.strip()
    commit = run(["git", "rev-parse", "--short", "HEAD"]).stdout.strip()
    if not args.skip_tier:
        static_tier(rows, max(1, args.repeat // 2))
    check_on_chart(rows, args.repeat, profile)
    with tempfile.TemporaryDirectory() as tmp:
        notes = corpora(rows, args.apps, Path(tmp))
    lines = [
        f"## Run of {started} (commit `{commit}`)",
        "",
        f"`{' '.join(['python', 'bench/static.py', *sys.argv[1:]])}`; {os.cpu_count()} cores; "
        f"`uptime` at start: `{uptime}`; at end: `{run(['uptime']).stdout.strip()}`. "
        f"Medians of {args.repeat} runs for `kubeproof check`, of {max(1, args.repeat // 2)} "
        "for the tier, single runs on the corpora.",
        "",
        "| measurement | wall | CPU (user+sys) | note | load (1 min) before |",
        "|---|---|---|---|---|",
        *[f"| {' | '.join(row)} |" for row in rows],
        "",
        *[f"- {n}" for n in notes],
        "",
        *profile,
        "",
    ]
    text = "\n".join(lines)
    if args.append and Path(args.out).exists():
        text = Path(args.out).read_text().rstrip("\n") + "\n\n" + text
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
