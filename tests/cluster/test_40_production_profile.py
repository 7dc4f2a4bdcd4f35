"""The production profile on a real cluster, against a real PostgreSQL.

``ci/production-values.yaml`` as it is: pinned image tags loaded into the cluster,
ClusterIP Services, the backend Secret made outside the chart (``existingSecret``,
created here), two replicas each, a PodDisruptionBudget and topology spread per
component. The database is a PostgreSQL instance from Debian's packages that this
module starts on the node (listening on the node's IP, so pods reach it), with a
database and role of its own; it is stopped and removed afterwards, as are the
release and the namespace, also on Ctrl-C.
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from kubeproof.testing import live
from kubeproof.testing.cluster import ClusterError, kubectl
from kubeproof.testing.environment import postgresql_bindir, require
from kubeproof.testing.live import Release, get
from kubeproof.testing.rollout import api_client
from kubeproof.testing.runner import kubectl_argv

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
APP = yaml.safe_load((ROOT / "kubeproof.yaml").read_text())
VALUES = ROOT / APP["profiles"]["production"]
PROFILE = yaml.safe_load(VALUES.read_text())
FRONTEND, BACKEND = APP["components"]["frontend"], APP["components"]["backend"]


# ---- a PostgreSQL server of the test's own ---------------------------------------------
class PostgresServer:
    """A throwaway PostgreSQL cluster (initdb) in a temporary directory, run as the
    ``postgres`` user, listening on ``host`` and accepting password logins from ``allow``."""

    def __init__(self, host: str, allow: list[str]) -> None:
        bindir = postgresql_bindir()
        assert bindir is not None
        self.bindir = bindir
        self.host = host
        self.allow = allow
        self.dir = Path(tempfile.mkdtemp(prefix="kubeproof-pg-"))
        self.data = self.dir / "data"
        with socket.socket() as s:  # a free port on that address
            s.bind((host, 0))
            self.port = s.getsockname()[1]
        self.running = False

    def _run(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        cmd = list(argv)
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if proc.returncode != 0:
            raise ClusterError(f"{' '.join(argv[:2])} failed: {proc.stderr.strip()[-800:]}")
        return proc

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-E", "UTF8",
            "--auth-local=trust", "--auth-host=scram-sha-256", "--no-instructions",
        )  # fmt: skip
        with (self.data / "pg_hba.conf").open("a") as hba:
            for cidr in self.allow:
                hba.write(f"host all all {cidr} scram-sha-256\n")
        atexit.register(self.stop)  # an interrupted run still stops the server
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
            "-w", "-t", "60", "start", "-o",
            f"-c listen_addresses={self.host} -p {self.port} -k {self.dir}",
        )  # fmt: skip
        self.running = True

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement through the local socket as the superuser; return psql -A -t output."""
        return self._run(
            str(self.bindir / "psql"), "-h", str(self.dir), "-p", str(self.port), "-U",
            "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", statement,
        ).stdout.strip()  # fmt: skip

    def create_database(self, name: str) -> str:
        """A role and a database named ``name``; return its URL as pods reach it."""
        password = secrets.token_urlsafe(24)
        self.sql(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        self.sql(f"CREATE DATABASE {name} OWNER {name}")
        return f"postgresql://{name}:{password}@{self.host}:{self.port}/{name}"

    def stop(self) -> None:
        if self.running:
            with contextlib.suppress(ClusterError, subprocess.TimeoutExpired):
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
            self.running = False
        shutil.rmtree(self.dir, ignore_errors=True)


def local_address(ip: str) -> bool:
    """Whether ``ip`` is an address of this host (so a server here can listen on it)."""
    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as s:
        try:
            s.bind((ip, 0))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """PostgreSQL on the node's IP, reachable from the node's pods."""
    require("cluster")
    require("postgresql")
    (node,) = json.loads(kubectl("get", "nodes", "-o", "json").stdout)["items"][:1] or [None]
    assert node is not None, "the cluster has no node"
    ip = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
    if not local_address(ip):
        pytest.skip(
            f"the node's IP {ip} is not this host's: a PostgreSQL started here is out of the "
            "pods' reach (run on the node, or the CI cluster)"
        )
    pod_cidrs = node["spec"].get("podCIDRs") or [node["spec"].get("podCIDR", "10.244.0.0/16")]
    allow = [str(ipaddress.ip_network(c, strict=False)) for c in pod_cidrs] + [f"{ip}/32"]
    server = PostgresServer(ip, allow)
    try:
        server.start()
        yield server
    finally:
        server.stop()


# ---- the release ------------------------------------------------------------------------
@dataclass
class Production:
    release: Release
    server: PostgresServer
    database: str


def helm(*args: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    try:
        return live.helm(*args, timeout=timeout)
    except ClusterError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def production(install_chart, kube_cluster, module_namespace, postgres) -> Iterator[Production]:
    for component in (FRONTEND, BACKEND):
        repository = component["image"]["repository"]
        tag = PROFILE[_key(component)]["image"]["tag"]
        kube_cluster.load_image(f"{repository}:{tag}")  # pinned tags, as a registry would serve
    database = f"todo_{uuid.uuid4().hex[:8]}"
    url = postgres.create_database(database)
    secret = PROFILE["backend"]["secret"]["existingSecret"]
    release = None
    try:
        kubectl(
            "-n", module_namespace, "create", "secret", "generic", secret,
            f"--from-literal=DATABASE_URL={url}",
            f"--from-literal=BETTER_AUTH_SECRET={secrets.token_urlsafe(64)}",
            "--from-literal=OPENAI_API_KEY=",
        )  # fmt: skip
        release = install_chart(module_namespace, prefix="prod", profile="production")
        yield Production(release, postgres, database)
    finally:
        # the pods go before their database does; the namespace goes after the module
        if release is not None:
            live.helm(
                "uninstall",
                release.name,
                "-n",
                module_namespace,
                "--wait",
                check=False,
                timeout=300,
            )
        with contextlib.suppress(ClusterError):
            postgres.sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            postgres.sql(f"DROP ROLE IF EXISTS {database}")


def _key(component: dict) -> str:
    return "frontend" if component is FRONTEND else "backend"


# ---- port-forward and HTTP -------------------------------------------------------------------
@contextlib.contextmanager
def port_forward(namespace: str, target: str, port: int) -> Iterator[str]:
    """``kubectl port-forward <target> :<port>``; yield its local base URL."""
    cmd = kubectl_argv("port-forward", "-n", namespace, target, f":{port}")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "Forwarding from 127.0.0.1:NNNNN -> port"
        found = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not found:
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"port-forward {target}: {line}{err}", pytrace=False)
        yield f"http://127.0.0.1:{found.group(1)}"
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=10)  # also closes its pipes
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None):
    """One JSON request; return (status, parsed JSON body or text)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read().decode()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def backend_pods(release: Release) -> list[dict]:
    pods = [
        p
        for p in get(release, "pods")
        if p["metadata"]["labels"].get("app.kubernetes.io/component") == "backend"
        and not p["metadata"].get("deletionTimestamp")
    ]
    return sorted(pods, key=lambda p: p["metadata"]["name"])


# ---- the tests -------------------------------------------------------------------------------
def test_rolled_out_with_pinned_tags_and_two_ready_replicas(production):
    assert live.helm_status(production.release)["info"]["status"] == "deployed"
    for component in (FRONTEND, BACKEND):
        (dep,) = get(production.release, "deployment", component["deployment"])
        wanted = PROFILE[_key(component)]["replicaCount"]
        assert wanted >= 2
        status = dep["status"]
        assert (status.get("readyReplicas"), status.get("updatedReplicas")) == (wanted, wanted)
        (container,) = dep["spec"]["template"]["spec"]["containers"]
        tag = PROFILE[_key(component)]["image"]["tag"]
        assert container["image"] == f"{component['image']['repository']}:{tag}"
        assert tag != "latest" and container["imagePullPolicy"] == "IfNotPresent"
        (svc,) = get(production.release, "service", component["service"])
        assert svc["spec"]["type"] == "ClusterIP"


def test_reachable_through_port_forward(production):
    ns = production.release.namespace
    with port_forward(ns, f"service/{FRONTEND['service']}", FRONTEND["port"]) as web:
        status, _ = call(web, "GET", FRONTEND["healthPath"])
        assert status == 200
    with port_forward(ns, f"service/{BACKEND['service']}", BACKEND["port"]) as api:
        assert call(api, "GET", BACKEND["healthPath"])[0] == 200
        assert call(api, "GET", "/ready") == (200, {"status": "ok", "database": "ok"})


def test_the_secret_made_outside_the_chart_is_consumed(production):
    secret = PROFILE["backend"]["secret"]["existingSecret"]
    manifest = helm("get", "manifest", production.release.name, "-n", production.release.namespace)
    kinds = {d["kind"] for d in yaml.safe_load_all(manifest.stdout) if d}
    assert "Secret" not in kinds, "the chart rendered a Secret although existingSecret is set"
    for pod in backend_pods(production.release):
        (container,) = pod["spec"]["containers"]
        assert {"secretRef": {"name": secret}} in container["envFrom"]
    # the backend connected with the Secret's DATABASE_URL: its tables are in our database
    tables = production.server.sql(
        "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
        "WHERE schemaname = 'public'",
        production.database,
    )
    assert {"tasks", "users"} <= set(tables.split(",")), tables


def test_two_replicas_share_one_database(production):
    """A task created through one backend pod is listed through the other; a token
    signed by one is accepted by the other (the shared BETTER_AUTH_SECRET)."""
    ns = production.release.namespace
    first, second = (p["metadata"]["name"] for p in backend_pods(production.release)[:2])
    email = f"ada-{uuid.uuid4().hex[:6]}@example.com"
    title = f"task made on {first}"
    with port_forward(ns, f"pod/{first}", BACKEND["port"]) as one:
        status, body = call(
            one,
            "POST",
            "/api/auth/signup",
            {"email": email, "password": "correct horse", "name": "Ada"},
        )
        assert status == 201, body
        token_one = body["access_token"]
        assert call(one, "POST", "/api/tasks", {"title": title}, token_one)[0] == 201
    with port_forward(ns, f"pod/{second}", BACKEND["port"]) as two:
        status, body = call(
            two, "POST", "/api/auth/login", {"email": email, "password": "correct horse"}
        )
        assert status == 200, body
        status, tasks = call(two, "GET", "/api/tasks", token=body["access_token"])
        assert status == 200 and [t["title"] for t in tasks] == [title], tasks
        assert call(two, "GET", "/api/auth/me", token=token_one)[0] == 200


def settled_budget(release: Release, name: str, timeout: float = 120) -> dict:
    """The PodDisruptionBudget's status once the disruption controller counts 2 healthy pods."""
    deadline = time.monotonic() + timeout
    while True:
        (pdb,) = get(release, "poddisruptionbudget", name)
        status = pdb.get("status", {})
        if status.get("expectedPods") == 2 and status.get("currentHealthy") == 2:
            return status
        assert time.monotonic() < deadline, f"PDB {name} never settled: {status}"
        time.sleep(1)


