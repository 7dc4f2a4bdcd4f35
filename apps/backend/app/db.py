"""The database engine (PostgreSQL via psycopg 3, or a SQLite file) and sessions."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # FastAPI runs sync endpoints in a thread pool: let SQLite connections move.
        return create_engine(url, connect_args={"check_same_thread": False})
    # pool_pre_ping: Neon closes idle connections; reconnect instead of failing a request.
    # connect_timeout: an unreachable database fails /ready quickly instead of hanging it.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        pool_recycle=300,
        connect_args={"connect_timeout": 5},
    )


def create_tables(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)


def database_answers(engine: Engine) -> str | None:
    """Return None when ``SELECT 1`` succeeds, else a one-line reason."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
    return None


def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
