"""Processes a test is about, started as soon as collection ends so that they run on
the other core while the tests before it run (tests/conftest.py starts them).

A test marked ``@pytest.mark.prestart.with_args(fn, ...)`` has each ``fn`` called once when
the collected tests are known, only if it is selected (``with_args``: a lone callable
would be taken for the test it decorates). ``Background(cmd).start`` is such a
function; the test still asserts on the very process's exit code and output
(``.result()``), which runs it there and then if nothing started it. Every process
still running when the session ends is killed and reaped (Ctrl-C and ``-x`` too).
"""

from __future__ import annotations

import contextlib
import subprocess
from typing import Any

_STARTED: list[Background] = []


class Background:
    """``subprocess.run(cmd, capture_output=True, text=True, **kw)``, startable early."""

    def __init__(self, cmd: list[str], **kw: Any) -> None:
        self.cmd, self.kw = list(cmd), kw
        self.proc: subprocess.Popen[str] | None = None
        self.done: subprocess.CompletedProcess[str] | None = None

    def start(self) -> None:
        if self.proc is not None or self.done is not None:
            return
        with contextlib.suppress(OSError):  # not installed: result() says so, in its test
            self.proc = subprocess.Popen(
                self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **self.kw
            )
            _STARTED.append(self)

    def result(self) -> subprocess.CompletedProcess[str]:
        if self.done is None:
            if self.proc is None:
                self.done = subprocess.run(
                    self.cmd, capture_output=True, text=True, check=False, **self.kw
                )
            else:
                out, err = self.proc.communicate()
                self.done = subprocess.CompletedProcess(self.cmd, self.proc.returncode, out, err)
        return self.done


def prestart(functions: list[Any]) -> None:
    """Call each function once (a test's ``prestart`` marker arguments)."""
    for fn in dict.fromkeys(functions):
        fn()


def stop_all() -> None:
    """Kill and reap what was started and never waited for."""
    while _STARTED:
        bg = _STARTED.pop()
        if bg.proc is not None and bg.done is None:
            with contextlib.suppress(OSError):
                bg.proc.kill()
            bg.proc.communicate()
