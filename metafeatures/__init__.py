"""Meta-features of classification datasets.

>>> import metafeatures
>>> mf = metafeatures.extract(X, y, random_state=0)      # doctest: +SKIP
>>> mf["NumberOfInstances"], mf.times, mf.subsample       # doctest: +SKIP
>>> metafeatures.list_features()                          # doctest: +SKIP

Five groups, named as in pymfe: ``general``, ``statistical``, ``info-theory``,
``landmarking`` and ``model-based``. Feature names follow pymfe (``attr_ent.mean``) or
OpenML (``NumberOfInstances``, ``MeanMutualInformation``); ``list_features()`` gives the
definition, reference and pymfe/OpenML counterpart of each.
"""

from __future__ import annotations

from ._extract import DEFAULT_MAX_ROWS, extract
from ._registry import list_features
from ._result import MetaFeatures
from ._spec import GROUPS

#: Changes whenever the values of a feature may change, so that caches keyed by it (such as
#: an evaluation store's meta-features) are recomputed.
__version__ = "1.0.0"

__all__ = ["DEFAULT_MAX_ROWS", "GROUPS", "MetaFeatures", "extract", "list_features"]
