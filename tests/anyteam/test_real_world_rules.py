"""The defects real teams' charts have, found on a chart rendered the way helm does, with
messages that name the key and place but never print a credential."""

from __future__ import annotations

from .charts import run_json, write_chart

KEY = "sk-proj-Q3xT9vLm2RkW7pZa5NcY8bHd4FgJ6sEu"

API = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat-api
spec:
  template:
    spec:
      serviceAccountName: chat-api
      containers:
        - name: api
          image: chat/api:1.0
          env:
            - name: OPENAI_API_KEY
              value: {{ .Values.openai.apiKey | quote }}
            - name: DB_URL
              value: "postgresql://$(DB_USER):pw@db:5432/chat"
            - name: DB_USER
              value: chat
            - name: JWT
              valueFrom:
                secretKeyRef:
                  name: chat-secrets
                  key: jwtSecret
---
apiVersion: v1
kind: Secret
metadata:
  name: chat-secrets
stringData:
  {{- if .Values.jwtSecret }}
  jwtSecret: {{ .Values.jwtSecret }}
  {{- end }}
"""


def test_each_real_world_defect_once_and_no_value_printed(capsys, tmp_path):
    chart = write_chart(tmp_path, {"api.yaml": API}, f"openai:\n  apiKey: {KEY}\njwtSecret: ''\n")
    _code, report, _ = run_json(capsys, "--chart", str(chart), "--no-config")
    found = {}
    for f in report["findings"]:
        found.setdefault(f["rule"], []).append(f)
        assert KEY not in f["message"] and "pw@" not in f["message"]
    (values,) = found["values-no-secrets"]
    assert (values["file"], values["line"]) == (str(chart / "values.yaml"), 2)
    assert "values.yaml openai.apiKey holds what looks like a real credential" in values["message"]
    (env,) = found["env-no-secrets"]
    assert "env OPENAI_API_KEY" in env["message"]
    (ref,) = found["env-reference-defined"]
    assert "$(DB_USER), which is not defined before it" in ref["message"]
    (key,) = found["referenced-key-rendered"]
    assert "Secret/chat-secrets, which renders empty" in key["message"]
    (sa,) = found["service-account-rendered"]
    assert "ServiceAccount chat-api" in sa["message"]


def test_a_values_file_passed_with_values_is_read_like_values_yaml(capsys, tmp_path):
    """A credential in a ``--values`` file is reported at that file's key line, value
    unshown; the Secret's name under ``existingSecret`` is a reference, not a secret."""
    chart = write_chart(tmp_path, {"api.yaml": API}, "openai:\n  apiKey: ''\njwtSecret: ''\n")
    prod = tmp_path / "prod-values.yaml"
    prod.write_text(f"replicas: 2\nopenai:\n  existingSecret: chat-openai\n  apiKey: {KEY}\n")
    code, report, _ = run_json(capsys, "--chart", str(chart), "--no-config", "--values", str(prod))
    assert code == 1
    (values,) = [f for f in report["findings"] if f["rule"] == "values-no-secrets"]
    assert (values["file"], values["line"]) == (str(prod), 4)
    assert values["message"].startswith(f"values file {prod} openai.apiKey holds what looks")
    for f in report["findings"]:
        assert KEY not in f["message"]


def test_a_values_file_git_ignores_is_not_committed(capsys, tmp_path):
    """A credentials file kept out of the repository on purpose (.gitignore) and passed
    with --values is where a credential belongs; the same file tracked, or about to be
    added (untracked, not ignored), is reported."""
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    chart = write_chart(tmp_path, {"api.yaml": API}, "openai:\n  apiKey: ''\njwtSecret: ''\n")
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f"openai:\n  apiKey: {KEY}\n")
    git("init", "-q")
    (tmp_path / ".gitignore").write_text("secrets.yaml\n")

    def reported() -> list[str]:
        args = ["--chart", str(chart), "--no-config", "--values", str(secrets)]
        _code, report, _ = run_json(capsys, *args)
        return [f["file"] for f in report["findings"] if f["rule"] == "values-no-secrets"]

    assert reported() == []  # ignored: kept out on purpose
    (tmp_path / ".gitignore").write_text("")
    assert reported() == [str(secrets)]  # untracked, not ignored: the next commit takes it
    (tmp_path / ".gitignore").write_text("secrets.yaml\n")
    git("add", "-f", "secrets.yaml")
    assert reported() == [str(secrets)]  # tracked: committed whatever .gitignore says
