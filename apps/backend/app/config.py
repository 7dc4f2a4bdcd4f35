"""Settings read from the environment once, when the app is created.

Non-secret settings (``CORS_ORIGINS``, ``JWT_ALGORITHM``, ``JWT_EXPIRATION_DAYS``)
come from the chart's ConfigMap; secrets (``DATABASE_URL``, ``BETTER_AUTH_SECRET``,
``OPENAI_API_KEY``) from its Secret. Every one has a local-run default except the
OpenAI key, whose absence switches the chat agent to its offline command parser.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("todo_backend")

SUPPORTED_JWT_ALGORITHMS = ("HS256", "HS384", "HS512")
# RFC 7518 section 3.2: an HMAC key at least as long as the hash output.
MIN_SECRET_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
# Values the chart ships as placeholders: treated like "unset" so a forgotten
# Secret does not turn into a real OpenAI call or a guessable signing key.
PLACEHOLDERS = {"", "CHANGE_ME", "changeme", "change-me"}


class ConfigError(ValueError):
    """An environment variable holds a value the backend cannot use."""


def _default_database_url() -> str:
    """A SQLite file in the temporary directory (the chart mounts a writable volume there)."""
    return f"sqlite:///{Path(tempfile.gettempdir()) / 'todo-backend.db'}"


def database_url_from(raw: str) -> str:
    """The URL SQLAlchemy connects to, from a DATABASE_URL value.

    A placeholder (the chart's committed CHANGE_ME) or nothing falls back, loudly, to
    SQLite on the writable temporary directory, as placeholder auth and OpenAI values
    do; a value that is no database URL is a ConfigError that never echoes it (it
    may hold a password).
    """
    url = raw.strip()
    if url in PLACEHOLDERS:
        fallback = _default_database_url()
        log.warning(
            "DATABASE_URL is %s: using SQLite at %s instead; data lives only as long as "
            "this pod and is not shared between replicas. Set a PostgreSQL URL "
            "(backend.secret.databaseUrl or existingSecret) to keep it",
            "a placeholder" if url else "not set",
            fallback.removeprefix("sqlite:///"),
        )
        return fallback
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else None
    if scheme not in ("postgres", "postgresql", "sqlite"):
        raise ConfigError(
            "DATABASE_URL is not a postgresql:// or sqlite:// URL"
            + (f" (its scheme is {scheme!r})" if scheme else "")
            + "; set a PostgreSQL connection string (postgresql://user:password@host:5432/db)"
        )
    return normalise_database_url(url)


def normalise_database_url(url: str) -> str:
    """Return ``url`` with a driver SQLAlchemy can load (psycopg 3 for PostgreSQL)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _split_origins(raw: str) -> list[str]:
    return [origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip()]


@dataclass(frozen=True)
class Settings:
    database_url: str
    auth_secret: str
    jwt_algorithm: str
    jwt_expiration_days: float
    cors_origins: list[str]
    openai_api_key: str | None
    openai_base_url: str
    openai_model: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        algorithm = env.get("JWT_ALGORITHM", "HS256").strip() or "HS256"
        if algorithm not in SUPPORTED_JWT_ALGORITHMS:
            raise ConfigError(
                f"JWT_ALGORITHM={algorithm!r} is not supported; "
                f"use one of {', '.join(SUPPORTED_JWT_ALGORITHMS)} (tokens are signed "
                "with the shared secret BETTER_AUTH_SECRET)"
            )
        raw_days = env.get("JWT_EXPIRATION_DAYS", "7").strip() or "7"
        try:
            days = float(raw_days)
        except ValueError:
            raise ConfigError(f"JWT_EXPIRATION_DAYS={raw_days!r} is not a number") from None
        if days <= 0:
            raise ConfigError(f"JWT_EXPIRATION_DAYS={raw_days!r} must be greater than 0")
        secret = env.get("BETTER_AUTH_SECRET", "").strip()
        if secret in PLACEHOLDERS:
            log.warning(
                "BETTER_AUTH_SECRET is not set: signing tokens with a random key, "
                "so they stop working when this process restarts"
            )
            secret = secrets.token_urlsafe(48)
        elif len(secret.encode()) < MIN_SECRET_BYTES[algorithm]:
            raise ConfigError(
                f"BETTER_AUTH_SECRET is {len(secret.encode())} bytes long; {algorithm} needs at "
                f"least {MIN_SECRET_BYTES[algorithm]} (generate one: openssl rand -base64 64)"
            )
        key = env.get("OPENAI_API_KEY", "").strip()
        return cls(
            database_url=database_url_from(env.get("DATABASE_URL", "")),
            auth_secret=secret,
            jwt_algorithm=algorithm,
            jwt_expiration_days=days,
            cors_origins=_split_origins(env.get("CORS_ORIGINS", "http://localhost:3000")),
            openai_api_key=None if key in PLACEHOLDERS else key,
            openai_base_url=env.get("OPENAI_BASE_URL", "https://api.openai.com/v1").rstrip("/"),
            openai_model=env.get("OPENAI_MODEL", "gpt-4o-mini"),
        )
