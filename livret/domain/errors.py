"""Errors that carry a French message meant for the user."""

from __future__ import annotations


class LivretError(Exception):
    """Base of every error whose message can be shown as is to a French user."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class ValidationError(LivretError):
    """Bad input: nothing was written."""


class PermissionDenied(LivretError):
    """The current user's role does not allow this action."""


class NotFound(LivretError):
    """The requested record does not exist."""


class ConflictError(LivretError):
    """Someone else changed the record since it was read (optimistic locking)."""


class FinalBilanError(LivretError):
    """A final bilan cannot be changed."""


class DatabaseError(LivretError):
    """The database cannot be opened, reached or used."""
