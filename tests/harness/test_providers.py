"""Cluster providers, the command runner and the namespace factory, without a cluster."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from kubeproof.testing import namespaces, providers, runner
from kubeproof.testing.providers import ClusterError, Options

ROOT = Path(__file__).resolve().parents[2]
PATHS_ENV = ROOT / "scripts" / "cluster" / "paths.env"


def test_every_provider_is_registered_by_its_name():
    assert sorted(providers.REGISTRY) == ["current", "kind", "kubeproof", "minikube"]
    for name, cls in providers.REGISTRY.items():
        assert cls.name == name


def test_an_unknown_provider_is_refused_naming_the_known_ones():
    with pytest.raises(ClusterError, match=r"unknown cluster provider 'k3s'; known: current, kind"):
        providers.create("k3s", Options())


def test_cluster_paths_are_the_same_for_bash_and_python():
    """cluster.sh sources paths.env; the harness parses it: both must read the same values."""
    python = providers.read_env_file(PATHS_ENV)
    keys = sorted(python)
    script = f"set -eu; . {PATHS_ENV}; " + "; ".join(f'echo "${{{k}}}"' for k in keys)
    bash = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert bash.stdout.splitlines() == [python[k] for k in keys]
    assert python["KUBEPROOF_CLUSTER_KUBECONFIG"] == "/var/lib/kubeproof-cluster/kubeconfig"
    assert "kubelet" in python["KUBEPROOF_CLUSTER_COMPONENTS"].split()


def test_env_file_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "paths.env"
    bad.write_text("# comment\nA=1\nnot an assignment\n")
    with pytest.raises(ClusterError, match=r"paths\.env:3: expected KEY=VALUE"):
        providers.read_env_file(bad)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("todo-backend:1", "docker.io/library/todo-backend:1"),
        ("todo-backend", "docker.io/library/todo-backend:latest"),
        ("kubeproof/pause:3.10", "docker.io/kubeproof/pause:3.10"),
        ("localhost:5000/app:2", "localhost:5000/app:2"),
        ("ghcr.io/o/app", "ghcr.io/o/app:latest"),
    ],
)
def test_containerd_ref(ref, expected):
    assert providers.containerd_ref(ref) == expected


def test_the_runner_reports_a_missing_tool_in_one_line(fake_tools):
    with pytest.raises(ClusterError, match=r"^kind get clusters: kind not on PATH$"):
        runner.run(["kind", "get", "clusters"])


def test_the_runner_reports_the_failing_command_and_its_stderr(fake_tools):
    fake_tools.add("kubectl", 'echo "forbidden: you shall not pass" >&2; exit 3')
    with pytest.raises(ClusterError) as err:
        runner.kubectl("get", "pods", to=runner.Target(kubeconfig=Path("/k"), context="c"))
    assert str(err.value) == "kubectl get pods failed (exit 3): forbidden: you shall not pass"
    assert fake_tools.calls == ["kubectl --kubeconfig /k --context c get pods"]


def test_the_runner_bounds_every_command(fake_tools):
    fake_tools.add("helm", "sleep 5")
    with pytest.raises(ClusterError, match=r"^helm list: timed out after 0.2 s$"):
        runner.helm("list", timeout=0.2)


def test_helm_gets_the_kube_context_flag():
    argv = runner.helm_argv("status", "x", to=runner.Target(Path("/k"), "ctx"))
    assert argv == ["helm", "status", "x", "--kubeconfig", "/k", "--kube-context", "ctx"]


def test_ctr_needs_our_containerd_socket():
    with pytest.raises(ClusterError, match="no containerd socket"):
        runner.ctr_argv("images", "ls", to=runner.Target())
    argv = runner.ctr_argv("images", "ls", to=runner.Target(containerd_socket=Path("/s")))
    assert argv == ["ctr", "--address", "/s", "--namespace", "k8s.io", "images", "ls"]


# --- kind ---------------------------------------------------------------------------

#: A kubeconfig as kind writes one (pytest-kind parses it), for a server that never answers.
KUBECONFIG_DOC = """apiVersion: v1
kind: Config
clusters: [{name: kind-kp, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: kind-kp, user: {}}]
contexts: [{name: kind-kp, context: {cluster: kind-kp, user: kind-kp}}]
current-context: kind-kp"""

KIND = (
    f"""
KUBECONFIG_DOC='{KUBECONFIG_DOC}'"""
    + """
