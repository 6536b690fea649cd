"""A fetch as web-archive records (WARC, ISO 28500), built without the database.

The records of one version are a ``request`` + ``response`` pair (or a
``resource`` record when the page was not captured from the wire) and a
``metadata`` record linking them to the redline version, each one gzip member
(storage/warc.py stores them). This module imports neither SQLAlchemy nor the
models at run time: an extraction worker builds a fetch's response record
(:func:`response_record`) and its fork server should not load the database
layer to do so.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

if TYPE_CHECKING:
    from storage.models import Article, Version

# Level 3, as the raw page was compressed before: on real pages within a few
# per cent of level 9's size at under half its time.
GZIP_LEVEL = 3
# Hop-by-hop framing the HTTP client has already undone: the body stored is the
# de-chunked one, so the header is kept under the name replay tools expect.
UNDONE_HEADERS = {"transfer-encoding": "X-Archive-Orig-Transfer-Encoding"}


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and the response to it, as sent and received.

    ``body`` is the payload as it came off the wire, Content-Encoding (gzip,
    br…) still applied; only transfer framing (chunks) is undone."""

    url: str
    status: int
    reason: str = ""
    protocol: str = "HTTP/1.1"
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    method: str = "GET"
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    ip_address: str | None = None


@dataclass(frozen=True)
class Built:
    """A version's records as ``.warc.gz`` bytes, and what the row indexes of them."""

    data: bytes
    record_id: str  # of the response (or resource) record
    payload_digest: str


def _gzip(record_bytes: bytes) -> bytes:
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return packer.compress(record_bytes) + packer.flush()


class _Writer:
    """warcio's writer, one gzip member per record at our level (its own is always level 9)."""

    def __init__(self) -> None:
        self.builder = WARCWriter(io.BytesIO(), gzip=False, warc_version="1.1")
        self.parts: list[bytes] = []

    def write(self, record: Any) -> None:
        out = io.BytesIO()
        self.builder.out = out
        self.builder.write_record(record)
        self.parts.append(_gzip(out.getvalue()))


def warc_date(when: dt.datetime) -> str:
    return str(datetime_to_iso_date(when.replace(tzinfo=None), use_micros=True))


@dataclass(frozen=True)
class Response:
    """A fetch's ``response`` record, built ahead of its version (by an extraction
    worker, which has the bytes already: the gzip member of a 200 KB page is the
    largest piece of a new version's storing, 2–4 ms off the crawl's thread)."""

    data: bytes  # the record's gzip member
    record_id: str
    payload_digest: str
    target: str  # WARC-Target-URI and WARC-Date: the request record repeats them
    date: str


def response_record(exchange: Exchange, fetched_at: dt.datetime) -> Response:
    """The response record of ``exchange``, received at ``fetched_at``, as :func:`build` writes it."""
    return _response(exchange, warc_date(fetched_at))


def _response(exchange: Exchange, date: str) -> Response:
    writer = _Writer()
    headers = [(UNDONE_HEADERS.get(k.lower(), k), v) for k, v in exchange.response_headers]
    status_line = f"{exchange.status} {exchange.reason}".strip()
    http = StatusAndHeaders(status_line, headers, protocol=exchange.protocol)
    response_headers = {"WARC-Date": date}
    if exchange.ip_address:
        response_headers["WARC-IP-Address"] = exchange.ip_address
    record = writer.builder.create_warc_record(
        exchange.url,
        "response",
        payload=io.BytesIO(exchange.body),
        length=len(exchange.body),  # known: warcio then neither spools the body to a temporary file nor re-reads it
        http_headers=http,
        warc_headers_dict=response_headers,
    )
    writer.write(record)
    return Response(
        writer.parts[0],
        str(record.rec_headers.get_header("WARC-Record-ID")),
        str(record.rec_headers.get_header("WARC-Payload-Digest")),
        exchange.url,
        date,
    )


