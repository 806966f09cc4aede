"""The report's plots, drawn with matplotlib's Agg renderer into PNG bytes.

Figures are made with :class:`matplotlib.figure.Figure` directly (not pyplot), so drawing a
report never touches pyplot's global state or the user's backend.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "anytime_png",
    "class_balance_png",
    "data_uri",
    "ensemble_png",
    "missing_map_png",
    "projection_png",
    "recommendations_png",
]

_BLUE, _ORANGE, _GREY, _RED = "#1f6fb2", "#e8871e", "#9aa5b1", "#c0392b"
_SOURCE_COLORS = {"prior": _ORANGE, "default": "#2e9e5b", "tpe": _BLUE}
MAX_BARS = 25


def _label(text: Any, width: int = 28) -> str:
    """A user string safe for a matplotlib label: shortened, and ``$`` kept literal (a label
    such as ``$100`` would otherwise be parsed as mathtext)."""
    s = str(text).replace("\n", " ")
    if len(s) > width:
        s = s[: width - 1] + "\u2026"
    return s.replace("$", r"\$")


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` for an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _message(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=_GREY)
    ax.set_axis_off()


def class_balance_png(class_counts: dict[str, int]) -> bytes:
    """Horizontal bars: rows per class (the most frequent :data:`MAX_BARS` classes)."""
    items = list(class_counts.items())[:MAX_BARS]
    fig = _figure(6.0, 0.9 + 0.28 * max(1, len(items)))
    ax = fig.add_subplot()
    if not items:
        _message(ax, "no labels")
        return _png(fig)
    labels = [_label(k) for k, _ in items][::-1]
    counts = np.array([v for _, v in items][::-1], dtype=float)
    ax.barh(range(len(items)), counts, color=_BLUE)
    ax.set_yticks(range(len(items)), labels)
    total = sum(class_counts.values())
    for i, c in enumerate(counts):
        ax.text(c, i, f" {int(c)} ({c / total:.0%})", va="center", fontsize=8)
    ax.set_xlim(0, counts.max() * 1.25)
    ax.set_xlabel("rows")
    title = "Class balance"
    if len(class_counts) > len(items):
        title += f" (the {len(items)} largest of {len(class_counts)} classes)"
    ax.set_title(title, fontsize=10)
    return _png(fig)


def missing_map_png(mask: np.ndarray, columns: Sequence[str], n_rows: int) -> bytes:
    """Missing cells (dark) of a sample of rows (y) by column (x)."""
    width = min(9.0, 3.0 + 0.12 * max(1, len(columns)))
    fig = _figure(width, 3.6)
    ax = fig.add_subplot()
    if mask.size == 0 or not mask.any():
        _message(ax, "no missing values")
        return _png(fig)
    from matplotlib.colors import ListedColormap

    ax.imshow(
        mask.astype(float),
        aspect="auto",
        interpolation="nearest",
        cmap=ListedColormap(["#eef2f6", _RED]),
        vmin=0,
        vmax=1,
    )
    if len(columns) <= 40:
        ax.set_xticks(range(len(columns)), [_label(c, 18) for c in columns], rotation=90)
        ax.tick_params(axis="x", labelsize=7)
    else:
        ax.set_xlabel(f"{len(columns)} columns with missing values")
    ax.set_ylabel(f"rows ({mask.shape[0]} of {n_rows} shown)" if mask.shape[0] < n_rows else "rows")
    ax.set_title("Missing values (red = missing)", fontsize=10)
    return _png(fig)


def projection_png(
    tasks: Sequence[str],
    points: np.ndarray,
    point: np.ndarray,
    explained: tuple[float, float],
    neighbors: Sequence[tuple[str, float]] = (),
) -> bytes:
    """The prior's tasks on two principal components, this dataset as a star, neighbours
    labelled."""
    fig = _figure(6.4, 4.8)
    ax = fig.add_subplot()
    near = {name for name, _ in neighbors}
    is_near = np.array([t in near for t in tasks], dtype=bool)
    ax.scatter(points[~is_near, 0], points[~is_near, 1], s=18, color=_GREY, label="prior tasks")
    if is_near.any():
        ax.scatter(points[is_near, 0], points[is_near, 1], s=30, color=_BLUE, label="nearest tasks")
        for (x, y), name in zip(points[is_near], np.asarray(tasks)[is_near], strict=True):
            ax.annotate(
                _label(name, 22), (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points"
            )
    ax.scatter(
        [point[0]],
        [point[1]],
        marker="*",
        s=220,
        color=_ORANGE,
        edgecolor="black",
        zorder=5,
        label="this dataset",
    )
    ax.set_xlabel(f"PC 1 ({explained[0]:.0%} of variance)")
    ax.set_ylabel(f"PC 2 ({explained[1]:.0%} of variance)")
    ax.legend(fontsize=8, loc="best")
    ax.set_title("Where this dataset sits among the prior's tasks", fontsize=10)
    return _png(fig)


def recommendations_png(
    labels: Sequence[str], expected: Sequence[float], spread: Sequence[float]
) -> bytes:
    """Expected normalised score of each recommendation, with +/- its spread."""
    n = len(labels)
    fig = _figure(6.4, 0.9 + 0.32 * max(1, n))
    ax = fig.add_subplot()
    if not n:
        _message(ax, "no recommendations")
        return _png(fig)
    pos = np.arange(n)[::-1]
    ax.barh(pos, expected, xerr=spread, color=_ORANGE, ecolor="#555555", capsize=3)
    ax.set_yticks(pos, [_label(s, 34) for s in labels])
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("expected normalised score (1 = best candidate on a similar task)")
    ax.set_title("Recommended configurations (error bar: spread over neighbours)", fontsize=10)
    return _png(fig)


def anytime_png(curve: pd.DataFrame, metric: str, time_budget: float | None = None) -> bytes:
    """Best cross-validated score so far against seconds since the search started."""
    fig = _figure(6.4, 3.8)
    ax = fig.add_subplot()
    if curve.empty:
        _message(ax, "no trial completed")
        return _png(fig)
    t = curve["finished_at"].to_numpy(dtype=float)
    best = curve["best"].to_numpy(dtype=float)
    ax.step(
        np.r_[t, t[-1]],
        np.r_[best, best[-1]],
        where="post",
        color="black",
        lw=1.5,
        label="best so far",
    )
    for source, part in curve.groupby("source", sort=True):
        ax.scatter(
            part["finished_at"],
            part["score"],
            s=16,
            color=_SOURCE_COLORS.get(str(source), _GREY),
            label=f"trial ({source})",
        )
    if time_budget:
        ax.axvline(time_budget, color=_GREY, ls="--", lw=1)
    ax.set_xlabel("seconds since the search started")
    name = "negated log loss" if metric == "log_loss" else metric
    ax.set_ylabel(f"cv {name}")
    finite = curve["score"].to_numpy(dtype=float)
    lo, hi = np.nanmin(finite), np.nanmax(finite)
    if hi > lo:
        # Keep the interesting top of the range in view when a few trials score very badly.
        low = max(lo, hi - 4 * (hi - np.nanmedian(finite)) - 1e-9)
        ax.set_ylim(low - 0.05 * (hi - low), hi + 0.05 * (hi - low))
        below = int((finite < low - 0.05 * (hi - low)).sum())
        if below:
            ax.text(
                0.01,
                0.01,
                f"{below} trial(s) below the axis",
                transform=ax.transAxes,
                fontsize=8,
                color=_GREY,
                va="bottom",
            )
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Anytime curve", fontsize=10)
    return _png(fig)


def ensemble_png(labels: Sequence[str], weights: Sequence[float]) -> bytes:
    """Weight of each member of the final model."""
    n = len(labels)
    fig = _figure(6.0, 0.9 + 0.3 * max(1, n))
    ax = fig.add_subplot()
    if not n:
        _message(ax, "no members")
        return _png(fig)
    pos = np.arange(n)[::-1]
    ax.barh(pos, weights, color=_BLUE)
    ax.set_yticks(pos, [_label(s, 34) for s in labels])
    ax.set_xlim(0, 1.0)
    ax.set_xlabel("weight")
    ax.set_title("Final model: ensemble weights", fontsize=10)
    return _png(fig)
