"""Operators over rendered Kubernetes objects: probes, ports, Services, security, resources,
rollouts, images, ConfigMaps and Secrets, the helm test pod, schema."""

from __future__ import annotations

import re
from typing import Any

from ..checks.util import http_probe, mapping, mappings, quantity
from .operators import POD_KINDS, SERVING, Mut, named_ports, operator, setdefault_path

PROBES = ("livenessProbe", "readinessProbe")
FAKE_API_KEY = "sk-proj-" + "Q3xT9vLm2RkW7pZa5NcY8bHd4FgJ6sEu"  # OpenAI-shaped, high entropy


def _sc(c: dict[str, Any]) -> dict[str, Any]:
    return setdefault_path(c, "securityContext")


#: The rules that judge a written securityContext field by field. A container without
#: one is security-context-set's single finding; a mutant that writes one field there
#: lets the others judge that securityContext too: a consequence, not noise.
HARDENING = (
    "drop-all-capabilities",
    "no-privilege-escalation",
    "read-only-root-filesystem",
    "run-as-non-root",
    "run-as-user-numeric",
    "seccomp-runtime-default",
)


def _sc_operator(name: str, rule: str, *more: str, kinds: Any = POD_KINDS, **kw: Any) -> Any:
    """An operator that writes a container's securityContext so that ``rule`` fires; the
    hardening rules (and ``more``) may fire too."""
    also = [r for r in HARDENING if r != rule] + list(more)
    return operator(name, rules=[rule], also=also, scope="container", kinds=kinds, **kw)


def _services(m: Mut) -> list[Any]:
    return m.objects("Service")


def _spec(obj: Any) -> dict[str, Any]:
    """An object's spec (empty where it has none)."""
    return mapping(obj.data.get("spec"))


def _service_ports(svc: Any) -> list[dict[str, Any]]:
    return mappings(_spec(svc).get("ports"))


# --- probes -------------------------------------------------------------------


@operator(
    "drop-probe",
    rules=["probes-present"],
    scope="container",
    kinds=SERVING,
    hooks="exclude",
    variants=PROBES,
)
def drop_probe(m: Mut) -> bool:
    """Remove a container's liveness or readiness probe."""
    return m.container.pop(m.variant, None) is not None


@operator(
    "probe-path-changed",
    rules=["probe-health-path", "healthcheck-matches-probe"],
    scope="container",
    kinds=SERVING,
    hooks="exclude",
    variants=PROBES,
)
def probe_path_changed(m: Mut) -> bool:
    """Point an HTTP probe at another path."""
    http = http_probe(m.container, m.variant)
    if http is None:
        return False
    http["path"] = "/mutated-elsewhere"
    return True


@operator(
    "probe-port-changed",
    rules=["probes-present"],
    also=["healthcheck-matches-probe"],
    scope="container",
    kinds=SERVING,
    hooks="exclude",
    variants=PROBES,
)
def probe_port_changed(m: Mut) -> bool:
    """Point an HTTP probe at a port the container does not declare."""
    http = http_probe(m.container, m.variant)
    if http is None:
        return False
    declared = {p.get("containerPort") for p in named_ports(m.container)}
    http["port"] = next(p for p in range(9000, 9100) if p not in declared)
    return True


# --- container ports and Services -----------------------------------------------


@operator(
    "container-port-renamed",
    rules=["target-port-resolves", "container-port-named-http"],
    also=[
        "probes-present",
        "healthcheck-matches-probe",
        "expose-port-chain",
    ],
    scope="container",
    kinds=POD_KINDS,
)
def container_port_renamed(m: Mut) -> bool:
    """Rename a container port that a Service's targetPort refers to by name."""
    targeted = {str(p.get("targetPort")) for s in _services(m) for p in _service_ports(s)}
    for p in named_ports(m.container):
        if p.get("name") and p["name"] in targeted:
            p["name"] = f"{p['name']}-renamed"[:15]
            return True
    return False


@operator(
    "container-port-renumbered",
    rules=["service-port-matches-container", "expose-port-chain", "healthcheck-matches-probe"],
    scope="container",
    kinds=SERVING,
    hooks="exclude",
)
def container_port_renumbered(m: Mut) -> bool:
    """Change the number of a container's first port (the Service and image keep theirs)."""
    ports = named_ports(m.container)
    if not ports or not isinstance(ports[0].get("containerPort"), int):
        return False
    ports[0]["containerPort"] += 1
    return True


