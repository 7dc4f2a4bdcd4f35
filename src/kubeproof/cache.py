"""kubeproof's cache in the user's cache directory ($XDG_CACHE_HOME/kubeproof, else
~/.cache/kubeproof): products that are slow to make and fully determined by files, each
entry named or stamped by what it was made from, so a stale entry is never read.

Only the CLI turns it on (``DIR``, from $XDG_CACHE_HOME); the library API and the
plugins make every product again unless their caller sets ``DIR``. An entry that cannot
be read is made again, and one that cannot be written is not cached: the cache changes
how fast a run is, never what it reports.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

#: the cache's directory; None: no cache (the library's default)
DIR: str | None = None


def stamp(*paths: Path | str) -> list[int]:
    """Size and mtime of each file: what names a version of files an entry was made
    from, when hashing them would cost what the entry saves. OSError if one is missing."""
    out: list[int] = []
    for p in paths:
        st = os.stat(p)
        out += [st.st_size, st.st_mtime_ns]
    return out


def entry(*parts: str) -> Path | None:
    """The path of an entry under ``DIR``; None when there is no cache."""
    return Path(DIR, *parts) if DIR else None


def read(path: Path | None) -> bytes | None:
    """An entry's bytes, when it is whole (its digest matches), and marked as used now
    (what ``write``'s pruning keeps); None otherwise."""
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    digest, _, body = data.partition(b"\n")
    if hashlib.sha256(body).hexdigest().encode() != digest:
        return None  # written by something else, truncated or corrupt: made again
    with contextlib.suppress(OSError):
        os.utime(path)
    return body


def write(path: Path | None, data: bytes, keep: int | None = None) -> None:
    """Write an entry atomically (a reader sees the old entry or the new one, never a
    part), after the digest ``read`` checks; silently not when it cannot be written.
    ``keep``: at most that many entries stay in the entry's directory, the most
    recently used (written or read) ones."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(hashlib.sha256(data).hexdigest().encode() + b"\n" + data)
        os.replace(tmp, path)
    except OSError:
        return
    if keep is not None:
        _prune(path.parent, keep)


def _prune(directory: Path, keep: int) -> None:
    try:
        entries = [
            (p.stat().st_mtime_ns, p)
            for p in directory.iterdir()
            if not p.name.startswith(".") and p.is_file()  # not another writer's tmp
        ]
    except OSError:
        return
    entries.sort(reverse=True)
    for _, p in entries[keep:]:
        with contextlib.suppress(OSError):
            p.unlink()
