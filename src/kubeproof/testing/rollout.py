"""Watch a namespace while a rollout happens: Deployments, ReplicaSets, Pods, Events
and EndpointSlices through the Kubernetes API's watches (no polling, no sleeping).

:class:`RolloutWatcher` keeps the latest state of each object, a time series of every
Deployment's replica counts (for the timeline image), the Events, and every address a
Service ever had ready. It reports progress as it happens through a callback, and
:meth:`RolloutWatcher.wait` returns as soon as a condition on that state holds,
or raises :class:`RolloutTimeout` with a diagnosis after a bounded time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .runner import ClusterError, Target, target

Progress = Callable[[str], None]

#: Pod waiting reasons that mean the container cannot start or keeps dying.
BROKEN = {
    "CrashLoopBackOff",
    "ErrImageNeverPull",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerError",
    "CreateContainerConfigError",
    "RunContainerError",
}


class RolloutTimeout(ClusterError):
    """A rollout condition did not hold within the time given; the message says where it is."""


def api_client(to: Target | None = None) -> Any:
    """A Kubernetes API client for the target's kubeconfig and context."""
    from kubernetes import config

    to = to or target()
    return config.new_client_from_config(
        config_file=str(to.kubeconfig) if to.kubeconfig else None, context=to.context
    )


@dataclass(frozen=True)
class DeploymentSample:
    """A Deployment's status at ``t`` seconds after the watch started."""

    t: float
    name: str
    generation: int
    observed: int
    replicas: int
    updated: int
    ready: int
    available: int
    unavailable: int

    def line(self) -> str:
        return (
            f"deployment/{self.name} generation {self.generation} (observed {self.observed}): "
            f"{self.updated} updated, {self.ready} ready, {self.available} available"
            f" of {self.replicas}, {self.unavailable} unavailable"
        )


@dataclass
class PodState:
    """What matters of a pod for a rollout: owner, readiness, restarts, why it waits."""

    name: str
    replicaset: str
    phase: str
    ready: bool
    ip: str
    restarts: int
    waiting: str  # reason the (first not running) container waits, e.g. CrashLoopBackOff
    message: str
    last_exit: str  # "exit code 3 (Error)" of the last terminated run
    deleting: bool
    probes: tuple[tuple[str, str], ...] = ()  # ("Readiness", "GET /docs on port http"), ...

    def line(self) -> str:
        state = self.waiting or self.phase
        extra = f", last run: {self.last_exit}" if self.last_exit else ""
        return f"pod/{self.name}: {state}, ready={self.ready}, restarts={self.restarts}{extra}" + (
            " (terminating)" if self.deleting else ""
        )


@dataclass(frozen=True)
class EventRecord:
    """An Event as seen at ``t``; an Event that repeats comes again with a higher count."""

    t: float
    type: str
    kind: str
    name: str
    reason: str
    message: str
    count: int
    uid: str = ""

    def line(self) -> str:
        times = f" (x{self.count})" if self.count > 1 else ""
        return f"{self.type} {self.reason} {self.kind.lower()}/{self.name}: {self.message}{times}"


def _pod_state(pod: Any) -> PodState:
    meta, status = pod.metadata, pod.status
    owner = next((o.name for o in meta.owner_references or [] if o.kind == "ReplicaSet"), "")
    statuses = status.container_statuses or []
    waiting = message = last_exit = ""
    for cs in statuses:
        if cs.state and cs.state.waiting and not waiting:
            waiting, message = cs.state.waiting.reason or "", cs.state.waiting.message or ""
        term = cs.last_state.terminated if cs.last_state else None
        if term and not last_exit:
            last_exit = f"exit code {term.exit_code} ({term.reason})"
    ready = any(c.type == "Ready" and c.status == "True" for c in status.conditions or [])
    probes = []
    for container in pod.spec.containers:
        for kind, probe in (
            ("Readiness", container.readiness_probe),
            ("Liveness", container.liveness_probe),
        ):
            if probe is not None:
                probes.append((kind, f"{container.name}: {_probe_text(probe)}"))
    return PodState(
        name=meta.name,
        replicaset=owner,
        phase=status.phase or "",
        ready=ready,
        ip=status.pod_ip or "",
        restarts=sum(cs.restart_count or 0 for cs in statuses),
        waiting=waiting,
        message=message,
        last_exit=last_exit,
        deleting=meta.deletion_timestamp is not None,
        probes=tuple(probes),
    )


