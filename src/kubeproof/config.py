"""The app's expectations (``kubeproof.yaml``): components, ports, health paths, users, keys.

The engine knows nothing of any particular chart; app-specific rules read what
they expect from here, and do not apply when no such file is loaded. The file's
format is ``kubeproof.schema.json`` beside this module (docs/kubeproof-yaml.md),
checked when it loads: an error names the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .expectations import Expectations
from .model import LONG_RUNNING_KINDS

DEFAULT_FILE = "kubeproof.yaml"
SCHEMA = Path(__file__).with_name("kubeproof.schema.json")


@dataclass
class AppConfig:
    file: str
    root: Path
    data: dict[str, Any]
    components: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def chart(self) -> str | None:
        chart = self.data.get("chart")
        return str(self.root / chart) if chart else None

    @property
    def profiles(self) -> dict[str, str]:
        return {k: str(self.root / v) for k, v in (self.data.get("profiles") or {}).items()}

    @cached_property
    def expectations(self) -> Expectations:
        """The built-in expectations with this file's ``expectations:`` over them."""
        return Expectations(self.data.get("expectations"))

    @property
    def test_pod(self) -> dict[str, Any]:
        return self.data.get("testPod") or {}

    def dockerfiles(self) -> dict[str, str]:
        out = {}
        for name, comp in self.components.items():
            df = (comp.get("image") or {}).get("dockerfile")
            if df:
                out[name] = str(self.root / df)
        return out

    def component_of(self, kind: str, name: str) -> str | None:
        """The component an object belongs to, by the names this file declares."""
        for cname, comp in self.components.items():
            if kind in LONG_RUNNING_KINDS and comp.get("deployment") == name:
                return cname
            if kind == "Service" and comp.get("service") == name:
                return cname
            if kind == "ConfigMap" and (comp.get("configMap") or {}).get("name") == name:
                return cname
            if kind == "Secret" and (comp.get("secret") or {}).get("name") == name:
                return cname
        return None

    def component_of_dockerfile(self, path: str) -> str | None:
        target = Path(path).resolve()
        for cname, df in self.dockerfiles().items():
            if Path(df).resolve() == target:
                return cname
        stem = Path(path).name.lower()
        for cname in self.components:
            if stem.startswith(cname.lower() + ".") or stem.endswith("." + cname.lower()):
                return cname
        return None

    def uses_chart(self, chart_dir: str | None) -> bool:
        if chart_dir is None or self.chart is None:
            return True
        return Path(chart_dir).resolve() == Path(self.chart).resolve()


def load_config(path: str) -> AppConfig:
    from .load.files import read_input
    from .load.yamlsrc import load_yaml_mapping, plain

    text = read_input(path, "config")
    data, lines = load_yaml_mapping(text, path)
    data = plain(data)
    validate(data, path, lines)
    comps = data.get("components") or {}
    return AppConfig(file=path, root=Path(path).resolve().parent, data=data, components=comps)


@cache
def _validator() -> Any:
    import json

    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(SCHEMA.read_text()))


@cache
def _compiled() -> Any:
    import json

    from .policy import compile_schema

    return compile_schema(json.loads(SCHEMA.read_text()))


def validate(data: dict[str, Any], path: str, lines: Any = None) -> None:
    """ConfigError naming ``path``:line and the field, when ``data`` breaks the schema."""
    fast = _compiled()
    if fast is not None and fast.is_valid(data):
        return  # jsonschema (0.2 s to import) only to say what is wrong
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.path)))
    if not errors:
        return
    err = min(errors, key=lambda e: len(e.path))
    where = tuple(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        known = err.schema.get("properties") or {}
        where += tuple(k for k in err.instance if k not in known)[:1]  # the unknown key's line
    line = lines(where) if lines else None
    field = ".".join(map(str, where)) or "(top level)"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    at = f"{path}:{line}" if line else path
    raise ConfigError(f"{at}: {field}: {_describe(err)}{more}")


def _describe(err: Any) -> str:
    if err.validator == "additionalProperties":
        known = sorted(err.schema.get("properties") or {})
        unknown = sorted(set(err.instance) - set(known))
        return f"unknown key {', '.join(map(repr, unknown))} (known: {', '.join(known)})"
    return err.message


def find_config(explicit: str | None, cwd: str = ".") -> AppConfig | None:
    if explicit:
        return load_config(explicit)
    candidate = Path(cwd, DEFAULT_FILE)
    if candidate.is_file():
        return load_config(str(candidate))
    return None
