"""Rules as data: one YAML file per rule under ``policies/``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import PolicyError
from .model import SEVERITIES

SUBJECTS = ("object", "container", "podSpec")
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_KEYS = {"id", "aliases", "severity", "description", "scope", "check", "remediation", "message"}
_SCOPE_KEYS = {"kinds", "names", "profiles", "components", "hooks", "subject", "init", "needs"}
_CHECK_KEYS = {"schema", "name", "params", "message"}


@dataclass
class Rule:
    id: str
    severity: str
    description: str
    remediation: str
    file: str
    aliases: tuple[str, ...] = ()  # ids the rule had before: waivers and ``pytest -k`` accept them
    kinds: list[str] = field(default_factory=list)  # empty: every Kubernetes object
    names: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    components: list[str] | str | None = None  # None: generic; "any"/list: app-specific
    hooks: str = "include"  # include | exclude | only
    # expectations the rule reads from kubeproof.yaml (component paths such as healthPath,
    # or "conventions": this project's own, off when discovered or `conventions: false`);
    # without any of them the rule is skipped, with the reason in the report
    needs: list[str] = field(default_factory=list)
    subject: str = "object"
    init: bool = False
    schema: dict[str, Any] | None = None
    check: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    _validator: Any = None
    _compiled: Any = None
    typed_params: Any = None  # params as the check's parameter class (checks/params.py)

    @property
    def app_specific(self) -> bool:
        return self.components is not None

    def params_for(self, profile: str | None) -> Any:
        """The check's typed parameters (the same in every profile: what differs between
        profiles is an expectation, kubeproof.yaml ``expectations.profiles``)."""
        return self.typed_params

    def validator(self) -> Any:
        """jsonschema's validator of the rule's schema: its errors name the path and cause."""
        if self._validator is None:
            from jsonschema import Draft202012Validator

            self._validator = Draft202012Validator(self.schema)
        return self._validator

    def compiled(self) -> Any:
        """The rule's schema compiled by jsonschema-rs (the fast verdict), or None."""
        if self._compiled is None:
            self._compiled = compile_schema(self.schema) or False
        return self._compiled or None


