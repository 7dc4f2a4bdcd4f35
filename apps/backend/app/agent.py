"""The chat agent: manages the user's tasks from natural language.

With ``OPENAI_API_KEY`` set it asks the OpenAI Chat Completions API, offering the
task operations as tools; without it (or when the API cannot be reached) a small
deterministic command parser understands "add buy milk", "list", "done 3",
"undo 3", "delete 3", "rename 3 to buy oat milk" and "help", so the app works
offline and in tests.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from pydantic import ValidationError

from .models import ChatAction, TaskCreate, TaskRead, TaskUpdate
from .tasks import TaskNotFound, TaskService

log = logging.getLogger("todo_backend.agent")

HELP = (
    'I can manage your tasks. Try: "add buy milk", "list", "list done", '
    '"done 3", "undo 3", "rename 3 to buy oat milk", "delete 3".'
)


@dataclass
class AgentResult:
    reply: str
    agent: str
    actions: list[ChatAction] = field(default_factory=list)


def _describe(tasks: list[TaskRead]) -> str:
    if not tasks:
        return "You have no tasks."
    lines = [f"#{t.id} [{'x' if t.completed else ' '}] {t.title}" for t in tasks]
    return "\n".join(lines)


# ---- offline command parser -------------------------------------------------

_ADD = re.compile(
    r"^(?:add|create|new|remember(?: to)?)(?: a)?(?: task)?[:\s]+(?P<title>.+)$", re.I
)
_LIST = re.compile(
    r"^(?:list|show|ls)(?: my)?(?: tasks?)?"
    r"(?:\s+(?P<which>all|done|completed|pending|open|todo))?$",
    re.I,
)
_DONE = re.compile(r"^(?:done|complete|finish|check)(?: task)?\s+#?(?P<id>\d+)$", re.I)
_UNDO = re.compile(r"^(?:undo|reopen|uncheck)(?: task)?\s+#?(?P<id>\d+)$", re.I)
_DELETE = re.compile(r"^(?:delete|remove|rm|drop)(?: task)?\s+#?(?P<id>\d+)$", re.I)
_RENAME = re.compile(
    r"^(?:rename|update|change)(?: task)?\s+#?(?P<id>\d+)\s+(?:to\s+)?(?P<title>.+)$", re.I
)


def parse_command(message: str, service: TaskService) -> AgentResult:
    text = " ".join(message.strip().split()).rstrip(".!")
    try:
        if m := _LIST.match(text):
            which = (m["which"] or "all").lower()
            completed = {
                "done": True,
                "completed": True,
                "pending": False,
                "open": False,
                "todo": False,
            }.get(which)
            tasks = service.list(completed)
            return AgentResult(_describe(tasks), "parser", [ChatAction(action="list")])
        if m := _DONE.match(text):
            task = service.update(int(m["id"]), TaskUpdate(completed=True))
            return AgentResult(
                f'Marked #{task.id} "{task.title}" as done.',
                "parser",
                [ChatAction(action="complete", task=task)],
            )
        if m := _UNDO.match(text):
            task = service.update(int(m["id"]), TaskUpdate(completed=False))
            return AgentResult(
                f'Reopened #{task.id} "{task.title}".',
                "parser",
                [ChatAction(action="reopen", task=task)],
            )
        if m := _DELETE.match(text):
            task = service.delete(int(m["id"]))
            return AgentResult(
                f'Deleted #{task.id} "{task.title}".',
                "parser",
                [ChatAction(action="delete", task=task)],
            )
        if m := _RENAME.match(text):
            task = service.update(int(m["id"]), TaskUpdate(title=m["title"]))
            return AgentResult(
                f'Renamed #{task.id} to "{task.title}".',
                "parser",
                [ChatAction(action="update", task=task)],
            )
        if m := _ADD.match(text):
            task = service.create(TaskCreate(title=m["title"][:200]))
            return AgentResult(
                f'Added #{task.id} "{task.title}".',
                "parser",
                [ChatAction(action="create", task=task)],
            )
    except TaskNotFound as exc:
        return AgentResult(f'I could not find that: {exc}. Say "list" to see your tasks.', "parser")
    except ValidationError as exc:
        return AgentResult(f"That did not work: {exc.errors()[0]['msg']}.", "parser")
    return AgentResult(HELP, "parser")


# ---- OpenAI tool-calling agent ---------------------------------------------

SYSTEM_PROMPT = (
    "You are the assistant of a todo app. Manage the user's tasks only through the "
    "tools. Refer to tasks by their #id. Answer briefly."
)

_ID = {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "list_tasks",
            "description": "List the user's tasks.",
            "parameters": {"type": "object", "properties": {"completed": {"type": "boolean"}}},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "add_task",
            "description": "Add a task.",
            "parameters": {
                "type": "object",
                "properties": {"title": {"type": "string"}, "description": {"type": "string"}},
                "required": ["title"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "complete_task",
            "description": "Mark a task done.",
            "parameters": _ID,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "reopen_task",
            "description": "Mark a task not done.",
            "parameters": _ID,
        },
    },
    {
        "type": "function",
        "function": {"name": "delete_task", "description": "Delete a task.", "parameters": _ID},
    },
    {
        "type": "function",
        "function": {
            "name": "rename_task",
            "description": "Change a task's title.",
            "parameters": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "title": {"type": "string"}},
                "required": ["id", "title"],
            },
        },
    },
]


def _run_tool(name: str, args: dict, service: TaskService, actions: list[ChatAction]) -> object:
    handlers: dict[str, Callable[[], object]] = {
        "list_tasks": lambda: [
            t.model_dump(mode="json") for t in service.list(args.get("completed"))
        ],
        "add_task": lambda: service.create(
            TaskCreate(title=args["title"], description=args.get("description", ""))
        ),
        "complete_task": lambda: service.update(int(args["id"]), TaskUpdate(completed=True)),
        "reopen_task": lambda: service.update(int(args["id"]), TaskUpdate(completed=False)),
        "delete_task": lambda: service.delete(int(args["id"])),
        "rename_task": lambda: service.update(int(args["id"]), TaskUpdate(title=args["title"])),
    }
    if name not in handlers:
        return {"error": f"unknown tool {name}"}
    try:
        result = handlers[name]()
    except (TaskNotFound, ValidationError, KeyError, ValueError) as exc:
        return {"error": str(exc)}
    action = name.removesuffix("_tasks").removesuffix("_task")
    if isinstance(result, TaskRead):
        actions.append(ChatAction(action=action, task=result))
        return result.model_dump(mode="json")
    actions.append(ChatAction(action=action))
    return result


class OpenAIAgent:
    def __init__(
        self, api_key: str, base_url: str, model: str, transport: httpx.BaseTransport | None = None
    ):
        self.model = model
        self.client = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=httpx.Timeout(30.0, connect=5.0),
            transport=transport,
        )

    def run(self, message: str, service: TaskService, max_rounds: int = 5) -> AgentResult:
        messages: list[dict] = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": message},
        ]
        actions: list[ChatAction] = []
        for _ in range(max_rounds):
            response = self.client.post(
                "/chat/completions",
                json={"model": self.model, "messages": messages, "tools": TOOLS},
            )
            response.raise_for_status()
            choice = response.json()["choices"][0]["message"]
            calls = choice.get("tool_calls") or []
            if not calls:
                return AgentResult(choice.get("content") or "Done.", "openai", actions)
            messages.append(choice)
            for call in calls:
                args = json.loads(call["function"].get("arguments") or "{}")
                result = _run_tool(call["function"]["name"], args, service, actions)
                messages.append(
                    {"role": "tool", "tool_call_id": call["id"], "content": json.dumps(result)}
                )
        return AgentResult(
            'I stopped after too many steps; say "list" to see where things are.', "openai", actions
        )


def chat(message: str, service: TaskService, openai: OpenAIAgent | None) -> AgentResult:
    if openai is not None:
        try:
            return openai.run(message, service)
        except (httpx.HTTPError, KeyError, IndexError, ValueError) as exc:
            log.warning(
                "OpenAI agent failed (%s: %s); using the command parser", type(exc).__name__, exc
            )
            result = parse_command(message, service)
            result.agent = "parser-fallback"
            return result
    return parse_command(message, service)
