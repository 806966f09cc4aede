"""Torch MLPs for tables: the estimator, its trainer and its search space as a model family.

``import autometa.nas`` does not import torch; fitting does.
"""

from __future__ import annotations

from autometa.nas.classifier import MLPClassifier
from autometa.nas.family import MLP_FAMILY, MLPFamily
from autometa.nas.preprocessing import TablePreprocessor

__all__ = ["MLPClassifier", "MLPFamily", "MLP_FAMILY", "TablePreprocessor"]