@operator(
    "selector-value-changed",
    rules=["selector-matches-one-workload"],
    scope="object",
    kinds=["Service"],
)
def selector_value_changed(m: Mut) -> bool:
    """Change the value of one label in a Service's selector."""
    selector = _spec(m.obj).get("selector")
    if not isinstance(selector, dict) or not selector:
        return False
    key = sorted(selector)[-1]
    selector[key] = f"{selector[key]}-mutated"
    return True


@operator(
    "selector-label-added",
    rules=["selector-matches-one-workload"],
    scope="object",
    kinds=["Service"],
)
def selector_label_added(m: Mut) -> bool:
    """Add a label no pod carries to a Service's selector."""
    selector = _spec(m.obj).get("selector")
    if not isinstance(selector, dict) or not selector:
        return False
    selector["mutated.kubeproof.io/extra"] = "true"
    return True


@operator(
    "pod-label-changed",
    rules=["selector-matches-pod-template"],
    also=["selector-matches-one-workload"],
    scope="object",
    kinds=["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"],
)
def pod_label_changed(m: Mut) -> bool:
    """Change a pod template label that the workload's own selector matches on."""
    selector = _spec(m.obj).get("selector")
    match = selector.get("matchLabels") if isinstance(selector, dict) else None
    labels = m.obj.pod_labels
    keys = sorted(k for k in (match or {}) if k in labels)
    if not keys:
        return False
    labels[keys[-1]] = f"{labels[keys[-1]]}-mutated"
    return True


@operator(
    "target-port-missing",
    rules=["target-port-resolves"],
    also=["expose-port-chain"],
    scope="object",
    kinds=["Service"],
)
def target_port_missing(m: Mut) -> bool:
    """Make a Service's targetPort name a port no container declares."""
    ports = _service_ports(m.obj)
    if not ports or not _spec(m.obj).get("selector"):
        return False
    ports[0]["targetPort"] = "no-such-port"
    return True


@operator(
    "service-port-changed",
    rules=["service-port-matches-container"],
    also=["api-base-url", "test-pod-reaches-services"],
    scope="object",
    kinds=["Service"],
)
def service_port_changed(m: Mut) -> bool:
    """Make a Service's port differ from the container port it targets."""
    ports = _service_ports(m.obj)
    if not ports or not isinstance(ports[0].get("port"), int):
        return False
    if "targetPort" not in ports[0]:
        ports[0]["targetPort"] = ports[0]["port"]
    ports[0]["port"] += 1
    return True


@operator(
    "nodeport-out-of-range",
    rules=["nodeport-out-of-range"],
    scope="object",
    kinds=["Service"],
    variants=[29999, 32768],
)
def nodeport_out_of_range(m: Mut) -> bool:
    """Give a NodePort Service a nodePort below or above 30000-32767."""
    ports = _service_ports(m.obj)
    if _spec(m.obj).get("type") != "NodePort" or not ports:
        return False
    ports[0]["nodePort"] = m.variant
    return True


@operator("nodeport-duplicate", rules=["nodeport-duplicate"], scope="release")
def nodeport_duplicate(m: Mut) -> bool:
    """Give a second NodePort Service the nodePort of the first."""
    node_ports = [
        p for s in _services(m) if _spec(s).get("type") == "NodePort" for p in _service_ports(s)[:1]
    ]
    if len(node_ports) < 2:
        return False
    first = node_ports[0].setdefault("nodePort", 30999)
    node_ports[1]["nodePort"] = first
    return True


@operator(
    "service-type-load-balancer",
    rules=["service-type"],
    scope="object",
    kinds=["Service"],
    profiles=["minikube", "production"],
)
def service_type_load_balancer(m: Mut) -> bool:
    """Expose a Service as a LoadBalancer."""
    spec = setdefault_path(m.data, "spec")
    if spec.get("type") in ("LoadBalancer", "ExternalName"):
        return False
    spec["type"] = "LoadBalancer"
    return True


@operator(
    "service-type-node-port",
    rules=["service-type"],
    scope="object",
    kinds=["Service"],
    profiles=["production"],
)
def service_type_node_port(m: Mut) -> bool:
    """Expose a production Service on a node port."""
    spec = setdefault_path(m.data, "spec")
    if spec.get("type") in ("NodePort", "ExternalName"):
        return False
    spec["type"] = "NodePort"
    return True


# --- security context ------------------------------------------------------------


