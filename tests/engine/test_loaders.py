"""Loaders keep provenance and refuse ambiguous input."""

from __future__ import annotations

import pytest

from kubeproof.errors import InputError
from kubeproof.load.dockerfile import parse_dockerfile, parse_healthcheck
from kubeproof.load.yamlsrc import load_manifests

STREAM = """\
---
# Source: shop/templates/a.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
data:
  k: v
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: b}
"""


def _chart(tmp_path, templates):
    """A chart directory ``shop`` whose templates/ holds ``templates`` (file name: text)."""
    chart = tmp_path / "shop"
    (chart / "templates").mkdir(parents=True)
    for name, text in templates.items():
        (chart / "templates" / name).write_text(text)
    return chart


def test_each_object_knows_its_file_line_and_template():
    a, b = load_manifests(STREAM, "rendered.yaml")
    assert (a.ref, a.file, a.line, a.template) == (
        "ConfigMap/a",
        "rendered.yaml",
        3,
        "shop/templates/a.yaml",
    )
    assert a.line_of(("data", "k")) == 8
    assert a.line_of(("data", "missing")) == 7  # the deepest node that exists
    assert (b.ref, b.line) == ("ConfigMap/b", 13)


def test_template_lines_point_into_the_template(tmp_path):
    chart = _chart(
        tmp_path,
        {
            "a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
            "data:\n  {{- range $k, $v := .Values.data }}\n  {{ $k }}: {{ $v }}\n  {{- end }}\n"
            "  k: v\n"
        },
    )
    (obj, _) = load_manifests(STREAM, "out", chart_dir=str(chart))
    assert obj.file == str(chart / "templates" / "a.yaml")
    assert obj.line_of(("metadata", "name")) == 4
    assert obj.line_of(("data", "k")) == 9


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "not a mapping"),
        ("key: [unclosed\n", "line"),
    ],
)
def test_ambiguous_or_broken_documents_are_errors(text, message):
    with pytest.raises(InputError, match=message):
        load_manifests(text, "bad.yaml")


TRICKY = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: &name tricky
  labels: {a: "1", b: 2, c: 2.5, d: true, e: null, f: ~, g: 0o17, h: 0x1f, i: 1_000}
  annotations:
    when: 2001-12-14t21:59:43.10-05:00
    day: 2002-12-14
    copy: *name
data:
  80: int key
  true: bool key
  1.5: float key
  2002-12-14: date key
  empty:
  quoted: "007"
  block: |
    line one
    line two
  folded: >-
    folded
    text
  binary: !!binary aGVsbG8=
  tagged: !!str 42
  inf: .inf
  list: [1, "2", {x: y}, [a, b], null]
  base: &base {k1: v1, k2: v2}
  merged:
    <<: *base
    k2: over
  set: !!set {a, b}
  omap: !!omap [{a: 1}, {b: 2}]
