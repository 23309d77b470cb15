"""Livret: livret de compétences for French vocational schools."""

__version__ = "0.1.0"
