"""What happens to a fetched page: extract → normalise → version → diff → classify.

Most of what is here is pure: text or HTML in, data out, no Scrapy and no
database. :mod:`pipeline.pipelines` holds the Scrapy item pipelines;
:mod:`pipeline.recording` is where a page meets the database:
:func:`pipeline.outcome.decide` says what a fetch changes and
:mod:`storage.record` writes it; :mod:`pipeline.rules` reads the settings a
decision follows.
"""
