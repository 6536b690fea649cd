"""The item an article fetch produces, whatever happened to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FetchedPage:
    article_id: int
    url: str
    final_url: str | None = None
    http_status: int | None = None
    html: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    duration_ms: float | None = None
    error: str | None = None
    # Filled in by ExtractPipeline.
    extracted: Any = None
    extraction_error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
