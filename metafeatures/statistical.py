"""Statistical meta-features of the numeric columns.

Each per-column statistic uses the column's non-missing values; covariances and
correlations use pairwise-complete rows. The multivariate features (canonical
correlations, Box's M) need complete rows and use mean-imputed values instead.
All features are NaN when the data has no numeric column.
"""

from __future__ import annotations

import numpy as np

from ._colstats import ColumnStats
from ._context import Context
from ._spec import feature, summarised
from ._summary import NAN, nan_dict, summarise
from ._table import Table

_G = "statistical"
_M = "Michie et al. (1994)"
_A = "Ali & Smith (2006)"
_R = "Rivolli et al. (2022)"
_MMMM = ("mean", "sd", "min", "max")

FEATURES = (
    summarised(_G, "mean", "Mean of each numeric column", _A,
               openml={"mean": "MeanMeansOfNumericAtts"})
    + summarised(_G, "sd", "Standard deviation (ddof=1) of each numeric column", _A,
                 openml={"mean": "MeanStdDevOfNumericAtts"})
    + summarised(_G, "var", "Variance (ddof=1) of each numeric column", _A)
    + summarised(_G, "min", "Minimum of each numeric column", _A)
    + summarised(_G, "max", "Maximum of each numeric column", _A)
    + summarised(_G, "range", "Range (max - min) of each numeric column", _A)
    + summarised(_G, "median", "Median of each numeric column", _A)
    + summarised(_G, "iq_range", "Interquartile range of each numeric column", _A)
    + summarised(_G, "mad", "Median absolute deviation (times 1.4826) of each numeric column",
                 _A)
    + summarised(_G, "t_mean", "20%-trimmed mean of each numeric column", _A)
    + summarised(_G, "coef_var", "Coefficient of variation sd / |mean| of each numeric column",
                 _A, pymfe=False)
    + summarised(_G, "skewness", "Skewness m3 / s^3 of each numeric column", _M, _MMMM,
                 openml={"mean": "MeanSkewnessOfNumericAtts", "min": "MinSkewnessOfNumericAtts",
                         "max": "MaxSkewnessOfNumericAtts"})
    + summarised(_G, "kurtosis", "Excess kurtosis m4 / s^4 - 3 of each numeric column", _M,
                 _MMMM,
                 openml={"mean": "MeanKurtosisOfNumericAtts", "min": "MinKurtosisOfNumericAtts",
                         "max": "MaxKurtosisOfNumericAtts"})
    + summarised(_G, "outlier_frac",
                 "Share of each numeric column's values outside Tukey's fences "
                 "[Q1 - 1.5 IQR, Q3 + 1.5 IQR]", "Rousseeuw & Hubert (2011)", pymfe=False)
    + feature(_G, "nr_outliers",
              "Number of numeric columns with a value outside Tukey's fences.",
              "Rousseeuw & Hubert (2011)", pymfe="nr_outliers")
    + summarised(_G, "sparsity",
                 "Sparsity (n / distinct values - 1) / (n - 1) of each column (nominal too)",
                 "Salama et al. (2013)")
    + summarised(_G, "cov", "Absolute covariance of each pair of numeric columns", _M)
    + summarised(_G, "cor", "Absolute Pearson correlation of each pair of numeric columns", _M,
                 ("mean", "sd", "max"))
    + feature(_G, "nr_cor_attr",
              "Share of pairs of numeric columns with absolute correlation >= 0.5.",
              "Salama et al. (2013)", pymfe="nr_cor_attr")
    + summarised(_G, "eigenvalues", "Eigenvalues of the covariance matrix", _A)
    + summarised(_G, "can_cor",
                 "Canonical correlations between the numeric columns and the one-hot class",
                 "Kalousis (2002)")
    + feature(_G, "nr_disc", "Number of canonical correlations (discriminant functions).",
              "Kalousis (2002)", pymfe="nr_disc")
    + feature(_G, "w_lambda", "Wilks' lambda: product of (1 - can_cor^2).", _A,
              pymfe="w_lambda")
    + feature(_G, "p_trace", "Pillai's trace: sum of can_cor^2.", _M, pymfe="p_trace")
    + feature(_G, "lh_trace", "Lawley-Hotelling trace: sum of can_cor^2 / (1 - can_cor^2).",
              _M, pymfe="lh_trace")
    + feature(_G, "roy_root", "Roy's largest root: max of can_cor^2 / (1 - can_cor^2).", _M,
              pymfe="roy_root")
    + feature(_G, "gravity",
              "Euclidean distance between the centroids of the majority class and of the "
              "least frequent other class.", _A, pymfe="gravity")
    + feature(_G, "sd_ratio",
              "Homogeneity of class covariances: exp(M / (p (n - K))), M being Box's M "
              "statistic; NaN when a class covariance is singular.", _M, pymfe="sd_ratio")
)

