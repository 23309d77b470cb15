"""Use cases: each owns its transaction and returns frozen DTOs."""
