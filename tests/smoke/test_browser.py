"""Smoke tier, in a browser: the deployed app's pages load and work, read-only.

    pytest -m smoke --release todo --namespace todo

A headless Chromium opens the frontend's and the backend's NodePorts (the
minikube profile). It submits nothing: it sees the home page hydrate and switch
to the sign-up form, and the API docs render without internet. Screenshots land
in ``<artifacts>/browser/<test>/``. The cluster tier runs the full journey
(sign up, sign in, add a task, chat) on a release of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubeproof.testing.browser import node_ip
from kubeproof.testing.live import get

APP = yaml.safe_load((Path(__file__).resolve().parents[2] / "kubeproof.yaml").read_text())
FRONTEND, BACKEND = APP["components"]["frontend"], APP["components"]["backend"]


def node_url(release, spec: dict) -> str:
    (svc,) = get(release, "service", spec["service"])
    if svc["spec"]["type"] != "NodePort":
        pytest.skip(
            f"Service {spec['service']} is {svc['spec']['type']}, not NodePort: "
            "the browser smoke test opens the minikube profile's NodePorts"
        )
    return f"http://{node_ip()}:{svc['spec']['ports'][0]['nodePort']}"


def test_home_page_loads_and_switches_to_sign_up(deployed_release, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.driver.get(node_url(deployed_release, FRONTEND) + "/")
    login = (By.CSS_SELECTOR, "form[aria-label='Log in']")
    browser.wait(ec.visibility_of_element_located(login), what="the log-in form")
    assert browser.driver.find_element(By.TAG_NAME, "h1").text == "Todo chatbot"
    browser.shot("home")
    # a client-side switch only: proves the page's JavaScript runs; nothing is submitted
    switch = (By.XPATH, "//button[normalize-space()='No account? Sign up']")
    browser.wait(ec.element_to_be_clickable(switch), what="the sign-up switch").click()
    signup = (By.CSS_SELECTOR, "form[aria-label='Sign up']")
    form = browser.wait(ec.visibility_of_element_located(signup), what="the sign-up form")
    assert form.find_element(By.TAG_NAME, "h2").text == "Create an account"
    browser.shot("sign-up form")


def test_api_docs_render_offline(deployed_release, browser):
    """Swagger UI comes from the backend itself: the browser resolves no other host."""
    title, operations = browser.swagger_ui(node_url(deployed_release, BACKEND) + "/docs")
    assert title.startswith("todo-backend") and operations > 0, (title, operations)
