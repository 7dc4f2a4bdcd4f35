"""YAML with provenance: each key's line from the composed node tree.

libyaml's C composer (PyYAML) keeps node marks at a fraction of ruamel.yaml's
round-trip cost (measured: ~40x on a rendered chart), so it is the loader here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..model import K8sObject

_DOC_START = re.compile(r"^---(\s|$)")
_SOURCE = re.compile(r"^#\s*Source:\s*(\S+)")


@cache
def _loader_class() -> Any:
    """libyaml's C composer (fast, keeps node marks) with duplicate keys as errors."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in seen and key_node.tag != "tag:yaml.org,2002:merge":
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key!r} (first at line {seen[key] + 1})",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark.line
            return super().construct_mapping(node, deep=deep)

    return Loader


def parse_yaml(text: str) -> tuple[Any, Any]:
    """(data, root node) of one YAML document; raises yaml.YAMLError."""
    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, node


def line_finder(root: Any, offset: int) -> Callable[[tuple[Any, ...]], int]:
    """A function giving the 1-based line of the deepest node along a path."""

    def find(path: tuple[Any, ...]) -> int:
        node = root
        line = node.start_mark.line if node is not None else 0
        for part in path:
            if node is None:
                break
            if node.id == "mapping":
                nxt = None
                for k, v in node.value:
                    if k.value == part or (not isinstance(part, str) and k.value == str(part)):
                        line, nxt = k.start_mark.line, v
                        break
                node = nxt
            elif node.id == "sequence" and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line
            else:
                break
        return line + offset + 1

    return find