"""


def test_plain_data_is_what_pyyaml_constructs_made_plain():
    import yaml

    from kubeproof.load.yamlsrc import load_plain, plain

    data, _ = load_plain(TRICKY)
    assert data == plain(yaml.load(TRICKY, Loader=yaml.SafeLoader))  # the pure-Python reference
    assert data["data"]["80"] == "int key" and data["metadata"]["labels"]["b"] == 2
    assert data["data"]["merged"] == {"k1": "v1", "k2": "over"}


@pytest.mark.parametrize(
    ("text", "path", "key", "again", "kept"),
    [
        ("a:\n  b:\n    x: 1\n    y: 2\n    x: 3\n", ("a", "b"), "x", 5, ("a", "b", "x", 3)),
        ("a: &m {x: 1}\nb:\n  <<: *m\n  y: 1\n  y: 2\n", ("b",), "y", 5, ("b", "y", 2)),
        ("kind: X\ndata:\n  1: one\n  true: YAML 1.1's 1\n", ("data",), "true", 4, None),
    ],
)
def test_duplicate_keys_at_any_depth_keep_the_last_value_and_name_the_line(
    text, path, key, again, kept
):
    """helm and kubectl keep the last value; the repeat is recorded for a warning."""
    (obj,) = load_manifests("---\n" + text, "dup.yaml")
    assert obj.duplicate_keys == [(path, key, again + 1)]  # +1: the leading ---
    if kept:
        *where, last = kept
        node = obj.data
        for part in where:
            node = node[part]
        assert node == last


def test_duplicate_keys_in_other_files_stay_errors():
    from kubeproof.load.yamlsrc import load_yaml_mapping

    with pytest.raises(InputError, match=r"line 3: found duplicate key 'id' \(first at line 1\)"):
        load_yaml_mapping("id: a\nseverity: error\nid: b\n", "policy.yaml")


def test_empty_documents_and_comments_are_skipped():
    assert load_manifests("---\n# only a comment\n---\n\n", "x.yaml") == []


def test_dockerfile_stages_args_and_lines():
    df = parse_dockerfile(
        "ARG BASE=python:3.11-slim\nFROM ${BASE} AS deps\nRUN true\n\n"
        "FROM deps AS runner\nUSER 10001:10001\n",
        "Dockerfile",
    )
    assert [(s.name, s.base_resolved, s.line) for s in df.stages] == [
        ("deps", "python:3.11-slim", 2),
        ("runner", "deps", 5),
    ]
    assert df.final.last("USER").line == 6


def test_no_from_is_not_a_dockerfile():
    with pytest.raises(InputError, match="no FROM"):
        parse_dockerfile("RUN true\n", "x")


@pytest.mark.parametrize(
    ("value", "port", "path", "options"),
    [
        (
            '--interval=30s --timeout=5s CMD ["node", "-e", "require(\'http\').get('
            "'http://127.0.0.1:3000/', r => 0)\"]",
            3000,
            "/",
            {"interval": "30s", "timeout": "5s"},
        ),
        (
            'CMD python -c "import urllib.request; urllib.request.urlopen('
            "'http://localhost:8000/docs')\"",
            8000,
            "/docs",
            {},
        ),
        (
            "CMD wget -qO- http://127.0.0.1:8080/healthz?full=1 || exit 1",
            8080,
            "/healthz?full=1",
            {},
        ),
        (
            "CMD node -e \"http.get({host: 'localhost', port: 3000, path: '/api/health'})\"",
            3000,
            "/api/health",
            {},
        ),
    ],
)
def test_healthcheck_url_is_parsed(value, port, path, options):
    hc = parse_healthcheck(value)
    assert (hc.port, hc.path, hc.options) == (port, path, options)


def test_healthcheck_none():
    assert parse_healthcheck("NONE").none


def test_objects_from_a_shared_definition_point_into_it(tmp_path):
    """A template that only includes a named definition (one definition rendering
    several objects) maps findings to the definition's lines, not to line 1 of the
    one-line template."""
    chart = _chart(
        tmp_path,
        {
            "_helpers.tpl": '{{- define "shop.other" -}}\nkind: ConfigMap\n{{- end }}\n'
            '{{- define "shop.deployment" -}}\n'
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .name }}\n"
            "spec:\n  replicas: 1\n{{- end }}\n",
            "api.yaml": '{{ include "shop.deployment" . }}\n',
        },
    )
    stream = (
        "---\n# Source: shop/templates/api.yaml\napiVersion: apps/v1\nkind: Deployment\n"
        "metadata:\n  name: api\nspec:\n  replicas: 1\n"
    )
    (obj,) = load_manifests(stream, "rendered", chart_dir=str(chart))
    assert obj.file == str(chart / "templates" / "_helpers.tpl")
    assert obj.line_of(("spec", "replicas")) == 10
    assert obj.line_of(()) == 6


@pytest.mark.parametrize("kind", ["text", "binary"])
def test_standard_input_over_the_limit_is_refused(monkeypatch, kind):
    """Standard input has the file limit, whether it is a text stream or has a byte buffer."""
    import io

    from kubeproof.errors import InputError
    from kubeproof.load import files

    monkeypatch.setattr(files, "MAX_INPUT_BYTES", 8)
    data = "kind: Pod\n"  # 10 bytes
    stream = io.StringIO(data) if kind == "text" else io.TextIOWrapper(io.BytesIO(data.encode()))
    with pytest.raises(InputError, match="cannot read manifests <stdin>: over the"):
        files.read_stream(stream, "<stdin>", "manifests")
    monkeypatch.setattr(files, "MAX_INPUT_BYTES", 10)
    stream = io.StringIO(data) if kind == "text" else io.TextIOWrapper(io.BytesIO(data.encode()))
    assert files.read_stream(stream, "<stdin>", "manifests") == data