state="$(dirname "$0")/kind-clusters"
case "$1" in
  get) cat "$state" 2>/dev/null || true ;;
  create) echo "${3#--name=}" >>"$state"; printf '%s\n' "$KUBECONFIG_DOC" >"${4#--kubeconfig=}" ;;
  delete) : >"$state" ;;
  load) ;;
esac
"""
)


def kind_options(tmp_path: Path, keep: bool = False) -> Options:
    return Options(kind_name="kp", keep_cluster=keep, workdir=tmp_path)


def test_kind_without_its_binary_says_it_is_never_downloaded(fake_tools, tmp_path):
    reason = providers.create("kind", kind_options(tmp_path)).ensure()
    assert reason is not None
    assert "kind not on PATH (never downloaded here" in reason


def test_kind_makes_a_throwaway_cluster_with_binaries_from_path(fake_tools, tmp_path):
    fake_tools.add("kind", KIND)
    fake_tools.add("kubectl", "exit 1")  # the fake cluster never answers /readyz
    kind = providers.create("kind", kind_options(tmp_path))
    reason = kind.ensure()
    assert reason is not None and "the API server does not answer" in reason
    kubeconfig = tmp_path / ".pytest-kind" / "kp" / "kubeconfig"
    assert kind.target().kubeconfig == kubeconfig
    assert providers.current_context(kubeconfig) == "kind-kp"
    kind.load_image("todo-backend:1")
    kind.close()
    assert fake_tools.calls == [
        "kind get clusters",
        f"kind create cluster --name=kp --kubeconfig={kubeconfig}",
        f"kubectl --kubeconfig {kubeconfig} get --raw /readyz --request-timeout=5s",
        "kind load docker-image todo-backend:1 --name kp",
        f"kind delete cluster --name=kp --kubeconfig={kubeconfig}",
    ]


def test_kind_keep_cluster_reuses_the_cluster_and_never_deletes_it(fake_tools, tmp_path):
    fake_tools.add("kind", KIND)
    fake_tools.add("kubectl", "exit 0")
    (fake_tools.bindir / "kind-clusters").write_text("kp\n")  # made by an earlier run
    (tmp_path / ".pytest-kind" / "kp").mkdir(parents=True)
    (tmp_path / ".pytest-kind" / "kp" / "kubeconfig").write_text(KUBECONFIG_DOC)
    kind = providers.create("kind", kind_options(tmp_path, keep=True))
    assert kind.ensure() is None
    kind.close()
    assert not any(c.startswith(("kind create", "kind delete")) for c in fake_tools.calls)


# --- minikube -------------------------------------------------------------------------


def test_minikube_without_its_binary_says_why(fake_tools):
    reason = providers.create("minikube", Options()).ensure()
    assert reason is not None and "minikube not on PATH" in reason


def test_a_stopped_minikube_profile_is_named_with_the_command_to_start_it(fake_tools):
    fake_tools.add("minikube", """echo '{"Host":"Stopped","APIServer":"Stopped"}'; exit 7""")
    reason = providers.create("minikube", Options(minikube_profile="demo")).ensure()
    assert reason is not None
    assert "profile 'demo' is not running" in reason and "minikube start -p demo" in reason


def test_a_running_minikube_profile_is_used_through_its_context(fake_tools, tmp_path):
    fake_tools.add("minikube", """echo '{"Host":"Running","APIServer":"Running"}'""")
    fake_tools.add("kubectl", "exit 0")
    cfg = tmp_path / "config"
    cfg.write_text("current-context: other\n")
    mk = providers.create("minikube", Options(kubeconfig=cfg, minikube_profile="demo"))
    assert mk.ensure() is None
    mk.load_image("todo-frontend:1")
    mk.remove_image("todo-frontend:1")
    assert fake_tools.calls == [
        "minikube status -o json -p demo",
        f"kubectl --kubeconfig {cfg} --context demo get --raw /readyz --request-timeout=5s",
        "minikube image load todo-frontend:1 -p demo",
        "minikube image rm todo-frontend:1 -p demo",
    ]


# --- current and ours -------------------------------------------------------------------


def test_current_without_a_kubeconfig_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    reason = providers.create("current", Options(kubeconfig=None)).ensure()
    assert reason is not None and reason.startswith("no kubeconfig")


@pytest.mark.parametrize(
    ("context", "owner", "detail"),
    [("kind-dev", "kind", "dev"), ("minikube", "minikube", "minikube"), ("gke_x", None, None)],
)
def test_current_loads_images_the_way_its_cluster_takes_them(tmp_path, context, owner, detail):
    cfg = tmp_path / "config"
    cfg.write_text(f"current-context: {context}\n")
    found = providers.create("current", Options(kubeconfig=cfg)).owner()
    assert (found.name if found else None) == owner
    if isinstance(found, providers.Kind):
        assert found.options.kind_name == detail and found.target().kubeconfig == cfg
    if isinstance(found, providers.Minikube):
        assert found.target().context == detail


def test_current_refuses_to_load_images_into_an_unknown_cluster(tmp_path):
    cfg = tmp_path / "config"
    cfg.write_text("current-context: gke_x\n")
    with pytest.raises(ClusterError, match="no way to load local images"):
        providers.create("current", Options(kubeconfig=cfg)).load_image("a:1")


def test_ours_without_a_checkout_or_a_cluster_says_what_is_missing(tmp_path):
    reason = providers.create("kubeproof", Options(cluster_env=tmp_path / "none.env")).ensure()
    assert reason is not None and "none.env not found" in reason
    env = tmp_path / "paths.env"
    env.write_text(f"KUBEPROOF_CLUSTER_KUBECONFIG={tmp_path}/kubeconfig\n")
    reason = providers.create("kubeproof", Options(cluster_env=env)).ensure()
    assert reason is not None and "cluster.sh up" in reason


def test_the_default_is_ours_when_required_or_present(tmp_path):
    missing = Options(cluster_env=tmp_path / "none.env")
    assert providers.default_name(missing) == "current"
    assert providers.default_name(missing, required=True) == "kubeproof"
    env = tmp_path / "paths.env"
    (tmp_path / "kubeconfig").write_text("{}")
    env.write_text(f"KUBEPROOF_CLUSTER_KUBECONFIG={tmp_path}/kubeconfig\n")
    assert providers.default_name(Options(cluster_env=env)) == "kubeproof"


# --- namespaces ----------------------------------------------------------------------


def test_namespace_names_are_random_dns_labels():
    names = {namespaces.random_name("kp-" + "x" * 80) for _ in range(20)}
    assert len(names) == 20
    assert all(re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", n) and len(n) <= 63 for n in names)


def test_namespaces_are_labelled_with_run_host_and_pid():
    labels = namespaces.labels("abc123")
    assert labels["app.kubernetes.io/managed-by"] == "kubeproof-tests"
    assert labels[namespaces.RUN_LABEL] == "abc123"
    assert labels[namespaces.PID_LABEL].isdigit()


DOCKER = """case "$1 $2" in
  "image inspect") echo sha256:new ;;
  "save "*) echo "archive of $2" ;;
