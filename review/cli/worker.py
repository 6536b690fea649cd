"""`redline worker`: fetch articles from the shared Redis queue (distributed mode, docs/scaling.md)."""

from __future__ import annotations

import logging

import click

from review.cli.group import Context, cli, setting_overrides

logger = logging.getLogger(__name__)

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


@cli.command()
@click.option(
    "--redis",
    "redis_url",
    envvar="REDLINE_REDIS",
    default=DEFAULT_REDIS,
    show_default=True,
    help="The Redis that holds the shared request queue and duplicate filter.",
)
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Scrapy setting override.")
@click.option(
    "--idle-exit",
    type=int,
    default=0,
    show_default=True,
    help="Stop after this many seconds with nothing to do (0: wait for work forever).",
)
@click.option("--time-scale", type=float, help="The scheduler's time scale (default: the one it runs with).")
@click.pass_obj
def worker(obj: Context, redis_url: str, overrides: tuple[str, ...], idle_exit: int, time_scale: float | None) -> None:
    """Fetch the articles the scheduler hands out, and store what changed.

    Run any number of workers, on any machine, against the same PostgreSQL and
    Redis as `redline run --role scheduler`. SIGTERM finishes the pages in flight.
    """
    from scrapy.crawler import CrawlerProcess

    from spiders.distributed import WORKER_SETTINGS, RedisArticleSpider
    from spiders.runner import build_settings

    if time_scale is None:  # rechecks are planned on the scheduler's clock
        from storage.db import session_scope
        from storage.schedule import daemon_state

        with session_scope(obj.db) as session:
            state = daemon_state(session)
            time_scale = state.time_scale if state is not None and state.role == "scheduler" else 1.0
    settings = build_settings(
        obj.db,
        {
            **WORKER_SETTINGS,
            "REDLINE_TIME_SCALE": time_scale,
            "REDIS_URL": redis_url,
            "MAX_IDLE_TIME_BEFORE_CLOSE": idle_exit,
            "LOG_INSTALL_ROOT_HANDLER": False,
            "LOG_LEVEL": logging.getLevelName(logging.getLogger().level),
            "REDLINE_RECHECK": obj.recheck(),  # plan the next checks by the daemon's configured policy
            **setting_overrides(overrides),
        },
    )
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except Exception as exc:
        raise click.ClickException(f"cannot reach Redis at {redis_url}: {exc}") from exc
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(RedisArticleSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    checks = {k.rsplit("/", 1)[-1]: v for k, v in stats.items() if k.startswith("redline/checks/")}
    click.echo(f"worker stopped: {checks or 'no pages'}")
