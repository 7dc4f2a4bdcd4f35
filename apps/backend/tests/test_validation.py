import pytest


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/api/tasks", {}, "title: Field required"),
        ("/api/tasks", {"title": "   "}, "title: Value error, must not be empty"),
        ("/api/tasks", {"title": "x" * 201}, "title: String should have at most 200 characters"),
        ("/api/tasks", {"title": 5}, "title: Input should be a valid string"),
    ],
)
def test_bad_task_bodies_are_422_with_a_clear_message(client, auth, path, body, expected):
    response = client.post(path, json=body, headers=auth)
    assert response.status_code == 422
    assert expected in response.json()["detail"]


def test_malformed_json_is_422(client, auth):
    response = client.post(
        "/api/tasks", content=b"{not json", headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("invalid request: ")
    assert "JSON" in response.json()["detail"]


def test_bad_signup_says_what_is_wrong(client):
    response = client.post("/api/auth/signup", json={"email": "not-an-email", "password": "short"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "email: Value error, must be an email address" in detail
    assert "password: String should have at least 8 characters" in detail


def test_non_numeric_task_id_is_422(client, auth):
    response = client.get("/api/tasks/abc", headers=auth)
    assert response.status_code == 422
    assert "task_id" in response.json()["detail"]


def test_unknown_task_is_404(client, auth):
    response = client.patch("/api/tasks/999", json={"completed": True}, headers=auth)
    assert response.status_code == 404
    assert response.json()["detail"] == "task 999 not found"
