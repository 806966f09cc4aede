"""Exceptions raised by autometa itself."""

from __future__ import annotations

__all__ = ["AutoMetaError", "PriorError", "SearchError", "WeightsError"]


class AutoMetaError(Exception):
    """Root of every error autometa raises for its own reasons (not bad user input)."""


class PriorError(AutoMetaError):
    """A prior artifact is missing, truncated, corrupted or of an unknown schema version."""


class WeightsError(AutoMetaError):
    """A weights file is missing, corrupted or does not match the expected architecture."""


class SearchError(AutoMetaError):
    """The search could not produce a model (for example, every trial failed)."""
