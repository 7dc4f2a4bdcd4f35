"""todo-backend: task CRUD per user, JWT auth and a chat agent, on FastAPI."""

__version__ = "1.0.0"
