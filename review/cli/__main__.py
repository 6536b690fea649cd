"""`python -m review.cli`: the same as the `redline` console script."""

from __future__ import annotations

from review.cli import main

main()
