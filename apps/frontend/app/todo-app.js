"use client";

import { useCallback, useEffect, useState } from "react";

const TOKEN_KEY = "todo-token";

async function api(path, { token, method = "GET", body } = {}) {
  const response = await fetch(`/api/${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(data?.detail || `${method} /api/${path} failed: ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function AuthForm({ onToken }) {
  const [mode, setMode] = useState("login");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");

  async function submit(event) {
    event.preventDefault();
    setError("");
    try {
      const data = await api(`auth/${mode}`, { method: "POST", body: { email, password } });
      onToken(data.access_token);
    } catch (err) {
      setError(err.message);
    }
  }

  return (
    <form className="card" onSubmit={submit} aria-label={mode === "login" ? "Log in" : "Sign up"}>
      <h2>{mode === "login" ? "Log in" : "Create an account"}</h2>
      <input type="email" placeholder="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      <input
        type="password"
        placeholder="password (8+ characters)"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        required
      />
      <button type="submit">{mode === "login" ? "Log in" : "Sign up"}</button>
      <button type="button" className="link" onClick={() => setMode(mode === "login" ? "signup" : "login")}>
        {mode === "login" ? "No account? Sign up" : "Have an account? Log in"}
      </button>
      {error && <p className="error">{error}</p>}
    </form>
  );
}

function Tasks({ token, tasks, reload, onError }) {
  const [title, setTitle] = useState("");

  async function run(promise) {
    try {
      await promise;
      await reload();
    } catch (err) {
      onError(err);
    }
  }

  return (
    <section className="card">
      <h2>Tasks</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (title.trim()) run(api("tasks", { token, method: "POST", body: { title } })).then(() => setTitle(""));
        }}
      >
        <input placeholder="new task" value={title} onChange={(e) => setTitle(e.target.value)} />
        <button type="submit">Add</button>
      </form>
      {tasks.length === 0 ? (
        <p className="muted">No tasks yet.</p>
      ) : (
        <ul>
          {tasks.map((task) => (
            <li key={task.id} className={task.completed ? "done" : ""}>
              <label>
                <input
                  type="checkbox"
                  checked={task.completed}
                  onChange={() =>
                    run(api(`tasks/${task.id}`, { token, method: "PATCH", body: { completed: !task.completed } }))
                  }
                />
                #{task.id} {task.title}
              </label>
              <button className="link" onClick={() => run(api(`tasks/${task.id}`, { token, method: "DELETE" }))}>
                delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Chat({ token, onTasks, onError }) {
  const [message, setMessage] = useState("");
  const [log, setLog] = useState([]);

  async function send(event) {
    event.preventDefault();
    const text = message.trim();
    if (!text) return;
    setMessage("");
    setLog((entries) => [...entries, { who: "you", text }]);
    try {
      const data = await api("chat", { token, method: "POST", body: { message: text } });
      setLog((entries) => [...entries, { who: "assistant", text: data.reply }]);
      onTasks(data.tasks);
    } catch (err) {
      onError(err);
    }
  }

  return (
    <section className="card">
      <h2>Assistant</h2>
      <div className="chat-log">
        {log.length === 0 && <p className="muted">Try &quot;add buy milk&quot;, &quot;list&quot; or &quot;done 1&quot;.</p>}
        {log.map((entry, i) => (
          <p key={i} className={entry.who}>
            <strong>{entry.who}:</strong> {entry.text}
          </p>
        ))}
      </div>
      <form onSubmit={send}>
        <input placeholder="tell the assistant" value={message} onChange={(e) => setMessage(e.target.value)} />
        <button type="submit">Send</button>
      </form>
    </section>
  );
}

export default function TodoApp() {
  const [token, setToken] = useState(null);
  const [tasks, setTasks] = useState([]);
  const [error, setError] = useState("");

  useEffect(() => setToken(window.localStorage.getItem(TOKEN_KEY)), []);

  const saveToken = useCallback((value) => {
    if (value) window.localStorage.setItem(TOKEN_KEY, value);
    else window.localStorage.removeItem(TOKEN_KEY);
    setToken(value);
  }, []);

  const onError = useCallback(
    (err) => {
      if (err.status === 401) saveToken(null);
      setError(err.message);
    },
    [saveToken],
  );

  const reload = useCallback(async () => {
    if (!token) return;
    try {
      setTasks(await api("tasks", { token }));
      setError("");
    } catch (err) {
      onError(err);
    }
  }, [token, onError]);

  useEffect(() => {
    reload();
  }, [reload]);

  if (!token) return <AuthForm onToken={saveToken} />;
  return (
    <>
      <p>
        <button className="link" onClick={() => saveToken(null)}>
          Log out
        </button>
      </p>
      {error && <p className="error">{error}</p>}
      <div className="grid">
        <Tasks token={token} tasks={tasks} reload={reload} onError={onError} />
        <Chat token={token} onTasks={setTasks} onError={onError} />
      </div>
    </>
  );
}
