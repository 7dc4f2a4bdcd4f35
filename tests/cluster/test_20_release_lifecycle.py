"""A release's life, asserted from helm's own records, and what happens when an upgrade
goes wrong.

One release goes through every state of the entity model's Helm Release Lifecycle:
install (deployed, revision 1); upgrade (1 superseded, 2 deployed); an upgrade to an
image whose process exits at start, and one whose readiness probe never passes (each:
the rollout is caught stuck by watching the API, the old pod keeps serving every
request, ``helm upgrade --wait`` fails and the revision is ``failed``, ``helm rollback``
restores service in a new deployed revision); uninstall with ``--keep-history``
(uninstalled), then without (gone). Each state is read from ``helm history -o json``,
``helm status -o json`` and the release Secrets, and the three must agree.
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess

import pytest
import yaml

from kubeproof.testing.cluster import helm, kubectl
from kubeproof.testing.live import Release, get, node_port_url
from kubeproof.testing.rollout import PodState, RolloutWatcher
from kubeproof.testing.traffic import Traffic

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
APP = yaml.safe_load((ROOT / "kubeproof.yaml").read_text())
CHART = ROOT / APP["chart"]
BACKEND = APP["components"]["backend"]
DEPLOYMENT = BACKEND["deployment"]
#: What a crashing container prints before it exits (its last log line).
CRASH_LINE = "kubeproof: exiting at start on purpose"
#: helm's own bound on a failing upgrade; the watcher catches it sooner.
HELM_TIMEOUT = "30s"
#: the watcher's bound on seeing a broken rollout (independent of helm's).
DETECT_WITHIN = 120


@pytest.fixture(scope="module")
def release(module_namespace: str, install_chart) -> Release:
    """The chart (minikube profile) installed in this module's namespace: revision 1."""
    return install_chart(module_namespace, prefix="life")


def records(release: Release) -> list[tuple[int, str]]:
    """(revision, status) of every revision, from ``helm history``; the release Secrets
    (helm's storage: labels ``version`` and ``status``) must say the same."""
    __tracebackhide__ = True
    history = json.loads(
        helm("history", release.name, "-n", release.namespace, "-o", "json").stdout
    )
    from_history = [(int(h["revision"]), h["status"]) for h in history]
    assert from_history == from_secrets(release), "helm history and the release Secrets differ"
    return from_history


def from_secrets(release: Release) -> list[tuple[int, str]]:
    """(revision, status) from the release Secrets ``sh.helm.release.v1.<name>.v<N>``."""
    found = kubectl(
        "get", "secrets", "-n", release.namespace, "-l", f"owner=helm,name={release.name}",
        "-o", "json",
    )  # fmt: skip
    labels = [s["metadata"]["labels"] for s in json.loads(found.stdout)["items"]]
    return sorted((int(lab["version"]), lab["status"]) for lab in labels)


def status(release: Release) -> tuple[int, str]:
    """(revision, status) of the release as ``helm status -o json`` reports it."""
    data = json.loads(helm("status", release.name, "-n", release.namespace, "-o", "json").stdout)
    return int(data["version"]), data["info"]["status"]


def upgrade(release: Release, *sets: str, timeout: str = "5m", check: bool = True):
    args = [f"--set={s}" for s in sets]
    return helm(
        "upgrade", release.name, str(CHART), "-n", release.namespace, "--reuse-values", *args,
        "--wait", "--timeout", timeout, check=check,
    )  # fmt: skip


def test_install_is_revision_1_deployed(release):
    assert records(release) == [(1, "deployed")]
    assert status(release) == (1, "deployed")


def test_upgrade_supersedes_revision_1(release):
    upgrade(release, "backend.config.jwtExpirationDays=3")
    assert records(release) == [(1, "superseded"), (2, "deployed")]
    assert status(release) == (2, "deployed")


def _strategy(release: Release) -> dict:
    (dep,) = get(release, "deployment", DEPLOYMENT)
    return dep["spec"]["strategy"]["rollingUpdate"]


@dataclass
class BrokenUpgrade:
    """What one broken upgrade under traffic left to look at."""

    watcher: RolloutWatcher
    traffic: Traffic
    stuck: list[PodState]  # the new pods, as they were when the rollout was seen stuck
    seen_after: float  # seconds from ``helm upgrade`` to seeing it stuck
    diagnosis: str
    helm: CompletedProcess[str]  # the failed ``helm upgrade --wait``
    records_failed: list[tuple[int, str]]  # helm's records right after it failed
    timeline: Path


def broken_upgrade(
    release: Release, sets: tuple[str, ...], stuck, what: str, progress, rollout_timeline
) -> BrokenUpgrade:
    """Upgrade with ``sets`` under traffic; wait (watching) until ``stuck(watcher)`` names
    the new pods; let helm fail; roll back to the last good revision; draw the timeline."""
    good = status(release)[0]
    url = node_port_url(release, BACKEND["service"], BACKEND["healthPath"])
    with (
        RolloutWatcher(release.namespace, progress) as watcher,
        Traffic([url], t0=watcher.t0) as traffic,
        ThreadPoolExecutor(1) as pool,
    ):
        marks = [(watcher.now(), "helm upgrade")]
        helm_run: Future[CompletedProcess[str]] = pool.submit(
            upgrade, release, *sets, timeout=HELM_TIMEOUT, check=False
        )
        pods = watcher.wait(stuck, timeout=DETECT_WITHIN, what=what)
        marks.append((watcher.now(), "stuck seen"))
        diagnosis = "\n".join(watcher.diagnose(p) for p in pods)
        progress(f"stuck after {marks[1][0] - marks[0][0]:.1f} s:\n{diagnosis}")
        result = helm_run.result(timeout=300)
        marks.append((watcher.now(), "helm failed"))
        failed = records(release)
        helm("rollback", release.name, str(good), "-n", release.namespace, "--wait",
             "--timeout", "3m")  # fmt: skip
        marks.append((watcher.now(), "rollback"))
        watcher.wait(
            lambda w: w.rolled_out(DEPLOYMENT) and not w.pods_of(pods[0].replicaset),
            timeout=120,
            what="the rollback to finish and the broken pods to go",
        )
    png = rollout_timeline(watcher, traffic, marks=tuple(marks))
    return BrokenUpgrade(
        watcher, traffic, pods, marks[1][0] - marks[0][0], diagnosis, result, failed, png
    )


