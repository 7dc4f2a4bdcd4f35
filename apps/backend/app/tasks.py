"""Task operations for one user, shared by the REST routes and the chat agent."""

from __future__ import annotations

from sqlmodel import Session, col, select

from .models import Task, TaskCreate, TaskRead, TaskUpdate, utcnow


class TaskNotFound(LookupError):
    def __init__(self, task_id: int) -> None:
        super().__init__(f"task {task_id} not found")
        self.task_id = task_id


class TaskService:
    def __init__(self, session: Session, user_id: int) -> None:
        self.session = session
        self.user_id = user_id

    def list(self, completed: bool | None = None) -> list[TaskRead]:
        query = select(Task).where(Task.user_id == self.user_id)
        if completed is not None:
            query = query.where(Task.completed == completed)
        rows = self.session.exec(query.order_by(col(Task.id))).all()
        return [TaskRead.model_validate(row) for row in rows]

    def _get(self, task_id: int) -> Task:
        task = self.session.get(Task, task_id)
        if task is None or task.user_id != self.user_id:
            raise TaskNotFound(task_id)
        return task

    def get(self, task_id: int) -> TaskRead:
        return TaskRead.model_validate(self._get(task_id))

    def create(self, data: TaskCreate) -> TaskRead:
        task = Task(user_id=self.user_id, title=data.title, description=data.description)
        self.session.add(task)
        self.session.commit()
        self.session.refresh(task)
        return TaskRead.model_validate(task)

    def update(self, task_id: int, data: TaskUpdate) -> TaskRead:
        task = self._get(task_id)
        for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
            setattr(task, field, value)
        task.updated_at = utcnow()
        self.session.add(task)
        self.session.commit()
        self.session.refresh(task)
        return TaskRead.model_validate(task)

    def delete(self, task_id: int) -> TaskRead:
        task = self._get(task_id)
        gone = TaskRead.model_validate(task)
        self.session.delete(task)
        self.session.commit()
        return gone
