"""One version as evidence to hand over: its WARC records and a small JSON beside them.

The JSON holds the extracted text and every hash needed to check the pair
without redline: the SHA-256 of the ``.warc.gz`` file, the records' ids and
payload digest, the text's SHA-1 (docs/evidence.md).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

from review import render
from storage import warc
from storage.models import Article, Version, WarcRecord


def names(article: Article, version: Version) -> tuple[str, str, str]:
    """The file names: (zip, warc.gz, json)."""
    stem = f"redline-article{article.id}-v{version.seq}"
    return f"{stem}-evidence.zip", f"{stem}.warc.gz", f"{stem}.json"


def evidence_json(
    article: Article, version: Version, record: WarcRecord | None, warc_bytes: bytes | None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "article_url": article.url,
        "redline_article_id": article.id,
        "version": version.seq,
        "fetched_at": render.iso(version.fetched_at),
        "final_url": version.final_url,
        "title": version.title,
        "byline": version.byline,
        "published_at": version.published_at,
        "modified_at": version.modified_at,
        "text": version.text,
        "text_sha1": version.text_sha1,
        "content_hash": version.content_hash,
        "extractor": f"{version.extractor} {version.extractor_version}",
        "warc": None,
    }
    if record is not None and warc_bytes is not None:
        out["warc"] = {
            "file_sha256": hashlib.sha256(warc_bytes).hexdigest(),
            "record_id": record.record_id,
            "payload_digest": record.payload_digest,
            "fetched_at": render.iso(record.fetched_at),
        }
    return out


def evidence_zip(article: Article, version: Version, record: WarcRecord | None) -> bytes:
    """The version's ``.warc.gz`` (a warcinfo record, then its own records) and its JSON, zipped."""
    _, warc_name, json_name = names(article, version)
    warc_bytes = None
    if record is not None:
        warc_bytes = warc.warcinfo(warc_name, {"software": "redline", "format": "WARC File Format 1.1"})
        warc_bytes += record.warc_gz
    data = json.dumps(evidence_json(article, version, record, warc_bytes), indent=2, ensure_ascii=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        if warc_bytes is not None:
            zf.writestr(warc_name, warc_bytes)  # already gzip: stored as it is, so its SHA-256 holds
        zf.writestr(json_name, data.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