@_sc_operator("run-as-non-root-false", "run-as-non-root")
def run_as_non_root_false(m: Mut) -> bool:
    """Set runAsNonRoot false on a container."""
    _sc(m.container)["runAsNonRoot"] = False
    return True


@_sc_operator("run-as-user-root", "run-as-user-numeric", "image-user-matches-pod")
def run_as_user_root(m: Mut) -> bool:
    """Run a container as uid 0."""
    _sc(m.container)["runAsUser"] = 0
    return True


@operator("run-as-user-removed", rules=["run-as-user-numeric"], scope="container", kinds=POD_KINDS)
def run_as_user_removed(m: Mut) -> bool:
    """Remove runAsUser from a container and its pod (the image's USER decides)."""
    found = False
    for sc in (m.container.get("securityContext"), m.pod.get("securityContext")):
        if isinstance(sc, dict) and sc.pop("runAsUser", None) is not None:
            found = True
    return found


@_sc_operator("run-as-user-changed", "image-user-matches-pod", kinds=SERVING, hooks="exclude")
def run_as_user_changed(m: Mut) -> bool:
    """Run a container as another non-root uid than its image's USER."""
    sc = _sc(m.container)
    current = sc.get("runAsUser") or (m.pod.get("securityContext") or {}).get("runAsUser")
    if not isinstance(current, int):
        return False
    sc["runAsUser"] = current + 4242
    return True


@_sc_operator("allow-privilege-escalation", "no-privilege-escalation")
def allow_privilege_escalation(m: Mut) -> bool:
    """Set allowPrivilegeEscalation true on a container."""
    _sc(m.container)["allowPrivilegeEscalation"] = True
    return True


@_sc_operator("privileged", "no-privileged")
def privileged(m: Mut) -> bool:
    """Run a container privileged."""
    sc = _sc(m.container)
    sc["privileged"] = True
    # the API server refuses privileged with allowPrivilegeEscalation false: drop it too
    sc.pop("allowPrivilegeEscalation", None)
    return True


@operator(
    "host-namespace",
    rules=["no-host-namespaces"],
    scope="pod",
    kinds=POD_KINDS,
    variants=["hostNetwork", "hostPID", "hostIPC"],
)
def host_namespace(m: Mut) -> bool:
    """Share a host namespace (network, PID or IPC) with a pod."""
    m.pod[m.variant] = True
    return True


@_sc_operator("capability-added", "drop-all-capabilities")
def capability_added(m: Mut) -> bool:
    """Add a Linux capability back (NET_ADMIN) while still dropping ALL."""
    caps = setdefault_path(_sc(m.container), "capabilities")
    caps["add"] = [*list(caps.get("add") or []), "NET_ADMIN"]
    return True


@operator(
    "capabilities-not-dropped", rules=["drop-all-capabilities"], scope="container", kinds=POD_KINDS
)
def capabilities_not_dropped(m: Mut) -> bool:
    """Stop dropping capabilities on a container."""
    caps = _sc(m.container).get("capabilities")
    return isinstance(caps, dict) and caps.pop("drop", None) is not None


@_sc_operator("writable-root-filesystem", "read-only-root-filesystem")
def writable_root_filesystem(m: Mut) -> bool:
    """Make a container's root filesystem writable."""
    _sc(m.container)["readOnlyRootFilesystem"] = False
    return True


@_sc_operator("seccomp-unconfined", "seccomp-runtime-default")
def seccomp_unconfined(m: Mut) -> bool:
    """Run a container without a seccomp profile (Unconfined)."""
    _sc(m.container)["seccompProfile"] = {"type": "Unconfined"}
    return True


@operator(
    "security-context-removed", rules=["security-context-set"], scope="container", kinds=POD_KINDS
)
def security_context_removed(m: Mut) -> bool:
    """Remove a container's whole securityContext (a chart whose values leave it ``{}``)."""
    return m.container.pop("securityContext", None) is not None


# --- resources --------------------------------------------------------------------


def _resources(c: dict[str, Any], section: str) -> dict[str, Any] | None:
    res = c.get("resources")
    got = res.get(section) if isinstance(res, dict) else None
    return got if isinstance(got, dict) and got else None


@operator(
    "limits-removed",
    rules=["resources-set"],
    also=["resources-as-declared"],
    scope="container",
    kinds=POD_KINDS,
)
def limits_removed(m: Mut) -> bool:
    """Remove a container's resource limits."""
    return _resources(m.container, "limits") is not None and bool(
        m.container["resources"].pop("limits")
    )


