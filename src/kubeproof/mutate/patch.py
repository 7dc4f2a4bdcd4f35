"""A mutant as a patch against the good artifacts: unified diffs of the rendered objects'
YAML, the Dockerfiles' text and Chart.yaml (what a shrunk counterexample prints)."""

from __future__ import annotations

import difflib
from typing import Any

import yaml

from ..model import Target


def _yaml(data: Any) -> list[str]:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(data, Dumper=dumper, sort_keys=False, default_flow_style=False)
    return text.splitlines(True)


def _diff(before: list[str], after: list[str], name: str) -> str:
    from ..model import display_path

    name = (display_path(name) or name).lstrip("/")
    return "".join(difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"))


def diff_targets(good: list[Target], bad: list[tuple[int, Target]]) -> str:
    """The unified diff from ``good`` to the mutated targets ``bad`` ((index, target) pairs)."""
    parts: list[str] = []
    seen_files: set[str] = set()
    for i, mutated in bad:
        base = good[i]
        where = f"{base.profile}/" if base.profile else ""
        before = {id(o): o for o in base.objects}
        after_refs = {o.ref for o in mutated.objects}
        for o in mutated.objects:
            if id(o) in before:
                continue  # untouched: the same object
            old = next((b for b in base.objects if b.ref == o.ref), None)
            parts.append(_diff(_yaml(old.data) if old else [], _yaml(o.data), f"{where}{o.ref}"))
        for o in base.objects:
            if o.ref not in after_refs:
                parts.append(_diff(_yaml(o.data), [], f"{where}{o.ref}"))
        for old_df, new_df in zip(base.dockerfiles, mutated.dockerfiles, strict=False):
            if old_df is not new_df and old_df.file not in seen_files:
                seen_files.add(old_df.file)
                parts.append(
                    _diff(old_df.text.splitlines(True), new_df.text.splitlines(True), old_df.file)
                )
        chart = base.chart
        if chart is not None and mutated.chart is not chart and chart.file not in seen_files:
            seen_files.add(chart.file)
            old_c = {**chart.data, "values.schema.json": chart.has_values_schema}
            new_c = {**mutated.chart.data, "values.schema.json": mutated.chart.has_values_schema}
            parts.append(_diff(_yaml(old_c), _yaml(new_c), chart.file))
    return "".join(p for p in parts if p)
