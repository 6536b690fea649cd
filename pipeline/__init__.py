"""What happens to a fetched page: extract → normalise → version → diff → classify.

Everything here except :mod:`pipeline.pipelines` is pure: text or HTML in, data
out, no Scrapy and no database. :mod:`pipeline.pipelines` holds the Scrapy item
pipelines, where a page meets the database: :func:`pipeline.outcome.decide`
says what a fetch changes and :mod:`storage.record` writes it.
"""
