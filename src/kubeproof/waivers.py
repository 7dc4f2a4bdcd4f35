"""Waivers: an annotation on the object or an entry in ``policies/waivers.yaml``.

A waiver names the rule and gives a reason; file entries also carry an expiry
date and stop applying after it. Waived findings are counted and shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from .errors import PolicyError

ANNOTATION_PREFIX = "kubeproof.io/waive."


@dataclass
class Waiver:
    rule: str
    reason: str
    expires: dt.date
    kind: str | None = None
    name: str | None = None
    file: str | None = None
    profile: str | None = None
    source: str = ""

    def matches(
        self, rule: str, kind: str, name: str, file: str | None, profile: str | None
    ) -> bool:
        if not fnmatchcase(rule, self.rule):
            return False
        if self.kind and self.kind != kind:
            return False
        if self.name and not fnmatchcase(name, self.name):
            return False
        if self.file and not (file and fnmatchcase(file, self.file)):
            return False
        return not (self.profile and self.profile != profile)


def load_waivers(path: str) -> list[Waiver]:
    """The entries of a waivers file; missing reason or expiry is an error."""
    from .load.files import read_input
    from .load.yamlsrc import load_yaml_mapping, plain

    p = Path(path)
    if not p.exists():
        return []
    data, lines = load_yaml_mapping(read_input(p, "waivers file"), path)
    entries = plain(data).get("waivers") or []
    if not isinstance(entries, list):
        raise PolicyError(f"{path}: 'waivers' must be a list")
    out = []
    for i, e in enumerate(entries):
        where = f"{path}:{lines(('waivers', i))}"
        if not isinstance(e, dict) or not isinstance(e.get("rule"), str):
            raise PolicyError(f"{where}: a waiver needs 'rule'")
        reason = e.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise PolicyError(f"{where}: waiver for {e['rule']} has no reason")
        expires = e.get("expires")
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                expires = None
        if not isinstance(expires, dt.date):
            raise PolicyError(f"{where}: waiver for {e['rule']} needs 'expires: YYYY-MM-DD'")
        unknown = set(e) - {"rule", "reason", "expires", "kind", "name", "file", "profile"}
        if unknown:
            raise PolicyError(f"{where}: unknown waiver keys {sorted(unknown)}")
        out.append(
            Waiver(
                e["rule"],
                reason.strip(),
                expires,
                e.get("kind"),
                e.get("name"),
                e.get("file"),
                e.get("profile"),
                where,
            )
        )
    return out


def annotation_waivers(annotations: dict[str, Any]) -> dict[str, str]:
    """rule -> reason from ``kubeproof.io/waive.<rule>`` annotations (reason may be empty)."""
    return {
        k[len(ANNOTATION_PREFIX) :]: str(v if v is not None else "").strip()
        for k, v in annotations.items()
        if k.startswith(ANNOTATION_PREFIX)
    }


def today() -> dt.date:
    return dt.date.today()
