"""Reading the user's input files: text or one clear error naming the file.

Every file kubeproof reads on the user's behalf (``--manifests``, ``--values``,
``--dockerfile``, ``--config``, a chart's ``Chart.yaml`` and ``values.yaml``) goes
through :func:`read_input`. What it refuses, with ``InputError`` (exit 2, one line):
a directory, anything but a regular file (a FIFO would block forever, a device
never ends), a file over :data:`MAX_INPUT_BYTES`, a binary file (a NUL byte), and
bytes that are not UTF-8.
"""

from __future__ import annotations

import os
import stat
from typing import IO

from ..errors import InputError

#: The largest input file read: 32 MiB. A full render of a large umbrella chart
#: (kube-prometheus-stack with its CRDs) is a few MiB; Helm itself refuses chart
#: files over 5 MiB. Past this size the input is a mistake (a log, a disk image),
#: and reading it would only spend memory before failing anyway.
MAX_INPUT_BYTES = 32 * 1024 * 1024


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MiB"


def decode_input(data: bytes, name: str, what: str) -> str:
    """``data`` as text, or InputError if it is binary or not UTF-8 (a BOM is dropped)."""
    nul = data.find(b"\0")
    if nul >= 0:
        raise InputError(f"cannot read {what} {name}: binary data (a NUL byte at offset {nul})")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(
            f"cannot read {what} {name}: not UTF-8 text "
            f"(byte 0x{data[err.start]:02x} on line {line}, offset {err.start})"
        ) from err


def read_input(path: str | os.PathLike[str], what: str) -> str:
    """The text of the input file ``path``; ``what`` names its role in the error."""
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except OSError as err:
        raise InputError(f"cannot read {what} {name}: {err.strerror or err}") from err
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"cannot read {what} {name}: is a directory")
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket or device"
        raise InputError(f"cannot read {what} {name}: not a regular file ({kind})")
    if st.st_size > MAX_INPUT_BYTES:
        raise InputError(
            f"cannot read {what} {name}: {_mib(st.st_size)}, over the "
            f"{_mib(MAX_INPUT_BYTES)} limit for an input file"
        )
    try:
        with open(name, "rb") as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)
    except OSError as err:
        raise InputError(f"cannot read {what} {name}: {err.strerror or err}") from err
    if len(data) > MAX_INPUT_BYTES:  # grew while we looked
        raise InputError(f"cannot read {what} {name}: over the {_mib(MAX_INPUT_BYTES)} limit")
    return decode_input(data, name, what)


def read_stream(stream: IO[str], name: str, what: str) -> str:
    """All of ``stream`` (standard input), with the same limits as a file."""
    binary = getattr(stream, "buffer", None)  # None: already text (a StringIO)
    data = (stream if binary is None else binary).read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"cannot read {what} {name}: over the {_mib(MAX_INPUT_BYTES)} limit")
    return data if binary is None else decode_input(data, name, what)