def plain(node: Any) -> Any:
    """A CommentedMap/Seq tree as plain dicts and lists (faster to evaluate, JSON-safe)."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return str(node)  # timestamps and other tagged scalars: keep their text


def split_documents(text: str) -> list[tuple[int, str | None, str]]:
    """(line offset, ``# Source:`` path, text) for each YAML document in a stream."""
    docs: list[tuple[int, str | None, str]] = []
    start, source, buf = 0, None, []
    for i, raw in enumerate(text.splitlines(keepends=True)):
        if _DOC_START.match(raw):
            docs.append((start, source, "".join(buf)))
            start, source, buf = i + 1, None, []
            rest = raw[3:].strip()
            if rest and not rest.startswith("#"):
                raise InputError(f"line {i + 1}: content after '---' is not supported")
            continue
        m = _SOURCE.match(raw)
        if m and source is None:
            source = m.group(1)
        buf.append(raw)
    docs.append((start, source, "".join(buf)))
    return docs


def load_yaml_mapping(text: str, file: str) -> tuple[dict[str, Any], Callable]:
    """One YAML mapping (Chart.yaml, kubeproof.yaml, a policy) with its line finder."""
    from yaml import YAMLError

    try:
        data, node = parse_yaml(text)
    except YAMLError as err:
        raise InputError(f"{file}: {_yaml_error(err)}") from err
    if not isinstance(data, dict):
        raise InputError(f"{file}: expected a mapping at the top level")
    return data, line_finder(node, 0)


def _yaml_error(err: Exception, offset: int = 0) -> str:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    if mark is not None:
        return f"line {mark.line + 1 + offset}: {problem}"
    return str(problem)


def load_manifests(
    text: str,
    file: str,
    *,
    chart_dir: str | None = None,
    profile: str | None = None,
    template_texts: dict[str, str] | None = None,
) -> list[K8sObject]:
    """Every object in a YAML stream; duplicate keys and non-mapping documents are errors."""
    from yaml import YAMLError

    objects: list[K8sObject] = []
    for offset, source, doc in split_documents(text):
        if not doc.strip() or all(
            not ln.strip() or ln.lstrip().startswith("#") for ln in doc.splitlines()
        ):
            continue
        try:
            data, root = parse_yaml(doc)
        except YAMLError as err:
            where = _template_file(source, chart_dir) or file
            raise InputError(f"{where}: {_yaml_error(err, offset)}") from err
        if data is None:
            continue
        if not isinstance(data, dict):
            raise InputError(
                f"{file}:{offset + 1}: document is a {type(data).__name__}, not a mapping"
            )
        items = [(data, ())]
        if data.get("kind") == "List" and isinstance(data.get("items"), list):
            items = [(item, ("items", i)) for i, item in enumerate(data["items"])]
        finder = line_finder(root, offset)
        for node, prefix in items:
            if not isinstance(node, dict):
                raise InputError(f"{file}:{offset + 1}: list item is not a mapping")
            obj = K8sObject(
                data=plain(node),
                file=file,
                line=finder(prefix),
                template=source,
                profile=profile,
            )
            obj.lines = _prefixed(finder, prefix)
            tfile = _template_file(source, chart_dir)
            if tfile is not None:
                ttext = (template_texts or {}).get(tfile)
                if ttext is None:
                    try:
                        ttext = Path(tfile).read_text()
                    except OSError:
                        ttext = None
                if ttext is not None:
                    start = 0
                    shared = _shared_definition(ttext, obj.data.get("kind"), chart_dir)
                    if shared is not None:  # the template only includes a named definition
                        tfile, ttext, start = shared
                    obj.file = tfile
                    obj.lines = _template_lines(ttext, obj.data, start)
                    obj.line = obj.lines(())
            objects.append(obj)
    return objects


def _prefixed(finder: Callable, prefix: tuple[Any, ...]) -> Callable:
    if not prefix:
        return finder
    return lambda path: finder((*prefix, *path))


def _template_file(source: str | None, chart_dir: str | None) -> str | None:
    """``mychart/templates/x.yaml`` (helm's ``# Source:``) as a path under ``chart_dir``."""
    if source is None or chart_dir is None:
        return None
    parts = Path(source).parts
    if len(parts) < 2:
        return None
    return str(Path(chart_dir, *parts[1:]))


_DEFINE = re.compile(r"""\{\{-?\s*define\s+"([^"]+)"\s*-?\}\}""")
_INCLUDE = re.compile(r'\{\{-?\s*(?:include|template)\s+"([^"]+)"')


def _definitions(chart_dir: str) -> dict[str, tuple[str, str, int, str]]:
    """Named templates of a chart, read once:
    name -> (file, file text, 0-based line of its define, its body up to the next define)."""
    cached = _DEFINITIONS.get(chart_dir)
    if cached is None:
        cached = {}
        for path in sorted(Path(chart_dir, "templates").rglob("*")):
            if not path.is_file() or path.suffix not in (".tpl", ".yaml", ".yml"):
                continue
            try:
                text = path.read_text()
            except OSError:
                continue
            lines = text.splitlines()
            starts = [(j, name) for j, ln in enumerate(lines) for name in _DEFINE.findall(ln)]
            ends = [j for j, _ in starts[1:]] + [len(lines)]  # each body ends at the next define
            for (j, name), end in zip(starts, ends, strict=False):
                cached.setdefault(name, (str(path), text, j, "\n".join(lines[j:end])))
        _DEFINITIONS[chart_dir] = cached
    return cached


_DEFINITIONS: dict[str, dict[str, tuple[str, str, int, str]]] = {}


def _shared_definition(text: str, kind: Any, chart_dir: str | None) -> tuple[str, str, int] | None:
    """Where an object really comes from when its template writes no ``kind:`` line of
    its own but includes a named definition that does (one definition rendering
    several objects, as `_helpers.tpl` often holds): (file, text, define line)."""
    if chart_dir is None or not kind:
        return None
    own = re.compile(rf"^\s*kind:\s*[\"']?{re.escape(str(kind))}[\"']?\s*$", re.M)
    if own.search(text):
        return None
    definitions = _definitions(chart_dir)
    for name in _INCLUDE.findall(text):
        found = definitions.get(name)
        if found is not None and own.search(found[3]):
            return found[:3]
    return None


def _template_lines(
    text: str, data: dict[str, Any], start: int = 0
) -> Callable[[tuple[Any, ...]], int]:
    """Map a path in a rendered object to the template line that most likely wrote it.

    Templates are not YAML, so walk the path's keys in order through the template
    text, each one searched after the previous match; keys a template writes
    through ``toYaml`` are skipped. The object's ``kind:`` line anchors the start,
    so a template holding several documents maps each to its own block.
    """
    lines = text.splitlines()
    kind = data.get("kind")
    anchor = start
    if kind:
        pat = re.compile(rf"^\s*kind:\s*[\"']?{re.escape(str(kind))}[\"']?\s*$")
        for j, ln in enumerate(lines[start:], start):
            if pat.match(ln):
                anchor = j
                break

    def find(path: tuple[Any, ...]) -> int:
        pos, found = anchor, anchor
        node: Any = data
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
                continue
            else:
                break
            if not isinstance(part, str):
                continue
            pat = re.compile(rf"^\s*(- )?[\"']?{re.escape(part)}[\"']?\s*:")
            for j in range(pos, len(lines)):
                if pat.match(lines[j]):
                    found, pos = j, j + 1
                    break
        return found + 1

    return find
