"""Alembic migrations of the livret schema."""
