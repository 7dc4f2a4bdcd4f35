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


def _start_fixture_hadolint() -> None:
    from tests.rules.rulefixtures import start_all_hadolint

    start_all_hadolint()


@pytest.mark.parametrize(
    "part",
    [
        golden.chart_rows,
        pytest.param(
            golden.fixture_rows, marks=pytest.mark.prestart.with_args(_start_fixture_hadolint)
        ),
        golden.corpus_rows,
    ],
    ids=lambda f: f.__name__,
)
def test_findings_match_golden(part):
    group = {"chart_rows": "chart:", "fixture_rows": "fixture:", "corpus_rows": "corpus:"}
    prefix = group[part.__name__]
    expected = [r for r in golden.read_golden() if r.startswith(prefix)]
    changes = golden.diff(expected, part())
    assert not changes, "findings moved (- golden, + now):\n" + "\n".join(changes[:40])
