"""Fixtures of the image tier: built images, a network, and the running app.

Everything a run creates is labelled with the run id (``kubeproof.testing.images.RUN_LABEL``)
and removed by finalizers, also when a test fails or the run is interrupted
(Ctrl-C still tears fixtures down); a run killed outright is swept by the next
one (``sweep_stale``). Expected ports, paths and users come from kubeproof.yaml.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import docker
import pytest
from docker.models.containers import Container
from docker.models.networks import Network

from kubeproof.testing import images
from kubeproof.testing.environment import require
from kubeproof.testing.report import terminal_writer

SPECS = images.image_specs()


def _progress(config: pytest.Config) -> Callable[[str], None]:
    return terminal_writer(config, "image")


@pytest.fixture(scope="session")
def specs() -> dict[str, images.ImageSpec]:
    """Return component -> ImageSpec, as kubeproof.yaml declares them."""
    return SPECS


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """Return a docker SDK client; skip (or fail under KUBEPROOF_REQUIRE) without a daemon."""
    require("docker")
    dc = images.client()
    images.sweep_stale(dc)
    yield dc
    dc.close()


@pytest.fixture(scope="session")
def run_id(docker_client: docker.DockerClient) -> Iterator[str]:
    """Return this run's id; at the end, remove everything labelled with it."""
    rid = images.new_run_id()
    yield rid
    images.sweep(docker_client, rid)


@pytest.fixture(scope="session")
def built(
    docker_client: docker.DockerClient, run_id: str, pytestconfig: pytest.Config
) -> dict[str, images.BuiltImage]:
    """Return component -> BuiltImage, built for this run (tag ``<repo>:kubeproof-test-<run>``)."""
    say = _progress(pytestconfig)
    return {
        name: images.build(
            docker_client,
            spec,
            [f"{spec.repository}:kubeproof-test-{run_id}"],
            labels=images.run_labels(run_id),
            progress=say,
        )
        for name, spec in SPECS.items()
    }


@pytest.fixture(scope="session")
def network(docker_client: docker.DockerClient, run_id: str) -> Iterator[Network]:
    """Return a user-defined bridge network for this run's containers."""
    net = docker_client.networks.create(
        f"kubeproof-{run_id}", driver="bridge", labels=images.run_labels(run_id)
    )
    yield net
    try:
        net.reload()
        for c in net.containers:
            c.remove(force=True, v=True)
        net.remove()
    except docker.errors.NotFound:
        pass


@dataclass
class Stack:
    """The running containers, by role, and Docker's health verdict for each."""

    containers: dict[str, Container] = field(default_factory=dict)
    outcome: dict[str, str] = field(default_factory=dict)

    def container(self, role: str) -> Container:
        return self.containers[role]

    def require_healthy(self, role: str) -> None:
        __tracebackhide__ = True
        c = self.containers[role]
        report = self.outcome.get(c.name, "not waited for")
        if report:
            pytest.fail(f"{role} ({c.name}) did not become healthy: {report}", pytrace=False)

    def url(self, role: str, spec: images.ImageSpec, path: str = "") -> str:
        port = images.published_port(self.containers[role], spec.port)
        return f"http://127.0.0.1:{port}{path}"


#: Roles started by the ``stack`` fixture: (component, read-only root, backend role).
ROLES = {
    "backend": ("backend", False, None),
    "frontend": ("frontend", False, "backend"),
    "backend-ro": ("backend", True, None),
    "frontend-ro": ("frontend", True, "backend-ro"),
    "frontend-alone": ("frontend", False, "nowhere"),
}


@pytest.fixture(scope="session")
def stack(
    docker_client: docker.DockerClient,
    built: dict[str, images.BuiltImage],
    network: Network,
    run_id: str,
    pytestconfig: pytest.Config,
) -> Iterator[Stack]:
    """Return the app running on a user-defined network, each role waited for until healthy.

    ``backend``/``frontend`` run as built; ``*-ro`` with ``--read-only`` and a
    tmpfs on /tmp only; ``frontend-alone`` points at a backend that does not exist.
    Health checks are the images' own, timings included.
    """
    say = _progress(pytestconfig)
    backend_port = SPECS["backend"].port
    stack = Stack()
    try:
        for role, (component, read_only, backend_role) in ROLES.items():
            spec = SPECS[component]
            name = f"kp-{run_id}-{role}"
            env: dict[str, str] = {}
            if component == "backend":
                env = {
                    "BETTER_AUTH_SECRET": secrets.token_hex(32),
                    "JWT_ALGORITHM": "HS256",
                    "JWT_EXPIRATION_DAYS": "1",
                    "CORS_ORIGINS": "http://localhost:3000",
                }
            elif backend_role:
                env = {"API_BASE_URL": f"http://kp-{run_id}-{backend_role}:{backend_port}"}
            stack.containers[role] = docker_client.containers.run(
                built[component].tag,
                name=name,
                detach=True,
                environment=env,
                network=network.name,
                labels=images.run_labels(run_id),
                ports={f"{spec.port}/tcp": ("127.0.0.1", None)},
                read_only=read_only,
                tmpfs={"/tmp": "rw,nosuid,nodev,size=64m"} if read_only else None,
                mem_limit="512m",
            )
        say(f"waiting for {len(stack.containers)} containers to report healthy")
        stack.outcome = images.wait_healthy(stack.containers.values(), timeout=180)
        say(
            "health: "
            + ", ".join(
                f"{r}={'ok' if not stack.outcome[c.name] else 'NOT healthy'}"
                for r, c in stack.containers.items()
            )
        )
        yield stack
    finally:
        for c in stack.containers.values():
            with contextlib.suppress(docker.errors.NotFound):
                c.remove(force=True, v=True)
