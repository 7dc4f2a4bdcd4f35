"""Where a repeated mapping key sits: the path of its mapping inside an object.

The loader (yamlsrc) collects ``(mapping node, key, 0-based line)`` for each repeat;
this walks the document's node tree once to name the mapping's path, so a finding
can point at ``metadata.labels`` of the right object in the right template.
"""

from __future__ import annotations

from typing import Any


def _paths(node: Any, path: tuple[Any, ...], out: dict[int, tuple[Any, ...]]) -> None:
    out[id(node)] = path
    if node.id == "mapping":
        for k, v in node.value:
            _paths(v, (*path, getattr(k, "value", str(k))), out)
    elif node.id == "sequence":
        for i, v in enumerate(node.value):
            _paths(v, (*path, i), out)


def place_duplicates(
    root: Any, prefix: tuple[Any, ...], found: list[tuple[Any, Any, int]], offset: int
) -> list[tuple[tuple[Any, ...], str, int]]:
    """(path within the object, key, 1-based stream line) for each repeat under ``prefix``
    (a ``kind: List`` item's path, or ``()``)."""
    paths: dict[int, tuple[Any, ...]] = {}
    _paths(root, (), paths)
    out = []
    for node, key, line in found:
        path = paths.get(id(node))
        if path is None or path[: len(prefix)] != prefix:
            continue
        shown = str(key).lower() if isinstance(key, bool) else str(key)
        out.append((path[len(prefix) :], shown, line + offset + 1))
    return out


def duplicate_line(obj: Any, path: tuple[Any, ...], key: str, stream_line: int) -> int:
    """The line to show for a repeat: in the rendered stream when the object has no
    template, else the template line that writes the repeat (the key's second literal
    occurrence in the mapping's block, or the block's last ``include``)."""
    import re
    from pathlib import Path

    source = getattr(obj, "template", None)
    if source is None or Path(obj.file).name not in (Path(source).name, "_helpers.tpl"):
        return stream_line  # raw manifests: the stream's own line is exact
    try:
        lines = Path(obj.file).read_text().splitlines()
    except OSError:
        return obj.line_of(path)
    start = obj.line_of(path) - 1
    if not 0 <= start < len(lines):
        return obj.line_of(path)
    indent = len(lines[start]) - len(lines[start].lstrip())
    literal = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*:")
    hits, includes = [], []
    for j in range(start + 1, len(lines)):
        text = lines[j]
        if text.strip() and len(text) - len(text.lstrip()) <= indent and "{{" not in text:
            break
        if literal.match(text):
            hits.append(j)
        if "include" in text or "template" in text:
            includes.append(j)
    if len(hits) > 1:
        return hits[1] + 1
    if includes:
        return includes[-1] + 1
    return start + 1
