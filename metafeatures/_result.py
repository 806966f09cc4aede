"""The result of an extraction."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd


class MetaFeatures(Mapping[str, float]):
    """Read-only mapping from meta-feature name to value, with how it was computed.

    Values are floats; a feature undefined for the data is NaN.

    Attributes
    ----------
    groups : tuple of str
        Groups computed, in extraction order.
    times : Mapping of str to float
        Wall-clock seconds per group, plus ``"input"`` for validating and splitting the
        input. Work shared by groups (the subsample, the design matrix, sorted columns)
        is charged to the first group that needs it.
    subsample : ndarray of int or None
        Sorted row indices of the stratified subsample the landmarking and model-based
        groups used, or None when they used every row (or were not computed).
    n_rows : int
        Number of rows of the input.
    """

    def __init__(
        self,
        values: Mapping[str, float],
        *,
        groups: tuple[str, ...],
        times: Mapping[str, float],
        subsample: np.ndarray | None,
        n_rows: int,
    ) -> None:
        self._values = dict(values)
        self.groups = tuple(groups)
        self.times = MappingProxyType(dict(times))
        if subsample is not None:
            subsample = np.array(subsample, dtype=np.intp)
            subsample.flags.writeable = False
        self.subsample = subsample
        self.n_rows = int(n_rows)

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @property
    def subsampled(self) -> bool:
        """Whether the costly groups ran on a subsample of the rows."""
        return self.subsample is not None

    def to_series(self) -> pd.Series:
        """The values as a float64 Series indexed by feature name."""
        return pd.Series(self._values, dtype=np.float64, name="value")

    def __repr__(self) -> str:
        sub = f"{self.subsample.size} of {self.n_rows} rows" if self.subsampled else "None"
        return (
            f"MetaFeatures({len(self)} features, groups={self.groups}, "
            f"total_time={sum(self.times.values()):.3f}s, subsample={sub})"
        )
