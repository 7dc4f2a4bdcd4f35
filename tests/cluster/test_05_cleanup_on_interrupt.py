"""Cleanup also on Ctrl-C: a pytest run interrupted while a test holds a namespace from
the live plugin's factory still deletes that namespace on its way out."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from kubeproof.testing.cluster import kubectl
from kubeproof.testing.namespaces import MANAGED_BY

pytestmark = pytest.mark.cluster

INNER = """
import time

def test_holds_a_namespace(namespace):
    print("NAMESPACE", namespace, flush=True)
    time.sleep(300)
"""


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def test_an_interrupted_run_deletes_its_namespace(kube_cluster, tmp_path):
    (tmp_path / "test_inner.py").write_text(INNER)
    argv = [sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider",
            f"--cluster={kube_cluster.name}", "test_inner.py"]  # fmt: skip
    if kube_cluster.name == "kind":  # the same throwaway cluster, kept for this run
        argv += ["--keep-cluster", f"--cluster-name={kube_cluster.options.kind_name}"]
    inner = subprocess.Popen(
        argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_lines, args=(inner.stdout, lines), daemon=True).start()
    seen: list[str] = []
    namespace = None
    deadline = time.monotonic() + 120
    try:
        while namespace is None and time.monotonic() < deadline:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                break
            seen.append(line)
            if found := re.search(r"NAMESPACE (\S+)", line):  # after pytest's "test_inner.py "
                namespace = found.group(1)
        assert namespace, "the inner run never got its namespace:\n" + "".join(seen)
        made = json.loads(kubectl("get", "namespace", namespace, "-o", "json").stdout)
        assert made["metadata"]["labels"]["app.kubernetes.io/managed-by"] == MANAGED_BY
        inner.send_signal(signal.SIGINT)  # Ctrl-C
        inner.wait(timeout=240)
    finally:
        if inner.poll() is None:
            inner.kill()
        while (line := lines.get(timeout=10)) is not None:
            seen.append(line)
        inner.stdout.close()
    output = "".join(seen)
    assert "KeyboardInterrupt" in output, output
    phase = kubectl("get", "namespace", namespace, "--ignore-not-found", "-o",
                    "jsonpath={.status.phase}").stdout  # fmt: skip
    assert phase in ("", "Terminating"), f"{namespace} is still {phase} after Ctrl-C:\n{output}"
