"""The FastAPI application: routes, auth dependency, CORS, error bodies, health.

Run it with ``uvicorn --factory app.main:create_app``: nothing happens at import,
and the tests build one instance per test with their own settings.
"""

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from . import __version__
from .agent import OpenAIAgent, chat
from .config import ConfigError, Settings
from .db import create_tables, database_answers, make_engine
from .models import (
    ChatRequest,
    ChatResponse,
    Login,
    SignUp,
    TaskCreate,
    TaskRead,
    TaskUpdate,
    TokenResponse,
    User,
    UserRead,
)
from .security import InvalidToken, hash_password, issue_token, read_token, verify_password
from .tasks import TaskNotFound, TaskService

log = logging.getLogger("todo_backend")
bearer = HTTPBearer(auto_error=False)


def _explain(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def _log_like_uvicorn() -> None:
    """Our warnings in uvicorn's format (``WARNING:  ...``), once, on stderr."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:  %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def create_app(
    settings: Settings | None = None, openai_transport: httpx.BaseTransport | None = None
) -> FastAPI:
    started_by_uvicorn = settings is None
    if settings is None:  # started by uvicorn: the pod's log is the only place to warn
        _log_like_uvicorn()
        try:
            settings = Settings.from_env()
        except ConfigError as exc:  # a wrong setting: one line, no traceback
            log.critical("todo-backend cannot start: %s", exc)
            raise SystemExit(2) from None
    engine = make_engine(settings.database_url)
    if started_by_uvicorn:
        # A database that does not answer at start: one line naming host and cause (never
        # the password), then exit; Kubernetes restarts the pod until it answers. Left to
        # the startup below, it would end in SQLAlchemy's traceback.
        reason = database_answers(engine)
        if reason is not None:
            where = engine.url.render_as_string(hide_password=True)
            log.critical(
                "todo-backend cannot start: the database at %s does not answer: %s", where, reason
            )
            raise SystemExit(3)
    openai = (
        OpenAIAgent(
            settings.openai_api_key,
            settings.openai_base_url,
            settings.openai_model,
            openai_transport,
        )
        if settings.openai_api_key
        else None
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        create_tables(engine)
        log.info(
            "database ready (%s), chat agent: %s",
            engine.url.get_backend_name(),
            "openai" if openai else "parser",
        )
        yield
        engine.dispose()

    # FastAPIOffline: /docs and /redoc load Swagger UI and ReDoc from the app itself
    # (under /static-offline-docs), not from a CDN, so they work on offline clusters.
    app = FastAPIOffline(title="todo-backend", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials="*" not in settings.cors_origins,
        allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
    )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={
                "detail": f"invalid request: {_explain(exc)}",
                "errors": jsonable_encoder(exc.errors()),
            },
        )

    @app.exception_handler(TaskNotFound)
    async def _missing(_: Request, exc: TaskNotFound) -> JSONResponse:
        return JSONResponse(status_code=status.HTTP_404_NOT_FOUND, content={"detail": str(exc)})

    def get_session() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    SessionDep = Annotated[Session, Depends(get_session)]

    def current_user(
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> User:
        unauthorized = {"WWW-Authenticate": "Bearer"}
        if credentials is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "missing bearer token; log in first", unauthorized
            )
        try:
            user_id = read_token(settings, credentials.credentials)
        except InvalidToken as exc:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc), unauthorized) from None
        user = session.get(User, user_id)
        if user is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "token's user no longer exists", unauthorized
            )
        return user

    UserDep = Annotated[User, Depends(current_user)]

    def tasks_of(session: SessionDep, user: UserDep) -> TaskService:
        assert user.id is not None
        return TaskService(session, user.id)

    TasksDep = Annotated[TaskService, Depends(tasks_of)]

    def token_for(user: User) -> TokenResponse:
        assert user.id is not None
        token, expires = issue_token(settings, user.id, user.email)
        return TokenResponse(
            access_token=token, expires_at=expires, user=UserRead.model_validate(user)
        )

    # ---- health -------------------------------------------------------------
    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Liveness: the process answers. Cheap, touches nothing else."""
        return {"status": "ok"}

    @app.get("/ready", tags=["health"])
    def ready(response: Response) -> dict[str, str]:
        """Readiness: the database answers ``SELECT 1``; 503 with the reason when it does not."""
        problem = database_answers(engine)
        if problem:
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
            return {"status": "unavailable", "database": problem}
        return {"status": "ok", "database": "ok"}

    # ---- auth -----------------------------------------------------------------
    @app.post("/api/auth/signup", status_code=status.HTTP_201_CREATED, tags=["auth"])
    def signup(body: SignUp, session: SessionDep) -> TokenResponse:
        if session.exec(select(User).where(User.email == body.email)).first() is not None:
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"an account for {body.email} already exists"
            )
        user = User(
            email=body.email, name=body.name.strip(), password_hash=hash_password(body.password)
        )
        session.add(user)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"an account for {body.email} already exists"
            ) from None
        session.refresh(user)
        return token_for(user)

    @app.post("/api/auth/login", tags=["auth"])
    def login(body: Login, session: SessionDep) -> TokenResponse:
        user = session.exec(select(User).where(User.email == body.email)).first()
        if user is None or not verify_password(body.password, user.password_hash):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
        return token_for(user)

    @app.get("/api/auth/me", tags=["auth"])
    def me(user: UserDep) -> UserRead:
        return UserRead.model_validate(user)

    # ---- tasks ------------------------------------------------------------------
    @app.get("/api/tasks", tags=["tasks"])
    def list_tasks(tasks: TasksDep, completed: bool | None = None) -> list[TaskRead]:
        return tasks.list(completed)

    @app.post("/api/tasks", status_code=status.HTTP_201_CREATED, tags=["tasks"])
    def create_task(body: TaskCreate, tasks: TasksDep) -> TaskRead:
        return tasks.create(body)

    @app.get("/api/tasks/{task_id}", tags=["tasks"])
    def get_task(task_id: int, tasks: TasksDep) -> TaskRead:
        return tasks.get(task_id)

    @app.patch("/api/tasks/{task_id}", tags=["tasks"])
    def update_task(task_id: int, body: TaskUpdate, tasks: TasksDep) -> TaskRead:
        return tasks.update(task_id, body)

    @app.delete("/api/tasks/{task_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["tasks"])
    def delete_task(task_id: int, tasks: TasksDep) -> None:
        tasks.delete(task_id)

    # ---- chat ---------------------------------------------------------------------
    @app.post("/api/chat", tags=["chat"])
    def chat_with_agent(body: ChatRequest, tasks: TasksDep) -> ChatResponse:
        result = chat(body.message, tasks, openai)
        return ChatResponse(
            reply=result.reply, agent=result.agent, actions=result.actions, tasks=tasks.list()
        )

    return app
