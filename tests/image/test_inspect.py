"""What ``docker inspect`` and ``docker history`` say about the built images."""

from __future__ import annotations

import re
import shlex

import docker
import pytest

from kubeproof.testing import images
from kubeproof.testing.environment import require

from .conftest import SPECS

COMPONENTS = sorted(SPECS)
OCI_LABELS = ("title", "description", "version", "revision", "source", "licenses")


def _config(dc: docker.DockerClient, built: images.BuiltImage) -> dict:
    return dc.images.get(built.id).attrs["Config"]


@pytest.mark.parametrize("component", COMPONENTS)
def test_user_is_numeric_and_not_root(docker_client, built, component):
    require("docker")
    spec = SPECS[component]
    user = _config(docker_client, built[component]).get("User") or ""
    assert re.fullmatch(r"\d+:\d+", user), (
        f"{spec.repository}: USER is {user!r}; Kubernetes runAsNonRoot needs the numeric "
        f"form USER {spec.uid}:{spec.gid}"
    )
    assert user == f"{spec.uid}:{spec.gid}", (
        f"{spec.repository}: USER {user}, kubeproof.yaml says {spec.uid}:{spec.gid}"
    )
    assert spec.uid != 0


@pytest.mark.parametrize("component", COMPONENTS)
def test_healthcheck_targets_declared_path_and_port(docker_client, built, component):
    require("docker")
    spec = SPECS[component]
    check = _config(docker_client, built[component]).get("Healthcheck") or {}
    test = check.get("Test") or []
    assert test and test[0] in ("CMD", "CMD-SHELL"), (
        f"{spec.repository}: no HEALTHCHECK (Test={test})"
    )
    command = shlex.join(test[1:])
    url = f"http://127.0.0.1:{spec.port}{spec.health_path}"
    assert re.search(re.escape(url) + r"['\"]", command), (
        f"{spec.repository}: HEALTHCHECK should request {url}; it runs: {command}"
    )
    # slim and alpine bases have no curl: the check runs the base's own runtime
    interpreter = spec.base_image.split("/")[-1].split(":")[0]  # node:22-alpine -> node
    assert test[1] == interpreter, (
        f"{spec.repository}: health check runs {test[1]}, not {interpreter} from {spec.base_image}"
    )
    for key in ("Interval", "Timeout", "StartPeriod", "Retries"):
        assert check.get(key), f"{spec.repository}: HEALTHCHECK sets no {key}"
    assert check["Timeout"] < check["Interval"]


@pytest.mark.parametrize("component", COMPONENTS)
def test_exposes_only_the_declared_port(docker_client, built, component):
    require("docker")
    spec = SPECS[component]
    exposed = sorted(_config(docker_client, built[component]).get("ExposedPorts") or {})
    assert exposed == [f"{spec.port}/tcp"], (
        f"{spec.repository}: EXPOSE {exposed}, kubeproof.yaml says {spec.port}"
    )


@pytest.mark.parametrize("component", COMPONENTS)
def test_oci_labels(docker_client, built, component):
    require("docker")
    spec = SPECS[component]
    labels = _config(docker_client, built[component]).get("Labels") or {}
    missing = [k for k in OCI_LABELS if not labels.get(f"org.opencontainers.image.{k}")]
    assert not missing, f"{spec.repository}: OCI labels missing or empty: {missing}"
    assert labels["org.opencontainers.image.title"] == spec.repository
    assert labels["org.opencontainers.image.base.name"] == built[component].base


@pytest.mark.parametrize("component", COMPONENTS)
def test_no_secret_or_build_ca_in_the_image_config(docker_client, built, component):
    """Secrets come at run time; the build's extra CA stays in the build stages."""
    require("docker")
    spec = SPECS[component]
    image = docker_client.images.get(built[component].id)
    env_keys = {e.split("=", 1)[0] for e in image.attrs["Config"].get("Env") or []}
    secret_keys = {
        key
        for comp in images.load_config(str(images.ROOT / "kubeproof.yaml")).components.values()
        for key in (comp.get("secret") or {}).get("keys", [])
    }
    assert not env_keys & secret_keys, (
        f"{spec.repository}: secrets baked into ENV: {env_keys & secret_keys}"
    )
    history = "\n".join(layer.get("CreatedBy", "") for layer in image.history())
    for needle in ("EXTRA_CA_CERTS", "BEGIN CERTIFICATE", "NODE_EXTRA_CA_CERTS", "PIP_CERT"):
        assert needle not in history, (
            f"{spec.repository}: {needle} appears in the final image's history"
        )
        assert needle not in str(image.attrs["Config"]), (
            f"{spec.repository}: {needle} in the image config"
        )


@pytest.mark.parametrize("component", COMPONENTS)
def test_a_rebuild_comes_from_the_layer_cache(docker_client, built, run_id, component):
    require("docker")
    first = built[component]
    again = images.build(
        docker_client,
        first.spec,
        [f"{first.spec.repository}:kubeproof-test-{run_id}-again"],
        labels=images.run_labels(run_id),
        base=first.base,
        revision=first.buildargs["REVISION"],  # HEAD may have moved meanwhile
    )
    assert again.id == first.id, (
        f"{first.spec.repository}: rebuilding unchanged sources made a new image "
        f"({again.cached_steps}/{again.steps} steps cached); the layer cache is not reused"
    )
