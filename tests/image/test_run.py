"""The images running: healthy by Docker's own HEALTHCHECK, as the declared user,
on the declared port, with read-only app files and root filesystem, and the
frontend reaching the backend with real data."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid

import pytest
import testinfra

from kubeproof.testing import images
from kubeproof.testing.environment import require

from .conftest import SPECS

COMPONENTS = sorted(SPECS)
SYSTEM_BIN = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}


def host(container) -> testinfra.host.Host:
    """Return a testinfra host that runs commands with ``docker exec`` as the image's user."""
    return testinfra.get_host(f"docker://{container.id}")


def http(method: str, url: str, body: dict | None = None, token: str | None = None):
    """Return (status, parsed JSON body) of one request; HTTP errors are answers too."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, raw.decode(errors="replace")


def app_dirs(container) -> list[str]:
    """The image's own files: its WORKDIR plus any non-system directory on its PATH."""
    config = container.attrs["Config"]
    dirs = [config.get("WorkingDir") or "/"]
    for item in config.get("Env") or []:
        if item.startswith("PATH="):
            for entry in item[5:].split(":"):
                if entry and entry not in SYSTEM_BIN:
                    dirs.append(entry.rsplit("/bin", 1)[0] if entry.endswith("/bin") else entry)
    return sorted(set(dirs))


@pytest.mark.parametrize("component", COMPONENTS)
def test_becomes_healthy(stack, component):
    require("docker")
    stack.require_healthy(component)


@pytest.mark.parametrize("component", COMPONENTS)
def test_pid1_runs_as_the_declared_user(stack, component):
    require("docker")
    stack.require_healthy(component)
    spec = SPECS[component]
    status = host(stack.container(component)).file("/proc/1/status").content_string
    uids = re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()
    gids = re.search(r"^Gid:\s+(.*)$", status, re.M).group(1).split()
    assert set(uids) == {str(spec.uid)}, (
        f"{spec.repository}: PID 1 runs with uids {uids}, expected {spec.uid}"
    )
    assert set(gids) == {str(spec.gid)}, (
        f"{spec.repository}: PID 1 runs with gids {gids}, expected {spec.gid}"
    )


@pytest.mark.parametrize("component", COMPONENTS)
def test_listens_on_the_declared_port(stack, component):
    require("docker")
    stack.require_healthy(component)
    spec = SPECS[component]
    tables = (
        host(stack.container(component)).run("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null").stdout
    )
    listening = images.listening_ports(tables)
    assert spec.port in listening, (
        f"{spec.repository}: listening on {sorted(listening)}, expected {spec.port}"
    )


@pytest.mark.parametrize("component", COMPONENTS)
def test_app_files_are_root_owned_and_not_writable(stack, component):
    require("docker")
    stack.require_healthy(component)
    spec = SPECS[component]
    container = stack.container(component)
    h = host(container)
    dirs = app_dirs(container)
    assert "/" not in dirs, f"{spec.repository}: no WORKDIR; the app lives in /"
    # `find -writable` is GNU only; test -w works in BusyBox (alpine) and Debian alike.
    writable = h.run(
        "find "
        + " ".join(["%s"] * len(dirs))
        + ' -exec sh -c \'for f; do [ -w "$f" ] && echo "$f"; done; true\' sh {} +',
        *dirs,
    )
    assert writable.rc == 0, writable.stderr
    assert writable.stdout.strip() == "", (
        f"{spec.repository}: writable by uid {spec.uid}:\n{writable.stdout[:2000]}"
    )
    owned = h.run(
        "find / -xdev \\( -path /tmp -o -path /var/tmp \\) -prune -o -user %s -print 2>/dev/null"
        " | head -n 20",
        str(spec.uid),
    )
    assert owned.stdout.strip() == "", (
        f"{spec.repository}: files outside /tmp owned by the app user:\n{owned.stdout}"
    )
    for leftover in ("/build", "/tmp/extra-ca.pem", "/tmp/pip-ca-bundle.pem"):
        assert not h.file(leftover).exists, (
            f"{spec.repository}: build leftover {leftover} in the final stage"
        )


@pytest.mark.parametrize("component", COMPONENTS)
def test_read_only_root_filesystem_stays_healthy(stack, component):
    require("docker")
    role = f"{component}-ro"
    stack.require_healthy(role)
    spec = SPECS[component]
    container = stack.container(role)
    h = host(container)
    write = h.run("touch %s/.kubeproof-probe", app_dirs(container)[0])
    assert write.rc != 0 and "Read-only file system" in write.stderr, (
        f"{spec.repository}: writing to the root filesystem of a --read-only container: "
        f"rc={write.rc} {write.stderr.strip()}"
    )
    assert h.run("touch /tmp/.kubeproof-probe").rc == 0, "/tmp (tmpfs) should be writable"
    # real traffic through it, then still healthy by Docker's own check
    if component == "frontend":
        _sign_up_create_list(stack.url(role, spec))
    else:
        status, body = http("GET", stack.url(role, spec, "/ready"))
        assert status == 200, body
    assert images.health_status(container) == "healthy", images.health_report(container)
    failing = container.attrs["State"]["Health"].get("FailingStreak", 0)
    assert failing == 0, images.health_report(container)


def _sign_up_create_list(frontend: str) -> None:
    __tracebackhide__ = True
    email = f"u{uuid.uuid4().hex[:8]}@example.com"
    status, body = http(
        "POST", f"{frontend}/api/auth/signup", {"email": email, "password": "s3cret-pass"}
    )
    assert status == 201, f"sign-up through the frontend: {status} {body}"
    token = body["access_token"]
    status, task = http("POST", f"{frontend}/api/tasks", {"title": "buy milk"}, token)
    assert status == 201, f"create task through the frontend: {status} {task}"
    status, tasks = http("GET", f"{frontend}/api/tasks", token=token)
    assert status == 200, f"list tasks through the frontend: {status} {tasks}"
    assert [t["title"] for t in tasks] == ["buy milk"]
    assert tasks[0]["id"] == task["id"]


def test_frontend_reaches_the_backend_with_real_data(stack):
    require("docker")
    stack.require_healthy("backend")
    stack.require_healthy("frontend")
    frontend = stack.url("frontend", SPECS["frontend"])
    _sign_up_create_list(frontend)
    status, body = http("POST", f"{frontend}/api/chat", {"message": "list"}, token="bad.token.here")
    assert status == 401, f"a bad token must be rejected through the frontend: {status} {body}"


def test_frontend_is_healthy_without_a_backend_and_says_why_api_fails(stack):
    """`/` is a fair health path: it answers without the backend; /api/* explains the 502."""
    require("docker")
    stack.require_healthy("frontend-alone")
    spec = SPECS["frontend"]
    status, body = http("GET", stack.url("frontend-alone", spec, "/api/tasks"))
    assert status == 502, f"expected 502 from the proxy without a backend, got {status} {body}"
    assert "backend unreachable" in body["detail"] and "nowhere" in body["detail"], body
