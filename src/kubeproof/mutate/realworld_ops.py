"""Operators for the rules real teams' charts need (checks/realworld.py): host paths,
service accounts, env references, keys a Secret does not render, probe binaries, and
packages under /root."""

from __future__ import annotations

from ..load.dockerfile import parse_healthcheck
from .dockerfile_ops import _insert_after, _replace
from .object_ops import POD_KINDS
from .operators import Mut, operator


@operator("host-path-mounted", rules=["host-path-volume"], scope="pod", kinds=POD_KINDS)
def host_path_mounted(m: Mut) -> bool:
    """Mount the node's Docker socket into a pod (hostPath)."""
    vols = m.pod.setdefault("volumes", [])
    if not isinstance(vols, list):
        return False
    vols.append({"name": "mutant-host", "hostPath": {"path": "/var/run/docker.sock"}})
    return True


@operator(
    "service-account-not-rendered", rules=["service-account-rendered"], scope="pod", kinds=POD_KINDS
)
def service_account_not_rendered(m: Mut) -> bool:
    """Run a pod as a ServiceAccount the chart does not render."""
    m.pod["serviceAccountName"] = "mutant-not-rendered"
    return True


@operator(
    "env-reference-undefined", rules=["env-reference-defined"], scope="container", kinds=POD_KINDS
)
def env_reference_undefined(m: Mut) -> bool:
    """Refer to $(VAR) in env before (or without) defining VAR."""
    for src in m.container.get("envFrom") or []:
        for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = src.get(key) if isinstance(src, dict) else None
            if isinstance(ref, dict) and m.target.get(kind, str(ref.get("name"))) is None:
                return False  # an object outside the render may define any name
    env = m.container.setdefault("env", [])
    if not isinstance(env, list):
        return False
    env.insert(0, {"name": "MUTANT_URL", "value": "http://$(MUTANT_UNDEFINED_HOST):80"})
    return True


@operator(
    "secret-key-not-rendered", rules=["referenced-key-rendered"], scope="container", kinds=POD_KINDS
)
def secret_key_not_rendered(m: Mut) -> bool:
    """Take an env value from a key the chart's Secret does not render."""
    secrets = m.target.of_kind("Secret")
    env = m.container.setdefault("env", [])
    if not secrets or not isinstance(env, list):
        return False
    ref = {"name": secrets[0].name, "key": "MUTANT_NOT_RENDERED"}
    env.append({"name": "MUTANT_KEY", "valueFrom": {"secretKeyRef": ref}})
    return True


@operator("healthcheck-curl", rules=["probe-binary-present"], scope="dockerfile")
def healthcheck_curl(m: Mut) -> bool:
    """Make the HEALTHCHECK call curl (same URL) on a final image without it."""
    ins = m.df.last_in_final("HEALTHCHECK")
    if ins is None:
        return False
    hc = parse_healthcheck(ins.value)
    base = m.df.final.base_resolved
    if hc.url is None or not any(w in base for w in ("slim", "alpine", "distroless")):
        return False
    opts = " ".join(f"--{k}={v}" for k, v in hc.options.items())
    new = f'HEALTHCHECK {opts} CMD ["curl", "-fsS", "{hc.url}"]'
    m.text = _replace(m.text, ins, new)
    return True


@operator(
    "pip-user-as-root", rules=["user-site-unreadable"], also=["hadolint/*"], scope="dockerfile"
)
def pip_user_as_root(m: Mut) -> bool:
    """Install a package with pip install --user as root before the non-root USER."""
    user = m.df.last_in_final("USER")
    if user is None:
        return False
    m.text = _insert_after(
        m.text, user.line - 1, "RUN pip install --user --no-cache-dir httpx==0.27.0"
    )
    return True
