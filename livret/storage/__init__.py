"""Persistence: engine, ORM models, migrations, backups."""
