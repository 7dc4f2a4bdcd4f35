"""Small charts written on the fly: another team's todo-chatbot, with their names and habits."""

from __future__ import annotations

import json
from pathlib import Path

CHART_YAML = "apiVersion: v2\nname: {name}\nversion: 0.1.0\nappVersion: '1.0'\n"


def write_chart(root: Path, templates: dict[str, str], values: str = "", name: str = "team-app"):
    """A chart under ``root/<name>`` with the given templates (path -> text); returns its dir."""
    chart = root / name
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text(CHART_YAML.format(name=name))
    (chart / "values.yaml").write_text(values)
    for rel, text in templates.items():
        path = chart / "templates" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return chart


def run_json(capsys, *args: str) -> tuple[int, dict, str]:
    """(exit code, the JSON report, stderr) of ``kubeproof check ... --format json``."""
    from kubeproof.cli import main

    code = main(["check", *args, "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, err


def rules_of(report: dict) -> list[str]:
    return [f["rule"] for f in report.get("findings", [])]
