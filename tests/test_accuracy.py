"""The accuracy benchmark's measurement on a slice of the real pages: no churn
reported as content, every edit reported, figures exact. The full run and its
figures are `python bench/accuracy.py` (docs/accuracy.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.accuracy import measure
from tests.churn import load_pages

pytestmark = [pytest.mark.realpages, pytest.mark.slow]

# Every fifth page: enough sites and languages to catch a regression quickly.
STRIDE = 5


def test_accuracy_on_real_pages(realpages: Path) -> None:
    pages = load_pages(realpages)[::STRIDE]
    acc = measure(pages)
    assert acc.content_false_pages == set(), "\n".join(acc.notes)
    assert all(e.applied for e in acc.edits.values()), {k: e.applied for k, e in acc.edits.items()}
    assert {k: e.recall for k, e in acc.edits.items()} == {k: 1.0 for k in acc.edits}, "\n".join(acc.notes)
    assert all(e.extra == 0 and e.stealth_ok == e.applied for e in acc.edits.values()), "\n".join(acc.notes)
    assert acc.figures_exact == acc.figures_detected > 0
