"""Statistical meta-features of the numeric columns.

Each per-column statistic uses the column's non-missing values; covariances and
correlations use pairwise-complete rows. The multivariate features (canonical
correlations, Box's M, class centroids) use mean-imputed values. All features but
``sparsity`` are NaN when the data has no numeric column.
"""

from __future__ import annotations

import numpy as np

from ._columns import CrossProducts, Profile, cross_products
from ._context import Context
from ._spec import feature, summarised
from ._summary import NAN, nan_dict, summarise
from ._table import Table

_G = "statistical"
_M = "Michie et al. (1994)"
_A = "Ali & Smith (2006)"
_MMMM = ("mean", "sd", "min", "max")

FEATURES = (
    summarised(
        _G, "mean", "Mean of each numeric column", _A, openml={"mean": "MeanMeansOfNumericAtts"}
    )
    + summarised(
        _G,
        "sd",
        "Standard deviation (ddof=1) of each numeric column",
        _A,
        openml={"mean": "MeanStdDevOfNumericAtts"},
    )
    + summarised(_G, "var", "Variance (ddof=1) of each numeric column", _A)
    + summarised(_G, "min", "Minimum of each numeric column", _A)
    + summarised(_G, "max", "Maximum of each numeric column", _A)
    + summarised(_G, "range", "Range (max - min) of each numeric column", _A)
    + summarised(_G, "median", "Median of each numeric column", _A)
    + summarised(_G, "iq_range", "Interquartile range of each numeric column", _A)
    + summarised(_G, "mad", "Median absolute deviation (times 1.4826) of each numeric column", _A)
    + summarised(_G, "t_mean", "20%-trimmed mean of each numeric column", _A)
    + summarised(
        _G,
        "coef_var",
        "Coefficient of variation sd / |mean| of each numeric column",
        _A,
        pymfe=False,
    )
    + summarised(
        _G,
        "skewness",
        "Skewness m3 / s^3 of each numeric column",
        _M,
        _MMMM,
        openml={
            "mean": "MeanSkewnessOfNumericAtts",
            "min": "MinSkewnessOfNumericAtts",
            "max": "MaxSkewnessOfNumericAtts",
        },
    )
    + summarised(
        _G,
        "kurtosis",
        "Excess kurtosis m4 / s^4 - 3 of each numeric column",
        _M,
        _MMMM,
        openml={
            "mean": "MeanKurtosisOfNumericAtts",
            "min": "MinKurtosisOfNumericAtts",
            "max": "MaxKurtosisOfNumericAtts",
        },
    )
    + summarised(
        _G,
        "outlier_frac",
        "Share of each numeric column's values outside Tukey's fences [Q1 - 1.5 IQR, Q3 + 1.5 IQR]",
        "Rousseeuw & Hubert (2011)",
        pymfe=False,
    )
    + feature(
        _G,
        "nr_outliers",
        "Number of numeric columns with a value outside Tukey's fences.",
        "Rousseeuw & Hubert (2011)",
        pymfe="nr_outliers",
    )
    + summarised(
        _G,
        "sparsity",
        "Sparsity (n / distinct values - 1) / (n - 1) of each column (nominal too)",
        "Salama et al. (2013)",
    )
    + summarised(_G, "cov", "Absolute covariance of each pair of numeric columns", _M)
    + summarised(
        _G,
        "cor",
        "Absolute Pearson correlation of each pair of numeric columns",
        _M,
        ("mean", "sd", "max"),
    )
    + feature(
        _G,
        "nr_cor_attr",
        "Share of pairs of numeric columns with absolute correlation >= 0.5.",
        "Salama et al. (2013)",
        pymfe="nr_cor_attr",
    )
    + summarised(_G, "eigenvalues", "Eigenvalues of the covariance matrix", _A)
    + summarised(
        _G,
        "can_cor",
        "Canonical correlations between the numeric columns and the one-hot class",
        "Kalousis (2002)",
    )
    + feature(
        _G,
        "nr_disc",
        "Number of canonical correlations (discriminant functions).",
        "Kalousis (2002)",
        pymfe="nr_disc",
    )
    + feature(_G, "w_lambda", "Wilks' lambda: product of (1 - can_cor^2).", _A, pymfe="w_lambda")
    + feature(_G, "p_trace", "Pillai's trace: sum of can_cor^2.", _M, pymfe="p_trace")
    + feature(
        _G,
        "lh_trace",
        "Lawley-Hotelling trace: sum of can_cor^2 / (1 - can_cor^2).",
        _M,
        pymfe="lh_trace",
    )
    + feature(
        _G,
        "roy_root",
        "Roy's largest root: max of can_cor^2 / (1 - can_cor^2).",
        _M,
        pymfe="roy_root",
    )
    + feature(
        _G,
        "gravity",
        "Euclidean distance between the centroids of the majority class and of the "
        "least frequent other class.",
        _A,
        pymfe="gravity",
    )
    + feature(
        _G,
        "sd_ratio",
        "Homogeneity of class covariances: exp(M / (p (n - K))), M being Box's M "
        "statistic; NaN when a class covariance is singular.",
        _M,
        pymfe="sd_ratio",
    )
)

_NAMES = tuple(f.name for f in FEATURES)


def compute(table: Table, ctx: Context) -> dict[str, float]:
    """Compute the statistical meta-features of ``table``."""
    out = nan_dict(_NAMES)
    prof = ctx.profile if table.n_numeric else None
    out.update(_sparsity(table, prof))
    if prof is None:
        return out
    out.update(_univariate(prof))
    counts = table.class_counts
    p, k = table.n_numeric, table.n_classes
    xp = cross_products(
        table.numeric,
        np.nan_to_num(prof.mean),
        table.y,
        counts,
        per_class=k > 1 and bool(np.all(counts > p)),
        has_missing=prof.has_missing,
    )
    out.update(_pairwise(xp, table.n_rows, prof))
    if k > 1:
        out.update(_multivariate(xp, prof, counts, table.n_rows))
    return out


