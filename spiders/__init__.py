"""Getting pages: the article spider (re-checks) and, later, discovery spiders."""