def assert_failed_then_restored(release: Release, run: BrokenUpgrade, before) -> None:
    """helm failed the upgrade, recorded it ``failed`` beside the still deployed good
    revision, and the rollback made a new deployed revision (superseding the good one)."""
    __tracebackhide__ = True
    assert run.helm.returncode != 0, f"helm upgrade --wait succeeded:\n{run.helm.stdout}"
    assert "UPGRADE FAILED" in run.helm.stderr, run.helm.stderr
    n = len(before)
    assert run.records_failed == [*before, (n + 1, "failed")]
    earlier = [(r, "failed" if s == "failed" else "superseded") for r, s in before]
    assert records(release) == [*earlier, (n + 1, "failed"), (n + 2, "deployed")]
    assert status(release) == (n + 2, "deployed")


def test_upgrade_to_an_image_that_exits_at_start_is_caught_and_rolled_back(
    release, derived_image, progress, rollout_timeline, record_property
):
    assert _strategy(release)["maxUnavailable"] == 0, "the chart must keep old pods serving"
    crash = derived_image(
        "todo-backend:latest",
        f'CMD ["python", "-c", "import sys; print({CRASH_LINE!r}, flush=True); sys.exit(3)"]',
    )
    before = records(release)
    run = broken_upgrade(
        release,
        (f"backend.image.tag={crash.split(':', 1)[1]}",),
        lambda w: w.broken_pods(DEPLOYMENT),
        "the new backend pod to crash-loop",
        progress,
        rollout_timeline,
    )
    record_property("stuck_seen_after_s", f"{run.seen_after:.1f}")
    (pod,) = run.stuck
    assert pod.waiting == "CrashLoopBackOff" and pod.restarts >= 1, pod
    assert "exit code 3" in run.diagnosis, run.diagnosis
    assert CRASH_LINE in run.diagnosis, f"the pod's last log lines are missing:\n{run.diagnosis}"
    assert "BackOff" in run.diagnosis, f"the recent events are missing:\n{run.diagnosis}"
    # the old pod kept serving: capacity never dipped, no request failed
    assert run.watcher.min_available(DEPLOYMENT) >= 1
    summary = f"{run.traffic.summary()}; timeline {run.timeline}"
    assert len(run.traffic.requests) >= 20 and run.traffic.failed == [], summary
    assert_failed_then_restored(release, run, before)


def test_upgrade_whose_readiness_probe_never_passes_moves_no_traffic(
    release, progress, rollout_timeline, record_property
):
    before = records(release)
    run = broken_upgrade(
        release,
        ("backend.healthPath=/kubeproof-no-such-path",),
        lambda w: w.unready_pods(DEPLOYMENT, min_failures=3),
        "the new backend pod to fail its readiness probe",
        progress,
        rollout_timeline,
    )
    record_property("stuck_seen_after_s", f"{run.seen_after:.1f}")
    (pod,) = run.stuck
    assert not pod.ready and pod.ip, pod
    # the message says which probe failed, how it is defined, and why
    assert "readiness probe (backend: GET /kubeproof-no-such-path" in run.diagnosis, run.diagnosis
    assert "HTTP probe failed with statuscode: 404" in run.diagnosis, run.diagnosis
    # no traffic moved: the new pod never became a ready endpoint of the Service
    ever = run.watcher.ever_ready.get(BACKEND["service"], set())
    assert ever and pod.ip not in ever, f"{pod.ip} became a ready endpoint: {ever}"
    assert run.watcher.min_available(DEPLOYMENT) >= 1
    summary = f"{run.traffic.summary()}; timeline {run.timeline}"
    assert len(run.traffic.requests) >= 20 and run.traffic.failed == [], summary
    assert_failed_then_restored(release, run, before)


def test_uninstall_keep_history_leaves_an_uninstalled_record(release):
    revisions = len(records(release))
    helm("uninstall", release.name, "-n", release.namespace, "--keep-history", "--wait")
    now = records(release)
    assert len(now) == revisions and now[-1] == (revisions, "uninstalled"), now
    assert status(release) == (revisions, "uninstalled")
    assert get(release, "deployments") == []


def test_uninstall_removes_the_release_and_its_records(release):
    helm("uninstall", release.name, "-n", release.namespace, "--wait")
    assert from_secrets(release) == []
    gone = helm("status", release.name, "-n", release.namespace, check=False)
    assert gone.returncode != 0 and "not found" in gone.stderr, gone.stderr
    history = helm("history", release.name, "-n", release.namespace, check=False)
    assert history.returncode != 0 and "not found" in history.stderr, history.stderr
