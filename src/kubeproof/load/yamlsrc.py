"""YAML with provenance: plain data at libyaml's speed, each key's line when asked.

Loading: libyaml's C parser and composer (PyYAML's ``CSafeLoader``) build the node
tree; a lean constructor turns it straight into plain dicts, lists, strings and
numbers (what the rules evaluate and JSON can hold), and a scalar's implicit tag is
resolved once per distinct value. Anything unusual (merge keys ``<<``, explicit or
non-string tags, timestamps, complex keys) goes through PyYAML's own SafeConstructor,
so the result is what ``plain(yaml.load(...))`` gives, only faster.

Locating: no node tree is kept. An object remembers its document's text, and the
first call of ``obj.lines(path)`` composes that one document again and walks the
path (the same composer, so the same lines): only objects with findings pay for it.

Duplicate keys: a mapping whose dict ends up with fewer keys than its node has
pairs (or whose non-string keys may collide) is checked by ``_duplicate_keys``,
which names each repeated key with the lines of its first and repeated occurrence.
``_check_duplicates`` raises on the first, or collects them all when the caller
passes a list (``load_plain(text, duplicates=[])``: manifests warn, see dupkeys.py).
Every mapping, fast path or PyYAML's, goes through it; a mapping without repeats
costs one ``len`` comparison.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from ..errors import InputError
from ..model import K8sObject

_DOC_START = re.compile(r"^---(\s|$)")
_SOURCE = re.compile(r"^#\s*Source:\s*(\S+)")
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_CONTENT = re.compile(r"^[ \t]*[^\s#]", re.M)  # a line that is not blank or a comment
_TAG_CACHE_MAX = 200_000


@cache
def _loader_class() -> Any:
    """libyaml's C composer with a memoised resolver and a constructor to plain data."""
    import yaml
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode
    from yaml.resolver import BaseResolver

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    tags: dict[str, str] = {}  # plain scalar -> implicit tag (SafeLoader's resolvers are fixed)

    class Loader(base):  # type: ignore[misc, valid-type]
        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            if kind is ScalarNode:
                if not implicit[0]:
                    return _STR
                tag = tags.get(value)
                if tag is None:
                    if len(tags) > _TAG_CACHE_MAX:
                        tags.clear()
                    tag = tags[value] = BaseResolver.resolve(self, kind, value, implicit)
                return tag
            return _MAP if kind is MappingNode else _SEQ

        native: ClassVar[dict[str, Any]] = {  # tags whose value is already plain
            "tag:yaml.org,2002:int": base.construct_yaml_int,
            "tag:yaml.org,2002:bool": base.construct_yaml_bool,
            "tag:yaml.org,2002:null": base.construct_yaml_null,
        }

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            pass  # no path resolvers: nothing to track

        def ascend_resolver(self) -> None:
            pass

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            _check_duplicates(self, node)
            return super().construct_mapping(node, deep=deep)

        def plain(self, node: Any) -> Any:
            """The node as plain data: ``plain(self.construct_document(node))``, faster."""
            cls = type(node)
            if cls is ScalarNode:
                tag = node.tag
                if tag == _STR:
                    return node.value
                native = self.native.get(tag)
                if native is not None:
                    return native(self, node)
            elif cls is MappingNode and node.tag == _MAP:
                out = {}
                other_keys = False  # 1 and true are one key to PyYAML, two once str()
                for k, v in node.value:
                    if type(k) is ScalarNode and k.tag == _STR:
                        out[k.value] = self.plain(v)
                    elif k.tag == _MERGE or type(k) is not ScalarNode:
                        return self._slow(node)
                    else:
                        out[str(self.construct_object(k))] = self.plain(v)
                        other_keys = True
                if other_keys or len(out) != len(node.value):
                    _check_duplicates(self, node)
                return out
            elif cls is SequenceNode and node.tag == _SEQ:
                return [self.plain(v) for v in node.value]
            return self._slow(node)

        def _slow(self, node: Any) -> Any:
            data = self.construct_object(node, deep=True)
            self.constructed_objects, self.recursive_objects = {}, {}
            return plain(data)

    return Loader


def _duplicate_keys(loader: Any, node: Any) -> list[tuple[Any, int, Any]]:
    """(key, 0-based line of its first occurrence, repeated key node) for each key a
    mapping node repeats (merge keys aside)."""
    seen: dict[Any, int] = {}
    found = []
    for key_node, _ in node.value:
        if key_node.tag == _MERGE:
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            first = seen.get(key)
        except TypeError:  # an unhashable (complex) key: PyYAML reports it
            continue
        if first is not None:
            found.append((key, first, key_node))
        else:
            seen[key] = key_node.start_mark.line
    return found


