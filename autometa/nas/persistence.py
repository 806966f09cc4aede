"""Saving and loading a fitted ``MLPClassifier`` without pickle.

A model is a directory with ``model.json`` (format version, parameters, classes,
preprocessing, architecture, training record) and ``weights.pt`` (the network's
``state_dict``, read back with ``torch.load(weights_only=True)``).
"""

from __future__ import annotations

import json
import math
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from autometa.exceptions import WeightsError
from autometa.nas.preprocessing import TablePreprocessor

if TYPE_CHECKING:
    from autometa.nas.classifier import MLPClassifier

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "save_model"]

FORMAT = "autometa.nas.MLPClassifier"
FORMAT_VERSION = 1
_CONFIG = "model.json"
_WEIGHTS = "weights.pt"
_NOT_SAVED = ("epoch_callback",)


def _plain(values: Any) -> list[Any]:
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def _curve(values: list[float]) -> list[float | None]:
    """Losses with non-finite values (a diverged run) as null."""
    return [float(v) if math.isfinite(v) else None for v in values]


def save_model(model: MLPClassifier, path: str | PathLike[str]) -> None:
    """Write ``model`` (fitted) to the directory ``path``, creating it if needed."""
    import torch

    params = {k: v for k, v in model.get_params().items() if k not in _NOT_SAVED}
    if not (params["random_state"] is None or isinstance(params["random_state"], int)):
        params["random_state"] = None
    names = getattr(model, "feature_names_in_", None)
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "params": params,
        "classes": _plain(model.classes_),
        "classes_dtype": model.classes_.dtype.str if model.classes_.dtype != object else "object",
        "n_features_in": int(model.n_features_in_),
        "feature_names_in": None if names is None else [str(n) for n in names],
        "preprocessor": model.preprocessor_.to_dict(),
        "network": model.module_.config,
        "training": {
            "device": model.device_,
            "n_epochs": model.n_epochs_,
            "best_epoch": model.best_epoch_,
            "best_val_loss": model.best_val_loss_,
            "train_loss_curve": _curve(model.train_loss_curve_),
            "val_loss_curve": _curve(model.val_loss_curve_),
            "stop_reason": model.stop_reason_,
        },
    }
    try:
        text = json.dumps(doc, indent=1, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"Cannot save this MLPClassifier as JSON: {exc}. Classes, categories and "
            "parameters must be str, int, float or bool values."
        ) from exc
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / _CONFIG).write_text(text, encoding="utf-8")
    torch.save(model.module_.state_dict(), directory / _WEIGHTS)


def load_model(cls: type[MLPClassifier], path: str | PathLike[str]) -> MLPClassifier:
    """Read a model written by :func:`save_model`.

    Raises
    ------
    autometa.exceptions.WeightsError
        If a file is missing or unreadable, the format or version is unknown, or the
        weights do not match the architecture.
    """
    import torch

    from autometa.nas.network import MLPNet

    directory = Path(path)
    config_path, weights_path = directory / _CONFIG, directory / _WEIGHTS
    for file in (config_path, weights_path):
        if not file.is_file():
            raise WeightsError(
                f"Cannot load an MLPClassifier from {str(directory)!r}: {file.name} is missing."
            )
    try:
        doc = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise WeightsError(f"{str(config_path)!r} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise WeightsError(f"{str(config_path)!r} does not describe an MLPClassifier.")
    if doc.get("format_version") != FORMAT_VERSION:
        raise WeightsError(
            f"{str(config_path)!r} has format version {doc.get('format_version')!r}; this "
            f"version of autometa reads version {FORMAT_VERSION}."
        )
    try:
        model = cls(**doc["params"])
        dtype = object if doc["classes_dtype"] == "object" else np.dtype(doc["classes_dtype"])
        classes = np.empty(len(doc["classes"]), dtype=dtype)
        classes[:] = doc["classes"]
        net = MLPNet(**doc["network"])
        prep = TablePreprocessor.from_dict(doc["preprocessor"])
        training = doc["training"]
    except (KeyError, TypeError, ValueError) as exc:
        raise WeightsError(f"{str(config_path)!r} is incomplete or malformed: {exc!r}") from exc
    try:
        state = torch.load(weights_path, map_location="cpu", weights_only=True)
        net.load_state_dict(state)
    except Exception as exc:  # torch raises RuntimeError, UnpicklingError, EOFError, ...
        raise WeightsError(
            f"The weights in {str(weights_path)!r} cannot be loaded into the network "
            f"described by {_CONFIG}: {exc}"
        ) from exc
    net.eval()
    model.classes_ = classes
    model.n_features_in_ = int(doc["n_features_in"])
    if doc["feature_names_in"] is not None:
        model.feature_names_in_ = np.asarray(doc["feature_names_in"], dtype=object)
    model.preprocessor_ = prep
    model.module_ = net
    model.device_ = training["device"]
    model.n_epochs_ = training["n_epochs"]
    model.best_epoch_ = training["best_epoch"]
    model.best_val_loss_ = training["best_val_loss"]
    model.train_loss_curve_ = [math.nan if v is None else v for v in training["train_loss_curve"]]
    model.val_loss_curve_ = [math.nan if v is None else v for v in training["val_loss_curve"]]
    model.stop_reason_ = training["stop_reason"]
    return model
