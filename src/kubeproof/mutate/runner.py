"""Apply every operator to the good artifacts and run the engine in-process on each mutant."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine import evaluate
from ..model import Finding, Target
from ..policy import Rule
from ..waivers import Waiver
from .operators import Mutant, Operator, apply, catalogue, sites

CAUGHT, OTHER, MISSED = "caught", "caught by another rule", "missed"
ALREADY = "already broken"  # the good artifact already breaks the expected rule there


def finding_key(f: Finding) -> tuple[Any, ...]:
    return (f.rule, f.kind, f.name, f.container, f.message)


def _same_render(a: Target, b: Target) -> bool:
    """The same objects (names drawn at random aside), the same chart and no render error."""
    import json

    def shape(t: Target) -> list[str]:
        out = []
        for o in t.objects:
            text = json.dumps(o.data, sort_keys=True)
            out.append(text.replace(o.name, "<name>") if o.name else text)
        return sorted(out)

    if a.render_error or b.render_error or (a.chart is None) != (b.chart is None):
        return a.render_error == b.render_error and a.objects == b.objects
    same_chart = a.chart is None or (
        (a.chart.data, a.chart.has_values_schema, a.chart.values)
        == (b.chart.data, b.chart.has_values_schema, b.chart.values)
    )
    return same_chart and shape(a) == shape(b)


def anonymous_key(f: Finding) -> tuple[Any, ...]:
    """A finding without the object's name (in its place and its message)."""
    message = f.message.replace(f.name, "<name>") if f.name else f.message
    return (f.rule, f.kind, f.container, message)


def place_key(f: Finding) -> tuple[Any, ...]:
    return (f.rule, f.kind, f.name, f.container)


def in_force(rule: Rule, target: Target) -> bool:
    """Whether ``rule`` looks at ``target`` (its profile; kubeproof.yaml if app-specific)."""
    if rule.profiles and target.profile not in rule.profiles:
        return False
    return not (rule.app_specific and target.config is None)


@dataclass
class MutantResult:
    operator: str
    variant: Any
    site: str
    profile: str | None
    status: str
    expected: list[str]  # the operator's rules in force on this mutant
    fired: list[str]  # those of them that fired
    other: list[str]  # other rules that fired
    noise: list[Finding]  # findings of rules neither expected nor known consequences
    new: list[Finding]  # every new unwaived finding
    mutant: Mutant | None = None

    @property
    def name(self) -> str:
        return self.operator + (f"[{self.variant}]" if self.variant is not None else "")


@dataclass
class Report:
    baseline: list[Finding]  # unwaived findings of the good artifacts
    operators: list[Operator]
    results: list[MutantResult]
    rules: list[Rule]
    profiles: list[str | None]
    objects: int
    dockerfiles: int
    seconds: float = 0.0
    applied: dict[str, int] = field(default_factory=dict)  # operator -> mutants made
    targets: list[Target] = field(default_factory=list)  # the good artifacts
    skipped: dict[str, str] = field(default_factory=dict)  # rule -> why `check` skips it
    errors: list[str] = field(default_factory=list)  # operators that raised (exit 2)

    @property
    def baseline_errors(self) -> list[Finding]:
        return [f for f in self.baseline if f.severity == "error"]

    @property
    def noise(self) -> list[tuple[MutantResult, Finding]]:
        return [(r, f) for r in self.results for f in r.noise]

    def by_status(self, status: str) -> list[MutantResult]:
        return [r for r in self.results if r.status == status]

    def rule_scores(self) -> dict[str, tuple[int, int]]:
        """rule -> (mutants that expect it in force, mutants it caught), every loaded rule."""
        scores = {r.id: (0, 0) for r in self.rules}
        for res in self.results:
            for rule in res.expected:
                want, got = scores.get(rule, (0, 0))
                scores[rule] = (want + 1, got + (rule in res.fired))
        return scores

    @property
    def exit_code(self) -> int:
        """0: the baseline is clean and every mutant is caught (by its rule or another);
        2: an operator could not run (the report is incomplete)."""
        if self.errors:
            return 2
        return 0 if not self.baseline_errors and not self.by_status(MISSED) else 1

    def expected_rules(self, operator: str) -> list[str]:
        return next((list(o.rules) for o in self.operators if o.name == operator), [])

    def why_idle(self, rule_ids: list[str]) -> str:
        """Why rules do not apply: their profile, kubeproof.yaml, or they are not loaded."""
        by_id = {r.id: r for r in self.rules}
        reasons = []
        for rid in rule_ids:
            rule = by_id.get(rid)
            if rid in self.skipped:
                reasons.append(self.skipped[rid])
            elif rule is None:
                reasons.append("not loaded")
            elif rule.profiles and not set(rule.profiles) & set(self.profiles):
                reasons.append(f"profile {', '.join(rule.profiles)} only")
            elif rule.app_specific:
                reasons.append("app-specific, needs kubeproof.yaml")
        return "; ".join(dict.fromkeys(reasons)) or "not applicable"

    @property
    def partial(self) -> list[MutantResult]:
        """Caught, but an expected rule in force stayed silent."""
        return [r for r in self.results if r.status != MISSED and set(r.expected) - set(r.fired)]


