"""What a live run shows a person: progress lines as they happen, and files kept
as artifacts next to the JUnit report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .rollout import DeploymentSample
    from .traffic import Request


def terminal_writer(config: pytest.Config, prefix: str) -> Callable[[str], None]:
    """Return a function that writes ``[prefix] line`` to the terminal at once, even
    while pytest captures the test's output."""
    reporter = config.pluginmanager.getplugin("terminalreporter")
    capture = config.pluginmanager.getplugin("capturemanager")

    def say(line: str) -> None:
        if reporter is None:
            return
        if capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"[{prefix}] {line}")
        else:
            reporter.write_line(f"[{prefix}] {line}")

    return say


def artifacts_dir(config: pytest.Config) -> Path:
    """Where a run keeps images and screenshots: the folder of ``--junit-xml`` when
    one is written, else ``<rootdir>/artifacts``."""
    junit = config.getoption("xmlpath", None)
    folder = Path(junit).resolve().parent if junit else config.rootpath / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def timeline_png(
    path: Path,
    samples: Sequence[DeploymentSample],
    requests: Sequence[Request],
    title: str,
    marks: Sequence[tuple[float, str]] = (),
) -> Path:
    """Draw a rollout: ready/updated/available/unavailable replicas per Deployment, and
    every request's latency (green: 200, red: failed), on one time axis; ``marks`` are
    labelled vertical lines (upgrade started, rollback, ...). Returns ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted({s.name for s in samples})
    end = max([s.t for s in samples] + [r.t + r.latency for r in requests] + [0.0])
    fig, axes = plt.subplots(
        len(names) + 1, 1, sharex=True, figsize=(11, 2.3 * (len(names) + 1)), squeeze=False
    )
    for ax, name in zip(axes[:-1, 0], names, strict=True):
        points = [s for s in samples if s.name == name]
        times = [s.t for s in points] + [end]
        for key, style in (
            ("ready", "-"),
            ("updated", "--"),
            ("available", ":"),
            ("unavailable", "-."),
        ):
            values = [getattr(s, key) for s in points]
            ax.step(times, [*values, values[-1]], style, where="post", label=key, linewidth=1.8)
        ax.set_ylabel(f"{name}\nreplicas")
        ax.set_ylim(-0.2, max(max(s.replicas, s.ready, s.updated) for s in points) + 1.2)
        ax.legend(loc="lower left", fontsize="small", ncol=4)
    ax = axes[-1, 0]
    ok = [r for r in requests if r.ok]
    bad = [r for r in requests if not r.ok]
    ax.scatter([r.t for r in ok], [r.latency * 1000 for r in ok], s=5, c="tab:green",
               label=f"200 ({len(ok)})")  # fmt: skip
    ax.scatter([r.t for r in bad], [r.latency * 1000 for r in bad], s=30, c="tab:red",
               marker="x", label=f"failed ({len(bad)})")  # fmt: skip
    ax.set_ylabel("request latency (ms)")
    ax.set_xlabel("seconds since the watch started")
    ax.legend(loc="center left", fontsize="small", ncol=2)
    for t, label in marks:
        for each in axes[:, 0]:
            each.axvline(t, color="grey", linewidth=0.8)
        axes[0, 0].annotate(label, (t, 1), xycoords=("data", "axes fraction"), rotation=90,
                            va="top", ha="right", fontsize="x-small")  # fmt: skip
    fig.suptitle(title, fontsize="medium")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
