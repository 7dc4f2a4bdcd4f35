"""Password hashing (scrypt, from the standard library) and JWT access tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

import jwt

from .config import Settings

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), **_SCRYPT)
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


class InvalidToken(Exception):
    """The bearer token is missing, malformed, badly signed or expired."""


def issue_token(settings: Settings, user_id: int, email: str) -> tuple[str, datetime]:
    now = datetime.now(UTC)
    expires = now + timedelta(days=settings.jwt_expiration_days)
    claims = {"sub": str(user_id), "email": email, "iat": now, "exp": expires}
    token = jwt.encode(claims, settings.auth_secret, algorithm=settings.jwt_algorithm)
    return token, expires


def read_token(settings: Settings, token: str) -> int:
    """Return the user id a valid token was issued to."""
    try:
        claims = jwt.decode(
            token,
            settings.auth_secret,
            algorithms=[settings.jwt_algorithm],
            options={"require": ["sub", "exp"]},
        )
        return int(claims["sub"])
    except jwt.ExpiredSignatureError:
        raise InvalidToken("token has expired; log in again") from None
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise InvalidToken(f"invalid token: {exc}") from None
