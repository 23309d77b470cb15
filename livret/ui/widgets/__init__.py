"""Reusable widgets: the radar chart of the two last bilans."""
