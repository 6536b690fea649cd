"""`redline serve`: the web UI and JSON API."""

from __future__ import annotations

import os
import socket

import click

from review.cli.group import Context, cli
from review.web import create_app, is_loopback


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything says it is serving."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        reason = (exc.strerror or str(exc)).lower()
        raise click.ClickException(f"cannot listen on {host}:{port}: {reason}") from None
    sock.set_inheritable(True)
    return sock


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
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
    sock = _listen(host, port)
    click.echo(f"redline serving {db_url.split('@')[-1]} on http://{host}:{port}/", err=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level=os.environ.get("REDLINE_SERVE_LOG", "warning")))
    server.run(sockets=[sock])
