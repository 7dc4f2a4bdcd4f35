"""Continuous HTTP requests during a rollout: every request's time, outcome and latency.

    with Traffic([url]) as traffic:
        ...  # upgrade, roll back
    assert traffic.failed == []

Requests go one after another per URL, round robin, with a short pause, so the
record shows when the service answered and when it did not.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Request:
    """One request: seconds since the traffic started, URL, HTTP status (0: no answer)."""

    t: float
    url: str
    status: int
    latency: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


def get(url: str, timeout: float = 3) -> tuple[int, str]:
    """GET ``url``: (HTTP status, error text); status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, str(exc)
    except OSError as exc:
        return 0, f"{type(exc).__name__}: {exc}"


class Traffic:
    """A background thread requesting ``urls`` until :meth:`stop` (or the ``with`` ends)."""

    def __init__(self, urls: Sequence[str], pause: float = 0.05, t0: float | None = None) -> None:
        self.urls = list(urls)
        self.pause = pause
        self.t0 = time.monotonic() if t0 is None else t0
        self.requests: list[Request] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kubeproof-traffic", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for url in self.urls:
                start = time.monotonic()
                status, error = get(url)
                self.requests.append(
                    Request(start - self.t0, url, status, time.monotonic() - start, error)
                )
            self._stop.wait(self.pause)

    def start(self) -> Traffic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def __enter__(self) -> Traffic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def failed(self) -> list[Request]:
        """Requests that did not answer 200."""
        return [r for r in self.requests if not r.ok]

    def summary(self) -> str:
        """``N requests, M failed (statuses)`` in one line."""
        failed = self.failed
        statuses = sorted({r.status for r in failed})
        return f"{len(self.requests)} requests, {len(failed)} failed" + (
            f" (statuses {statuses}; first: {failed[0].error or failed[0].status})"
            if failed
            else ""
        )
