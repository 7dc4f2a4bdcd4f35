"""Reporters: text (rich), JSON (the contract), SARIF 2.1.0, JUnit XML."""

from __future__ import annotations

from typing import IO

from ..model import FORMATS, Result

__all__ = ["FORMATS", "write"]


def write(result: Result, fmt: str, out: IO[str], *, color: bool | None = None) -> None:
    if fmt == "json":
        from .jsonfmt import render
    elif fmt == "sarif":
        from .sarif import render
    elif fmt == "junit":
        from .junit import render
    else:
        from .text import render_text

        render_text(result, out, color=color)
        return
    out.write(render(result))
