"""`redline sources add https://outlet/`: find the outlet's news sitemap, feed or front page, and say why."""

from __future__ import annotations

from pathlib import Path

from spiders.outlet import Candidate, choose, feed_links, robots_sitemaps
from tests.articles import TRUCE_V1, article_page
from tests.conftest import Redline
from tests.localsite import LocalSite

STORIES = ["/2026/11/20/truce-talks-stall", "/2026/11/20/ferry-fares-rise", "/2026/11/19/storm-closes-road"]


def _home(feed: bool) -> str:
    head = '<link rel="alternate" type="application/rss+xml" title="Latest" href="/rss.xml">' if feed else ""
    links = "".join(
        f'<li><a href="{p}">A story of the day number {i} in the harbour</a></li>' for i, p in enumerate(STORIES)
    )
    return f"<html><head>{head}</head><body><main><ul>{links}</ul></main></body></html>"


def _rss(site: LocalSite, paths: list[str]) -> str:
    items = "".join(f"<item><title>Story {i}</title><link>{site.url(p)}</link></item>" for i, p in enumerate(paths))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Courier</title>{items}</channel></rss>'


def _news_sitemap(site: LocalSite, paths: list[str]) -> str:
    urls = "".join(
        f"<url><loc>{site.url(p)}</loc><news:news><news:publication_date>2026-11-20T08:00:00Z</news:publication_date>"
        f"<news:title>Story {i}</news:title></news:news></url>"
        for i, p in enumerate(paths)
    )
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    )


def _outlet(site: LocalSite, *, feed: bool = True, news: bool = True) -> None:
    site.put("/", _home(feed))
    for path in STORIES:
        site.put(path, article_page(TRUCE_V1.title + path, TRUCE_V1.paragraphs))
    if feed:
        site.put("/rss.xml", _rss(site, STORIES[:2]), headers={"Content-Type": "application/rss+xml"})
    if news:
        site.robots = "User-agent: *\nDisallow: /private/\nSitemap: /sitemaps/google-news.xml\n"
        site.put("/sitemaps/google-news.xml", _news_sitemap(site, STORIES), headers={"Content-Type": "application/xml"})


def test_feed_links_and_sitemap_lines_are_read() -> None:
    html = (
        b'<html><head><link rel="alternate" type="application/atom+xml" href="/atom.xml">'
        b'<link rel="alternate" type="text/html" href="/fr/"><link rel="stylesheet" href="/a.css"></head></html>'
    )
    assert feed_links(html, "https://outlet.example/") == ["https://outlet.example/atom.xml"]
    robots = "User-agent: *\nSitemap: https://outlet.example/news.xml\nsitemap:/index.xml\n"
    assert robots_sitemaps(robots, "https://outlet.example/robots.txt") == [
        "https://outlet.example/news.xml",
        "https://outlet.example/index.xml",
    ]


def test_choice_prefers_a_news_sitemap_then_a_feed_then_the_front_page() -> None:
    front = Candidate("https://o/", "front", "", articles=30)
    feed = Candidate("https://o/rss", "feed", "", articles=20)
    news = Candidate("https://o/news.xml", "sitemap", "", articles=5, news=True)
    plain = Candidate("https://o/sitemap.xml", "sitemap", "", articles=5000)
    broken = Candidate("https://o/gone.xml", "sitemap", "", news=True, problem="HTTP 404")
    assert choose([front, feed, news, plain, broken])[0] is news
    assert choose([front, feed, plain])[0] is feed
    assert choose([front, plain])[0] is front
    assert choose([plain])[0] is plain
    assert choose([broken]) == (None, "found no feed, sitemap or front page that lists articles")


def test_sources_add_home_page_chooses_the_news_sitemap_and_dry_run_saves_nothing(
    site: LocalSite, redline: Redline
) -> None:
    _outlet(site)
    dry = redline("sources", "add", site.url("/"), "--dry-run").stdout
    assert f"Google News sitemap  {site.url('/sitemaps/google-news.xml')}  3 article URL(s)" in dry
    assert f"feed                 {site.url('/rss.xml')}  2 article URL(s)" in dry
    assert f"front page           {site.url('/')}  3 article URL(s)" in dry
    assert "HTTP 404" in dry  # a usual path that is not there
    assert "would read the Google News sitemap" in dry
    assert redline.json("sources", "list") == []

    out = redline("sources", "add", site.url("/")).stdout
    assert (
        f"reading the Google News sitemap {site.url('/sitemaps/google-news.xml')}: a Google News sitemap lists 3" in out
    )
    [source] = redline.json("sources", "list")
    assert source["kind"] == "auto" and source["found"]["kind"] == "sitemap"
    redline("discover")
    assert redline.json("sources", "list")[0]["articles"] == 3
    assert site.hits["/sitemaps/google-news.xml"] == 3  # two searches (dry run, add), then one discovery run


def test_without_a_news_sitemap_the_feed_then_the_front_page(site: LocalSite, redline: Redline) -> None:
    _outlet(site, news=False)
    assert "reading the feed" in redline("sources", "add", site.url("/")).stdout
    with LocalSite() as bare:
        _outlet(bare, feed=False, news=False)
        out = redline("sources", "add", bare.url("/"), "--kind", "auto").stdout
        assert "reading the front page" in out and "links 3 article(s)" in out


def test_kind_auto_in_redline_toml_tracks_the_outlet(site: LocalSite, redline: Redline, tmp_path: Path) -> None:
    _outlet(site)
    config = tmp_path / "redline.toml"
    config.write_text(f'[[sources]]\nurl = "{site.url("/")}"\nkind = "auto"\n')
    redline("run", "--once", "--metrics-port", "0", "--config", str(config))
    [source] = redline.json("sources", "list")
    assert source["found"]["url"] == site.url("/sitemaps/google-news.xml")
    assert source["articles"] == 3
    checked = {c["outcome"] for url in STORIES for c in redline.json("checks", site.url(url))["checks"]}
    assert checked == {"new_version"}
