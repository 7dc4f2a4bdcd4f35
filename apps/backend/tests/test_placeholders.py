"""The chart's committed placeholders (CHANGE_ME) start a working app, never a traceback.

A user who installs the chart with its defaults gets the Secret's placeholders:
the backend warns loudly and runs on SQLite in its writable temporary directory
(the chart mounts an emptyDir on /tmp), a random signing key and the offline chat
parser. A value that is no database URL stops it with one line.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from app.config import ConfigError, Settings
from app.main import create_app
from fastapi.testclient import TestClient

BACKEND = Path(__file__).resolve().parents[1]
PLACEHOLDER_ENV = {
    "DATABASE_URL": "CHANGE_ME",
    "BETTER_AUTH_SECRET": "CHANGE_ME",
    "OPENAI_API_KEY": "CHANGE_ME",
}


@pytest.fixture
def tmpdir_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the process's temporary directory (the pod's /tmp) at a test folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_placeholder_database_url_falls_back_to_sqlite_in_tmp_with_a_warning(tmpdir_is, caplog):
    with caplog.at_level(logging.WARNING, logger="todo_backend"):
        settings = Settings.from_env(PLACEHOLDER_ENV)
    assert settings.database_url == f"sqlite:///{tmpdir_is / 'todo-backend.db'}"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(m.startswith("DATABASE_URL is a placeholder") for m in warnings), warnings
    assert any(m.startswith("BETTER_AUTH_SECRET is not set") for m in warnings), warnings


def test_the_app_works_on_placeholders(tmpdir_is, signup):
    with TestClient(create_app(Settings.from_env(PLACEHOLDER_ENV))) as client:
        auth = signup(client)
        created = client.post("/api/tasks", json={"title": "water the plants"}, headers=auth)
        assert created.status_code == 201, created.text
        assert [t["title"] for t in client.get("/api/tasks", headers=auth).json()] == [
            "water the plants"
        ]
        reply = client.post("/api/chat", json={"message": "list my tasks"}, headers=auth)
        assert reply.status_code == 200 and reply.json()["agent"] == "parser", reply.text
    assert (tmpdir_is / "todo-backend.db").is_file()


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("mysql://root:hunter2@db/todo", "its scheme is 'mysql'"),
        ("hunter2-not-a-url", "is not a postgresql:// or sqlite:// URL;"),
    ],
)
def test_a_database_url_that_is_no_url_is_one_clear_error_without_the_value(value, named):
    with pytest.raises(ConfigError, match=named) as caught:
        Settings.from_env({"DATABASE_URL": value})
    assert "hunter2" not in str(caught.value)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def uvicorn(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    """The backend as its image starts it (uvicorn --factory), env from the chart's Secret."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--port", str(port)],
        cwd=BACKEND,
        env={"PATH": os.environ.get("PATH", ""), "TMPDIR": str(tmp_path), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, port


def stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.terminate()
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def test_uvicorn_serves_on_the_charts_placeholders(tmp_path):
    proc, port = uvicorn(tmp_path, PLACEHOLDER_ENV)
    url = f"http://127.0.0.1:{port}/ready"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"backend exited {proc.returncode}:\n{stop(proc)}"
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, f"{url} never answered:\n{stop(proc)}"
                time.sleep(0.2)
    finally:
        out = stop(proc)
    assert "Traceback" not in out, out
    assert "WARNING:  DATABASE_URL is a placeholder: using SQLite at " in out, out
    assert "WARNING:  BETTER_AUTH_SECRET is not set" in out, out
    assert (tmp_path / "todo-backend.db").is_file()


def exited(tmp_path: Path, database_url: str) -> tuple[int, str]:
    """(exit code, output) of the backend started on ``database_url``, expected to stop."""
    proc, _ = uvicorn(tmp_path, {**PLACEHOLDER_ENV, "DATABASE_URL": database_url})
    try:
        proc.wait(timeout=30)
    finally:
        out = stop(proc)
    return proc.returncode, out


def test_uvicorn_stops_with_one_line_on_a_wrong_database_url(tmp_path):
    code, out = exited(tmp_path, "mysql://root:hunter2@db/x")
    assert code == 2, out
    assert "Traceback" not in out, out
    assert "CRITICAL:  todo-backend cannot start: DATABASE_URL is not a postgresql://" in out
    assert "hunter2" not in out


def test_uvicorn_stops_with_one_line_when_the_database_does_not_answer(tmp_path):
    port = free_port()  # nothing listens there
    code, out = exited(tmp_path, f"postgresql://todo:hunter2@127.0.0.1:{port}/todo")
    assert code == 3, out
    assert "Traceback" not in out, out
    (line,) = [ln for ln in out.splitlines() if "cannot start" in ln]
    assert line.startswith("CRITICAL:  todo-backend cannot start: the database at "), out
    assert f"127.0.0.1:{port}" in line and "Connection refused" in line, line
    assert "hunter2" not in out