@operator(
    "requests-removed",
    rules=["resources-set"],
    also=["resources-as-declared"],
    scope="container",
    kinds=POD_KINDS,
)
def requests_removed(m: Mut) -> bool:
    """Remove a container's resource requests."""
    return _resources(m.container, "requests") is not None and bool(
        m.container["resources"].pop("requests")
    )


def _scaled(value: Any, factor: int) -> str | None:
    q = quantity(value)
    if q is None:
        return None
    text = str(value)
    m = re.match(r"^([0-9.]+)(.*)$", text)
    if not m:
        return None
    number = float(m.group(1)) * factor
    return f"{int(number) if number.is_integer() else number}{m.group(2)}"


@operator(
    "limits-raised",
    rules=["resources-as-declared"],
    scope="container",
    kinds=SERVING,
    hooks="exclude",
)
def limits_raised(m: Mut) -> bool:
    """Raise a container's CPU and memory limits fourfold."""
    limits = _resources(m.container, "limits")
    if limits is None:
        return False
    changed = False
    for k, v in list(limits.items()):
        scaled = _scaled(v, 4)
        if scaled is not None:
            limits[k], changed = scaled, True
    return changed


@operator(
    "requests-above-limits",
    rules=["requests-within-limits"],
    also=["resources-as-declared"],
    scope="container",
    kinds=POD_KINDS,
)
def requests_above_limits(m: Mut) -> bool:
    """Request twice a container's limits."""
    limits, requests = _resources(m.container, "limits"), _resources(m.container, "requests")
    if limits is None:
        return False
    requests = (
        requests if requests is not None else setdefault_path(m.container, "resources", "requests")
    )
    changed = False
    for k, v in limits.items():
        scaled = _scaled(v, 2)
        if scaled is not None:
            requests[k], changed = scaled, True
    return changed


# --- rollouts and replicas ------------------------------------------------------------


@operator("max-unavailable-one", rules=["rolling-update"], scope="object", kinds=["Deployment"])
def max_unavailable_one(m: Mut) -> bool:
    """Let a rolling update take one pod down (maxUnavailable 1)."""
    strategy = setdefault_path(m.data, "spec", "strategy")
    strategy["type"] = "RollingUpdate"
    setdefault_path(strategy, "rollingUpdate")["maxUnavailable"] = 1
    return True


@operator("recreate-strategy", rules=["rolling-update"], scope="object", kinds=["Deployment"])
def recreate_strategy(m: Mut) -> bool:
    """Replace a Deployment's rolling update by Recreate (downtime on every upgrade)."""
    m.data.setdefault("spec", {})["strategy"] = {"type": "Recreate"}
    return True


@operator(
    "zero-replicas",
    rules=["replicas-min"],
    scope="object",
    kinds=["Deployment", "StatefulSet", "ReplicaSet"],
)
def zero_replicas(m: Mut) -> bool:
    """Scale a workload to zero replicas."""
    setdefault_path(m.data, "spec")["replicas"] = 0
    return True


# --- images ------------------------------------------------------------------------


@operator(
    "pull-policy-always",
    rules=["image-pull-policy"],
    scope="container",
    kinds=POD_KINDS,
    profiles=["minikube"],
)
def pull_policy_always(m: Mut) -> bool:
    """Pull a locally loaded image Always (minikube: the pull fails)."""
    m.container["imagePullPolicy"] = "Always"
    return True


@operator(
    "pull-policy-never",
    rules=["image-pull-policy"],
    scope="container",
    kinds=POD_KINDS,
    profiles=["production"],
)
def pull_policy_never(m: Mut) -> bool:
    """Never pull an image in production (the node has none)."""
    m.container["imagePullPolicy"] = "Never"
    return True


@operator(
    "image-tag-latest",
    rules=["image-tag-pinned"],
    scope="container",
    kinds=POD_KINDS,
    profiles=["production"],
)
def image_tag_latest(m: Mut) -> bool:
    """Deploy an image tagged `latest` in production."""
    from ..checks.util import image_parts

    image = m.container.get("image")
    if not isinstance(image, str) or not image:
        return False
    repo, _, _ = image_parts(image)
    m.container["image"] = f"{repo}:latest"
    return True


