"""Declaring meta-features: one :class:`Feature` record per output value.

Each group module lists its features with :func:`feature` and :func:`summarised`;
:mod:`metafeatures._registry` gathers them. The ``reference`` of a feature is a
key of :data:`REFERENCES`, which holds the full citations.
"""

from __future__ import annotations

from dataclasses import dataclass

REFERENCES: dict[str, str] = {
    "Michie et al. (1994)": (
        "D. Michie, D. J. Spiegelhalter, C. C. Taylor (eds.). Machine Learning, Neural and "
        "Statistical Classification (the StatLog project). Ellis Horwood, 1994."
    ),
    "Vanschoren et al. (2013)": (
        "J. Vanschoren, J. N. van Rijn, B. Bischl, L. Torgo. OpenML: networked science in "
        "machine learning. SIGKDD Explorations 15(2):49-60, 2013."
    ),
    "Rivolli et al. (2022)": (
        "A. Rivolli, L. P. F. Garcia, C. Soares, J. Vanschoren, A. C. P. L. F. de Carvalho. "
        "Meta-features for meta-learning. Knowledge-Based Systems 240:108101, 2022."
    ),
    "Castiello et al. (2005)": (
        "C. Castiello, G. Castellano, A. M. Fanelli. Meta-data: characterization of input "
        "features for meta-learning. MDAI 2005, LNCS 3558:457-468."
    ),
    "Kalousis & Hilario (2001)": (
        "A. Kalousis, M. Hilario. Model selection via meta-learning: a comparative study. "
        "International Journal on Artificial Intelligence Tools 10(4):525-554, 2001."
    ),
    "Ali & Smith (2006)": (
        "S. Ali, K. A. Smith. On learning algorithm selection for classification. "
        "Applied Soft Computing 6(2):119-138, 2006."
    ),
    "Salama et al. (2013)": (
        "M. A. Salama, A. E. Hassanien, K. Revett. Employment of neural network and rough "
        "set in meta-learning. Memetic Computing 5(3):165-177, 2013."
    ),
    "Rousseeuw & Hubert (2011)": (
        "P. J. Rousseeuw, M. Hubert. Robust statistics for outlier detection. WIREs Data "
        "Mining and Knowledge Discovery 1(1):73-79, 2011."
    ),
    "Kalousis (2002)": (
        "A. Kalousis. Algorithm Selection via Meta-Learning. PhD thesis, University of "
        "Geneva, 2002."
    ),
    "Pfahringer et al. (2000)": (
        "B. Pfahringer, H. Bensusan, C. Giraud-Carrier. Meta-learning by landmarking various "
        "learning algorithms. ICML 2000, 743-750."
    ),
    "Bensusan & Giraud-Carrier (2000)": (
        "H. Bensusan, C. Giraud-Carrier. Discovering task neighbourhoods through landmark "
        "learning performances. PKDD 2000, LNCS 1910:325-330."
    ),
    "Bensusan et al. (2000)": (
        "H. Bensusan, C. Giraud-Carrier, C. Kennedy. A higher-order approach to "
        "meta-learning. ILP 2000 work-in-progress, 33-42."
    ),
    "Peng et al. (2002)": (
        "Y. Peng, P. A. Flach, C. Soares, P. Brazdil. Improved dataset characterisation for "
        "meta-learning. Discovery Science 2002, LNCS 2534:141-152."
    ),
}

GROUPS: tuple[str, ...] = (
    "general",
    "statistical",
    "info-theory",
    "landmarking",
    "model-based",
)

_SUMMARY_TEXT = {
    "mean": "mean",
    "sd": "standard deviation (ddof=1)",
    "min": "minimum",
    "max": "maximum",
}


@dataclass(frozen=True)
class Feature:
    """One meta-feature.

    Parameters
    ----------
    name : str
        Key in the result of :func:`metafeatures.extract`.
    group : str
        One of :data:`GROUPS`.
    description : str
        Definition in one or two sentences.
    reference : str
        Key of :data:`REFERENCES`.
    pymfe : str or None
        pymfe's name for the same value (``None`` when pymfe has no equivalent).
    openml : str or None
        OpenML's quality name for the same or a closely related value.
    """

    name: str
    group: str
    description: str
    reference: str
    pymfe: str | None = None
    openml: str | None = None

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"Unknown group {self.group!r} for feature {self.name!r}.")
        if self.reference not in REFERENCES:
            raise ValueError(f"Unknown reference {self.reference!r} for {self.name!r}.")


def feature(
    group: str,
    name: str,
    description: str,
    reference: str,
    *,
    pymfe: str | None = None,
    openml: str | None = None,
) -> tuple[Feature, ...]:
    """Declare a single-valued feature (returns a 1-tuple, to concatenate)."""
    return (Feature(name, group, description, reference, pymfe, openml),)


def summarised(
    group: str,
    base: str,
    description: str,
    reference: str,
    summaries: tuple[str, ...] = ("mean", "sd"),
    *,
    pymfe: bool = True,
    openml: dict[str, str] | None = None,
) -> tuple[Feature, ...]:
    """Declare ``base.<summary>`` features, one per summary of a per-column (or per-node) value.

    Parameters
    ----------
    base : str
        Name of the underlying quantity, e.g. ``"skewness"``.
    description : str
        Definition of the underlying quantity; the summary is appended.
    pymfe : bool
        Whether pymfe defines the same quantity under ``base`` (then its name is
        ``base.<summary>`` too).
    openml : dict of str to str, optional
        OpenML quality name per summary, e.g. ``{"mean": "MeanSkewnessOfNumericAtts"}``.
    """
    openml = openml or {}
    return tuple(
        Feature(
            f"{base}.{s}",
            group,
            f"{description}; {_SUMMARY_TEXT[s]} over them.",
            reference,
            f"{base}.{s}" if pymfe else None,
            openml.get(s),
        )
        for s in summaries
    )
