import json

import httpx
import pytest


def say(client, auth, message):
    response = client.post("/api/chat", json={"message": message}, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


def test_parser_manages_tasks_end_to_end(client, auth):
    added = say(client, auth, "add buy milk")
    assert added["agent"] == "parser"
    task_id = added["actions"][0]["task"]["id"]
    assert added["reply"] == f'Added #{task_id} "buy milk".'
    say(client, auth, "Add task: call mum.")

    listed = say(client, auth, "list")
    assert listed["reply"] == f"#{task_id} [ ] buy milk\n#{task_id + 1} [ ] call mum"

    done = say(client, auth, f"done {task_id}")
    assert done["actions"][0]["task"]["completed"] is True
    assert say(client, auth, "list done")["reply"] == f"#{task_id} [x] buy milk"
    assert say(client, auth, "list pending")["reply"] == f"#{task_id + 1} [ ] call mum"

    say(client, auth, f"undo #{task_id}")
    renamed = say(client, auth, f"rename {task_id} to buy oat milk")
    assert renamed["actions"][0]["task"]["title"] == "buy oat milk"

    deleted = say(client, auth, f"delete {task_id + 1}")
    assert deleted["actions"][0]["action"] == "delete"
    assert [t["title"] for t in deleted["tasks"]] == ["buy oat milk"]


@pytest.mark.parametrize("message", ["hello", "what can you do?", "done", "add"])
def test_parser_answers_unknown_commands_with_help(client, auth, message):
    reply = say(client, auth, message)
    assert reply["actions"] == []
    assert "add buy milk" in reply["reply"]


def test_parser_reports_a_missing_task(client, auth):
    reply = say(client, auth, "done 42")
    assert "task 42 not found" in reply["reply"]


def test_chat_needs_a_message_and_a_token(client, auth):
    assert client.post("/api/chat", json={"message": "list"}).status_code == 401
    empty = client.post("/api/chat", json={"message": ""}, headers=auth)
    assert empty.status_code == 422
    assert "message: String should have at least 1 character" in empty.json()["detail"]


def fake_openai(script):
    """Return an httpx transport answering chat completions from ``script`` in order."""
    requests = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/chat/completions")
        assert request.headers["Authorization"] == "Bearer sk-test"
        requests.append(json.loads(request.content))
        return httpx.Response(200, json={"choices": [{"message": script[len(requests) - 1]}]})

    return httpx.MockTransport(handler), requests


def test_openai_agent_calls_task_tools(make_client, signup):
    transport, requests = fake_openai(
        [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {
                            "name": "add_task",
                            "arguments": json.dumps({"title": "water plants"}),
                        },
                    }
                ],
            },
            {"role": "assistant", "content": "Added #1 water plants."},
        ]
    )
    client = make_client({"OPENAI_API_KEY": "sk-test"}, transport=transport)

    auth = signup(client)
    reply = say(client, auth, "please remind me to water the plants")
    assert reply["agent"] == "openai"
    assert reply["reply"] == "Added #1 water plants."
    assert [t["title"] for t in reply["tasks"]] == ["water plants"]
    assert requests[0]["tools"][0]["function"]["name"] == "list_tasks"
    tool_message = requests[1]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert json.loads(tool_message["content"])["title"] == "water plants"


def test_openai_failure_falls_back_to_the_parser(make_client, signup):
    transport = httpx.MockTransport(lambda request: httpx.Response(503, json={"error": "down"}))
    client = make_client({"OPENAI_API_KEY": "sk-test"}, transport=transport)

    reply = say(client, signup(client), "add buy bread")
    assert reply["agent"] == "parser-fallback"
    assert [t["title"] for t in reply["tasks"]] == ["buy bread"]
