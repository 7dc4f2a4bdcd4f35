"""Database tables (SQLModel) and the request/response bodies of the API."""

import re
from datetime import UTC, datetime

from pydantic import field_validator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=320)
    name: str = Field(default="", max_length=200)
    password_hash: str
    created_at: datetime = Field(default_factory=utcnow)


class Task(SQLModel, table=True):
    __tablename__ = "tasks"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    completed: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _clean_email(value: str) -> str:
    value = value.strip().lower()
    if not EMAIL_PATTERN.match(value):
        raise ValueError("must be an email address like name@example.com")
    return value


def _clean_title(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


class SignUp(SQLModel):
    email: str = Field(max_length=320)
    password: str = Field(min_length=8, max_length=200)
    name: str = Field(default="", max_length=200)

    _email = field_validator("email")(_clean_email)


class Login(SQLModel):
    email: str = Field(max_length=320)
    password: str = Field(min_length=1, max_length=200)

    _email = field_validator("email")(_clean_email)


class UserRead(SQLModel):
    id: int
    email: str
    name: str


class TokenResponse(SQLModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserRead


class TaskCreate(SQLModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)

    _title = field_validator("title")(_clean_title)


class TaskUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    completed: bool | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        return None if value is None else _clean_title(value)


class TaskRead(SQLModel):
    id: int
    title: str
    description: str
    completed: bool
    created_at: datetime
    updated_at: datetime


class ChatRequest(SQLModel):
    message: str = Field(min_length=1, max_length=2000)


class ChatAction(SQLModel):
    action: str
    task: TaskRead | None = None


class ChatResponse(SQLModel):
    reply: str
    agent: str
    actions: list[ChatAction] = []
    tasks: list[TaskRead] = []
