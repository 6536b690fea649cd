"""robots.txt, obeyed for every request, including those that wait for it.

Scrapy 2.19's ``RobotsTxtMiddleware`` lets every request that arrives while a
site's robots.txt is still downloading await the one pending ``Deferred``.
Under the asyncio reactor that await goes through ``Deferred.asFuture``, whose
callback swallows the result: the first waiter receives the parser, every
other waiter receives ``None`` and is let through as if robots.txt could not
be fetched. A crawl that starts many checks of one site at once — every
redline cycle — would then ignore most of a ``Disallow``. Here each waiter
gets its own ``Deferred`` and the parser is passed along the chain.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class WaitingAwareRobotsTxtMiddleware(RobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        mine: Deferred[RobotParser | None] = Deferred()

        def relay(parser: RobotParser | None) -> RobotParser | None:
            mine.callback(parser)
            return parser  # for the next waiter in the chain

        pending.addCallback(relay)
        return await maybe_deferred_to_future(mine)
