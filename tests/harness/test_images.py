"""kubeproof.testing.images' pure parts (no Docker needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kubeproof.testing import images

PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000 10001
   1: 0100007F:1F40 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000 10001
  sl  local_address                         remote_address                        st tx_queue
   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 0
"""


def test_listening_ports_reads_tcp_and_tcp6_tables():
    assert images.listening_ports(PROC_NET_TCP) == {8000, 3000}


def test_specs_follow_kubeproof_yaml():
    specs = images.image_specs()
    assert set(specs) == {"frontend", "backend"}
    assert specs["frontend"].base_arg == "NODE_IMAGE"
    assert specs["backend"].base_arg == "PYTHON_IMAGE"
    for spec in specs.values():
        assert spec.dockerfile.is_file() and spec.context.is_dir()
        assert spec.stand_in is not None


def test_base_arg_must_default_to_the_declared_base(tmp_path: Path):
    dockerfile = tmp_path / "x.Dockerfile"
    dockerfile.write_text("ARG BASE=debian:12\nFROM ${BASE}\n")
    with pytest.raises(images.ImageError, match="no ARG before the first FROM defaults to node:22"):
        images._base_arg(dockerfile, "node:22-alpine")


def test_extra_ca_matches_what_build_sh_passes(tmp_path: Path, monkeypatch):
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n\n")
    monkeypatch.setenv("KUBEPROOF_EXTRA_CA_FILE", str(pem))
    # "$(cat FILE)" in bash drops trailing newlines; the cache key must be identical
    assert images.extra_ca_certs() == pem.read_text().rstrip("\n")


def test_stand_ins_are_read_alike_by_the_build_script_and_python():
    """One definition (scripts/images/stand-ins.txt) for build.sh, base-images.sh and us."""
    stand_ins = images.stand_ins()
    assert stand_ins == {
        "node:22-alpine": "kubeproof/node-base:22-bookworm",
        "python:3.11-slim": "kubeproof/python-base:3.11-bookworm",
    }
    for upstream, local in stand_ins.items():
        script = f"awk -v up={upstream} '$1 == up {{print $2}}' {images.STAND_INS_FILE}"
        got = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
        assert got.stdout.strip() == local
