"""The prior: meta-learned rankings of configurations, and its versioned artifact."""

from __future__ import annotations

from autometa.prior.artifact import SCHEMA_VERSION, default_prior_path, load_prior, prior_info
from autometa.prior.core import Prior, Suggestion
from autometa.prior.features import extract_metafeatures
from autometa.prior.fit import fit_prior

__all__ = [
    "Prior",
    "SCHEMA_VERSION",
    "Suggestion",
    "default_prior_path",
    "extract_metafeatures",
    "fit_prior",
    "load_prior",
    "prior_info",
]
