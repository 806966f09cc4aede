"""The catalogue of all meta-features, in extraction order."""

from __future__ import annotations

from types import MappingProxyType, ModuleType

import pandas as pd

from . import general, infotheory, landmarking, modelbased, statistical
from ._spec import GROUPS, REFERENCES, Feature

MODULES: MappingProxyType[str, ModuleType] = MappingProxyType(
    {
        "general": general,
        "statistical": statistical,
        "info-theory": infotheory,
        "landmarking": landmarking,
        "model-based": modelbased,
    }
)

FEATURES: tuple[Feature, ...] = tuple(f for g in GROUPS for f in MODULES[g].FEATURES)


def check_groups(groups: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Validate a ``groups`` argument; return the groups in canonical order."""
    if isinstance(groups, str):
        if groups == "all":
            return GROUPS
        groups = [groups]
    try:
        requested = set(groups)
    except TypeError:
        raise TypeError(
            "The 'groups' parameter of extract must be 'all' or a list of group names. "
            f"Got {groups!r} instead."
        ) from None
    unknown = sorted(str(g) for g in requested - set(GROUPS))
    if unknown or not requested:
        raise ValueError(
            "The 'groups' parameter of extract must be 'all' or a non-empty list drawn from "
            f"{list(GROUPS)}. Got {list(groups)!r} instead."
        )
    return tuple(g for g in GROUPS if g in requested)


def list_features(groups: str | list[str] | tuple[str, ...] = "all") -> pd.DataFrame:
    """Describe every meta-feature :func:`metafeatures.extract` computes.

    Parameters
    ----------
    groups : "all" or list of str, default="all"
        Restrict the listing to these groups.

    Returns
    -------
    pandas.DataFrame
        One row per feature, in extraction order, with columns ``name``, ``group``,
        ``description``, ``reference`` (short citation), ``citation`` (full
        reference), ``pymfe`` (pymfe's name for the same value, or None) and ``openml``
        (OpenML's quality name for the same or a closely related value, or None).
    """
    selected = set(check_groups(groups))
    rows = [
        {
            "name": f.name,
            "group": f.group,
            "description": f.description,
            "reference": f.reference,
            "citation": REFERENCES[f.reference],
            "pymfe": f.pymfe,
            "openml": f.openml,
        }
        for f in FEATURES
        if f.group in selected
    ]
    table = pd.DataFrame(rows, columns=list(rows[0]))
    for col in ("pymfe", "openml"):  # keep None (not NaN) where there is no counterpart
        table[col] = pd.Series([r[col] for r in rows], dtype=object)
    return table
