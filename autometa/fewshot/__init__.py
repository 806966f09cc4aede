"""Few-shot learner for tiny tables: a meta-trained in-context transformer."""

from __future__ import annotations

from autometa.fewshot._errors import FewShotDataError, FewShotWeightsError
from autometa.fewshot.classifier import FewShotClassifier
from autometa.fewshot.weights import WEIGHTS_SCHEMA_VERSION, load_weights, save_weights

__all__ = [
    "FewShotClassifier",
    "FewShotDataError",
    "FewShotWeightsError",
    "WEIGHTS_SCHEMA_VERSION",
    "load_weights",
    "save_weights",
]
