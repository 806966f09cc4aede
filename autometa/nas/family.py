"""The MLP as a model family: its search space, its default point and its builder.

Importing this module does not import torch.
"""

from __future__ import annotations

from typing import Any

from autometa.nas.classifier import MLPClassifier

__all__ = ["MLP_FAMILY", "MLPFamily"]

# Training settings that are not searched but may be overridden through ``params``.
_FIXED = ("max_epochs", "patience", "validation_fraction")


class MLPFamily:
    """Space, default and builder of the torch MLP family.

    Attributes
    ----------
    name : str
        ``"mlp"``.
    max_rows : int or None
        No row cap: large tables are bounded by the trainer's ``time_limit``.
    """

    name = "mlp"
    max_rows: int | None = None

    def suggest(self, trial: Any) -> dict[str, Any]:
        """Draw a point of the space from an Optuna trial (plain parameter names)."""
        return {
            "depth": trial.suggest_int("depth", 1, 4),
            "width": trial.suggest_int("width", 32, 512, log=True),
            "shape": trial.suggest_categorical("shape", ["constant", "funnel"]),
            "activation": trial.suggest_categorical("activation", ["relu", "gelu", "silu"]),
            "normalization": trial.suggest_categorical("normalization", ["none", "batch", "layer"]),
            "dropout": trial.suggest_float("dropout", 0.0, 0.5),
            "residual": trial.suggest_categorical("residual", [False, True]),
            "embedding_dim": trial.suggest_int("embedding_dim", 2, 32, log=True),
            "scaling": trial.suggest_categorical("scaling", ["quantile", "standard"]),
            "learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True),
            "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-1, log=True),
            "batch_size": trial.suggest_categorical("batch_size", [64, 128, 256, 512]),
        }

    def default(self) -> dict[str, Any]:
        """A robust point of the space: a 256-128 funnel with ReLU, dropout 0.1, lr 1e-3."""
        return {
            "depth": 2,
            "width": 256,
            "shape": "funnel",
            "activation": "relu",
            "normalization": "none",
            "dropout": 0.1,
            "residual": False,
            "embedding_dim": 8,
            "scaling": "quantile",
            "learning_rate": 1e-3,
            "weight_decay": 1e-4,
            "batch_size": 256,
        }

    def build(
        self,
        params: dict[str, Any],
        *,
        random_state: int | None,
        n_jobs: int | None,
        device: str,
    ) -> MLPClassifier:
        """An unfitted :class:`MLPClassifier` for ``params``.

        ``params`` holds names from :meth:`suggest`, optionally with ``max_epochs``,
        ``patience`` and ``validation_fraction``. Set ``epoch_callback`` and ``time_limit``
        on the result with ``set_params``.

        Raises
        ------
        ValueError
            For a parameter name outside the space.
        """
        known = set(self.default()) | set(_FIXED)
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(
                f"Unknown parameters {unknown} for the 'mlp' family. Expected names among "
                f"{sorted(known)}."
            )
        return MLPClassifier(**params, random_state=random_state, n_jobs=n_jobs, device=device)

    def __repr__(self) -> str:
        return "MLPFamily(name='mlp')"


MLP_FAMILY = MLPFamily()
