"""Exceptions of the few-shot learner."""

from __future__ import annotations

from autometa.exceptions import AutoMetaError, WeightsError


class FewShotWeightsError(WeightsError):
    """The few-shot network weights are missing, corrupted or of another schema."""


class FewShotDataError(AutoMetaError):
    """A dataset for meta-training or benchmarking could not be read."""
