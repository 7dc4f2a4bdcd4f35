"""The terminal report (rich): findings grouped by object, coloured by severity, with counts."""

from __future__ import annotations

from typing import IO

from ..model import Result
from .jsonfmt import sort_findings

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render_text(result: Result, out: IO[str], *, color: bool | None = None) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(
        file=out, force_terminal=color, no_color=color is False, highlight=False, soft_wrap=True
    )
    release = result.context.get("release")
    if release:
        how = " (the chart's name: --release to change)" if release.get("default") else ""
        console.print(
            f"[dim]release {escape(release['name'])}{escape(how)}, "
            f"namespace {escape(release['namespace'])}[/]"
        )
    discovery = result.context.get("discovery")
    if discovery:
        console.print(f"[dim]components ({escape(str(discovery['source']))}):[/]")
        by_comp: dict[str, list[str]] = {}
        for m in discovery.get("matched", []):
            by_comp.setdefault(m["component"], []).append(f"{m['object']} ({m['how']})")
        for comp, items in by_comp.items():
            console.print(f"[dim]  {escape(comp)}: {escape('; '.join(items))}[/]")
    skipped = result.context.get("skipped") or []
    if skipped and discovery:
        console.print(f"[dim]skipped {len(skipped)} rule(s):[/]")
        for s in skipped:
            console.print(f"[dim]  {escape(s['rule'])}: {escape(s['why'])}[/]")
    groups: dict[str, list] = {}
    for f in sort_findings(result.findings):
        groups.setdefault(
            f"{f.kind}/{f.name}" + (f" ({f.namespace})" if f.namespace else ""), []
        ).append(f)
    for ref, items in groups.items():
        console.print(f"[bold]{escape(ref)}[/]")
        for f in items:
            sev = "waived" if f.waived else f.severity
            style = "dim" if f.waived else STYLE[f.severity]
            loc = f"{f.file}:{f.line}" if f.file else ""
            message = escape(f.shown_message)
            console.print(f"  [{style}]{sev:<7}[/] [bold]{escape(f.rule)}[/] {message}")
            console.print(f"          [dim]{escape(loc)}[/]")
            if f.waived:
                console.print(f"          [dim]waived: {escape(f.waiver_reason or '')}[/]")
            elif f.remediation:
                console.print(f"          [dim]fix: {escape(f.remediation.splitlines()[0])}[/]")
    counts = {s: sum(1 for f in result.findings if f.severity == s and not f.waived) for s in STYLE}
    waived = sum(1 for f in result.findings if f.waived)
    summary = (
        f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info, "
        f"{waived} waived; checked {result.objects} object(s), {result.dockerfiles} "
        f"Dockerfile(s) against {len(result.applied)} rule(s)"
    )
    style = "bold red" if counts["error"] else "bold green"
    console.print(f"[{style}]{escape(summary)}[/]")
