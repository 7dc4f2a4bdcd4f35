"""The live tiers' browser: reaches the hosts a test names, resolves no other name
(a page that needs a CDN breaks as on an offline cluster), numbers its screenshots."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from kubeproof.testing.browser import chromium
from kubeproof.testing.environment import require

# The script's host is a name that resolves on every machine (localhost, this very
# server): only the browser's resolver rule can stop it, as it stops a CDN's name.
PAGE = """<!doctype html><title>loading</title>
<h1>local page</h1>
<script src="http://localhost:{port}/script.js"
        onload="document.title='name reached'" onerror="document.title='name blocked'"></script>
"""


@pytest.fixture
def local_page() -> Iterator[str]:
    """A page on 127.0.0.1 that loads a script from http://localhost (the same server)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            script = self.path == "/script.js"
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript" if script else "text/html")
            self.end_headers()
            port = self.server.server_address[1]
            self.wfile.write(b"" if script else PAGE.format(port=port).encode())

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("hosts", "outcome"),
    [(("127.0.0.1",), "name blocked"), (("127.0.0.1", "localhost"), "name reached")],
)
def test_named_hosts_load_other_names_do_not_and_shots_are_numbered(
    local_page, tmp_path, hosts, outcome
):
    require("browser")
    from selenium.webdriver.common.by import By

    with chromium(tmp_path / "shots", hosts=hosts) as browser:
        browser.driver.get(local_page)
        assert browser.driver.find_element(By.TAG_NAME, "h1").text == "local page"
        browser.wait(lambda d: d.title != "loading", timeout=20, what="the script's outcome")
        assert browser.driver.title == outcome
        first, second = browser.shot("Local page!"), browser.shot("again")
    assert [first.name, second.name] == ["01-local-page.png", "02-again.png"]
    assert first.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
