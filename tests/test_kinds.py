"""Every change kind is documented, and every kind has a known severity."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.kinds import KINDS, SEVERITIES

DOC = Path(__file__).resolve().parent.parent / "docs" / "changes.md"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_kind_is_documented_with_its_severity(kind: str) -> None:
    rows = [line for line in DOC.read_text().splitlines() if line.startswith(f"| `{kind}` |")]
    assert len(rows) == 1, f"docs/changes.md has no row for {kind}"
    assert f"| {KINDS[kind].severity} |" in rows[0]


def test_headline_and_figures_highest_typo_and_metadata_lowest() -> None:
    rank = {k: SEVERITIES.index(v.severity) for k, v in KINDS.items()}
    top = max(rank.values())
    assert rank["headline"] == rank["number"] == rank["headline_flipflop"] == top
    assert rank["metadata"] == 0 and rank["typo"] <= 1
