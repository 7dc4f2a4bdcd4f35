"""The app as a person uses it: a headless Chromium against the frontend's NodePort.

The release is installed the seed's way (chart defaults and ``ci/minikube-values.yaml``,
no Secret made outside the chart; NodePorts left to Kubernetes so runs never collide),
in a namespace of this module's own. A person signs up, signs in, adds a task, sees
it listed, asks the assistant and reads its reply, and opens the API docs, which must
render without internet (the browser resolves no host name). Every step leaves a
screenshot under ``<artifacts>/browser/<test>/``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from kubeproof.testing import live
from kubeproof.testing.browser import node_ip
from kubeproof.testing.cluster import ClusterError
from kubeproof.testing.environment import require
from kubeproof.testing.live import Release, get

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
APP = yaml.safe_load((ROOT / "kubeproof.yaml").read_text())
CHART = ROOT / APP["chart"]
FRONTEND, BACKEND = APP["components"]["frontend"], APP["components"]["backend"]


@pytest.fixture(scope="module")
def release(kube_cluster, module_namespace) -> Iterator[Release]:
    require("helm")
    require("browser")  # before the install: no release for a run that cannot look
    for component in (FRONTEND, BACKEND):
        kube_cluster.load_image(f"{component['image']['repository']}:latest")
    rel = Release(f"browser-{uuid.uuid4().hex[:6]}", module_namespace)
    try:
        live.helm(
            "install", rel.name, str(CHART), "--namespace", rel.namespace,
            "-f", str(ROOT / APP["profiles"]["minikube"]),
            "--set", "frontend.service.nodePort=null", "--set", "backend.service.nodePort=null",
            "--wait", "--timeout", "5m",
        )  # fmt: skip
    except ClusterError as exc:
        live.helm("uninstall", rel.name, "-n", rel.namespace, check=False, timeout=120)
        pytest.fail(str(exc), pytrace=False)
    try:
        yield rel
    finally:
        live.helm("uninstall", rel.name, "-n", rel.namespace, "--wait", check=False, timeout=300)


def node_url(release: Release, service: str) -> str:
    """http://<node IP>:<NodePort> of a Service (what a user opens on Minikube)."""
    (svc,) = get(release, "service", service)
    return f"http://{node_ip()}:{svc['spec']['ports'][0]['nodePort']}"


def test_sign_up_sign_in_add_a_task_and_chat(release, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    def css(selector: str):
        return (By.CSS_SELECTOR, selector)

    def button(text: str):
        return (By.XPATH, f"//button[normalize-space()='{text}']")

    def fill(form: str, email: str, password: str) -> None:
        d.find_element(By.CSS_SELECTOR, f"{form} input[type=email]").send_keys(email)
        d.find_element(By.CSS_SELECTOR, f"{form} input[type=password]").send_keys(password)
        d.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]").click()

    d = browser.driver
    email, password = f"ada-{uuid.uuid4().hex[:6]}@example.com", "correct horse battery"
    d.get(node_url(release, FRONTEND["service"]) + "/")
    browser.wait(
        ec.visibility_of_element_located(css("form[aria-label='Log in']")), what="login form"
    )
    assert d.find_element(By.TAG_NAME, "h1").text == "Todo chatbot"
    browser.shot("home")

    browser.wait(
        ec.element_to_be_clickable(button("No account? Sign up")), what="sign-up link"
    ).click()
    browser.wait(
        ec.visibility_of_element_located(css("form[aria-label='Sign up']")), what="sign-up form"
    )
    fill("form[aria-label='Sign up']", email, password)
    browser.wait(
        ec.visibility_of_element_located(button("Log out")), what="signed in after sign-up"
    )
    assert "No tasks yet." in d.page_source
    browser.shot("signed up")

    d.find_element(*button("Log out")).click()
    browser.wait(
        ec.visibility_of_element_located(css("form[aria-label='Log in']")), what="logged out"
    )
    fill("form[aria-label='Log in']", email, password)
    browser.wait(ec.visibility_of_element_located(button("Log out")), what="signed in")
    browser.shot("signed in")

    title = f"water the plants {uuid.uuid4().hex[:4]}"
    d.find_element(By.CSS_SELECTOR, "input[placeholder='new task']").send_keys(title)
    d.find_element(*button("Add")).click()
    task = browser.wait(
        ec.visibility_of_element_located((By.XPATH, f"//li[contains(., '{title}')]")),
        what=f"task {title!r} listed",
    )
    assert re.fullmatch(rf"#\d+ {re.escape(title)}", task.find_element(By.TAG_NAME, "label").text)
    browser.shot("task added")

    d.find_element(By.CSS_SELECTOR, "input[placeholder='tell the assistant']").send_keys(
        "add buy milk"
    )
    d.find_element(*button("Send")).click()
    reply = browser.wait(
        ec.visibility_of_element_located(css(".chat-log p.assistant")), what="the assistant's reply"
    )
    assert re.search(r'Added #\d+ "buy milk"', reply.text), reply.text
    browser.wait(
        ec.visibility_of_element_located((By.XPATH, "//li[contains(., 'buy milk')]")),
        what="the chat's task listed",
    )
    browser.shot("chat reply")
    assert len(browser.taken) == 5 and all(p.stat().st_size > 0 for p in browser.taken)


def test_api_docs_render_offline(release, browser):
    """Swagger UI comes from the backend itself: the browser resolves no other host."""
    title, operations = browser.swagger_ui(node_url(release, BACKEND["service"]) + "/docs")
    assert title.startswith("todo-backend") and operations > 0, (title, operations)
