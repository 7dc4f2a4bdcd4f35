"""A headless Chromium for tests that use the app as a person does.

Debian's ``chromium`` and ``chromium-driver`` (``apt-get install``; a browser a tool
downloads itself cannot be fetched on machines without internet), driven by
Selenium. The browser resolves no host name but the ones the test names (the
node's IP for its NodePorts), so a page that reaches for a CDN breaks here as it
would on an offline cluster.

Each step's screenshot goes to ``<artifacts>/browser/<test>/NN-<step>.png``.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Chromium switches for a quiet, offline, unprivileged headless run.
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",  # root in CI; the sandbox needs user namespaces we may not have
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--window-size=1280,900",
)


#: Chromium's names: Debian's package, Ubuntu's, Google's build (GitHub's runners).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_binary() -> str | None:
    """The first Chromium on PATH, or None."""
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


class Browser:
    """A Selenium Chrome driver plus numbered screenshots of each step."""

    def __init__(self, driver: Any, shots: Path) -> None:
        self.driver = driver
        self.shots = shots
        self.taken: list[Path] = []

    def shot(self, step: str) -> Path:
        """Save a screenshot named after ``step`` (numbered in order); return its path."""
        self.shots.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.shots / f"{len(self.taken) + 1:02d}-{slug}.png"
        if not self.driver.save_screenshot(str(path)):
            raise RuntimeError(f"screenshot {path} was not written")
        self.taken.append(path)
        return path

    def wait(self, condition: Any, timeout: float = 30, what: str = "") -> Any:
        """Wait for a Selenium expected condition; on timeout, screenshot and say what."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            return WebDriverWait(self.driver, timeout).until(condition)
        except TimeoutException:
            self.shot(f"timeout {what}")
            raise AssertionError(
                f"waited {timeout:g} s for {what or condition} on {self.driver.current_url}; "
                f"screenshot {self.taken[-1]}"
            ) from None

    def swagger_ui(self, url: str) -> tuple[str, int]:
        """Open a Swagger UI page; return (its title, how many operations it lists) once
        it has rendered, which needs its script and styles to have loaded."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        self.driver.get(url)
        title = self.wait(
            ec.visibility_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info .title")),
            what=f"Swagger UI's title at {url}",
        )
        text, operations = title.text, len(self.driver.find_elements(By.CSS_SELECTOR, ".opblock"))
        self.shot("api docs")
        return text, operations


def node_ip() -> str:
    """The cluster's first node's InternalIP: where its NodePorts answer (what
    ``minikube ip`` prints on Minikube)."""
    from .cluster import kubectl

    node = json.loads(kubectl("get", "nodes", "-o", "json").stdout)["items"][0]
    return next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")


@contextmanager
def chromium(shots: Path, hosts: tuple[str, ...] = ()) -> Iterator[Browser]:
    """Start headless Chromium (Debian's, with its chromedriver) that reaches only
    ``hosts`` (names or IPs; every other name fails to resolve); always quit it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    binary = chromium_binary()
    if binary is None:
        raise RuntimeError(f"no Chromium on PATH (looked for {', '.join(CHROMIUM_NAMES)})")
    options.binary_location = binary
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    options.add_argument(
        "--host-resolver-rules=" + ", ".join(["MAP * ~NOTFOUND", *(f"EXCLUDE {h}" for h in hosts)])
    )
    # the driver is given: Selenium Manager (which would download one) never runs
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield Browser(driver, shots)
    finally:
        driver.quit()