def _request(writer: _Writer, exchange: Exchange, response: Response) -> None:
    """The request record, paired with ``response`` as warcio pairs them: it takes
    the response's URI and date and points at it (WARC-Concurrent-To)."""
    split = urlsplit(response.target)
    path = (split.path or "/") + (f"?{split.query}" if split.query else "")
    request_headers = list(exchange.request_headers)
    if not any(k.lower() == "host" for k, _ in request_headers):
        request_headers.insert(0, ("Host", split.netloc))
    request_http = StatusAndHeaders(
        f"{exchange.method} {path} {exchange.protocol}", request_headers, is_http_request=True
    )
    request = writer.builder.create_warc_record(
        response.target,
        "request",
        payload=io.BytesIO(b""),
        length=0,
        http_headers=request_http,
        warc_headers_dict={"WARC-Date": response.date, "WARC-Concurrent-To": response.record_id},
    )
    writer.write(request)


def _payload_record(
    writer: _Writer, target: str, kind: str, data: bytes, content_type: str, headers: dict[str, str]
) -> Any:
    """A record of ``data`` alone (no HTTP headers), written to ``writer``; the record is returned."""
    record = writer.builder.create_warc_record(
        target,
        kind,
        payload=io.BytesIO(data),
        length=len(data),  # known: warcio then neither spools the payload to a temporary file nor re-reads it
        warc_content_type=content_type,
        warc_headers_dict=headers,
    )
    writer.write(record)
    return record


def build(
    *,
    article: Article,
    version: Version,
    exchange: Exchange | None,
    html: str | None,
    fetched_at: dt.datetime | None = None,
    response: Response | None = None,
) -> Built | None:
    """The records of one version's fetch (None when there is nothing to keep);
    ``WARC-Date`` is ``fetched_at``, when the response arrived (default: the version's time).
    ``response``: the exchange's response record built ahead (:func:`response_record`),
    used when it is of this exchange and date, else built here."""
    if exchange is None and html is None:
        return None
    writer = _Writer()
    date = warc_date(fetched_at or version.fetched_at)
    if exchange is not None:
        if response is None or response.target != exchange.url or response.date != date:
            response = _response(exchange, date)
        _request(writer, exchange, response)
        writer.parts.append(response.data)
        record_id, payload_digest, target = response.record_id, response.payload_digest, response.target
    else:
        assert html is not None
        target = version.final_url or article.url
        page = html.encode("utf-8")
        main = _payload_record(writer, target, "resource", page, "text/html; charset=utf-8", {"WARC-Date": date})
        record_id = str(main.rec_headers.get_header("WARC-Record-ID"))
        payload_digest = str(main.rec_headers.get_header("WARC-Payload-Digest"))
    link = json.dumps(link_of(article, version), sort_keys=True).encode("utf-8")
    _payload_record(
        writer, target, "metadata", link, "application/json", {"WARC-Date": date, "WARC-Refers-To": record_id}
    )
    return Built(b"".join(writer.parts), record_id, payload_digest)


def link_of(article: Article, version: Version) -> dict[str, Any]:
    """What the metadata record says: which redline version this fetch made."""
    return {
        "redline_article_id": article.id,
        "article_url": article.url,
        "version": version.seq,
        "content_hash": version.content_hash,
        "text_sha1": version.text_sha1,
    }


@dataclass(frozen=True)
class Raw:
    """The page a version was made from, read back from its records."""

    body: bytes  # decoded (Content-Encoding undone), as a browser would show it
    content_type: str
    status: int | None


def raw_page(data: bytes) -> Raw | None:
    """The response (or resource) payload held in one version's records."""
    for record in ArchiveIterator(io.BytesIO(data)):
        if record.rec_type == "response":
            http = record.http_headers
            return Raw(
                record.content_stream().read(),
                http.get_header("Content-Type") or "text/html",
                int(http.get_statuscode() or 0) or None,
            )
        if record.rec_type == "resource":
            return Raw(record.content_stream().read(), record.content_type or "text/html", None)
    return None


def records(data: bytes, *, check: bool = False) -> Iterator[tuple[Any, bytes]]:
    """Each record of one version's fragment with its whole block read (digests checked with ``check``)."""
    for record in ArchiveIterator(io.BytesIO(data), check_digests=check):
        content = record.content_stream().read() if record.rec_type in ("metadata", "resource") else b""
        record.raw_stream.read()  # the rest of the block: the digest check needs all of it
        yield record, content


def warcinfo(filename: str, info: dict[str, str]) -> bytes:
    """A ``warcinfo`` record to open an exported file."""
    writer = _Writer()
    writer.write(writer.builder.create_warcinfo_record(filename, info))
    return writer.parts[0]
