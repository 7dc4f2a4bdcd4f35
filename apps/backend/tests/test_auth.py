from datetime import UTC, datetime, timedelta

import jwt


def test_signup_returns_a_token_that_identifies_the_user(client, signup):
    headers = signup(client, "Grace@Example.com")
    me = client.get("/api/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email"] == "grace@example.com"


def test_login_with_the_right_password(client, auth):
    response = client.post(
        "/api/auth/login", json={"email": "ada@example.com", "password": "correct horse"}
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"


def test_login_with_a_wrong_password_is_401(client, auth):
    response = client.post(
        "/api/auth/login", json={"email": "ada@example.com", "password": "wrong"}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "wrong email or password"


def test_signup_twice_is_409(client, auth):
    response = client.post(
        "/api/auth/signup", json={"email": "ada@example.com", "password": "another pw"}
    )
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


def test_requests_without_a_token_are_401(client):
    response = client.get("/api/tasks")
    assert response.status_code == 401
    assert "log in" in response.json()["detail"]


def test_a_token_signed_with_another_secret_is_rejected(client, auth):
    forged = jwt.encode(
        {"sub": "1", "exp": datetime.now(UTC) + timedelta(days=1)}, "x" * 64, algorithm="HS256"
    )
    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert "invalid token" in response.json()["detail"]


def test_an_expired_token_is_rejected(client, env, auth):
    expired = jwt.encode(
        {"sub": "1", "exp": datetime.now(UTC) - timedelta(minutes=1)},
        env["BETTER_AUTH_SECRET"],
        algorithm="HS256",
    )
    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_garbage_token_is_rejected(client):
    response = client.get("/api/tasks", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401


def test_tokens_use_the_configured_algorithm_and_lifetime(make_client):
    secret = "s" * 64
    client = make_client(
        {"JWT_ALGORITHM": "HS512", "JWT_EXPIRATION_DAYS": "2", "BETTER_AUTH_SECRET": secret}
    )
    response = client.post(
        "/api/auth/signup", json={"email": "a@b.example", "password": "12345678"}
    )
    token = response.json()["access_token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS512"
    claims = jwt.decode(token, secret, algorithms=["HS512"])
    assert claims["exp"] - claims["iat"] == 2 * 24 * 3600
