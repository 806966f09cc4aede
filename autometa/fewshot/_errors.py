"""Exceptions of the few-shot learner."""

from __future__ import annotations

try:  # the package root exception, when the package provides it
    from autometa.exceptions import AutoMetaError
except ImportError:  # pragma: no cover - only before autometa.exceptions exists

    class AutoMetaError(Exception):  # type: ignore[no-redef]
        """Root exception of autometa."""


class FewShotWeightsError(AutoMetaError):
    """The few-shot network weights are missing, corrupted or of another schema."""


class FewShotDataError(AutoMetaError):
    """A dataset for meta-training or benchmarking could not be read."""