@operator(
    "image-repository-changed",
    rules=["image-repository"],
    scope="container",
    kinds=SERVING,
    hooks="exclude",
)
def image_repository_changed(m: Mut) -> bool:
    """Run another image repository in a component's container."""
    image = m.container.get("image")
    if not isinstance(image, str) or not image:
        return False
    m.container["image"] = "registry.example.com/mutated/other-app:1.0.0"
    return True


# --- ConfigMaps, Secrets and environment ------------------------------------------------


def data_keys(obj: Any) -> list[tuple[str, str]]:
    """(section, key) of every value of a ConfigMap or Secret (stringData, data)."""
    out = []
    for section in ("stringData", "data"):
        values = obj.data.get(section)
        if isinstance(values, dict):
            out += [(section, k) for k in sorted(values)]
    return out


def _set_secret_value(data: dict[str, Any], section: str, key: str, value: str) -> None:
    import base64

    data[section][key] = base64.b64encode(value.encode()).decode() if section == "data" else value


@operator(
    "secret-value-real",
    rules=["secret-looks-real"],
    scope="object",
    kinds=["Secret"],
    parts=data_keys,
)
def secret_value_real(m: Mut) -> bool:
    """Commit a real-looking API key as a Secret value (each key in turn)."""
    _set_secret_value(m.data, *m.variant, FAKE_API_KEY)
    return True


@operator(
    "secret-value-not-placeholder",
    rules=["secret-placeholder"],
    scope="object",
    kinds=["Secret"],
    parts=data_keys,
)
def secret_value_not_placeholder(m: Mut) -> bool:
    """Replace a Secret's placeholder by a short made-up value (each key in turn)."""
    _set_secret_value(m.data, *m.variant, "hunter2")
    return True


@operator("secret-type-changed", rules=["secret-type"], scope="object", kinds=["Secret"])
def secret_type_changed(m: Mut) -> bool:
    """Give a Secret another type than the declared one."""
    m.data["type"] = "example.com/mutated"
    return True


@operator(
    "key-removed",
    rules=["required-keys"],
    also=["referenced-key-rendered"],  # a workload that takes the key fails to start
    scope="object",
    kinds=["ConfigMap", "Secret"],
    parts=data_keys,
)
def key_removed(m: Mut) -> bool:
    """Remove a key of a ConfigMap or Secret (each key in turn)."""
    section, key = m.variant
    del m.data[section][key]
    return True


@operator(
    "secret-in-configmap", rules=["configmap-no-secrets"], scope="object", kinds=["ConfigMap"]
)
def secret_in_configmap(m: Mut) -> bool:
    """Put a credential in a ConfigMap."""
    data = m.data.get("data")
    if data is None:
        data = m.data["data"] = {}
    if not isinstance(data, dict):
        return False
    data["DATABASE_PASSWORD"] = "s3cr3t-Passw0rd"
    return True


@operator("secret-in-env", rules=["env-no-secrets"], scope="container", kinds=POD_KINDS)
def secret_in_env(m: Mut) -> bool:
    """Give a container a literal API key in its environment."""
    env = m.container.get("env")
    if env is None:
        env = m.container["env"] = []
    if not isinstance(env, list):
        return False
    env.append({"name": "OPENAI_API_KEY", "value": FAKE_API_KEY})
    return True


_URL = re.compile(r"^(https?://)([^/:]+)(?::(\d+))?(.*)$")


def _service_url_key(m: Mut) -> tuple[str, re.Match[str]] | None:
    """A ConfigMap key whose value is an http URL naming a Service of the release."""
    names = {s.name for s in _services(m)}
    for key, value in sorted((m.data.get("data") or {}).items()):
        url = _URL.match(str(value))
        if url and url.group(2).split(".")[0] in names:
            return key, url
    return None


@operator(
    "service-url-wrong-host",
    rules=["api-base-url"],
    scope="object",
    kinds=["ConfigMap"],
    variants=["host", "port"],
)
def service_url_wrong(m: Mut) -> bool:
    """Point a URL to another component (API_BASE_URL) at the wrong host or port."""
    found = _service_url_key(m)
    if found is None:
        return False
    key, url = found
    scheme, host, port, rest = url.groups()
    if m.variant == "host":
        host = "mutated-elsewhere"
    else:
        port = str(int(port or 80) + 1)
    m.data["data"][key] = f"{scheme}{host}{':' + port if port else ''}{rest}"
    return True