def _univariate(prof: Profile) -> dict[str, float]:
    sd = np.sqrt(prof.var)
    mean = prof.mean
    out = {}
    for base, values, summaries in (
        ("mean", mean, ("mean", "sd")),
        ("sd", sd, ("mean", "sd")),
        ("var", prof.var, ("mean", "sd")),
        ("min", prof.minimum, ("mean", "sd")),
        ("max", prof.maximum, ("mean", "sd")),
        ("range", prof.maximum - prof.minimum, ("mean", "sd")),
        ("median", prof.median, ("mean", "sd")),
        ("iq_range", prof.q3 - prof.q1, ("mean", "sd")),
        ("mad", prof.mad, ("mean", "sd")),
        ("t_mean", prof.trimmed_mean, ("mean", "sd")),
        ("coef_var", np.where(mean != 0, sd / np.abs(mean), np.nan), ("mean", "sd")),
        ("skewness", prof.skewness, _MMMM),
        ("kurtosis", prof.kurtosis, _MMMM),
        ("outlier_frac", prof.outlier_frac, ("mean", "sd")),
    ):
        out.update(summarise(base, values, summaries))
    iqr = prof.q3 - prof.q1
    low, high = prof.q1 - 1.5 * iqr, prof.q3 + 1.5 * iqr
    out["nr_outliers"] = float(np.sum((low > prof.minimum) | (high < prof.maximum)))
    return out


def _sparsity(table: Table, prof: Profile | None) -> dict[str, float]:
    distinct = [prof.distinct] if prof is not None else []
    counts = [prof.count] if prof is not None else []
    if table.n_categorical:
        distinct.append(table.n_levels)
        counts.append(table.n_rows - table.categorical_missing.sum(axis=1))
    d = np.concatenate(distinct).astype(np.float64)
    c = np.concatenate(counts).astype(np.float64)
    return summarise("sparsity", (c / d - 1.0) / (c - 1.0))


def _covariance(xp: CrossProducts, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Covariance (ddof=1) and correlation, pairwise-complete when values are missing."""
    if xp.present_pairs is None:
        cov = xp.gram / (n - 1)
        sd = np.sqrt(np.diag(cov))
        return cov, cov / np.outer(sd, sd)
    n_pair = xp.present_pairs
    s_x = xp.d_present  # s_x[j, k]: sum of d_j over rows where k is present
    cov = (xp.gram - s_x * s_x.T / n_pair) / (n_pair - 1)
    var_pair = (xp.d2_present - s_x * s_x / n_pair) / (n_pair - 1)
    return cov, cov / np.sqrt(var_pair * var_pair.T)


def _pairwise(xp: CrossProducts, n: int, prof: Profile) -> dict[str, float]:
    cov, cor = _covariance(xp, n)
    p = cov.shape[0]
    eig = np.linalg.eigvalsh(cov) if np.all(np.isfinite(cov)) else np.full(p, np.nan)
    out = summarise("eigenvalues", eig)
    if p < 2:
        return out
    lower = np.tril_indices(p, k=-1)
    abs_cor = np.abs(cor[lower])
    out.update(summarise("cov", np.abs(cov[lower])))
    out.update(summarise("cor", abs_cor, ("mean", "sd", "max")))
    out["nr_cor_attr"] = float(np.sum(abs_cor >= 0.5) * 2.0 / (p * (p - 1)))
    return out


def _multivariate(xp: CrossProducts, prof: Profile, counts: np.ndarray, n: int) -> dict[str, float]:
    out: dict[str, float] = {}
    rho = _canonical_correlations(xp.gram / (n - 1), xp.class_sums, counts, n)
    if rho is not None and rho.size:
        eig = rho**2 / (1.0 - rho**2)
        out.update(summarise("can_cor", rho))
        out["nr_disc"] = float(rho.size)
        out["w_lambda"] = float(np.prod(1.0 - rho**2))
        out["p_trace"] = float(np.sum(rho**2))
        out["lh_trace"] = float(np.sum(eig))
        out["roy_root"] = float(np.max(eig))
    present = counts[None, :] if xp.class_present is None else xp.class_present
    centroids = prof.mean[:, None] + xp.class_sums / present
    out["gravity"] = _gravity(centroids, counts)
    if xp.class_gram is not None:
        out["sd_ratio"] = _sd_ratio(xp, counts, n)
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
    return float(np.sqrt(np.nansum(diff**2)))


def _sd_ratio(xp: CrossProducts, counts: np.ndarray, n: int) -> float:
    """Box's M based ratio (Michie et al., 1994) on mean-imputed values."""
    k, p = counts.size, xp.gram.shape[0]
    s = xp.class_sums
    # Scatter around each class mean, from sums around the overall mean.
    scatter = xp.class_gram - np.einsum("ik,jk->kij", s, s) / counts[:, None, None]
    signs, logdets = np.linalg.slogdet(scatter / (counts - 1.0)[:, None, None])
    sign, logdet_pooled = np.linalg.slogdet(scatter.sum(axis=0) / (n - k))
    if np.any(signs <= 0) or sign <= 0:
        return NAN
    w = counts - 1.0
    gamma = 1.0 - (2.0 * p**2 + 3.0 * p - 1.0) / (6.0 * (p + 1.0) * (k - 1.0)) * (
        np.sum(1.0 / w) - 1.0 / (n - k)
    )
    m = gamma * ((n - k) * logdet_pooled - np.dot(w, logdets))
    return float(np.exp(m / (p * (n - k))))
