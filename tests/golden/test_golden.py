"""Findings stay where they are: our chart, every rule fixture and a corpus against a golden file.

A change that moves, adds or drops a finding rewrites ``tests/golden/findings.tsv``
(``python tests/golden/findings.py --write``) and explains the diff in its commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import findings as golden


@pytest.mark.parametrize(
    "part", [golden.chart_rows, golden.fixture_rows, golden.corpus_rows], ids=lambda f: f.__name__
)
def test_findings_match_golden(part):
    group = {"chart_rows": "chart:", "fixture_rows": "fixture:", "corpus_rows": "corpus:"}
    prefix = group[part.__name__]
    expected = [r for r in golden.read_golden() if r.startswith(prefix)]
    changes = golden.diff(expected, part())
    assert not changes, "findings moved (- golden, + now):\n" + "\n".join(changes[:40])
