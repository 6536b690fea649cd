"""`redline serve`: the web UI and JSON API."""

from __future__ import annotations

import os

import click

from review.cli.group import Context, cli
from review.web import create_app, is_loopback


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, default=8080, show_default=True)
@click.option(
    "--token",
    envvar="REDLINE_TOKEN",
    help="Required from every client; mandatory when bound off loopback (or set REDLINE_TOKEN).",
)
@click.pass_obj
def serve(obj: Context, host: str, port: int, token: str | None) -> None:
    """Serve the changes, articles, diffs and figures in a browser, and the JSON API (read-only)."""
    import uvicorn

    if not is_loopback(host) and not token:
        raise click.ClickException(f"binding {host} exposes the database: give --token (or REDLINE_TOKEN)")
    db_url = obj.db
    app = create_app(db_url, token=token or None)
    click.echo(f"redline serving {db_url.split('@')[-1]} on http://{host}:{port}/", err=True)
    uvicorn.run(app, host=host, port=port, log_level=os.environ.get("REDLINE_SERVE_LOG", "warning"))