class Mutator:
    """Baseline findings per target, then one engine run per mutant."""

    def __init__(self, rules: list[Rule], targets: list[Target], waivers: list[Waiver]) -> None:
        self.rules = rules
        self.by_id = {name: r for r in rules for name in (r.id, *r.aliases)}
        self.targets = targets
        self.waivers = waivers
        self._baseline: dict[tuple[int, ...], list[Finding]] = {}
        self.errors: list[str] = []  # operators that raised: the run is incomplete (exit 2)

    def findings(self, targets: list[Target]) -> list[Finding]:
        """Unwaived findings of one engine run over ``targets`` (as ``check`` runs it)."""
        result = evaluate(self.rules, targets, self.waivers)
        return [f for f in result.findings if not f.waived]

    def baseline(self, indices: tuple[int, ...]) -> list[Finding]:
        if indices not in self._baseline:
            self._baseline[indices] = self.findings([self.targets[i] for i in indices])
        return self._baseline[indices]

    def canonical(self, rid: str) -> str:
        """A rule id as findings carry it (an alias resolved; hadolint/<code> kept)."""
        rule = self.by_id.get(rid)
        return rule.id if rule is not None else rid

    def expected(self, op: Operator, targets: list[Target]) -> list[str]:
        out = []
        for rid in op.rules:
            rule = self.by_id.get(rid.split("/")[0])
            if rule is not None and any(in_force(rule, t) for t in targets):
                out.append(self.canonical(rid))
            elif rid == "chart-render" and op.scope == "render":
                out.append(rid)  # the chart's own guard (values.schema.json, `fail`)
        return out

    def new_findings(
        self, pairs: list[tuple[int, Target]], rendered: bool = False
    ) -> list[Finding]:
        """Unwaived findings of the mutated targets that the good ones do not have.

        ``rendered``: the chart was rendered again, and names a template draws at random
        (``randAlphaNum`` in test pods) differ: findings are compared without names."""
        key = anonymous_key if rendered else finding_key
        before = {key(f) for f in self.baseline(tuple(i for i, _ in pairs))}
        return [f for f in self.findings([t for _, t in pairs]) if key(f) not in before]

    def broken_before(self, mutant: Mutant, expected: list[str]) -> bool:
        """An expected rule already reports the mutated object (and container) in the good
        artifacts: the mutant re-breaks what was broken, nothing new can fire."""
        site = mutant.site
        if site.target is not None and site.obj is not None:
            obj = self.targets[site.target].objects[site.obj]
            kind, name = obj.kind, obj.name
        elif site.df is not None:
            df = self.targets[0].dockerfiles[site.df]
            kind, name = df.kind, df.name
        else:
            return False
        container = None
        if site.path:
            from ..model import dig

            found = dig(self.targets[site.target].objects[site.obj].data, site.path)
            container = (found or {}).get("name") if isinstance(found, dict) else None
        return any(
            f.rule in expected
            and (f.kind, f.name) == (kind, name)
            and (container is None or f.container in (None, container))
            for f in self.baseline(tuple(i for i, _ in mutant.targets))
        )

    def already_there(self, f: Finding, pairs: list[tuple[int, Target]]) -> bool:
        """The rule already fired at this place on the good artifacts (another message)."""
        return place_key(f) in {place_key(b) for b in self.baseline(tuple(i for i, _ in pairs))}

    def judge(self, mutant: Mutant) -> MutantResult:
        op, site = mutant.site.op, mutant.site
        new = self.new_findings(mutant.targets, rendered=op.scope == "render") + [
            f for f in mutant.extra if f.severity == "error" or f.rule in op.also
        ]
        expected = self.expected(op, [t for _, t in mutant.targets])
        if op.scope == "render":  # refused: only the chart could catch it; rendered: the rules
            refused = any(t.render_error for _, t in mutant.targets)
            expected = [r for r in expected if (r == "chart-render") == refused]
        fired_rules = {f.rule for f in new}
        fired = [r for r in expected if r in fired_rules]
        known = {self.canonical(r) for r in (*op.rules, *op.also)}
        other = sorted(fired_rules - set(fired))
        noise = [
            f for f in new if f.rule not in known and not self.already_there(f, mutant.targets)
        ]
        blocking = [f for f in new if f.severity == "error" or f.rule in known]
        if fired:
            status = CAUGHT
        elif blocking:
            status = OTHER
        elif self.broken_before(mutant, expected):
            status = ALREADY
        else:
            status = MISSED
        profiles = {t.profile for _, t in mutant.targets}
        return MutantResult(
            operator=op.name,
            variant=site.variant,
            site=site.label,
            profile=profiles.pop() if len(profiles) == 1 else None,
            status=status,
            expected=expected,
            fired=fired,
            other=other,
            noise=noise,
            new=new,
            mutant=mutant,
        )

    def mutants(self, operators: list[Operator]) -> list[Mutant]:
        out = []
        for op in operators:
            for site in sites(op, self.targets):
                try:
                    if op.scope == "render":
                        mutant = self.rerender(site)
                    else:
                        mutant = apply(site, self.targets)
                except Exception as err:  # an operator meeting input it did not foresee
                    detail = " ".join(str(err).split())[:200]
                    self.errors.append(
                        f"operator {site.name} failed at {site.label}: "
                        f"{type(err).__name__}: {detail}"
                    )
                    continue
                if mutant is not None:
                    out.append(mutant)
        return out

    #: (Inputs, AppConfig) the good artifacts were loaded with: render-scope operators
    #: render the chart again from a changed copy with the same inputs
    inputs: Any = None

    def rerender(self, site: Any, *more: Any) -> Mutant | None:
        """The mutant of render-scope operators (``site``, then ``more`` on the same copy):
        the chart copy rendered again for every profile the operators apply to."""
        import dataclasses
        import difflib
        import shutil
        import tempfile

        from ..api import load_targets, render_findings
        from ..load.chart import read_values
        from .operators import Mut

        if self.inputs is None or self.targets[0].chart is None:
            return None
        inp, cfg = self.inputs
        good = self.targets[0].chart
        tmp = tempfile.mkdtemp(prefix="kubeproof-mutant-")
        try:
            chart_dir = str(Path(tmp, Path(good.dir).name))
            shutil.copytree(good.dir, chart_dir)
            files = [".helmignore", "values.yaml", "Chart.yaml", "values.schema.json"]
            before = {Path(chart_dir, f): "" for f in files}
            before.update({p: p.read_text() for p in before if p.is_file()})
            values_file = Path(good.dir, "values.yaml")
            values = read_values([str(values_file)]) if values_file.exists() else {}
            sets: list[str] = []
            set_strings: list[str] = []
            applied = []
            for one in (site, *more):
                m = Mut(target=self.targets[0], variant=one.variant, chart_dir=chart_dir)
                m.values = values
                if one.op.fn(m):
                    applied.append(one)
                    sets += m.sets
                    set_strings += m.set_strings
            if not applied:
                return None
            new_inp = dataclasses.replace(
                inp,
                chart=chart_dir,
                sets=[*inp.sets, *sets],
                set_strings=[*inp.set_strings, *set_strings],
            )
            targets = load_targets(new_inp, cfg)
            keep = [
                i
                for i, t in enumerate(self.targets)
                if all(not s.op.profiles or t.profile in s.op.profiles for s in applied)
            ]
            if all(_same_render(targets[i], self.targets[i]) for i in keep):
                return None  # an equivalent mutant: the chart renders exactly as before
            mutant = Mutant(applied[0], [(i, targets[i]) for i in keep])
            mutant.extra = render_findings(chart_dir, [targets[i] for i in keep])
            notes = [f"--set {s}" for s in sets] + [f"--set-string {s}" for s in set_strings]
            for path, text in before.items():
                after = path.read_text() if path.exists() else ""
                rel = f"{Path(good.dir).name}/{path.name}"
                notes += difflib.unified_diff(
                    text.splitlines(), after.splitlines(), f"a/{rel}", f"b/{rel}", lineterm=""
                )
            mutant.note = "\n".join(notes)
            return mutant
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def run(self, operators: list[Operator]) -> list[MutantResult]:
        mutants = self.mutants(operators)
        self._prestart_hadolint(mutants)
        return [self.judge(m) for m in mutants]

    def _prestart_hadolint(self, mutants: list[Mutant]) -> None:
        """hadolint runs as a process per Dockerfile text: start them all at once."""
        if not any(r.check == "hadolint" for r in self.rules):
            return
        from ..checks.dockerfiles import start_hadolint

        dockerfiles = {id(d): d for m in mutants for _, t in m.targets[:1] for d in t.dockerfiles}
        if dockerfiles:
            start_hadolint(list(dockerfiles.values()), self.targets[0].hadolint_config)


