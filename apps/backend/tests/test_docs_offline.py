"""/docs and /redoc work without internet: every asset they load comes from the app.

The minikube cluster of our users may be offline; FastAPI's default pages load
Swagger UI and ReDoc from a CDN and show a blank page there.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest


class Assets(HTMLParser):
    """Collect what a page loads: script src, stylesheet/icon href, and URLs in inline JS."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            if values.get("src"):
                self.urls.append(values["src"])
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"])

    def handle_endtag(self, tag: str) -> None:
        self._in_script = tag != "script" and self._in_script

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.urls += re.findall(r"""(?:url|src)\s*[:=]\s*['"]([^'"]+)['"]""", data)


@pytest.mark.parametrize(("page", "kind"), [("/docs", "swagger"), ("/redoc", "redoc")])
def test_docs_pages_load_only_assets_the_app_serves(client, page, kind):
    response = client.get(page)
    assert response.status_code == 200
    parser = Assets()
    parser.feed(response.text)
    assets = [u for u in parser.urls if not u.startswith("data:")]
    assert any(kind in u for u in assets), f"{page} loads no {kind} asset: {assets}"
    for url in assets:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{page} loads {url} from another host"
        asset = client.get(url)
        assert asset.status_code == 200, f"{page} needs {url}: {asset.status_code}"
        assert len(asset.content) > 0, url


def test_swagger_ui_bundle_is_a_version_that_reads_openapi_3_1(client):
    """FastAPI writes OpenAPI 3.1; Swagger UI before 5 shows 'no valid version field'."""
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    parser = Assets()
    parser.feed(client.get("/docs").text)
    (bundle,) = [u for u in parser.urls if u.endswith("swagger-ui-bundle.js")]
    js = client.get(bundle).text
    (version,) = re.findall(r'PACKAGE_VERSION:"(\d+)\.\d+\.\d+"', js)
    assert int(version) >= 5, f"Swagger UI {version}.x cannot show OpenAPI 3.1"