_NAMES = tuple(f.name for f in FEATURES)


def compute(table: Table, ctx: Context) -> dict[str, float]:
    """Compute the statistical meta-features of ``table``."""
    out = nan_dict(_NAMES)
    cs = ctx.numeric_stats if table.n_numeric else None
    out.update(_sparsity(table, cs))
    if cs is None:
        return out
    out.update(_univariate(cs))
    out.update(_pairwise(cs))
    out.update(_multivariate(cs, table))
    return out


def _univariate(cs: ColumnStats) -> dict[str, float]:
    q1, med, q3 = cs.quantile(0.25), cs.quantile(0.5), cs.quantile(0.75)
    iqr = q3 - q1
    low, high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    outside = (cs.block < low[:, None]) | (cs.block > high[:, None])
    absdev = np.sort(np.abs(cs.block - med[:, None]), axis=1)
    mean = cs.mean
    out = {}
    for base, values, summaries in (
        ("mean", mean, ("mean", "sd")),
        ("sd", cs.sd, ("mean", "sd")),
        ("var", cs.var, ("mean", "sd")),
        ("min", cs.minimum, ("mean", "sd")),
        ("max", cs.maximum, ("mean", "sd")),
        ("range", cs.maximum - cs.minimum, ("mean", "sd")),
        ("median", med, ("mean", "sd")),
        ("iq_range", iqr, ("mean", "sd")),
        ("mad", 1.4826 * cs.quantile(0.5, absdev), ("mean", "sd")),
        ("t_mean", cs.trimmed_mean(0.2), ("mean", "sd")),
        ("coef_var", np.where(mean != 0, cs.sd / np.abs(mean), np.nan), ("mean", "sd")),
        ("skewness", cs.skewness, _MMMM),
        ("kurtosis", cs.kurtosis, _MMMM),
        ("outlier_frac", outside.sum(axis=1) / cs.count, ("mean", "sd")),
    ):
        out.update(summarise(base, values, summaries))
    out["nr_outliers"] = float(np.sum((low > cs.minimum) | (high < cs.maximum)))
    return out


def _sparsity(table: Table, cs: ColumnStats | None) -> dict[str, float]:
    distinct = [cs.distinct] if cs is not None else []
    counts = [cs.count] if cs is not None else []
    if table.n_categorical:
        distinct.append(table.n_levels)
        counts.append(table.n_rows - table.categorical_missing.sum(axis=1))
    d = np.concatenate(distinct).astype(np.float64)
    c = np.concatenate(counts).astype(np.float64)
    return summarise("sparsity", (c / d - 1.0) / (c - 1.0))


def _pairwise(cs: ColumnStats) -> dict[str, float]:
    p = cs.block.shape[0]
    cov = cs.covariance
    eig = np.linalg.eigvalsh(cov) if np.all(np.isfinite(cov)) else np.full(p, np.nan)
    out = summarise("eigenvalues", eig)
    if p < 2:
        out.update(summarise("cov", []))
        out.update(summarise("cor", [], ("mean", "sd", "max")))
        out["nr_cor_attr"] = NAN
        return out
    lower = np.tril_indices(p, k=-1)
    cor = np.abs(cs.correlation[lower])
    out.update(summarise("cov", np.abs(cov[lower])))
    out.update(summarise("cor", cor, ("mean", "sd", "max")))
    out["nr_cor_attr"] = float(np.sum(cor >= 0.5) * 2.0 / (p * (p - 1)))
    return out