@operator("envfrom-missing", rules=["references-exist"], scope="container", kinds=POD_KINDS)
def envfrom_missing(m: Mut) -> bool:
    """Make a container's envFrom name a ConfigMap or Secret that is not rendered."""
    for src in m.container.get("envFrom") or []:
        for key in ("configMapRef", "secretRef"):
            ref = src.get(key) if isinstance(src, dict) else None
            if isinstance(ref, dict) and ref.get("name") and not ref.get("optional"):
                ref["name"] = f"{ref['name']}-missing"
                return True
    return False


@operator(
    "configmap-or-secret-deleted",
    rules=["references-exist"],
    also=["component-objects-present", "required-keys"],
    scope="object",
    kinds=["ConfigMap", "Secret"],
)
def configmap_or_secret_deleted(m: Mut) -> bool:
    """Stop rendering a ConfigMap or Secret that a pod references."""
    from ..checks.workloads import _references

    referenced = {
        (kind, name)
        for o in m.objects()
        if o.pod_spec is not None
        for kind, name, _, optional in _references(o)
        if not optional
    }
    m.deleted = (m.obj.kind, m.obj.name) in referenced
    return m.deleted


@operator(
    "service-deleted",
    rules=["component-objects-present"],
    also=["api-base-url", "test-pod-reaches-services"],
    scope="object",
    kinds=["Service"],
)
def service_deleted(m: Mut) -> bool:
    """Stop rendering a Service."""
    m.deleted = True
    return True


# --- the helm test pod -------------------------------------------------------------


@operator(
    "test-pod-removed", rules=["test-pod-present"], scope="object", kinds=["Pod"], hooks="only"
)
def test_pod_removed(m: Mut) -> bool:
    """Stop rendering the helm test pod."""
    m.deleted = m.obj.is_test_hook
    return m.deleted


@operator(
    "test-pod-restart-always",
    rules=["test-pod-restart-never"],
    scope="object",
    kinds=["Pod"],
    hooks="only",
)
def test_pod_restart_always(m: Mut) -> bool:
    """Let the helm test pod restart on failure (Always)."""
    setdefault_path(m.data, "spec")["restartPolicy"] = "Always"
    return True


@operator(
    "test-pod-hook-removed",
    rules=["test-pod-hook"],
    # installed as a plain Pod, a test pod carrying the app's labels joins its Service
    also=["test-pod-present", "selector-matches-one-workload", "target-port-resolves"],
    scope="object",
    kinds=["Pod"],
    hooks="only",
)
def test_pod_hook_removed(m: Mut) -> bool:
    """Drop the helm.sh/hook annotation from a test pod (helm installs it as a plain Pod)."""
    if not (m.obj.template and "/tests/" in m.obj.template):
        return False
    m.data["metadata"]["annotations"].pop("helm.sh/hook")
    return True


@operator(
    "test-pod-misses-service",
    rules=["test-pod-reaches-services"],
    scope="object",
    kinds=["Pod"],
    hooks="only",
)
def test_pod_misses_service(m: Mut) -> bool:
    """Make the helm test pod request another host instead of one of the Services."""
    names = sorted((s.name for s in _services(m)), key=len, reverse=True)
    for _, c in m.obj.containers(init=True):
        for key in ("command", "args"):
            items = c.get(key)
            for i, item in enumerate(items if isinstance(items, list) else []):
                for name in names:
                    pattern = rf"\b{re.escape(name)}(?=[.:])"
                    if isinstance(item, str) and re.search(pattern, item):
                        items[i] = re.sub(pattern, "mutated-elsewhere", item)
                        return True
    return False


# --- schema and waivers ---------------------------------------------------------------


@operator("unknown-field", rules=["kubernetes-schema"], scope="object")
def unknown_field(m: Mut) -> bool:
    """Misspell a field (metadata.lables)."""
    md = setdefault_path(m.data, "metadata")
    md["lables"] = dict(md.get("labels") or {"app": "mutated"})
    return True


@operator("wrong-field-type", rules=["kubernetes-schema"], scope="object")
def wrong_field_type(m: Mut) -> bool:
    """Give a field the wrong type (a label value as a number)."""
    setdefault_path(m.data, "metadata", "labels")["mutated.kubeproof.io/number"] = 1
    return True


@operator("waiver-without-reason", rules=["waiver-without-reason"], scope="object")
def waiver_without_reason(m: Mut) -> bool:
    """Waive a rule on an object without giving a reason."""
    setdefault_path(m.data, "metadata", "annotations")["kubeproof.io/waive.probes-present"] = ""
    return True
