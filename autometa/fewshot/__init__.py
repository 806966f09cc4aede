"""Few-shot learner for tiny tables: a meta-trained in-context transformer.

Also the pieces of episodic meta-learning that other methods can reuse: a
:class:`TaskSampler` of :class:`Episode` objects and the :func:`meta_train` loop.
"""

from __future__ import annotations

from autometa.fewshot._errors import FewShotDataError, FewShotWeightsError
from autometa.fewshot.classifier import FewShotClassifier
from autometa.fewshot.sampler import Batch, Episode, TaskSampler
from autometa.fewshot.weights import WEIGHTS_SCHEMA_VERSION, load_weights, save_weights

__all__ = [
    "Batch",
    "Episode",
    "FewShotClassifier",
    "FewShotDataError",
    "FewShotWeightsError",
    "TaskSampler",
    "WEIGHTS_SCHEMA_VERSION",
    "load_weights",
    "meta_train",
    "save_weights",
]


def __getattr__(name: str):
    # imported on first use, so ``python -m autometa.fewshot.train`` runs a fresh module
    if name == "meta_train":
        from autometa.fewshot.train import meta_train

        return meta_train
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
