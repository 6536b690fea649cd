"""The head-only meta-refresh redirect (spiders/metarefresh.py) answers what
Scrapy's own does, page for page, and decodes only the head of a long page."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.response import get_meta_refresh
from scrapy.utils.test import get_crawler

from spiders.metarefresh import HEAD_BYTES, HEAD_CHARS, HeadMetaRefreshMiddleware, head_text, meta_refresh

REFRESH = '<meta http-equiv="refresh" content="0; url=/moved/story">'
FILLER = "<p>" + "Filler text about a council meeting. " * 40 + "</p>"


def _charset(name: str) -> dict[str, str]:
    return {"Content-Type": f"text/html; charset={name}"}


def _pages() -> list[tuple[str, bytes, dict[str, str]]]:
    """(name, body, headers): refreshes early, late, near the 4,096th character,
    in multibyte text, under each way a page can say its encoding."""
    utf8 = {"Content-Type": "text/html; charset=utf-8"}
    pages = [
        ("early", f"<html><head>{REFRESH}</head><body>{FILLER * 20}</body></html>".encode(), utf8),
        ("late", f"<html><head></head><body>{FILLER * 20}{REFRESH}</body></html>".encode(), utf8),
        ("none", f"<html><body>{FILLER * 20}</body></html>".encode(), utf8),
        ("short", f"<html><head>{REFRESH}</head></html>".encode(), utf8),
        ("in a script", f"<html><head><script>var a = '{REFRESH}';</script></head>{FILLER * 20}".encode(), utf8),
        ("base href", f'<html><head><base href="http://other.test/x/">{REFRESH}</head>{FILLER * 20}'.encode(), utf8),
        ("delayed", f'<head><meta http-equiv="refresh" content="600; url=/later"></head>{FILLER * 20}'.encode(), utf8),
    ]
    # Refreshes either side of the 4,096th character, in text of 2- and 3-byte characters.
    for ch in ("é", "語", "a"):
        for at in (HEAD_CHARS - len(REFRESH) - 1, HEAD_CHARS - len(REFRESH) + 1, HEAD_CHARS - 20):
            head = "<html><head>" + ch * max(0, at - 12)
            pages.append((f"{ch} at {at}", f"{head}{REFRESH}</head>{FILLER * 20}".encode(), utf8))
    text = f"<html><head>{REFRESH}</head><body>{'Grüße aus Köln. ' * 2000}</body></html>"
    pages += [
        ("latin-1 in the header", text.encode("latin-1"), {"Content-Type": "text/html; charset=iso-8859-1"}),
        ("declared in the body", text.replace("<head>", '<head><meta charset="windows-1252">').encode("cp1252"), {}),
        ("a BOM", b"\xef\xbb\xbf" + text.encode(), {"Content-Type": "text/html"}),
        ("UTF-16 with its BOM", text.encode("utf-16"), {"Content-Type": "text/html"}),
        ("nothing said", text.encode(), {"Content-Type": "text/html"}),
        (
            "GB18030",
            f"<head>{REFRESH}</head>{'北京新闻 ' * 5000}".encode("gb18030"),
            {"Content-Type": "text/html; charset=gb18030"},
        ),
        # Escape sequences cost bytes but no characters: more than 4 bytes a character.
        (
            "ISO-2022-JP",
            ("<head>" + "日a" * 5000 + f"{REFRESH}</head>").encode("iso2022_jp"),
            {"Content-Type": "text/html; charset=iso-2022-jp"},
        ),
        (
            "invalid bytes",
            f"<head>{REFRESH}</head>".encode() + b"\xff\xfe\xc3" * 9000,
            {"Content-Type": "text/html; charset=utf-8"},
        ),
    ]
    return pages


def _response(body: bytes, headers: dict[str, str]) -> HtmlResponse:
    return HtmlResponse(REQUEST.url, body=body, headers=headers, request=REQUEST)


REQUEST = Request("http://news.test/world/story")


@pytest.mark.parametrize(("name", "body", "headers"), _pages(), ids=[p[0] for p in _pages()])
def test_the_head_is_the_first_characters_of_the_text_and_the_refresh_scrapys(
    name: str, body: bytes, headers: dict[str, str]
) -> None:
    assert head_text(_response(body, headers)) == _response(body, headers).text[:HEAD_CHARS]
    ignore = ["script", "noscript"]
    assert meta_refresh(_response(body, headers), ignore) == get_meta_refresh(_response(body, headers), ignore)


def test_a_long_page_is_not_decoded_whole() -> None:
    response = _response(f"<head>{REFRESH}</head>{FILLER * 40}".encode(), {"Content-Type": "text/html; charset=utf-8"})
    assert len(response.body) > 3 * HEAD_BYTES
    assert meta_refresh(response, ["script"]) == (0.0, "http://news.test/moved/story")
    assert response._cached_ubody is None  # response.text would have kept the whole text here


@pytest.mark.parametrize(("name", "body", "headers"), _pages(), ids=[p[0] for p in _pages()])
def test_the_middleware_redirects_where_scrapys_does(name: str, body: bytes, headers: dict[str, str]) -> None:
    crawler = get_crawler(settings_dict={"METAREFRESH_MAXDELAY": 100})
    theirs_response = _response(body, headers)
    theirs = MetaRefreshMiddleware.from_crawler(crawler).process_response(REQUEST, theirs_response)
    response = _response(body, headers)
    ours = HeadMetaRefreshMiddleware.from_crawler(crawler).process_response(REQUEST, response)
    assert type(ours) is type(theirs)
    if isinstance(theirs, Request):
        assert isinstance(ours, Request) and (ours.url, ours.method) == (theirs.url, theirs.method)
    else:
        assert isinstance(ours, Response) and ours.url == theirs.url


@pytest.mark.realpages
def test_the_real_pages_give_scrapys_answer(realpages: Path) -> None:
    ignore = ["script", "noscript"]
    pages = sorted((realpages / "html").glob("*.html.gz"))
    assert len(pages) == 67
    for path in pages:
        body = gzip.decompress(path.read_bytes())
        for headers in ({"Content-Type": "text/html; charset=utf-8"}, {"Content-Type": "text/html"}):
            assert head_text(_response(body, headers)) == _response(body, headers).text[:HEAD_CHARS], path.name
            assert meta_refresh(_response(body, headers), ignore) == get_meta_refresh(_response(body, headers), ignore)


def test_the_crawl_uses_it_in_scrapys_place() -> None:
    import settings as project

    assert project.DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware"] is None
    assert project.DOWNLOADER_MIDDLEWARES["spiders.metarefresh.HeadMetaRefreshMiddleware"] == 580


def test_a_refreshing_page_redirects_and_a_delayed_one_does_not() -> None:
    crawler = get_crawler(settings_dict={"METAREFRESH_MAXDELAY": 100})
    middleware = HeadMetaRefreshMiddleware.from_crawler(crawler)
    pages = {name: (body, headers) for name, body, headers in _pages()}
    response = _response(*pages["early"])
    redirected = middleware.process_response(REQUEST, response)
    assert isinstance(redirected, Request) and redirected.url == "http://news.test/moved/story"
    response = _response(*pages["delayed"])  # 600 s: over METAREFRESH_MAXDELAY, the page itself
    assert middleware.process_response(REQUEST, response) is response
