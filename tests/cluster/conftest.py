"""What the cluster tier's chart tests share: the app's images in the cluster, a way to
install the chart into a test namespace, NodePort URLs, and progress on the terminal.

Names, ports and health paths come from kubeproof.yaml; namespaces come from the
live plugin's factories (labelled, random, deleted after the module).
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from kubeproof.testing import cluster
from kubeproof.testing.environment import require
from kubeproof.testing.live import Release
from kubeproof.testing.report import terminal_writer
from kubeproof.testing.runner import ClusterError

ROOT = Path(__file__).resolve().parents[2]
APP = yaml.safe_load((ROOT / "kubeproof.yaml").read_text())
CHART = ROOT / APP["chart"]
IMAGES = [f"{c['image']['repository']}:latest" for c in APP["components"].values()]


def ensure_images() -> None:
    """Build the app images (scripts/images/build.sh) unless Docker has them."""
    import docker

    client = docker.from_env()
    missing = []
    for image in IMAGES:
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            missing.append(image)
    client.close()
    if missing:
        build = subprocess.run(
            ["bash", str(ROOT / "scripts/images/build.sh")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert build.returncode == 0, f"building {missing} failed:\n{build.stderr[-3000:]}"


@pytest.fixture(scope="session")
def app() -> dict:
    """Return kubeproof.yaml: components with their names, ports and health paths."""
    return APP


@pytest.fixture(scope="session")
def app_images(kube_cluster) -> list[str]:
    """Return the app images (``<repository>:latest``), built and loaded into the cluster."""
    require("helm")
    require("docker")
    ensure_images()
    for image in IMAGES:
        cluster.load_image(image)
    return IMAGES


@pytest.fixture(scope="session")
def install_chart(app_images) -> Callable[..., Release]:
    """Return ``install(namespace, *helm_args, prefix=..., profile="minikube")``: the chart
    with that profile of kubeproof.yaml, NodePorts (where it has them) picked by
    Kubernetes (they are cluster-wide), rolled out. The release goes with the namespace."""

    def install(
        namespace: str, *args: str, prefix: str = "kp", profile: str = "minikube"
    ) -> Release:
        release = Release(f"{prefix}-{uuid.uuid4().hex[:6]}", namespace)
        cluster.helm(
            "install", release.name, str(CHART), "--namespace", namespace,
            "-f", str(ROOT / APP["profiles"][profile]),
            "--set", "frontend.service.nodePort=null", "--set", "backend.service.nodePort=null",
            *args, "--wait", "--timeout", "5m",
        )  # fmt: skip
        return release

    return install


@pytest.fixture
def progress(pytestconfig: pytest.Config) -> Callable[[str], None]:
    """Return a writer of ``[rollout] ...`` lines shown as they happen."""
    return terminal_writer(pytestconfig, "rollout")


@pytest.fixture(scope="module")
def derived_image(app_images) -> Iterator[Callable[[str, str], str]]:
    """Return ``derive(base, dockerfile_tail)``: a local image ``FROM base`` plus the given
    lines, tagged ``<repo>:kp-<random>`` and loaded into the cluster; removed from the
    cluster and from Docker after the module."""
    made: list[str] = []

    def derive(base: str, tail: str) -> str:
        tag = f"{base.split(':')[0]}:kp-{uuid.uuid4().hex[:8]}"
        made.append(tag)
        build = subprocess.run(
            ["docker", "build", "-q", "-t", tag, "--label", "io.kubeproof.test.derived=1", "-"],
            input=f"FROM {base}\n{tail}\n",
            capture_output=True,
            text=True,
            check=False,
            env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/local/bin:/usr/bin:/bin"},
        )
        assert build.returncode == 0, f"docker build of {tag} failed: {build.stderr}"
        cluster.load_image(tag)
        return tag

    try:
        yield derive
    finally:
        for tag in made:
            try:
                cluster.remove_image(tag)
            except ClusterError as exc:
                print(f"removing {tag} from the cluster failed: {exc}")
            subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, check=False)
