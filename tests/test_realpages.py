"""Real news pages, served twice: furniture churn reports nothing, real edits
report exactly themselves. Skips when ../shared/realpages is absent."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.kinds import CONTENT_KINDS
from tests.churn import churn, edit, load_pages, parse, serialise
from tests.conftest import Redline, on_backend
from tests.localsite import LocalSite

FAST = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16")

pytestmark = [pytest.mark.realpages, pytest.mark.slow]


@on_backend("postgres")  # extraction and detection are the subject; production runs PostgreSQL
def test_churn_is_silent_and_edits_are_exact(realpages: Path, site: LocalSite, redline: Redline) -> None:
    pages = load_pages(realpages)
    urls = {p.id: site.put(f"/news/{p.id}", serialise(parse(p.html))) for p in pages}
    redline("track", *urls.values())
    redline("crawl", "--all", *FAST)

    # Round 1: only furniture changes (scripts, counters, rails, "updated N minutes ago").
    churned = {p.id: churn(p, 1) for p in pages}
    for p in pages:
        site.put(f"/news/{p.id}", churned[p.id])
    redline("crawl", "--all", *FAST)
    noise = [c for c in redline.json("changes", "--min-severity", "info") if c["kind"] in CONTENT_KINDS]
    print(f"\nboilerplate churn: {len(pages)} pages, {len({c['article_url'] for c in noise})} with content records")
    assert noise == []

    # Round 2: more churn, plus a figure, the headline and a paragraph edited inside the article.
    expected: dict[str, dict[str, int]] = {}
    figures: dict[str, tuple[float, float]] = {}
    for p in pages:
        before = extract(churned[p.id], p.url)
        edited = edit(p, churn(p, 2), before.text, before.title)
        expected[urls[p.id]] = edited.expected
        if edited.figure:
            figures[urls[p.id]] = edited.figure
        site.put(f"/news/{p.id}", edited.html)
    redline("crawl", "--all", *FAST)
    changes = [c for c in redline.json("changes") if c["kind"] in CONTENT_KINDS]
    got: dict[str, Counter[str]] = {}
    for c in changes:
        got.setdefault(c["article_url"], Counter())[c["kind"]] += 1
    wrong = {url: (exp, dict(got.get(url, {}))) for url, exp in expected.items() if dict(got.get(url, {})) != exp}
    applied = Counter(kind for exp in expected.values() for kind in exp)
    print(
        f"edits applied: {dict(applied)}; "
        f"pages with exactly the expected records: {len(pages) - len(wrong)}/{len(pages)}"
    )
    assert wrong == {}
    for c in changes:
        if c["kind"] == "number":
            assert (c["old_value"], c["new_value"]) == figures[c["article_url"]]