def test_budget_and_spread_for_a_multi_node_cluster(production):
    for component in (FRONTEND, BACKEND):
        (dep,) = get(production.release, "deployment", component["deployment"])
        (spread,) = dep["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert (spread["topologyKey"], spread["whenUnsatisfiable"]) == (
            "kubernetes.io/hostname",
            "ScheduleAnyway",
        )
        assert (
            settled_budget(production.release, component["deployment"])["disruptionsAllowed"] == 1
        )


def evict(namespace: str, pod: str) -> tuple[int, str]:
    """Ask the eviction API to evict ``pod``; return (HTTP status, the server's message)."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    api = client.CoreV1Api(api_client())
    body = client.V1Eviction(metadata=client.V1ObjectMeta(name=pod, namespace=namespace))
    try:
        api.create_namespaced_pod_eviction(pod, namespace, body)
    except ApiException as exc:
        message = exc.body or exc.reason
        with contextlib.suppress(ValueError, TypeError):
            message = json.loads(exc.body)["message"]
        return exc.status, message
    finally:
        api.api_client.close()
    return 201, "evicted"


def test_eviction_api_keeps_the_last_available_pod(production):
    """The first eviction of a backend pod succeeds; the second, while the first pod's
    replacement is not ready yet, is refused by the PodDisruptionBudget; then the
    Deployment restores two ready pods and the budget allows one eviction again."""
    release = production.release
    name = BACKEND["deployment"]
    settled_budget(release, name)
    first, second = (p["metadata"]["name"] for p in backend_pods(release)[:2])
    assert evict(release.namespace, first) == (201, "evicted")
    status, message = evict(release.namespace, second)
    assert status == 429, f"second eviction: {status} {message}"
    assert "disruption budget" in message, message
    assert settled_budget(release, name)["disruptionsAllowed"] == 1
    assert second in {p["metadata"]["name"] for p in backend_pods(release)}
