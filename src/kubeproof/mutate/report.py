"""The mutation report: per operator, per rule, what was missed and what was noise (text, JSON)."""

from __future__ import annotations

import json
from typing import IO, Any

from .runner import ALREADY, CAUGHT, MISSED, OTHER, MutantResult, Report


def _operator_rows(report: Report) -> list[dict[str, Any]]:
    rows = []
    for op in report.operators:
        mine = [r for r in report.results if r.operator == op.name]
        rows.append(
            {
                "operator": op.name,
                "description": op.description,
                **op.declared(),
                "mutants": len(mine),
                "caught": sum(r.status == CAUGHT for r in mine),
                "caught_by_another_rule": sum(r.status == OTHER for r in mine),
                "missed": sum(r.status == MISSED for r in mine),
                "already_broken": sum(r.status == ALREADY for r in mine),
                "noise": sum(len(r.noise) for r in mine),
                "status": _op_status(mine),
            }
        )
    return rows


def _op_status(mine: list[MutantResult]) -> str:
    if not mine:
        return "not applicable"
    if any(r.status == MISSED for r in mine):
        return MISSED
    if any(r.status == OTHER for r in mine):
        return OTHER
    return CAUGHT


def _mutant_json(r: MutantResult, good: list[Any]) -> dict[str, Any]:
    out = {
        "operator": r.operator,
        "variant": r.variant,
        "site": r.site,
        "profile": r.profile,
        "status": r.status,
        "expected": r.expected,
        "fired": r.fired,
        "other_rules": r.other,
        "noise": [f.to_json() for f in r.noise],
    }
    if r.status != CAUGHT and r.mutant is not None:  # what to look at: the mutation itself
        from .patch import diff_targets

        out["patch"] = "\n".join(
            p for p in (r.mutant.note, diff_targets(good, r.mutant.targets)) if p
        )
    return out


def to_json(report: Report) -> dict[str, Any]:
    scores = report.rule_scores()
    return {
        "baseline": {
            "clean": not report.baseline_errors,
            "findings": [f.to_json() for f in report.baseline],
        },
        "summary": {
            "mutants": len(report.results),
            "caught": len(report.by_status(CAUGHT)),
            "caught_by_another_rule": len(report.by_status(OTHER)),
            "missed": len(report.by_status(MISSED)),
            "already_broken": len(report.by_status(ALREADY)),
            "expected_rule_silent": len(report.partial),
            "noise": len(report.noise),
            "operators": len(report.operators),
            "operators_not_applicable": sum(1 for n in report.applied.values() if n == 0),
            "profiles": report.profiles,
            "seconds": round(report.seconds, 3),
        },
        "operators": _operator_rows(report),
        "rules": [
            {"rule": rule, "expected": want, "caught": got, "missed": want - got}
            for rule, (want, got) in sorted(scores.items())
        ],
        "mutants": [_mutant_json(r, report.targets) for r in report.results],
        "skipped": [{"rule": r, "why": why} for r, why in sorted(report.skipped.items())],
        "errors": report.errors,
        "checked": {
            "objects": report.objects,
            "dockerfiles": report.dockerfiles,
            "rules": len(report.rules),
        },
    }


def render_json(report: Report, out: IO[str]) -> None:
    json.dump(to_json(report), out, indent=2)
    out.write("\n")


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.0f}%" if total else "-"


def render_text(report: Report, out: IO[str]) -> None:
    w = out.write
    profiles = ", ".join(p or "(no profile)" for p in report.profiles)
    if report.baseline_errors:
        w(f"baseline NOT clean: {len(report.baseline_errors)} error finding(s) before mutating\n")
        for f in report.baseline_errors:
            w(f"  {f.rule}: {f.message}\n")
    else:
        w(
            f"baseline clean ({profiles}; {report.objects} object(s), "
            f"{report.dockerfiles} Dockerfile(s), {len(report.rules)} rule(s))\n"
        )
    w("\noperator                          mutants  caught  other  missed  noise  rules\n")
    for row in _operator_rows(report):
        if row["mutants"] == 0:
            w(f"{row['operator']:<33} {'not applicable':>30}         {', '.join(row['rules'])}\n")
            continue
        w(
            f"{row['operator']:<33} {row['mutants']:>7} {row['caught']:>7} "
            f"{row['caught_by_another_rule']:>6} {row['missed']:>7} {row['noise']:>6}  "
            f"{', '.join(row['rules'])}\n"
        )
    w("\nrule                              expected  caught  score\n")
    idle = []
    for rule, (want, got) in sorted(report.rule_scores().items()):
        if not want:
            idle.append(rule)
            continue
        w(f"{rule:<33} {want:>9} {got:>7}  {_pct(got, want)}\n")
    if idle:
        w(f"no mutant here for: {', '.join(idle)}\n")
    for r in report.by_status(MISSED):
        why = ""
        idle_rules = [x for x in report.expected_rules(r.operator) if x not in r.expected]
        if idle_rules:
            why = f" ({', '.join(idle_rules)} not in force here: {report.why_idle(idle_rules)})"
        w(f"MISSED  {r.name} at {r.site}{_prof(r)}: no rule noticed{why}\n")
    for r in report.by_status(ALREADY):
        w(f"BROKEN  {r.name} at {r.site}{_prof(r)}: {', '.join(r.expected)} already fails there\n")
    for r in report.by_status(OTHER):
        w(f"OTHER   {r.name} at {r.site}{_prof(r)}: caught only by {', '.join(r.other)}\n")
    for r in report.partial:
        silent = sorted(set(r.expected) - set(r.fired))
        w(f"SILENT  {r.name} at {r.site}{_prof(r)}: {', '.join(silent)} did not fire\n")
    for r, f in report.noise:
        w(f"NOISE   {r.name} at {r.site}{_prof(r)}: {f.rule}: {f.message}\n")
    for e in report.errors:
        w(f"ERROR   {e}\n")
    total = len(report.results)
    caught = len(report.by_status(CAUGHT))
    other = len(report.by_status(OTHER))
    missed = len(report.by_status(MISSED))
    na = sum(1 for n in report.applied.values() if n == 0)
    w(
        f"\n{total} mutant(s) from {len(report.operators) - na} operator(s) "
        f"({na} not applicable): {caught} caught ({_pct(caught, total)}), "
        f"{other} caught by another rule, {missed} missed, "
        f"{len(report.by_status(ALREADY))} already broken; {len(report.noise)} unrelated "
        f"finding(s); {report.seconds:.2f} s\n"
    )


def _prof(r: MutantResult) -> str:
    return f" (profile {r.profile})" if r.profile else ""


def write(report: Report, fmt: str, out: IO[str]) -> None:
    (render_json if fmt == "json" else render_text)(report, out)
