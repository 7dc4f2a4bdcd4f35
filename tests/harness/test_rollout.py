"""The rollout watcher's reading of state, the traffic record and the timeline image,
fed by hand-made states (the watches themselves run in the cluster tier)."""

from __future__ import annotations

from kubeproof.testing.report import timeline_png
from kubeproof.testing.rollout import DeploymentSample, EventRecord, PodState, RolloutWatcher
from kubeproof.testing.traffic import Request, Traffic


def pod(name: str, rs: str, **kw) -> PodState:
    base = dict(phase="Running", ready=True, ip="10.0.0.1", restarts=0, waiting="", message="",
                last_exit="", deleting=False)  # fmt: skip
    return PodState(name=name, replicaset=rs, **{**base, **kw})


def watcher_with(*pods: PodState) -> RolloutWatcher:
    w = RolloutWatcher("ns", progress=lambda line: None)
    w.replicasets = {
        "web-1": {"deployment": "web", "revision": 1, "replicas": 1},
        "web-2": {"deployment": "web", "revision": 2, "replicas": 1},
    }
    w.pods = {p.name: p for p in pods}
    return w


def test_a_crash_looping_pod_of_the_newest_replicaset_is_broken():
    w = watcher_with(
        pod("old", "web-1"),
        pod("new", "web-2", ready=False, waiting="CrashLoopBackOff", restarts=2),
    )
    assert [p.name for p in w.broken_pods("web")] == ["new"]
    assert w.newest_replicaset("web") == "web-2"


def test_a_first_start_is_not_yet_broken_and_old_pods_never_are():
    w = watcher_with(pod("old", "web-1", waiting="CrashLoopBackOff", restarts=5),
                     pod("new", "web-2", ready=False, waiting="ContainerCreating"))  # fmt: skip
    assert w.broken_pods("web") == []


def test_unready_pods_need_that_many_readiness_failures():
    w = watcher_with(pod("new", "web-2", ready=False))
    why = "Readiness probe failed: HTTP probe failed with statuscode: 404"
    w.events = [EventRecord(1.0, "Warning", "Pod", "new", "Unhealthy", why, 1, uid="e1")]
    assert w.unready_pods("web", min_failures=2) == []
    w.events.append(EventRecord(6.0, "Warning", "Pod", "new", "Unhealthy", why, 2, uid="e1"))
    assert [p.name for p in w.unready_pods("web", min_failures=2)] == ["new"]
    assert w.unready_pods("web", min_failures=3) == []  # one Event seen twice: 2, not 3
    w.events.append(EventRecord(7.0, "Warning", "Pod", "new", "Unhealthy", why, 1, uid="e2"))
    assert [p.name for p in w.unready_pods("web", min_failures=3)] == ["new"]


def test_rolled_out_needs_every_replica_new_and_ready():
    w = watcher_with(pod("old", "web-1"), pod("new", "web-2"))
    w._deployments["web"] = DeploymentSample(1.0, "web", 2, 2, 1, 1, 1, 1, 0)
    assert not w.rolled_out("web")  # the old pod is still there
    w.pods["old"] = pod("old", "web-1", deleting=True)
    assert w.rolled_out("web")


def test_traffic_counts_failures_with_their_status():
    t = Traffic([])
    t.requests = [Request(0.0, "u", 200, 0.01), Request(0.1, "u", 0, 3.0, "timed out")]
    assert t.summary() == "2 requests, 1 failed (statuses [0]; first: timed out)"


def test_the_timeline_is_a_png_with_a_panel_per_deployment(tmp_path):
    samples = [
        DeploymentSample(t, "web", 2, 2, 1, 1, r, r, 1 - r) for t, r in ((0, 1), (2, 0), (3, 1))
    ]
    requests = [Request(i / 10, "u", 200 if i != 5 else 503, 0.005) for i in range(40)]
    path = timeline_png(tmp_path / "t.png", samples, requests, "title", marks=((1.0, "upgrade"),))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
