"""The few-shot learner as a model family: its space, its default point and its builder.

Importing this module does not import torch.
"""

from __future__ import annotations

from typing import Any

from autometa.fewshot.classifier import FewShotClassifier

__all__ = ["FEWSHOT_FAMILY", "METHOD", "FewShotFamily"]

#: The learner of the family: the in-context transformer averaged with first-order MAML,
#: which beats either alone on the tiny-data benchmark (docs/fewshot.md).
METHOD = "icl+fomaml"


class FewShotFamily:
    """Space, default and builder of the few-shot learner (``METHOD``).

    Attributes
    ----------
    name : str
        ``"fewshot"``.
    max_rows : int
        Not tried on larger training sets: the network uses at most ``max_support``
        context rows per ensemble member, so large tables gain little from it.
    """

    name = "fewshot"
    max_rows: int | None = 1000

    def suggest(self, trial: Any) -> dict[str, Any]:
        """Draw a point of the space from an Optuna trial (plain parameter names)."""
        return {
            "n_estimators": trial.suggest_int("n_estimators", 1, 16, log=True),
            "max_support": trial.suggest_categorical("max_support", [256, 512]),
        }

    def default(self) -> dict[str, Any]:
        """Four ensemble members, at most 512 context rows."""
        return {"n_estimators": 4, "max_support": 512}

    def build(
        self, params: dict[str, Any], *, random_state: int | None, n_jobs: int | None, device: str
    ) -> FewShotClassifier:
        """An unfitted :class:`FewShotClassifier` for ``params``."""
        return FewShotClassifier(
            device=device,
            random_state=random_state,
            n_jobs=1 if n_jobs is None else n_jobs,
            **{"method": METHOD, **params},
        )


FEWSHOT_FAMILY = FewShotFamily()
