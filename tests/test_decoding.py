"""pipeline/decoding.py: the bytes a crawl hands to extraction decode, where they
are examined, to exactly the text Scrapy's response would have given."""

from __future__ import annotations

import asyncio
import codecs
import hashlib
from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request

from pipeline.decoding import decode, decode_keeping_utf8
from pipeline.extract import extract
from pipeline.items import FetchedPage, body_digest
from pipeline.pipelines import ExtractPipeline
from spiders.article import ArticleSpider
from tests.articles import TRUCE_V1, article_page

PAGE = article_page("Négociateurs’ truce — day 3", ["Les négociateurs se sont réunis mercredi à Doha.", "€6 million"])

CASES = {
    "utf-8 in the header": ({"Content-Type": "text/html; charset=utf-8"}, PAGE.encode("utf-8")),
    "cp1252 bytes, utf-8 declared": ({"Content-Type": "text/html; charset=utf-8"}, PAGE.encode("cp1252")),
    "latin-1 declared, utf-8 bytes": ({"Content-Type": "text/html; charset=iso-8859-1"}, PAGE.encode("utf-8")),
    "only a meta charset": (
        {"Content-Type": "text/html"},
        PAGE.replace("<head>", '<head><meta charset="windows-1252">').encode("cp1252"),
    ),
    "nothing declared": ({}, PAGE.replace('<meta charset="utf-8">', "").encode("utf-8")),
    "a UTF-16 byte order mark": ({"Content-Type": "text/html"}, PAGE.encode("utf-16")),
}


@pytest.mark.parametrize("case", CASES)
def test_decode_gives_what_the_response_text_gives(case: str) -> None:
    headers, body = CASES[case]
    response = HtmlResponse("http://news.test/a", headers=headers, body=body, request=Request("http://news.test/a"))
    assert decode(response.body, response.encoding) == response.text


def test_the_spider_hands_on_bytes_and_the_pipeline_examines_them_as_text() -> None:
    headers, body = CASES["only a meta charset"]
    url = "http://news.test/a/1"
    request = Request(url, meta={"article_id": 1, "started": 0.0})
    response = HtmlResponse(url, headers=headers, body=body, request=request)
    page = ArticleSpider(refs=[]).parse(response)
    assert isinstance(page, FetchedPage)
    assert page.html is None and page.body == body and page.encoding == response.encoding
    examined = asyncio.run(ExtractPipeline({}, 0, True, 0.5).process_item(page))
    assert examined.extracted == extract(response.text, url)
    assert examined.text() == response.text  # decoded once, where the crawl's process needs it
    assert examined.extracted.title and "Négociateurs’" in examined.extracted.title


@pytest.mark.parametrize(
    ("stored", "same"),
    [
        (lambda body: body_digest(body), True),
        (lambda body: body_digest(body + b" "), False),  # one byte more
        (lambda body: hashlib.sha1(body).hexdigest(), False),  # a digest stored before XXH3: different, once
    ],
)
def test_the_same_bytes_are_known_by_their_digest_and_never_decoded(stored: Any, same: bool) -> None:
    headers, body = CASES["utf-8 in the header"]
    url = "http://news.test/a/1"
    request = Request(url, meta={"article_id": 1, "started": 0.0, "body_hash": stored(body)})
    page = ArticleSpider(refs=[]).parse(HtmlResponse(url, headers=headers, body=body, request=request))
    assert page.body_hash == body_digest(body) and len(page.body_hash) == 32
    assert page.same_body is same
    assert (page.body is None) is same  # the same bytes go on as a quiet page, undecoded
    assert page.error is None


def test_a_new_versions_warc_keeps_the_exchange_bytes_and_decodes_only_without_them() -> None:
    from pipeline.outcome import _raw
    from storage.warc import Exchange

    body = CASES["only a meta charset"][1]
    with_exchange = FetchedPage(1, "http://news.test/a", http_status=200, body=body, encoding="cp1252")
    with_exchange.exchange = Exchange("http://news.test/a", 200, body=body)
    kept = _raw(with_exchange)
    assert kept.exchange is with_exchange.exchange and kept.html is None and with_exchange.html is None
    alone = FetchedPage(2, "http://news.test/b", http_status=200, body=body, encoding="cp1252")
    assert _raw(alone).html == decode(body, "cp1252")


@pytest.mark.parametrize(
    "body,encoding,kept",
    [
        *((b, HtmlResponse("http://news.test/a", headers=h, body=b).encoding, None) for h, b in CASES.values()),
        (PAGE.encode("utf-8"), "utf-8", True),
        (PAGE.encode("utf-8"), "UTF8", True),
        (PAGE.encode("utf-8"), None, True),
        (PAGE.encode("utf-8"), "cp1252", False),  # other text: the bytes are not its UTF-8
        (PAGE.encode("utf-8"), "no-such-codec", False),
        (codecs.BOM_UTF8 + PAGE.encode("utf-8"), "utf-8", False),  # decode drops the mark
        (PAGE.encode("utf-8") + b"\xff tail", "utf-8", False),  # a byte decode replaces
        (PAGE.encode("utf-16-le"), "utf-8", False),
    ],
)
def test_decode_keeping_utf8_gives_decodes_text_and_the_bytes_only_when_they_are_its_utf8(
    body: bytes, encoding: str | None, kept: bool | None
) -> None:
    text, raw = decode_keeping_utf8(body, encoding)
    assert text == decode(body, encoding)
    if kept is not None:
        assert (raw is body) is kept
    assert raw is None or raw == text.encode("utf-8")


LONG = article_page("Négociateurs’ truce — day 3", [f"{p} (€6 million)" for p in TRUCE_V1.paragraphs])


@pytest.mark.parametrize(
    "headers,body",
    [
        ({"Content-Type": "text/html; charset=utf-8"}, LONG.encode("utf-8")),
        ({"Content-Type": "text/html; charset=utf-8"}, LONG.encode("cp1252")),
        ({"Content-Type": "text/html"}, LONG.replace("<head>", '<head><meta charset="windows-1252">').encode("cp1252")),
    ],
)
def test_a_page_examined_from_its_bytes_is_examined_as_its_text(headers: dict[str, str], body: bytes) -> None:
    """The gate parses the bytes where they are the text's UTF-8, the text elsewhere: the same key either way."""
    from pipeline.examine import examine

    url = "http://news.test/a/1"
    encoding = HtmlResponse(url, headers=headers, body=body).encoding
    text = decode(body, encoding)
    first = examine(body, url, None, None, True, encoding)
    assert first == examine(text, url, None, None, True)
    assert first.region_key and first.region_key != "-"
    again = body.replace(b"</body>", b"<div class='rail'><a href='/x'>Most read today</a></div></body>")
    assert examine(again, url, None, first.region_key, True, encoding).same_region
