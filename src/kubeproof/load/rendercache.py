"""In-process renders, cached by everything a render reads.

A render is a function of the chart's files, the values files' bytes, the ``--set``
expressions, the release, the namespace and the library that renders (helm-python-sdk's
files; the CLI turns the cache off when ``HELM_C_LIB`` picks another library). The key
hashes all of them, so an edited template, values file or
subchart is a new key and is rendered again; nothing is ever invalidated in place.

Not cached: a chart that calls a template function whose result changes between
renders (time, randomness, generated keys and certificates, DNS), a failed render (it is
reported again, with helm's words), and charts too large to hash quickly. Without the
library's native code nothing is cached: the render itself says why it failed.
"""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from pathlib import Path

from .. import cache

#: bump when render_inprocess's output changes for the same render
FORMAT = "1"
#: renders kept: an editor that checks on every save makes one per save
KEEP = 64
#: a chart larger than this is rendered every run (hashing it would cost what a render does)
MAX_BYTES = 32 << 20
MAX_FILES = 5000

# sprig and helm functions whose result differs from one render to the next, called in a
# template action (a values string a template passes to `tpl` is one too); comments and
# string literals in the action are not calls
_ACTION = re.compile(rb"{{(.*?)}}", re.S)
_NOT_CODE = re.compile(rb'/\*.*?\*/|"(?:[^"\\]|\\.)*"|`[^`]*`', re.S)
_UNSTABLE_CALL = re.compile(
    rb"(?<![\w.$])(?:now|ago|randAlphaNum|randAlpha|randNumeric|randAscii|randInt|randBytes|"
    rb"uuidv4|shuffle|genCA|genCAWithKey|genPrivateKey|genSelfSignedCert|"
    rb"genSelfSignedCertWithKey|genSignedCert|genSignedCertWithKey|htpasswd|bcrypt|"
    rb"encryptAES|getHostByName)\b"
)


def _library_stamp() -> str | None:
    """The renderer's identity: its files' paths, sizes and mtimes (the CLI turns the
    cache off when HELM_C_LIB points helm-python-sdk at another library)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("helm_python")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    try:
        paths = [root / "_native.py", root / "chart.py", Path(__file__).with_name("chart.py")]
        paths += sorted((root / "lib").iterdir()) if (root / "lib").is_dir() else []
        return "\n".join([*map(str, paths), repr(cache.stamp(*paths))])
    except OSError:
        return None


def _chart_files(chart_dir: str):
    """(path relative to the chart, bytes) of every file under the chart, in a stable
    order, symlinks followed as helm follows them; None when too large."""
    count = size = 0
    out = []
    seen: set[tuple[int, int]] = set()  # directories walked: a symlink loop ends here
    for top, dirs, files in os.walk(chart_dir, followlinks=True):
        try:
            st = os.stat(top)
        except OSError:
            return None
        if (st.st_dev, st.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(top, name)
            try:
                data = Path(path).read_bytes()
            except OSError:
                return None  # helm cannot read it either: render, and let it say so
            count, size = count + 1, size + len(data)
            if count > MAX_FILES or size > MAX_BYTES:
                return None
            out.append((os.path.relpath(path, chart_dir), data))
    return out


def _unstable(name: str, data: bytes) -> bool:
    if name.endswith(".tgz"):  # a packaged subchart: its templates are in the tar
        unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip
        try:
            data = unzip.decompress(data, MAX_BYTES)
        except zlib.error:
            return True
        if unzip.unconsumed_tail:  # larger than a chart hashed here: rendered every run
            return True
    return any(
        _UNSTABLE_CALL.search(_NOT_CODE.sub(b" ", m.group(1))) for m in _ACTION.finditer(data)
    )


def key(
    chart_dir: str,
    values: list[str],
    sets: list[str],
    set_strings: list[str],
    release: str,
    namespace: str,
) -> str | None:
    """The render's key; None when there is no cache or the render is not cached."""
    if cache.DIR is None:
        return None
    stamp = _library_stamp()
    files = _chart_files(chart_dir)
    if stamp is None or files is None:
        return None
    h = hashlib.sha256()
    for part in (FORMAT, stamp, release, namespace, repr(sets), repr(set_strings)):
        h.update(part.encode() + b"\0")
    for name, data in files:
        if _unstable(name, data):
            return None
        h.update(b"file\0%s\0%d\0" % (os.fsencode(name), len(data)) + data)
    for v in values:
        try:
            data = Path(v).read_bytes()
        except OSError:
            return None
        if _unstable(v, data):
            return None
        h.update(b"values\0%d\0" % len(data) + data)
    return h.hexdigest()


def get(render_key: str | None) -> str | None:
    """The cached render, or None (no cache, no entry, or an entry that is not whole)."""
    if render_key is None:
        return None
    data = cache.read(cache.entry("renders", f"{render_key}.yaml"))
    return None if data is None else data.decode("utf-8")


def put(render_key: str | None, text: str) -> None:
    if render_key is not None:
        cache.write(cache.entry("renders", f"{render_key}.yaml"), text.encode(), keep=KEEP)