def _probe_text(probe: Any) -> str:
    """``GET /docs on port http every 5s`` (or exec/tcp) for a V1Probe."""
    if probe.http_get is not None:
        action = f"GET {probe.http_get.path} on port {probe.http_get.port}"
    elif probe.tcp_socket is not None:
        action = f"TCP connect to port {probe.tcp_socket.port}"
    elif probe._exec is not None:
        action = f"exec {probe._exec.command}"
    else:
        action = "probe"
    return f"{action} every {probe.period_seconds}s, {probe.failure_threshold} failures allowed"


@dataclass
class RolloutWatcher:
    """Watches one namespace; use as a context manager around the change."""

    namespace: str
    progress: Progress = print
    to: Target | None = None
    t0: float = field(default_factory=time.monotonic)
    samples: list[DeploymentSample] = field(default_factory=list)
    pods: dict[str, PodState] = field(default_factory=dict)
    replicasets: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[EventRecord] = field(default_factory=list)
    ready_addresses: dict[str, set[str]] = field(default_factory=dict)
    ever_ready: dict[str, set[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._seen_events: set[tuple[str, int]] = set()
        self._deployments: dict[str, DeploymentSample] = {}

    # --- watching ---------------------------------------------------------------------

    def start(self) -> RolloutWatcher:
        """List every kind once (so the state is complete when this returns), then watch
        each from that list's resourceVersion in a thread of its own."""
        from kubernetes import client

        api = api_client(self.to)
        apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
        self._core = core
        discovery = client.DiscoveryV1Api(api)
        for name, lister, handler in (
            ("deployments", apps.list_namespaced_deployment, self._on_deployment),
            ("replicasets", apps.list_namespaced_replica_set, self._on_replicaset),
            ("pods", core.list_namespaced_pod, self._on_pod),
            ("events", core.list_namespaced_event, self._on_event),
            ("endpointslices", discovery.list_namespaced_endpoint_slice, self._on_slice),
        ):
            version = self._list(lister, handler)
            thread = threading.Thread(
                target=self._watch,
                args=(lister, handler, version),
                name=f"watch-{name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def _list(self, lister: Callable[..., Any], handler: Callable[[str, Any], None]) -> str:
        listing = lister(self.namespace)
        with self._cond:
            for item in listing.items:
                handler("ADDED", item)
            self._cond.notify_all()
        return str(listing.metadata.resource_version)

    def _watch(
        self, lister: Callable[..., Any], handler: Callable[[str, Any], None], version: str
    ) -> None:
        from kubernetes import watch
        from kubernetes.client.exceptions import ApiException

        while not self._stop.is_set():
            stream = watch.Watch()
            try:
                for event in stream.stream(
                    lister, self.namespace, resource_version=version, timeout_seconds=5
                ):
                    with self._cond:
                        handler(event["type"], event["object"])
                        self._cond.notify_all()
                    if self._stop.is_set():
                        break
                version = stream.resource_version or version
            except ApiException as exc:
                if exc.status == 410:  # too old: list again, then watch from there
                    version = self._list(lister, handler)
                    continue
                self.errors.append(f"{lister.__name__}: {exc.status} {exc.reason}")
                self._stop.wait(1)
            except Exception as exc:  # connection reset while stopping, etc.
                if not self._stop.is_set():
                    self.errors.append(f"{lister.__name__}: {type(exc).__name__}: {exc}")
                    self._stop.wait(1)
            finally:
                stream.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=7)

    def __enter__(self) -> RolloutWatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def now(self) -> float:
        return time.monotonic() - self.t0

    def _say(self, line: str) -> None:
        self.progress(f"{self.now():6.1f}s {line}")

    def _on_deployment(self, kind: str, dep: Any) -> None:
        status, spec = dep.status, dep.spec
        sample = DeploymentSample(
            t=self.now(),
            name=dep.metadata.name,
            generation=dep.metadata.generation or 0,
            observed=status.observed_generation or 0,
            replicas=spec.replicas or 0,
            updated=status.updated_replicas or 0,
            ready=status.ready_replicas or 0,
            available=status.available_replicas or 0,
            unavailable=status.unavailable_replicas or 0,
        )
        previous = self._deployments.get(sample.name)
        if kind == "DELETED":
            self._deployments.pop(sample.name, None)
            return
        self._deployments[sample.name] = sample
        self.samples.append(sample)
        if previous is None or previous.line() != sample.line():
            self._say(sample.line())

    def _on_replicaset(self, kind: str, rs: Any) -> None:
        meta = rs.metadata
        if kind == "DELETED":
            self.replicasets.pop(meta.name, None)
            return
        owner = next((o.name for o in meta.owner_references or [] if o.kind == "Deployment"), "")
        self.replicasets[meta.name] = {
            "deployment": owner,
            "revision": int((meta.annotations or {}).get("deployment.kubernetes.io/revision", 0)),
            "replicas": rs.spec.replicas or 0,
        }

    def _on_pod(self, kind: str, pod: Any) -> None:
        if kind == "DELETED":
            gone = self.pods.pop(pod.metadata.name, None)
            if gone:
                self._say(f"pod/{gone.name}: deleted")
            return
        state = _pod_state(pod)
        previous = self.pods.get(state.name)
        self.pods[state.name] = state
        if previous is None or previous.line() != state.line():
            self._say(state.line())

    def _on_event(self, kind: str, ev: Any) -> None:
        if kind == "DELETED":
            return
        key = (ev.metadata.uid, ev.count or 1)
        if key in self._seen_events:
            return
        self._seen_events.add(key)
        involved = ev.involved_object
        record = EventRecord(
            t=self.now(),
            type=ev.type or "",
            kind=involved.kind or "",
            name=involved.name or "",
            reason=ev.reason or "",
            message=(ev.message or "").strip(),
            count=ev.count or 1,
            uid=ev.metadata.uid or "",
        )
        self.events.append(record)
        if record.type == "Warning":
            self._say(record.line())

    def _on_slice(self, kind: str, eps: Any) -> None:
        service = (eps.metadata.labels or {}).get("kubernetes.io/service-name", "")
        ready: set[str] = set()
        if kind != "DELETED":
            for endpoint in eps.endpoints or []:
                if endpoint.conditions is None or endpoint.conditions.ready is not False:
                    ready.update(endpoint.addresses or [])
        self.ready_addresses[service] = ready
        self.ever_ready.setdefault(service, set()).update(ready)

    # --- questions ----------------------------------------------------------------------

    def wait(self, condition: Callable[[RolloutWatcher], Any], timeout: float, what: str) -> Any:
        """Return ``condition(self)`` as soon as it is truthy (re-checked on every watch
        event); raise :class:`RolloutTimeout` with where things are after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = condition(self)
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RolloutTimeout(f"{what}: not within {timeout:g} s\n{self.describe()}")
                self._cond.wait(min(left, 1.0))

    def newest_replicaset(self, name: str) -> str | None:
        """The ReplicaSet of the Deployment's highest revision (the rollout's target)."""
        owned = [(v["revision"], k) for k, v in self.replicasets.items() if v["deployment"] == name]
        return max(owned)[1] if owned else None

    def owner(self, pod: PodState) -> str:
        """The Deployment a pod belongs to (through its ReplicaSet), or ''."""
        return str(self.replicasets.get(pod.replicaset, {}).get("deployment", ""))

    def pods_of(self, replicaset: str | None) -> list[PodState]:
        return [p for p in self.pods.values() if replicaset and p.replicaset == replicaset]

    def new_pods(self, deployment: str) -> list[PodState]:
        """Pods of the Deployment's newest ReplicaSet."""
        return self.pods_of(self.newest_replicaset(deployment))

    def broken_pods(self, deployment: str, min_restarts: int = 1) -> list[PodState]:
        """New pods that cannot start or keep dying (e.g. CrashLoopBackOff after a restart)."""
        return [
            p
            for p in self.new_pods(deployment)
            if p.waiting in BROKEN and p.restarts >= min_restarts
        ]

    def probe_failures(self, pod: str, probe: str = "Readiness") -> list[EventRecord]:
        """``Unhealthy`` events of ``pod`` for that probe (``Readiness`` or ``Liveness``)."""
        return [
            e
            for e in self.events
            if e.name == pod and e.reason == "Unhealthy" and e.message.startswith(f"{probe} probe")
        ]

    @staticmethod
    def times(events: list[EventRecord]) -> int:
        """How often these events happened: each Event counted once, at its highest count."""
        highest: dict[str, int] = {}
        for i, e in enumerate(events):
            key = e.uid or str(i)
            highest[key] = max(highest.get(key, 0), e.count)
        return sum(highest.values())

    def unready_pods(self, deployment: str, min_failures: int = 2) -> list[PodState]:
        """New pods that run but whose readiness probe failed at least ``min_failures`` times."""
        return [
            p
            for p in self.new_pods(deployment)
            if not p.ready
            and p.phase == "Running"
            and self.times(self.probe_failures(p.name)) >= min_failures
        ]

    def deployment(self, name: str) -> DeploymentSample | None:
        return self._deployments.get(name)

    def rolled_out(self, name: str) -> bool:
        """The Deployment's latest generation is observed and every replica is new and ready."""
        d = self._deployments.get(name)
        if d is None or d.observed < d.generation:
            return False
        newest = self.newest_replicaset(name)
        live = [p for p in self.pods.values() if p.replicaset and not p.deleting]
        owned = [p for p in live if self.owner(p) == name]
        return (
            d.updated == d.replicas == d.ready == d.available
            and d.unavailable == 0
            and all(p.replicaset == newest and p.ready for p in owned)
        )

    def min_available(self, name: str, since: float = 0.0) -> int | None:
        """The fewest available replicas the Deployment had at any sample after ``since``."""
        values = [s.available for s in self.samples if s.name == name and s.t >= since]
        return min(values) if values else None

    # --- reporting ----------------------------------------------------------------------

    def pod_log(self, pod: PodState, lines: int = 15) -> str:
        """The last log lines of the pod's previous run (if it restarted), else its current one."""
        from kubernetes.client.exceptions import ApiException

        for previous in (True, False) if pod.restarts else (False,):
            try:
                text = self._core.read_namespaced_pod_log(
                    pod.name, self.namespace, previous=previous, tail_lines=lines
                )
            except ApiException:
                continue
            if text:
                return text.rstrip()
        return "(no log)"

    def diagnose(self, pod: PodState, events: int = 6) -> str:
        """What went wrong with a pod: state, restarts, last exit, probe failures, recent
        events and its last log lines."""
        own = [e for e in self.events if e.name == pod.name][-events:]
        lines = [pod.line()]
        if pod.message:
            lines.append(f"  waiting: {pod.message}")
        declared = dict(pod.probes)
        for probe in ("Readiness", "Liveness"):
            failures = self.probe_failures(pod.name, probe)
            if failures:
                total = self.times(failures)
                lines.append(
                    f"  {probe.lower()} probe ({declared.get(probe, '?')}) failed {total}x: "
                    f"{failures[-1].message}"
                )
        lines.append("  recent events:")
        lines += [f"    {e.line()}" for e in own] or ["    (none)"]
        lines.append("  last log lines:")
        lines += [f"    {line}" for line in self.pod_log(pod).splitlines()]
        return "\n".join(lines)

    def describe(self) -> str:
        """Where everything is now: Deployments, pods, the last warnings, watch errors."""
        lines = [s.line() for s in self._deployments.values()]
        lines += [p.line() for p in self.pods.values()]
        lines += [e.line() for e in self.events if e.type == "Warning"][-8:]
        lines += [f"watch error: {e}" for e in self.errors[-3:]]
        return "\n".join(lines)
