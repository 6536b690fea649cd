"""The JSON API: the CLI's data over HTTP, read-only, described at /openapi.json.

Also the machine-readable files: the Atom feed and the exports.
"""

from __future__ import annotations

import io
import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from pipeline.kinds import KINDS, SEVERITIES
from review import export, render, views
from review.deps import FilterDep, SessionDep
from review.feed import atom_feed, feed_changes
from review.filters import MAX_OFFSET, FilterError
from storage import queries, review_queries
from storage.sites import outlet_of

# Ids are 32-bit integers in PostgreSQL: a larger one cannot exist, so it is a bad request, not a lookup.
MAX_ID = 2**31 - 1
ArticleId = Annotated[int, Path(description="The article's id (see /api/articles).", ge=1, le=MAX_ID)]
OlderVersion = Annotated[int | None, Query(alias="from", ge=1, le=MAX_ID, description="Older version (default: to-1).")]
NewerVersion = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Newer version (default: the latest).")]
VersionSeq = Annotated[int, Path(description="The version number, 1 for the first.", ge=1, le=MAX_ID)]


class ApiError(BaseModel):
    """The body of every 4xx answer of the API."""

    error: str
    allowed: list[str] | str | None = None
    field: str | None = None
    value: str | None = None
    problems: list[str] | None = None


router = APIRouter(
    responses={
        400: {"model": ApiError, "description": "A parameter is invalid; the answer says which and what is allowed."},
        404: {"model": ApiError, "description": "No such article, version or change."},
    }
)


@router.get("/api/changes", tags=["changes"], summary="List changes (the filters of `redline changes`)")
def api_changes(session: SessionDep, flt: FilterDep) -> dict[str, Any]:
    rows = views.changes(session, flt)
    filters = {
        "kind": list(flt.kinds),
        "outlet": list(flt.outlets),
        "severity": flt.min_severity,
        "since": flt.since,
        "q": flt.q,
        "stealth": flt.stealth,
        "limit": flt.limit,
        "offset": flt.offset,
    }
    return {"count": len(rows), "filters": filters, "changes": rows}


@router.get("/api/changes/{change_id}", tags=["changes"], summary="One change")
def api_change(session: SessionDep, change_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> dict[str, Any]:
    found = review_queries.get_change(session, change_id)
    if found is None:
        raise views.NotFound(f"no change {change_id}")
    return views.change_row(*found)


@router.get("/api/articles", tags=["articles"], summary="Tracked articles, most recently checked first")
def api_articles(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    rows = review_queries.list_articles(session, limit=limit, offset=offset)
    return {
        "articles": [
            {
                "id": a.id,
                "url": a.url,
                "canonical_url": a.canonical_url,
                "outlet": outlet_of(a.url),
                "status": a.status,
                "versions": a.version_count,
                "changes": n,
                "last_checked_at": render.iso(a.last_checked_at),
            }
            for a, n in rows
        ]
    }


@router.get("/api/articles/{article_id}", tags=["articles"], summary="Every stored version (`redline history`)")
def api_article(session: SessionDep, article_id: ArticleId) -> dict[str, Any]:
    article = views.article_or_404(session, article_id)
    return {"id": article.id, **render.history_json(article, queries.versions_of(session, article.id))}


@router.get("/api/articles/{article_id}/versions/{seq}", tags=["articles"], summary="One version")
def api_version(session: SessionDep, article_id: ArticleId, seq: VersionSeq) -> dict[str, Any]:
    article = views.article_or_404(session, article_id)
    return render.version_json(views.version_or_404(session, article, seq))


@router.get("/api/articles/{article_id}/diff", tags=["articles"], summary="Word diff of two versions (`redline diff`)")
def api_diff(
    session: SessionDep,
    article_id: ArticleId,
    from_: OlderVersion = None,
    to: NewerVersion = None,
) -> dict[str, Any]:
    article = views.article_or_404(session, article_id)
    diff = views.diff(session, article, from_, to)
    if diff is None:
        raise views.NotFound(f"no versions stored yet for {article.url}")
    return {"url": article.url, **diff.as_json()}


@router.get("/api/articles/{article_id}/checks", tags=["articles"], summary="Every fetch (`redline checks`)")
def api_checks(session: SessionDep, article_id: ArticleId) -> dict[str, Any]:
    article = views.article_or_404(session, article_id)
    return render.checks_json(article, queries.checks_of(session, article.id))


@router.get("/api/articles/{article_id}/figures", tags=["figures"], summary="Each figure of an article over versions")
def api_article_figures(session: SessionDep, article_id: ArticleId) -> dict[str, Any]:
    article = views.article_or_404(session, article_id)
    return {"url": article.url, "figures": [views.series_json(s) for s in views.article_figures(session, article)]}


@router.get("/api/figures", tags=["figures"], summary="One figure followed across articles and outlets")
def api_figures(
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="What is counted: killed, death toll…")],
) -> dict[str, Any]:
    return {"query": q, "series": [views.series_json(s) for s in views.figures_across(session, q)]}


@router.get("/api/kinds", tags=["reference"], summary="The change kinds (`redline kinds`)")
def api_kinds() -> dict[str, Any]:
    return {
        "severities": list(SEVERITIES),
        "kinds": {k: {"severity": v.severity, "content": v.content, "help": v.help} for k, v in KINDS.items()},
    }


@router.get("/api/outlets", tags=["reference"], summary="The outlets (hosts) of tracked articles")
def api_outlets(session: SessionDep) -> dict[str, Any]:
    return {"outlets": review_queries.known_outlets(session)}


@router.get(
    "/feed.atom",
    tags=["feeds"],
    summary="Atom feed of changes, same filters as /api/changes (content kinds unless kind= is given)",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def feed(request: Request, session: SessionDep, flt: FilterDep) -> Response:
    base = str(request.base_url)
    body = atom_feed(feed_changes(session, flt), base_url=base, self_url=str(request.url))
    return Response(body, media_type="application/atom+xml; charset=utf-8")


EXPORT_NAMES = {f"changes.{k}" if k != "newsedits" else "newsedits.jsonl": k for k in export.FORMATS}
EXPORT_PATTERN = "^(" + "|".join(re.escape(n) for n in sorted(EXPORT_NAMES)) + ")$"


@router.get(
    "/export/{name}",
    tags=["exports"],
    summary="Export changes: changes.csv, changes.jsonl or newsedits.jsonl",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
)
def export_file(
    session: SessionDep,
    flt: FilterDep,
    name: Annotated[str, Path(description="changes.csv, changes.jsonl or newsedits.jsonl", pattern=EXPORT_PATTERN)],
) -> Response:
    if name not in EXPORT_NAMES:
        raise FilterError("export", name, sorted(EXPORT_NAMES))
    fmt = export.FORMATS[EXPORT_NAMES[name]]
    out = io.StringIO()
    fmt.write(session, flt, out)
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(out.getvalue(), media_type=fmt.media_type, headers=headers)
