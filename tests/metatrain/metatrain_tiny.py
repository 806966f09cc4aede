"""Shared data of the meta-training tests: four tiny corpus tasks, six cheap configs."""

from __future__ import annotations

from pathlib import Path

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"

TINY = ["pasture", "squash.stored", "white.clover", "zoo"]

# Six cheap configurations over three families (two folds each in the tests).
CONFIGS = [
    {"family": "logistic_regression", "params": {"C": 1.0, "class_weight": "none"}},
    {"family": "knn", "params": {"n_neighbors": 5, "weights": "uniform", "p": 2}},
    {"family": "logistic_regression", "params": {"C": 0.01, "class_weight": "balanced"}},
    {"family": "knn", "params": {"n_neighbors": 1, "weights": "distance", "p": 1}},
    {
        "family": "random_forest",
        "params": {
            "n_estimators": 20,
            "criterion": "gini",
            "max_features": "sqrt",
            "min_samples_split": 2,
            "min_samples_leaf": 1,
            "bootstrap": True,
        },
    },
    {
        "family": "random_forest",
        "params": {
            "n_estimators": 10,
            "criterion": "entropy",
            "max_features": "0.5",
            "min_samples_split": 4,
            "min_samples_leaf": 2,
            "bootstrap": False,
        },
    },
]
