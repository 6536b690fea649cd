"""Scrapy settings for redline (``scrapy.cfg`` points here).

Every value can be overridden per run: ``redline crawl -s NAME=VALUE``, as with
``scrapy crawl``. redline's own settings start with ``REDLINE_``.
"""

BOT_NAME = "redline"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

USER_AGENT = "redline/0.1 (+https://github.com/redline-news/redline; tracks article revisions)"
ROBOTSTXT_OBEY = True

# Politeness: AutoThrottle adapts to each server; a hard cap per domain.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Scrapy starts this many tasks for every response's output; an article fetch
# yields one item and the pipelines are synchronous, so 100 (the default) only
# costs about 1 ms a page (bench/crawl_throughput.py).
CONCURRENT_ITEMS = 4
# Scrapy stops downloading while the responses still in the pipelines add up to
# this many bytes. A page waits there for its batch (REDLINE_STORE_BATCH),
# holding its ~200 KB body: at the default 5 MB, some 23 waiting pages stalled the
# downloader (unchanged 200 recheck 404-426 -> 529-561 pages/s at 20 MB).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 20_000_000
DOWNLOAD_DELAY = 0

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
# Not 429: a site asking us to slow down gets its Retry-After honoured by the
# recheck schedule, not an immediate retry.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
REDIRECT_MAX_TIMES = 10

# redline does its own conditional GETs with the stored ETag/Last-Modified.
HTTPCACHE_ENABLED = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's remote control opens an HTTP port per crawl: not on a news-watching server.
REMOTE_CONTROL_ENABLED = False

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

DOWNLOADER_MIDDLEWARES = {
    # Before everything else, so redirect hops pass through it too.
    "spiders.safety.SafeTargetsMiddleware": 50,
    # Scrapy's own lets requests that wait for robots.txt through (see spiders/robots.py).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.robots.WaitingAwareRobotsTxtMiddleware": 100,
    # Validators of A are not sent to B after a redirect A -> B (spiders/conditional.py).
    "spiders.conditional.ConditionalRequestsMiddleware": 60,
    # Just before HttpCompressionMiddleware (590) decodes the body: the response as received, for its WARC record.
    "spiders.capture.CaptureMiddleware": 595,
    # Scrapy's meta-refresh redirect decodes the whole page to read its first 4,096
    # characters; this one decodes only those (spiders/metarefresh.py), at Scrapy's place.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "spiders.metarefresh.HeadMetaRefreshMiddleware": 580,
}

# http and https: Scrapy's own handler, except requests marked meta["playwright"]
# (sources with render = "browser"), which go through headless Chromium (spiders/browser.py).
DOWNLOAD_HANDLERS = {
    "http": "spiders.browser.BrowserDownloadHandler",
    "https": "spiders.browser.BrowserDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# Debian's Chromium (spiders.browser.chromium_path() when executable_path is left out);
# Playwright cannot download a browser of its own here, and `playwright install` is never needed.
PLAYWRIGHT_LAUNCH_OPTIONS: dict[str, object] = {"headless": True}
# One browser, one context, a few tabs: a browser page costs about 50 MB.
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4

ITEM_PIPELINES = {
    "spiders.discovered.DiscoveryPipeline": 200,
    "pipeline.pipelines.ExtractPipeline": 300,
    "pipeline.pipelines.StorePipeline": 800,
}

LOG_LEVEL = "INFO"

# --- redline ---------------------------------------------------------------
# Database URL; the CLI's --db / REDLINE_DB fill this in.
REDLINE_DB = None
# Keep the raw HTML of each version (zlib-compressed) for later re-extraction.
REDLINE_STORE_RAW_HTML = True
# Per-site extraction overrides: {"example.com": {"body": "article .text", "remove": [".promo"]}}
REDLINE_SITE_OVERRIDES: dict[str, dict[str, object]] = {}
# An extraction this much shorter than the last version is a broken page, not an edit.
REDLINE_MIN_TEXT_RATIO = 0.2
# Worker processes for extraction (pipeline/pipelines.py ExtractPipeline): "auto" starts two
# once examining pages (gate, extraction) has cost a crawl REDLINE_EXTRACT_POOL_AFTER seconds
# of CPU in its own process, or is on course to (its CPU per page so far times the articles it
# checks); N always N; 0 in the crawl's own process.
REDLINE_EXTRACT_PROCESSES = "auto"
REDLINE_EXTRACT_POOL_AFTER = 0.5
# Leave the workers running when a crawl ends, for the process's next crawl (the daemon sets it:
# its every cycle is a crawl; pipeline/workers.py).
REDLINE_EXTRACT_KEEP_WORKERS = False
# Skip extraction when the gate finds the article as the last extraction kept it (pipeline/gate.py).
REDLINE_GATE = True
# Fetch private/loopback addresses (tests, the demo, intranets). Also the env
# variable REDLINE_ALLOW_PRIVATE=1. Off by default: see spiders/safety.py.
REDLINE_ALLOW_PRIVATE = False
# Compress the daemon's clock (demos, tests): `redline run --time-scale N`.
REDLINE_TIME_SCALE = 1.0
# The recheck policy's [recheck] table from redline.toml (pipeline/recheck.py); empty = defaults.
REDLINE_RECHECK: dict[str, object] = {}
# Quiet pages (a 304, the same bytes, the gate said unchanged) share one transaction
# (storage/batch.py): up to this many pages, or those that arrived within the wait (seconds).
# The other pages (new versions, changes, errors) share one too, up to 16 or this many when
# fewer (pipeline/recording.py record_pages). 1 writes every page alone.
REDLINE_STORE_BATCH = 64
# A batch's SELECT, session and commit cost the same for 20 pages as for 64: at 0.05 s an
# unchanged-200 recheck wrote batches of about 20 (344 pages/s), at 0.15 s of about 60
# (416; 0.3 s: 404). The crawl's last pages never wait it out (pipeline/quiet.py).
REDLINE_STORE_BATCH_WAIT = 0.15
# A new extraction that loses most of the article, or replaces it wholesale (a paywall
# teaser, a half-loaded page), is held as a `pending` check and fetched again this many
# seconds later; only a confirmation fetch with the same text stores it (pipeline/confirm.py).
# 0 stores such changes at once.
REDLINE_CONFIRM_AFTER = 300.0
