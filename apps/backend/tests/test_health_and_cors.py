def test_liveness_and_docs(client):
    assert client.get("/health").json() == {"status": "ok"}
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_readiness_checks_the_database(client):
    assert client.get("/ready").json() == {"status": "ok", "database": "ok"}


def test_readiness_is_503_when_the_database_is_unreachable(make_client, tmp_path):
    client = make_client(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/db.sqlite"}, lifespan=False
    )
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "OperationalError" in response.json()["database"]


def test_cors_allows_a_configured_origin(client, origin):
    response = client.options(
        "/api/tasks",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin


def test_cors_refuses_other_origins(client):
    response = client.options(
        "/api/tasks",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    simple = client.get("/health", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in simple.headers
