"""Fixtures for the backend's own tests: a fresh app on a temporary SQLite file.

``DATABASE_URL`` and the other settings are set before anything from ``app`` is
imported, so no test ever touches a real database or the network.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

_BACKEND = Path(__file__).resolve().parents[1]
if str(_BACKEND) not in sys.path:
    sys.path.insert(0, str(_BACKEND))

os.environ["DATABASE_URL"] = "sqlite:///" + str(_BACKEND / ".pytest-unused.db")  # replaced per test
os.environ["BETTER_AUTH_SECRET"] = "test-secret-that-is-long-enough-for-hs256-and-more"
os.environ.pop("OPENAI_API_KEY", None)

ORIGIN = "http://todo.example.test"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Return the environment a test's app is configured from (temporary SQLite file)."""
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'todo.db'}",
        "BETTER_AUTH_SECRET": "test-secret-that-is-long-enough-for-hs256-and-more",
        "JWT_ALGORITHM": "HS256",
        "JWT_EXPIRATION_DAYS": "7",
        "CORS_ORIGINS": f"{ORIGIN}, http://localhost:3000",
    }


@pytest.fixture
def make_client(env: dict[str, str]) -> Iterator[Callable[..., TestClient]]:
    """Return a factory of TestClients.

    ``overrides`` change the env, ``transport`` fakes the OpenAI API, and
    ``lifespan=False`` skips startup (table creation) for apps meant to be broken.
    """
    # imported here, not at module level: pytest loads this file in every run (the
    # static tier too), and the app's imports (FastAPI, SQLAlchemy) take a second
    from app.config import Settings
    from app.main import create_app
    from fastapi.testclient import TestClient

    clients: list[TestClient] = []

    def make(
        overrides: dict[str, str] | None = None, transport=None, lifespan: bool = True
    ) -> TestClient:
        settings = Settings.from_env({**env, **(overrides or {})})
        client = TestClient(create_app(settings, openai_transport=transport))
        if lifespan:
            client.__enter__()  # runs the lifespan: creates the tables
            clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    """Return a TestClient for an app with the default test settings."""
    return make_client()


def _signup(
    client: TestClient, email: str = "ada@example.com", password: str = "correct horse"
) -> dict[str, str]:
    response = client.post(
        "/api/auth/signup", json={"email": email, "password": password, "name": "Ada"}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def signup() -> Callable[..., dict[str, str]]:
    """Return ``signup(client, email=..., password=...)``: signs up, returns auth headers."""
    return _signup


@pytest.fixture
def origin() -> str:
    """Return an origin listed in the test app's CORS_ORIGINS."""
    return ORIGIN


@pytest.fixture
def auth(client: TestClient) -> dict[str, str]:
    """Return Authorization headers of a freshly signed-up user."""
    return _signup(client)
