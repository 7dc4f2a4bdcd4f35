"""Checks that real charts of this app need: literal credentials, host access, binaries a
probe calls, packages a non-root USER cannot read, env references, keys a Secret does not
render, service accounts the chart does not render.

Messages name the key and where it is, never the value of a credential.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from ..model import Dockerfile, K8sObject, Target, Violation
from . import check
from .params import NoParams
from .util import cname, indexed, mapping, mappings


@check
def host_path_volume(t: Target, obj: K8sObject, params: NoParams):
    """A hostPath volume mounts the node's filesystem into the pod."""
    spec = obj.pod_spec or {}
    for i, vol in indexed(spec.get("volumes")):
        if isinstance(vol.get("hostPath"), dict):
            yield Violation(
                f"{obj.ref} volume {vol.get('name')!r} mounts the node's "
                f"{vol['hostPath'].get('path')} (hostPath)",
                (*(obj.pod_spec_path or ()), "volumes", i, "hostPath"),
            )


# which probe binaries a final image has, by its base (unless a RUN installs them)
_NO_TOOLS = re.compile(r"(-slim|slim-|distroless|scratch|chainguard|-minimal|ubi-micro)", re.I)
_BUSYBOX = re.compile(r"(alpine|busybox)", re.I)


def _final_base(df: Dockerfile) -> str:
    """The image the final stage ultimately starts from (through ``FROM <stage>``)."""
    from ..load.dockerfile import final_chain

    chain = final_chain(df)
    return chain[-1].base_resolved if chain else ""


def _installs(df: Dockerfile, tool: str) -> bool:
    """A RUN of the final stage chain installs ``tool`` (apt, apk, yum, microdnf)."""
    from ..load.dockerfile import final_chain

    install = re.compile(
        rf"\b(apt-get|apt|yum|dnf|microdnf)\b[^;&|]*\binstall\b[^;&|]*\b{tool}\b"
        rf"|\bapk add\b[^;&|]*\b{tool}\b"
    )
    for stage in final_chain(df):
        for ins in stage.all("RUN"):
            if install.search(ins.value):
                return True
        for ins in stage.all("COPY"):
            if re.search(rf"\b{tool}\b", ins.value):
                return True
    return False


