"""What extraction loads on first use, loaded once in the extraction fork server.

Extraction's libraries load much of themselves lazily: htmldate imports
dateparser at its first date written in words, dateparser reads its locales
and compiles its timezone and month patterns at first use. In a fresh
process that first page costs about half a second of CPU more than the next
(0.2-0.5 s over the 67 real pages of ../shared/realpages), and every
extraction worker is a fresh process. Once a crawl process has needed
dateparser, pipeline/workers.py names this module in the fork server's
preload list: the server imports it, so it runs :func:`warm` once, before
forking, and every worker starts with what it loaded (copy-on-write). A site
that declares its dates never needs it, and is not warmed.

The page below is this module's own. Only caches are filled (imports, compiled
patterns, locale data): what any later page extracts is what it would have
been.
"""

from __future__ import annotations

from pipeline.examine import examine

# No declared headline or date: extraction runs trafilatura's metadata pass,
# htmldate searches the text and hands the written-out date to dateparser.
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<div class="story"><h2>Harbour ferry timetable changes from next week</h2>
<p class="stamp">March 14 19:45 2023</p>
<p>The harbour authority said on Tuesday that the morning ferry to the island will leave twenty minutes
earlier from next Monday, after a survey of commuters found most of them start work before eight.</p>
<p>The last crossing of the evening will move later by half an hour during the summer months, and the
weekend service keeps its present timetable, a spokesperson for the authority added.</p>
<p>Tickets bought before the change remain valid on every crossing until the end of the month.</p>
</div><div class="rail"><a href="/a">Other news</a></div></body></html>"""
URL = "https://news.invalid/harbour/ferry-timetable"


def warm() -> None:
    """What a worker does to a new page (extraction, then the gate's key), once, on :data:`PAGE`."""
    examine(PAGE, URL, None, None, True)


warm()