def compose(
    targets: list[Target], steps: list[tuple[Operator, int]]
) -> tuple[list[Target], list[Operator]]:
    """Apply operators one after another, each at the site ``pick`` selects (modulo the sites
    it has then); steps that no longer fit are skipped. The mutated targets and what applied."""
    current = list(targets)
    applied: list[Operator] = []
    for op, pick in steps:
        candidates = list(sites(op, current))
        if not candidates:
            continue
        mutant = apply(candidates[pick % len(candidates)], current)
        if mutant is None:
            continue
        for i, t in mutant.targets:
            current[i] = t
        applied.append(op)
    return current, applied


def run_mutation(inp: Any, only: list[str] | None = None) -> Report:
    """Load what ``kubeproof check`` would, apply every operator, judge every mutant."""
    from ..api import load
    from ..errors import InputError, RenderError

    started = time.perf_counter()
    loaded = load(inp)
    cfg, targets, waivers, skipped = loaded.config, loaded.targets, loaded.waivers, loaded.skipped
    broken = [t.render_error for t in targets if t.render_error]
    if broken:  # nothing to mutate: the good artifacts must render first
        raise RenderError(broken[0])
    if not any(t.objects or t.dockerfiles for t in targets):
        raise InputError("checked no object: the input holds no Kubernetes object or Dockerfile")
    rules = loaded.applicable  # as `check` runs them
    ops = list(catalogue().values())
    if only:
        unknown = sorted(set(only) - {o.name for o in ops})
        if unknown:
            raise InputError(f"unknown operator(s): {', '.join(unknown)}")
        ops = [o for o in ops if o.name in only]
    mutator = Mutator(rules, targets, waivers)
    mutator.inputs = (inp, cfg)
    results = mutator.run(ops)
    baseline = mutator.baseline(tuple(range(len(targets))))
    applied: dict[str, int] = {o.name: 0 for o in ops}
    for r in results:
        applied[r.operator] += 1
    dockerfiles = {id(d) for t in targets for d in t.dockerfiles}
    return Report(
        baseline=baseline,
        operators=ops,
        results=results,
        rules=rules,
        profiles=[t.profile for t in targets],
        objects=sum(len(t.objects) for t in targets),
        dockerfiles=len(dockerfiles),
        seconds=time.perf_counter() - started,
        applied=applied,
        targets=targets,
        skipped=skipped,
        errors=mutator.errors,
    )
