"""The app's expectations (``kubeproof.yaml``): components, ports, health paths, users, keys.

The engine knows nothing of any particular chart; app-specific rules read what
they expect from here, and do not apply when no such file is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .model import LONG_RUNNING_KINDS

DEFAULT_FILE = "kubeproof.yaml"


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
    data, _ = load_yaml_mapping(text, path)
    data = plain(data)
    comps = data.get("components") or {}
    if not isinstance(comps, dict):
        raise ConfigError(f"{path}: 'components' must be a mapping of name to expectations")
    for name, comp in comps.items():
        if not isinstance(comp, dict):
            raise ConfigError(f"{path}: component {name!r} must be a mapping")
        port = comp.get("port")
        if port is not None and not isinstance(port, int):
            raise ConfigError(f"{path}: component {name!r}: port must be an integer")
    return AppConfig(file=path, root=Path(path).resolve().parent, data=data, components=comps)


def find_config(explicit: str | None, cwd: str = ".") -> AppConfig | None:
    if explicit:
        return load_config(explicit)
    candidate = Path(cwd, DEFAULT_FILE)
    if candidate.is_file():
        return load_config(str(candidate))
    return None
