def test_crud_round_trip(client, auth):
    created = client.post(
        "/api/tasks", json={"title": "  buy milk ", "description": "2 litres"}, headers=auth
    )
    assert created.status_code == 201
    task = created.json()
    assert task["title"] == "buy milk"
    assert task["completed"] is False

    listed = client.get("/api/tasks", headers=auth).json()
    assert [t["title"] for t in listed] == ["buy milk"]

    done = client.patch(f"/api/tasks/{task['id']}", json={"completed": True}, headers=auth)
    assert done.status_code == 200
    assert done.json()["completed"] is True
    assert done.json()["description"] == "2 litres"

    assert client.get("/api/tasks?completed=false", headers=auth).json() == []
    assert len(client.get("/api/tasks?completed=true", headers=auth).json()) == 1

    assert client.delete(f"/api/tasks/{task['id']}", headers=auth).status_code == 204
    assert client.get(f"/api/tasks/{task['id']}", headers=auth).status_code == 404


def test_users_see_only_their_own_tasks(client, auth, signup):
    task = client.post("/api/tasks", json={"title": "secret"}, headers=auth).json()
    other = signup(client, "eve@example.com")
    assert client.get("/api/tasks", headers=other).json() == []
    response = client.get(f"/api/tasks/{task['id']}", headers=other)
    assert response.status_code == 404
    assert response.json()["detail"] == f"task {task['id']} not found"
    assert client.delete(f"/api/tasks/{task['id']}", headers=other).status_code == 404


def test_tasks_survive_a_restart_on_the_same_database(make_client, client, auth):
    client.post("/api/tasks", json={"title": "persist me"}, headers=auth)
    again = make_client()
    assert [t["title"] for t in again.get("/api/tasks", headers=auth).json()] == ["persist me"]
