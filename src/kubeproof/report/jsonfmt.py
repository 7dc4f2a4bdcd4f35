"""The JSON contract: ``{"findings": [...], "checked": {"objects", "dockerfiles", "rules"}}``."""

from __future__ import annotations

import json
from typing import Any

from ..model import SEVERITY_RANK, Result


def as_dict(result: Result) -> dict[str, Any]:
    return {
        "findings": [f.to_json() for f in sort_findings(result.findings)],
        "checked": {
            "objects": result.objects,
            "dockerfiles": result.dockerfiles,
            "rules": len(result.applied),
        },
        **result.context,  # release, discovery (what matched what), skipped rules and why
        **({"problems": result.problems} if result.problems else {}),
    }


def sort_findings(findings: list[Any]) -> list[Any]:
    return sorted(
        findings, key=lambda f: (f.file or "", f.line or 0, -SEVERITY_RANK[f.severity], f.rule)
    )


def render(result: Result) -> str:
    return json.dumps(as_dict(result), indent=2) + "\n"