esac"""


def ours_with_fake_containerd(tmp_path: Path, fake_tools, loaded_config: str) -> providers.Provider:
    """Our provider on fake docker/ctr; containerd holds app:1 with config ``loaded_config``."""
    (tmp_path / "containerd.sock").write_text("")
    env = tmp_path / "paths.env"
    env.write_text(f"KUBEPROOF_CLUSTER_CONTAINERD_SOCKET={tmp_path}/containerd.sock\n")
    fake_tools.add("docker", DOCKER)
    manifest = json.dumps({"config": {"digest": loaded_config}})
    fake_tools.add(
        "ctr",
        f"""case "$5 $6" in
  "images ls") printf 'REF TYPE DIGEST\\ndocker.io/library/app:1 x sha256:m\\n' ;;
  "content get") echo '{manifest}' ;;
  "images import") cat >"{tmp_path}/imported" ;;
esac""",
    )
    return providers.create("kubeproof", Options(cluster_env=env))


def test_ours_skips_an_import_containerd_already_has(tmp_path, fake_tools):
    ours = ours_with_fake_containerd(tmp_path, fake_tools, loaded_config="sha256:new")
    ours.load_image("app:1")
    assert not (tmp_path / "imported").exists()
    assert not any("images import" in c for c in fake_tools.calls), fake_tools.calls


def test_ours_imports_a_changed_image(tmp_path, fake_tools):
    ours = ours_with_fake_containerd(tmp_path, fake_tools, loaded_config="sha256:old")
    ours.load_image("app:1")
    assert (tmp_path / "imported").read_text() == "archive of app:1\n"
