"""autometa: meta-learned AutoML for tabular classification.

``AutoMetaClassifier`` is imported on first use, so ``import autometa`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from autometa.exceptions import AutoMetaError, PriorError, SearchError, WeightsError

__version__ = "0.1.0"

__all__ = [
    "AutoMetaClassifier",
    "AutoMetaError",
    "PriorError",
    "SearchError",
    "WeightsError",
    "__version__",
]

if TYPE_CHECKING:
    from autometa.estimator import AutoMetaClassifier


def __getattr__(name: str) -> Any:
    if name == "AutoMetaClassifier":
        from autometa.estimator import AutoMetaClassifier

        return AutoMetaClassifier
    raise AttributeError(f"module 'autometa' has no attribute {name!r}")
