"""SARIF 2.1.0 for GitHub code scanning: one result per finding, waived ones suppressed."""

from __future__ import annotations

import json
import os
from typing import Any

from .. import __version__
from ..model import Result
from .jsonfmt import sort_findings

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _uri(path: str | None) -> str:
    if not path:
        return "."
    rel = os.path.relpath(path) if os.path.isabs(path) else path
    return rel.replace(os.sep, "/")


def as_dict(result: Result) -> dict[str, Any]:
    rules_meta: dict[str, dict[str, Any]] = {}
    by_id = {r.id: r for r in result.rules}
    for f in result.findings:
        if f.rule in rules_meta:
            continue
        rule = by_id.get(f.rule) or by_id.get(f.rule.split("/", 1)[0])
        desc = rule.description if rule else f.rule
        rules_meta[f.rule] = {
            "id": f.rule,
            **({"deprecatedIds": list(rule.aliases)} if rule and rule.aliases else {}),
            "name": f.rule.replace("/", "-"),
            "shortDescription": {"text": desc.splitlines()[0][:200]},
            "fullDescription": {"text": desc},
            "help": {"text": f.remediation or desc},
            "defaultConfiguration": {"level": LEVEL[rule.severity if rule else f.severity]},
        }
    index = {rid: i for i, rid in enumerate(rules_meta)}
    results = []
    for f in sort_findings(result.findings):
        res: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": LEVEL[f.severity],
            "message": {"text": f.shown_message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.file)},
                        "region": {"startLine": max(int(f.line or 1), 1)},
                    },
                    "logicalLocations": [
                        {
                            "name": f.name,
                            "fullyQualifiedName": f"{f.kind}/{f.name}",
                            "kind": "resource",
                        }
                    ],
                }
            ],
        }
        if f.waived:
            res["suppressions"] = [
                {"kind": "external", "justification": f.waiver_reason or "waived"}
            ]
        results.append(res)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kubeproof",
                        "version": __version__,
                        "informationUri": "https://github.com/kubeproof/kubeproof",
                        "rules": list(rules_meta.values()),
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def render(result: Result) -> str:
    return json.dumps(as_dict(result), indent=2) + "\n"
