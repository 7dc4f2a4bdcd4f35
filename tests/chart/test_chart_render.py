"""The chart renders what the entity model says, for every supported profile.

These tests read the rendered objects directly (Helm's own SDK in-process + plain
YAML), so they prove the chart even if the policy engine itself were wrong.
tests/chart/test_render.py proves the SDK renders what the helm CLI renders; the
CLI itself runs here only for ``helm lint``.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

from kubeproof.load.chart import deep_merge
from kubeproof.testing.environment import require
from tests.background import Background

ROOT = Path(__file__).resolve().parents[2]
APP = yaml.safe_load((ROOT / "kubeproof.yaml").read_text())
CHART = ROOT / APP["chart"]
PROFILES = APP["profiles"]
COMPONENTS = APP["components"]


def helm_template(*args: str) -> subprocess.CompletedProcess[str]:
    """What ``helm template todo CHART --namespace todo ARGS`` prints (stdout) or says
    (stderr, exit 1), rendered in-process by Helm's SDK (helm-python-sdk) in a few
    milliseconds instead of a helm process each: ``-f FILE`` and ``--set K=V`` are
    read by Helm's own values and strvals parsers, in the CLI's order."""
    import helm_python as helm

    values: dict = {}
    for flag, arg in zip(args[::2], args[1::2], strict=True):
        if flag in ("-f", "--values"):
            more = helm.values_from_yaml(Path(arg).read_text())
        elif flag == "--set":
            more = helm.parse_set_string(arg)
        else:
            raise ValueError(f"helm_template: {flag} is not supported here")
        values = deep_merge(values, more)
    try:
        with helm.Chart.load(str(CHART)) as chart:
            chart.validate_schema(chart.merge_values(values))
            out = chart.render(values, name="todo", namespace="todo", is_install=True)
    except helm.HelmError as err:
        return subprocess.CompletedProcess(args, 1, "", f"Error: {err}")
    docs = "".join(
        f"---\n# Source: {name}\n{text}\n"
        for name, text in sorted(out.items())
        if name.endswith((".yaml", ".yml")) and text.strip()
    )
    return subprocess.CompletedProcess(args, 0, docs, "")


@cache
def rendered(profile: str) -> dict[tuple[str, str], dict]:
    result = helm_template("-f", str(ROOT / PROFILES[profile]))
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def deployment(profile: str, component: str) -> dict:
    return rendered(profile)[("Deployment", COMPONENTS[component]["deployment"])]


def container(profile: str, component: str) -> dict:
    (only,) = deployment(profile, component)["spec"]["template"]["spec"]["containers"]
    return only


profiles = pytest.mark.parametrize("profile", sorted(PROFILES))
components = pytest.mark.parametrize("component", sorted(COMPONENTS))


@profiles
def test_profile_renders_the_spec_objects(profile):
    objects = set(rendered(profile))
    for spec in COMPONENTS.values():
        assert ("Deployment", spec["deployment"]) in objects
        assert ("Service", spec["service"]) in objects
        assert ("ConfigMap", spec["configMap"]["name"]) in objects


@profiles
@components
def test_deployment_matches_the_spec(profile, component):
    spec = COMPONENTS[component]
    dep = deployment(profile, component)
    c = container(profile, component)
    assert dep["spec"]["replicas"] >= (2 if profile == "production" else 1)
    assert c["image"].split(":")[0] == spec["image"]["repository"]
    assert c["ports"] == [{"name": "http", "containerPort": spec["port"], "protocol": "TCP"}]
    assert c["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }
    for probe in ("livenessProbe", "readinessProbe"):
        assert c[probe]["httpGet"] == {"path": spec["healthPath"], "port": "http"}
    assert dep["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    assert dep["spec"]["selector"]["matchLabels"].items() <= (
        dep["spec"]["template"]["metadata"]["labels"].items()
    )


@profiles
@components
def test_security_context_matches_the_image_user(profile, component):
    user = COMPONENTS[component]["image"]["user"]
    pod = deployment(profile, component)["spec"]["template"]["spec"]
    sc = container(profile, component)["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (
        user["uid"],
        user["gid"],
    )
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]}
    mounts = {m["mountPath"] for m in container(profile, component).get("volumeMounts", [])}
    assert "/tmp" in mounts


@pytest.mark.parametrize(
    ("profile", "service_type", "pull_policy"),
    [("minikube", "NodePort", "Never"), ("production", "ClusterIP", "IfNotPresent")],
)
@components
def test_service_and_pull_policy_per_profile(profile, service_type, pull_policy, component):
    spec = COMPONENTS[component]
    svc = rendered(profile)[("Service", spec["service"])]
    assert svc["spec"]["type"] == service_type
    (port,) = svc["spec"]["ports"]
    assert (port["port"], port["targetPort"]) == (spec["port"], "http")
    if service_type == "NodePort":
        assert 30000 <= port["nodePort"] <= 32767
    else:
        assert "nodePort" not in port
    labels = deployment(profile, component)["spec"]["template"]["metadata"]["labels"]
    assert svc["spec"]["selector"].items() <= labels.items()
    assert container(profile, component)["imagePullPolicy"] == pull_policy
    if profile == "production":
        assert not container(profile, component)["image"].endswith(":latest")


@profiles
def test_configmaps_hold_the_spec_keys(profile):
    objects = rendered(profile)
    backend = COMPONENTS["backend"]
    for spec in COMPONENTS.values():
        data = objects[("ConfigMap", spec["configMap"]["name"])]["data"]
        assert set(spec["configMap"]["keys"]) <= set(data)
    frontend_data = objects[("ConfigMap", COMPONENTS["frontend"]["configMap"]["name"])]["data"]
    assert frontend_data["API_BASE_URL"] == (
        f"http://{backend['service']}.todo.svc.cluster.local:{backend['port']}"
    )


@components
def test_production_fits_a_multi_node_cluster(component):
    """Two or more replicas, a PodDisruptionBudget that lets a drain take one pod at a
    time, and replicas spread across nodes where there are several (ScheduleAnyway)."""
    spec = COMPONENTS[component]
    dep = deployment("production", component)
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    pdb = rendered("production")[("PodDisruptionBudget", spec["deployment"])]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert 1 <= pdb["spec"]["maxUnavailable"] < dep["spec"]["replicas"]
    (spread,) = dep["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert (spread["topologyKey"], spread["whenUnsatisfiable"], spread["maxSkew"]) == (
        "kubernetes.io/hostname",
        "ScheduleAnyway",
        1,
    )
    assert spread["labelSelector"]["matchLabels"].items() <= pod_labels.items()
    # Minikube: one replica on one node, nothing to budget or spread
    assert ("PodDisruptionBudget", spec["deployment"]) not in rendered("minikube")
    assert (
        "topologySpreadConstraints"
        not in deployment("minikube", component)["spec"]["template"]["spec"]
    )


def test_secret_placeholders_and_existing_secret():
    spec = COMPONENTS["backend"]["secret"]
    secret = rendered("minikube")[("Secret", spec["name"])]
    assert secret["type"] == spec["type"]
    assert secret["stringData"] == dict.fromkeys(spec["keys"], "CHANGE_ME")
    # production reads a Secret created outside the chart
    assert ("Secret", spec["name"]) not in rendered("production")
    env_from = container("production", "backend")["envFrom"]
    assert {"secretRef": {"name": spec["name"]}} in env_from


@profiles
def test_helm_test_pod_reaches_both_services(profile):
    pods = [obj for (kind, _), obj in rendered(profile).items() if kind == "Pod"]
    (pod,) = pods
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert pod["spec"]["restartPolicy"] == "Never"
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    (c,) = pod["spec"]["containers"]
    assert c["resources"]["limits"]
    for spec in COMPONENTS.values():
        assert f"http://{spec['service']}:{spec['port']}{spec['healthPath']}" in c["command"]


def test_config_change_rolls_the_pods():
    base = deployment("minikube", "backend")["spec"]["template"]["metadata"]["annotations"]
    changed = helm_template(
        "-f", str(ROOT / PROFILES["minikube"]), "--set", "backend.config.jwtExpirationDays=3"
    )
    assert changed.returncode == 0, changed.stderr
    docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(changed.stdout) if d}
    after = docs[("Deployment", COMPONENTS["backend"]["deployment"])]
    assert (
        after["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        != (base["checksum/config"])
    )


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("frontend.service.nodePort=29999", "nodePort"),
        ("backend.service.type=LoadBalancer", "type"),
        ("frontend.image.tag=", "tag"),
        ("backend.image.pullPolicy=Sometimes", "pullPolicy"),
        ("backend.resources.limits.memory=lots", "memory"),
        ("frontend.replicaCount=0", "replicaCount"),
        ("backend.config.jwtAlgorithm=none", "jwtAlgorithm"),
        ("frontend.colour=blue", "colour"),
        ("frontend.service.port=3001", "port"),
        ("backend.resources.requests.cpu=600m", "backend.resources.requests.cpu (600m)"),
        ("frontend.resources.requests.memory=1Gi", "frontend.resources.requests.memory (1Gi)"),
        (
            "backend.service.nodePort=30080",
            "frontend.service.nodePort and backend.service.nodePort",
        ),
        (
            "backend.replicaCount=2",
            "backend.replicaCount is 2 but backend.secret.betterAuthSecret is a placeholder",
        ),
        (
            "frontend.podDisruptionBudget.enabled=true",
            "frontend.podDisruptionBudget.maxUnavailable (1) is not below frontend.replicaCount",
        ),
        (
            "backend.replicaCount=2",
            "backend.replicaCount is 2 but backend.secret.databaseUrl is a placeholder",
        ),
    ],
)
def test_wrong_value_fails_the_render_naming_it(override, named):
    result = helm_template("-f", str(ROOT / PROFILES["minikube"]), "--set", override)
    assert result.returncode != 0, f"--set {override} rendered"
    assert named in result.stderr, result.stderr


def test_every_wrong_value_is_named_in_one_failure():
    """Validation collects its messages before one `fail`: a user fixes all in one go."""
    result = helm_template(
        "-f",
        str(ROOT / PROFILES["minikube"]),
        "--set",
        "backend.resources.requests.cpu=600m",
        "--set",
        "tests.resources.requests.memory=1Gi",
        "--set",
        "backend.service.nodePort=30080",
    )
    assert result.returncode != 0
    assert result.stderr.count("execution error") == 1, result.stderr
    for named in (
        "backend.resources.requests.cpu (600m)",
        "tests.resources.requests.memory (1Gi)",
        "frontend.service.nodePort and backend.service.nodePort",
    ):
        assert named in result.stderr, result.stderr


def test_one_object_per_template_file_under_its_component():
    templates = CHART / "templates"
    loose = sorted(p.name for p in templates.glob("*.yaml"))
    assert not loose, f"object templates outside templates/<component>/: {loose}"
    for template in sorted(templates.glob("*/*.yaml")):
        text = template.read_text()
        assert text.count("\nkind: ") + text.startswith("kind: ") == 1, template
        assert template.parent.name in {*COMPONENTS, "tests"}, template


@pytest.mark.parametrize(
    "values",
    [
        ["backend.secret.existingSecret=todo-backend-secret"],
        [
            "backend.secret.betterAuthSecret=" + "s" * 48,
            "backend.secret.databaseUrl=postgresql://db/x",
        ],
    ],
)
def test_several_backend_replicas_render_with_real_secrets(values):
    args = ["-f", str(ROOT / PROFILES["minikube"]), "--set", "backend.replicaCount=2"]
    for value in values:
        args += ["--set", value]
    result = helm_template(*args)
    assert result.returncode == 0, result.stderr


def test_chart_defaults_render_deterministically():
    """No random values in templates: two renders of the defaults are byte-identical."""
    first, second = (helm_template("-f", str(ROOT / PROFILES["minikube"])) for _ in range(2))
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    templates = "".join(p.read_text() for p in (CHART / "templates").rglob("*") if p.is_file())
    assert not re.findall(r"\b(rand[A-Z]\w*|uuidv4|now|lookup)\b", templates)


@pytest.fixture(scope="module")
def kubernetes_validate():
    """Return kubernetes_validate, reading each schema file once (it re-reads the
    definitions, megabytes of JSON, on every call)."""
    import kubernetes_validate
    from kubernetes_validate import utils

    original = utils.schema_contents
    utils.schema_contents = cache(original)
    yield kubernetes_validate
    utils.schema_contents = original


@profiles
def test_every_object_validates_strictly_against_kubernetes_1_34(profile, kubernetes_validate):
    for (kind, name), obj in rendered(profile).items():
        try:
            kubernetes_validate.validate(obj, "1.34", strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{kind}/{name}: {exc.message}")


LINT = {
    profile: Background(
        ["helm", "lint", "--strict", str(CHART)]
        + (["-f", str(ROOT / PROFILES[profile])] if profile else [])
    )
    for profile in [None, *sorted(PROFILES)]
}


@pytest.mark.parametrize(
    "profile",
    [pytest.param(p, marks=pytest.mark.prestart.with_args(bg.start)) for p, bg in LINT.items()],
)
def test_helm_lint_strict_is_clean(profile):
    require("helm")
    result = LINT[profile].result()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout, result.stdout


def test_every_value_is_commented_starting_with_its_name():
    """values.yaml documents itself: each key's line is preceded by `# <key> -- ...`."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    undocumented = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "- ")) or ":" not in stripped:
            continue
        key = stripped.split(":", 1)[0]
        previous = lines[i - 1].strip() if i else ""
        if not previous.startswith(f"# {key} -- "):
            undocumented.append(f"values.yaml:{i + 1}: {key}")
    assert not undocumented, "keys without a `# <key> -- ...` comment:\n" + "\n".join(undocumented)