def compile_schema(schema: Any, **options: Any) -> Any:
    """``schema`` compiled once by jsonschema-rs, or None when it is not installed or
    refuses the schema (jsonschema then does all the work, and says what is wrong).
    Formats stay annotations, as in jsonschema without a format checker."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        return jsonschema_rs.validator_for(schema, validate_formats=False, **options)
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError):
        return None


def _list(value: Any, what: str, file: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise PolicyError(f"{file}: {what} must be a string or a list of strings")


def parse_rule(data: dict[str, Any], file: str, lines: Any = None) -> Rule:
    unknown = set(data) - _KEYS
    if unknown:
        raise PolicyError(f"{file}: unknown keys {sorted(unknown)}")
    rid = data.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise PolicyError(f"{file}: id must be a kebab-case word, got {rid!r}")
    if Path(file).stem != rid:
        raise PolicyError(f"{file}: the file name must be the rule id ({rid}.yaml)")
    aliases = _list(data.get("aliases"), "aliases", file)
    bad = [a for a in aliases if not _ID.match(a) or a == rid]
    if bad:
        raise PolicyError(f"{file}: aliases must be former kebab-case ids of this rule, got {bad}")
    sev = data.get("severity")
    if sev not in SEVERITIES:
        raise PolicyError(f"{file}: severity must be one of {', '.join(SEVERITIES)}")
    for key in ("description", "remediation"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise PolicyError(f"{file}: {key} is required")
    scope = data.get("scope") or {}
    if set(scope) - _SCOPE_KEYS:
        raise PolicyError(f"{file}: unknown scope keys {sorted(set(scope) - _SCOPE_KEYS)}")
    check = data.get("check")
    if not isinstance(check, dict) or set(check) - _CHECK_KEYS:
        raise PolicyError(f"{file}: check must be a mapping with keys from {sorted(_CHECK_KEYS)}")
    if ("schema" in check) == ("name" in check):
        raise PolicyError(f"{file}: check needs exactly one of 'schema' or 'name'")
    comps = scope.get("components")
    if comps is not None and comps != "any":
        comps = _list(comps, "scope.components", file)
    subject = scope.get("subject", "object")
    if subject not in SUBJECTS:
        raise PolicyError(f"{file}: scope.subject must be one of {', '.join(SUBJECTS)}")
    hooks = scope.get("hooks", "include")
    if hooks not in ("include", "exclude", "only"):
        raise PolicyError(f"{file}: scope.hooks must be include, exclude or only")
    rule = Rule(
        id=rid,
        severity=sev,
        description=data["description"].strip(),
        remediation=data["remediation"].strip(),
        file=file,
        aliases=tuple(aliases),
        kinds=_list(scope.get("kinds"), "scope.kinds", file),
        names=_list(scope.get("names"), "scope.names", file),
        profiles=_list(scope.get("profiles"), "scope.profiles", file),
        components=comps,
        hooks=hooks,
        needs=_list(scope.get("needs"), "scope.needs", file),
        subject=subject,
        init=bool(scope.get("init", False)),
        schema=check.get("schema"),
        check=check.get("name"),
        params=check.get("params") or {},
        message=check.get("message") or data.get("message"),
    )
    if rule.schema is not None and rule.compiled() is None:  # ask jsonschema what is wrong
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(rule.schema)
        except SchemaError as err:
            raise PolicyError(
                f"{file}: check.schema is not a valid JSON Schema: {err.message}"
            ) from err
    if rule.check is not None:
        _type_params(rule, file, lines)
    elif rule.params:
        raise PolicyError(f"{file}: check.params belong to a named check")
    return rule


def _type_params(rule: Rule, file: str, lines: Any) -> None:
    """The rule's parameters as its check's parameter class, per profile; errors name file:line."""
    from .checks import params, params_type, registry

    if rule.check not in registry():
        raise PolicyError(f"{file}: unknown check {rule.check!r}")
    cls = params_type(rule.check)

    def where(*path: Any) -> str:
        line = lines(("check", *path)) if lines else None
        return f"{file}:{line}: check {rule.check}" if line else f"{file}: check {rule.check}"

    rule.typed_params = params.build(cls, rule.params, where("params"))


#: rule files parsed once per file (device, inode, mtime, size): a pytest session runs
#: check many times on the same policies/, also through copies made of symlinks to it
_PARSED: dict[tuple[int, int, int, int], Rule] = {}


def load_rules(policies_dir: str) -> list[Rule]:
    from .load.files import read_input
    from .load.yamlsrc import load_yaml_mapping, plain

    root = Path(policies_dir)
    if not root.is_dir():
        raise PolicyError(f"policies directory not found: {policies_dir}")
    rules = []
    for path in sorted(root.glob("*.yaml")):
        if path.name == "waivers.yaml":
            continue
        stat = path.stat()
        key = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)
        rule = _PARSED.get(key)
        if rule is None:
            data, lines = load_yaml_mapping(read_input(path, "rule file"), str(path))
            rule = _PARSED[key] = parse_rule(plain(data), str(path), lines)
        elif rule.file != str(path):  # the same file under another name (a symlink)
            rule = replace(rule, file=str(path))
        rules.append(rule)
    if not rules:
        raise PolicyError(f"no rules in {policies_dir}")
    ids = [name for r in rules for name in (r.id, *r.aliases)]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise PolicyError(f"{policies_dir}: rule ids or aliases used twice: {', '.join(dup)}")
    return rules


def default_policies_dir() -> str:
    """The built-in rules: ``policies/`` of a source checkout, else the wheel's copy.

    The repository holds them once, in ``policies/``; the wheel carries them as
    ``kubeproof/data/policies`` (see ``[tool.hatch.build.targets.wheel]``). A
    ``policies/`` folder in the working directory is not read unless passed as
    ``--policies``: it may hold another tool's rules.
    """
    package = Path(__file__).resolve().parent
    if package.parent.name == "src":  # a source checkout (or an editable install of one)
        checkout = package.parent.parent / "policies"
        if checkout.is_dir():
            return str(checkout)
    return str(package / "data" / "policies")