def missing_binary(df: Dockerfile, command: str) -> str | None:
    """The probe binary (curl, wget) ``command`` calls that the final image lacks, or None."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    base = _final_base(df)
    for word in words:
        tool = Path(word).name
        if tool not in ("curl", "wget"):
            continue
        if _installs(df, tool):
            return None
        if _NO_TOOLS.search(base):
            return tool
        if _BUSYBOX.search(base) and tool == "curl":
            return tool
        return None
    return None


@check
def probe_binary_present(t: Target, release: Target, params: NoParams):
    """HEALTHCHECK and exec probes call only binaries the final image has."""
    from ..load.dockerfile import parse_healthcheck

    for df in t.dockerfiles:
        ins = df.last_in_final("HEALTHCHECK")
        if ins is None:
            continue
        hc = parse_healthcheck(ins.value)
        tool = None if hc.none else missing_binary(df, hc.command)
        if tool:
            yield Violation(
                f"{df.file}: HEALTHCHECK calls {tool}, which {_final_base(df)} does not have "
                f"and no RUN installs: the container never turns healthy",
                line=ins.line,
                subject=df,
            )
    for obj in t.objects:
        df = t.dockerfile_for(obj.component) if obj.component else None
        if df is None or obj.pod_spec_path is None or obj.is_hook or df.final is None:
            continue
        for path, c in obj.containers():
            for which in ("livenessProbe", "readinessProbe", "startupProbe"):
                command = mapping(mapping(c.get(which)).get("exec")).get("command")
                if not isinstance(command, list):
                    continue
                tool = missing_binary(df, " ".join(shlex.quote(str(w)) for w in command))
                if tool:
                    yield Violation(
                        f'{obj.ref} container "{cname(c, path)}" {which} runs {tool}, which '
                        f"the image built by {df.file} ({_final_base(df)}) does not have",
                        (*path, which, "exec", "command"),
                        cname(c, path),
                        subject=obj,
                    )


_PIP_USER = re.compile(r"\bpip3?\b[^;&|]*\binstall\b[^;&|]*--user\b")
_ROOT_LOCAL = re.compile(r"\s/root(/\S*)?/?$")  # a COPY whose destination is under /root


@check
def user_site_unreadable(t: Target, df: Dockerfile, params: NoParams):
    """Packages installed under /root (``pip install --user``) then run as a non-root USER."""
    from ..load.dockerfile import final_chain, parse_user

    user = df.last_in_final("USER")
    if user is None or parse_user(user.value)[0] in ("root", "0"):
        return
    chain = final_chain(df)
    for stage in chain:
        for ins in stage.instructions:
            if ins.line > user.line:
                continue
            pip_user = ins.instruction == "RUN" and _PIP_USER.search(ins.value)
            copied = ins.instruction == "COPY" and _ROOT_LOCAL.search(" " + ins.value.strip())
            if pip_user or copied:
                how = "pip install --user" if pip_user else "COPY into /root/.local"
                yield Violation(
                    f"{df.file}: {how} puts packages under /root, which USER {user.value} "
                    f"(line {user.line}) cannot read: the app fails to import them",
                    line=ins.line,
                )
                return


_REF = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


@check
def env_reference_defined(t: Target, obj: K8sObject, params: NoParams):
    """``$(VAR)`` in env refers to a variable defined before it (else it stays literal)."""
    for path, c in obj.containers(init=True):
        defined: set[str] | None = set()
        for src in mappings(c.get("envFrom")):
            keys = _from_keys(t, src)
            if keys is None:
                defined = None  # an object we cannot see: any name may come from it
                break
            defined |= keys
        if defined is None:
            continue
        for i, env in indexed(c.get("env")):
            for ref in _REF.findall(str(env.get("value", ""))):
                if ref not in defined:
                    yield Violation(
                        f'{obj.ref} container "{cname(c, path)}" env {env.get("name")} refers '
                        f"to $({ref}), which is not defined before it: Kubernetes leaves the "
                        f"text $({ref}) as it is",
                        (*path, "env", i, "value"),
                        cname(c, path),
                    )
            defined.add(str(env.get("name", "")))


def _keys(obj: K8sObject) -> set[str]:
    """The keys a ConfigMap or Secret renders (data, stringData, binaryData)."""
    return {str(k) for s in ("data", "stringData", "binaryData") for k in mapping(obj.data.get(s))}


def _from_keys(t: Target, src: Any) -> set[str] | None:
    if not isinstance(src, dict):
        return set()
    prefix = str(src.get("prefix", ""))
    for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
        ref = src.get(key)
        if isinstance(ref, dict):
            obj = t.get(kind, str(ref.get("name", "")))
            if obj is None:
                return None
            return {prefix + k for k in _keys(obj)}
    return set()


@check
def referenced_key_rendered(t: Target, obj: K8sObject, params: NoParams):
    """A secretKeyRef/configMapKeyRef names a key its object renders with these values
    (else the pod fails with CreateContainerConfigError)."""
    for path, c in obj.containers(init=True):
        for i, env in indexed(c.get("env")):
            vf = mapping(env.get("valueFrom"))
            for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                ref = vf.get(key)
                if not isinstance(ref, dict) or ref.get("optional"):
                    continue
                target = t.get(kind, str(ref.get("name", "")))
                if target is None:
                    continue  # references-exist reports a missing object
                keys = _keys(target)
                if str(ref.get("key")) not in keys:
                    state = "renders empty" if not keys else "renders without that key"
                    yield Violation(
                        f'{obj.ref} container "{cname(c, path)}" env {env.get("name")} takes '
                        f"key {ref.get('key')!s} of {target.ref}, which {state} with these "
                        f"values: the pod fails with CreateContainerConfigError",
                        (*path, "env", i, "valueFrom", key),
                        cname(c, path),
                    )


@check
def service_account_rendered(t: Target, obj: K8sObject, params: NoParams):
    """A serviceAccountName other than default is rendered by the chart (or declared
    external with the ``kubeproof.io/external`` annotation)."""
    spec = obj.pod_spec or {}
    name = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if not isinstance(name, str) or name in ("", "default") or t.get("ServiceAccount", name):
        return
    external = str(obj.annotations.get("kubeproof.io/external", ""))
    if str(name) in {s.strip() for s in external.split(",")}:
        return
    field = "serviceAccountName" if "serviceAccountName" in spec else "serviceAccount"
    yield Violation(
        f"{obj.ref} runs as ServiceAccount {name}, which the chart does not render: "
        f"its pods are never created (serviceaccount not found)",
        (*(obj.pod_spec_path or ()), field),
    )