def _multivariate(cs: ColumnStats, table: Table) -> dict[str, float]:
    n, k = table.n_rows, table.n_classes
    counts = table.class_counts
    if k < 2:
        return {}
    # Rows grouped by class, so that every class is one contiguous slice.
    order = np.argsort(table.y, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    by_class = cs.centered[:, order]  # mean-imputed, centred values
    class_sums = np.add.reduceat(by_class, starts, axis=1)
    sxx = (cs.centered @ cs.centered.T) / (n - 1) if cs.has_missing else cs.covariance
    out = {}
    rho = _canonical_correlations(sxx, class_sums, counts, n)
    if rho is not None and rho.size:
        with np.errstate(divide="ignore"):
            eig = rho**2 / (1.0 - rho**2)
        out.update(summarise("can_cor", rho))
        out["nr_disc"] = float(rho.size)
        out["w_lambda"] = float(np.prod(1.0 - rho**2))
        out["p_trace"] = float(np.sum(rho**2))
        out["lh_trace"] = float(np.sum(eig))
        out["roy_root"] = float(np.max(eig))
    present = counts[None, :]
    if cs.has_missing:  # class means over each column's non-missing values
        present = np.add.reduceat((~cs.missing[:, order]).astype(np.float64), starts, axis=1)
    centroids = cs.mean[:, None] + class_sums / present
    out["gravity"] = _gravity(centroids, counts)
    out["sd_ratio"] = _sd_ratio(by_class, counts, n)
    return out


def _canonical_correlations(
    sxx: np.ndarray, class_sums: np.ndarray, counts: np.ndarray, n: int
) -> np.ndarray | None:
    """Canonical correlations between the columns and the class indicator matrix.

    Solved from the covariance blocks: whiten both sides (dropping directions with
    no variance) and take the singular values of the whitened cross-covariance.
    """
    if not np.all(np.isfinite(sxx)):
        return None
    lam, vec = np.linalg.eigh(sxx)
    keep = lam > max(lam.max(), 0.0) * 1e-10
    if not np.any(keep):
        return np.zeros(0)
    wx = vec[:, keep] / np.sqrt(lam[keep])
    # Indicator of all classes but the last, centred: its covariance is positive definite.
    prior = counts[:-1] / n
    syy = (np.diag(prior) - np.outer(prior, prior)) * n / (n - 1)
    sxy = class_sums[:, :-1] / (n - 1)
    wy = np.linalg.inv(np.linalg.cholesky(syy)).T
    rho = np.linalg.svd(wx.T @ sxy @ wy, compute_uv=False)
    rho = np.clip(rho[: min(int(keep.sum()), counts.size - 1)], 0.0, 1.0)
    return rho[rho > 1e-12]


def _gravity(centroids: np.ndarray, counts: np.ndarray) -> float:
    major = int(np.argmax(counts))
    others = np.delete(np.arange(counts.size), major)
    minor = int(others[np.argmin(counts[others])])
    diff = centroids[:, major] - centroids[:, minor]
    return float(np.sqrt(np.sum(diff**2)))


def _sd_ratio(by_class: np.ndarray, counts: np.ndarray, n: int) -> float:
    """Box's M based ratio (Michie et al., 1994) on mean-imputed values grouped by class."""
    p, k = by_class.shape[0], counts.size
    if np.any(counts <= p):  # a class covariance matrix is singular
        return NAN
    bounds = np.concatenate(([0], np.cumsum(counts)))
    logdets = np.empty(k)
    pooled = np.zeros((p, p))
    for c in range(k):  # one pass over the rows in total
        part = by_class[:, bounds[c] : bounds[c + 1]]
        part = part - part.mean(axis=1, keepdims=True)
        scatter = part @ part.T
        pooled += scatter
        sign, logdets[c] = np.linalg.slogdet(scatter / (counts[c] - 1))
        if sign <= 0:
            return NAN
    sign, logdet_pooled = np.linalg.slogdet(pooled / (n - k))
    if sign <= 0:
        return NAN
    w = counts - 1.0
    gamma = 1.0 - (2.0 * p**2 + 3.0 * p - 1.0) / (6.0 * (p + 1.0) * (k - 1.0)) * (
        np.sum(1.0 / w) - 1.0 / (n - k)
    )
    m = gamma * ((n - k) * logdet_pooled - np.dot(w, logdets))
    return float(np.exp(m / (p * (n - k))))
