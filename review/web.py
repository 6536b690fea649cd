"""`redline serve`: the web UI (server-rendered, no script, no CDN) and the JSON API.

Read-only. Every HTML page is sent with a Content-Security-Policy that allows
no script at all, so even text that slipped past escaping could not run; the
raw snapshot of a page is served with ``sandbox`` on top. Off loopback a token
is required (``Authorization: Bearer``, ``?token=`` once, then a cookie).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from pipeline.kinds import KINDS, SEVERITIES
from review import views
from review.api import router as api_router
from review.deps import FilterDep, SessionDep
from review.filters import ChangeFilter, FilterError
from review.svg import PALETTE
from review.templating import render_template
from storage import queries, review_queries, warc
from storage.versiontext import CorruptText

logger = logging.getLogger(__name__)

PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)
# The raw page: its own origin (sandbox), no script, nothing fetched, not even its images.
RAW_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
TOKEN_COOKIE = "redline_token"
MACHINE_PREFIXES = ("/api/", "/feed.atom", "/export/", "/openapi.json")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def page(name: str, code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("params", [])
    return HTMLResponse(render_template(name, **context), status_code=code)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(MACHINE_PREFIXES)


def _error(request: Request, status: int, message: str, allowed: list[str] | None = None, **extra: Any) -> Response:
    if _wants_json(request):
        body: dict[str, Any] = {"error": message, **extra}
        if allowed is not None:
            body["allowed"] = allowed
        return JSONResponse(body, status_code=status)
    return page("error.html", code=status, status=status, message=message, allowed=allowed or [])


def create_app(db_url: str, *, token: str | None = None) -> FastAPI:
    """The application over one database; ``token`` guards every request when given."""
    app = FastAPI(
        title="redline",
        summary="How news articles changed after publication: changes, versions, diffs, figures.",
        version="1",
        docs_url=None,  # Swagger UI would load scripts from a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.db_url = db_url
    app.state.token = token

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        expected = request.app.state.token
        from_query = request.query_params.get("token")
        if expected:
            auth = request.headers.get("authorization", "")
            given = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
            given = given or from_query or request.cookies.get(TOKEN_COOKIE)
            if not given or not hmac.compare_digest(given.encode(), expected.encode()):
                return _error(request, 401, "a token is required: Authorization: Bearer TOKEN, or ?token=TOKEN")
        response = await call_next(request)
        if expected and from_query:
            response.set_cookie(TOKEN_COOKIE, expected, httponly=True, samesite="strict")
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @app.exception_handler(FilterError)
    async def bad_filter(request: Request, exc: FilterError) -> Response:
        return _error(request, 400, str(exc), exc.allowed, field=exc.field, value=exc.value)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in errors]
        if not errors:
            return _error(request, 400, "bad request")
        # Named like a filter error: the first bad field, what it was, what is allowed.
        first = errors[0]
        field = str(first["loc"][-1]) if first["loc"] else ""
        return _error(
            request,
            400,
            "; ".join(problems),
            [first["msg"]],
            field=field,
            value=str(first.get("input")),
            problems=problems,
        )

    @app.exception_handler(CorruptText)
    async def corrupt(request: Request, exc: CorruptText) -> Response:
        logger.error("corrupted version: %s", exc)
        return _error(request, 500, f"corrupted version: {exc} (run `redline verify` for every problem)")

    @app.exception_handler(views.NotFound)
    async def not_found(request: Request, exc: views.NotFound) -> Response:
        return _error(request, 404, str(exc))

    app.include_router(api_router)
    app.include_router(_pages())
    return app


def _pages() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    def changes_page(session: SessionDep, flt: FilterDep) -> HTMLResponse:
        rows = views.changes(session, flt)
        return page(
            "changes.html",
            changes=rows,
            sets=views.change_sets(session, rows),
            flt=flt,
            params=flt.params(),
            kinds=sorted(KINDS),
            severities=SEVERITIES,
            outlets=review_queries.known_outlets(session),
        )

    @router.get("/articles", response_class=HTMLResponse)
    def articles_page(session: SessionDep) -> HTMLResponse:
        articles = review_queries.list_articles(session)
        titles = review_queries.latest_titles(session, [a.id for a, _ in articles])
        return page("articles.html", articles=articles, titles=titles)

    @router.get("/articles/{article_id}", response_class=HTMLResponse)
    def article_page(
        session: SessionDep,
        article_id: int,
        from_: Annotated[str | None, Query(alias="from")] = None,
        to: str | None = None,
        view: str = "inline",
    ) -> HTMLResponse:
        if view not in ("inline", "side"):
            raise FilterError("view", view, ["inline", "side"])
        article = views.article_or_404(session, article_id)
        return _article(session, article, _seq("from", from_), _seq("to", to), view)

    @router.get("/articles/{article_id}/versions/{seq}", response_class=HTMLResponse)
    def version_page(session: SessionDep, article_id: int, seq: int) -> HTMLResponse:
        article = views.article_or_404(session, article_id)
        version = views.version_or_404(session, article, seq)
        has_raw = warc.record_of(session, version.id) is not None
        return page("version.html", article=article, version=version, has_raw=has_raw)

    @router.get("/articles/{article_id}/versions/{seq}/raw")
    def raw_page(session: SessionDep, article_id: int, seq: int) -> Response:
        article = views.article_or_404(session, article_id)
        version = views.version_or_404(session, article, seq)
        record = warc.record_of(session, version.id)
        raw = warc.raw_page(record.warc_gz) if record is not None else None
        if raw is None:
            raise views.NotFound(f"no raw page kept for version {seq}")
        return Response(
            raw.body,
            media_type=raw.content_type,
            headers={"Content-Security-Policy": RAW_CSP, "Cache-Control": "no-store"},
        )

    @router.get("/articles/{article_id}/versions/{seq}/evidence.zip")
    def evidence_download(session: SessionDep, article_id: int, seq: int) -> Response:
        from review.evidence import evidence_zip, names

        article = views.article_or_404(session, article_id)
        version = views.version_or_404(session, article, seq)
        body = evidence_zip(article, version, warc.record_of(session, version.id))
        return Response(
            body,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{names(article, version)[0]}"'},
        )

    @router.get("/figures", response_class=HTMLResponse)
    def figures_page(session: SessionDep, q: str | None = None) -> HTMLResponse:
        q = (q or "").strip()[:100] or None
        series = views.figures_across(session, q) if q else []
        return page(
            "figures.html",
            q=q,
            series=series,
            chart=views.figures_chart(series) if series else "",
            contexts=review_queries.number_contexts(session),
            palette=PALETTE,
        )

    return router


def _seq(field: str, value: str | None) -> int | None:
    if value in (None, ""):
        return None
    if not value.isdigit() or int(value) < 1:
        raise FilterError(field, value, "a version number: 1, 2, 3…")
    return int(value)


def _article(session: Session, article: Any, from_: int | None, to: int | None, view: str) -> HTMLResponse:
    versions = queries.versions_of(session, article.id)
    surfaces, headlines = views.headline_history(versions)
    series = views.article_figures(session, article)
    charts = [(s, views.article_chart(s)) for s in series if s.changed]
    flt = ChangeFilter(min_severity="info", limit=1000)
    rows = [views.change_row(c, a) for c, a in review_queries.search_changes(session, flt.query(article_id=article.id))]
    diff = views.diff(session, article, from_, to) if len(versions) > 1 or (from_ or to) else None
    return page(
        "article.html",
        article=article,
        versions=versions,
        latest=versions[-1] if versions else None,
        surfaces=surfaces,
        headlines=headlines,
        diff=diff,
        steps=views.steps(diff, article.version_count) if diff else (None, None),
        view=view,
        charts=charts,
        changes=rows,
        sets=views.change_sets(session, rows),
    )