def _check_duplicates(loader: Any, node: Any) -> None:
    """Duplicate keys are errors (the object would silently keep only the last value),
    unless the loader collects them (``loader.duplicates``, a list): manifests go on
    with the last value, as helm and kubectl do, and the caller reports a warning."""
    import yaml

    for key, first, key_node in _duplicate_keys(loader, node):
        sink = getattr(loader, "duplicates", None)
        if sink is not None:
            sink.append((node, key, key_node.start_mark.line))
            continue
        raise yaml.constructor.ConstructorError(
            "while constructing a mapping",
            node.start_mark,
            f"found duplicate key {key!r} (first at line {first + 1})",
            key_node.start_mark,
        )


def load_plain(text: str, duplicates: list | None = None) -> tuple[Any, Any]:
    """(plain data, root node) of one YAML document; raises yaml.YAMLError.

    Keep the node only as long as its marks are needed: the data holds no
    reference to it. ``duplicates``: collect repeated keys there instead of raising."""
    loader = _loader_class()(text)
    loader.duplicates = duplicates
    try:
        node = loader.get_single_node()
        try:
            data = loader.plain(node) if node is not None else None
        except RecursionError as err:
            import yaml

            raise yaml.YAMLError("a recursive alias or nesting too deep to load") from err
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


class LazyLines:
    """``line_finder`` of one document, composed again on the first call only."""

    __slots__ = ("_find", "offset", "text")

    def __init__(self, text: str, offset: int) -> None:
        self.text, self.offset = text, offset
        self._find: Callable[[tuple[Any, ...]], int] | None = None

    def __call__(self, path: tuple[Any, ...]) -> int:
        if self._find is None:
            loader = _loader_class()(self.text)
            try:
                root = loader.get_single_node()
            finally:
                loader.dispose()
            self._find = line_finder(root, self.offset)
        return self._find(path)


def plain(node: Any) -> Any:
    """A constructed YAML tree as plain dicts and lists (faster to evaluate, JSON-safe)."""
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


def load_yaml_mapping(
    text: str, file: str, duplicates: list | None = None
) -> tuple[dict[str, Any], Callable]:
    """One YAML mapping (Chart.yaml, kubeproof.yaml, a policy) as plain data, with its
    line finder; ``duplicates``: collect repeated keys there (the last value wins, as in
    helm's values files) instead of raising."""
    from yaml import YAMLError

    try:
        data, _ = load_plain(text, duplicates)
    except YAMLError as err:
        raise InputError(f"{file}: {_yaml_error(err)}") from err
    if not isinstance(data, dict):
        raise InputError(f"{file}: expected a mapping at the top level")
    return data, LazyLines(text, 0)


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
    """Every object in a YAML stream; non-mapping documents are errors, a repeated key
    keeps its last value and is recorded on the object (``duplicate_keys``)."""
    from yaml import YAMLError

    objects: list[K8sObject] = []
    nth: dict[tuple[str | None, Any], int] = {}  # (template, kind) -> objects seen so far
    for offset, source, doc in split_documents(text):
        if not _CONTENT.search(doc):
            continue
        duplicates: list = []
        try:
            data, root = load_plain(doc, duplicates)
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
        first_line = line_finder(root, offset)  # only where each object starts
        lazy = LazyLines(doc, offset)
        for node, prefix in items:
            if not isinstance(node, dict):
                raise InputError(f"{file}:{offset + 1}: list item is not a mapping")
            obj = K8sObject(
                data=node,
                file=file,
                line=first_line(prefix),
                template=source,
                profile=profile,
            )
            obj.lines = _prefixed(lazy, prefix)
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
                    n = nth.get((source, obj.data.get("kind")), 0)
                    nth[(source, obj.data.get("kind"))] = n + 1
                    obj.lines = _template_lines(ttext, obj.data, start, 0 if start else n)
                    obj.line = obj.lines(())
            if duplicates:
                from .dupkeys import place_duplicates

                obj.duplicate_keys = place_duplicates(root, prefix, duplicates, offset)
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
    text: str, data: dict[str, Any], start: int = 0, nth: int = 0
) -> Callable[[tuple[Any, ...]], int]:
    """Map a path in a rendered object to the template line that most likely wrote it.

    Templates are not YAML, so walk the path's keys in order through the template
    text, each one searched after the previous match; keys a template writes
    through ``toYaml`` are skipped. The object's ``kind:`` line anchors the start,
    so a template holding several documents maps each to its own block: the
    ``nth`` object of its kind from this template to the ``nth`` such line.
    """
    lines = text.splitlines()
    kind = data.get("kind")
    anchor = start
    if kind:
        pat = re.compile(rf"^\s*kind:\s*[\"']?{re.escape(str(kind))}[\"']?\s*$")
        seen = 0
        for j, ln in enumerate(lines[start:], start):
            if pat.match(ln):
                anchor = j
                if seen == nth:
                    break
                seen += 1

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
