"""The database: typed models, the one engine/session module, queries, migrations."""
