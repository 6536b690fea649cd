"""What happens to a fetched page: extract → normalise → version → diff → classify.

Everything here except :mod:`pipeline.pipelines` is pure: text or HTML in, data
out, no Scrapy and no database.
"""
