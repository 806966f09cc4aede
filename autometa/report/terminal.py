"""Reports for the terminal, as rich renderables (the caller prints them).

User strings are wrapped in :class:`rich.text.Text`, never interpolated into markup, so a
column called ``[bold]x`` prints as written.
"""

from __future__ import annotations

import math
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from autometa.report.analysis import DatasetReport
from autometa.report.profile import DatasetProfile

__all__ = ["terminal_view"]

MAX_CLASSES = 12
MAX_METAFEATURES_PER_GROUP = 6


def _num(value: Any, digits: int = 4) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "-"
    if x.is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:.{digits}g}"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _params(params: dict[str, Any]) -> str:
    def fmt(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    return ", ".join(f"{k}={fmt(v)}" for k, v in sorted(params.items()))


def _profile(p: DatasetProfile) -> RenderableType:
    table = Table(title="Dataset", show_header=False, title_justify="left", box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("source", Text(p.name))
    table.add_row("target", Text(p.target))
    table.add_row("rows", _num(p.n_rows))
    kinds = ", ".join(f"{v} {k}" for k, v in p.kinds.items()) or "none"
    table.add_row("columns", f"{p.n_columns} ({kinds})")
    if p.n_missing_cells:
        worst = p.columns_with_missing[:3]
        detail = Text(
            f"{p.n_missing_cells:,} cells ({p.missing_share:.1%}) in "
            f"{len(p.columns_with_missing)} column(s); most: "
        )
        for i, c in enumerate(worst):
            detail.append(("" if i == 0 else ", ") + f"{c.name} ({c.n_missing / p.n_rows:.0%})")
        table.add_row("missing", detail)
    else:
        table.add_row("missing", "none")
    if p.n_missing_labels:
        table.add_row("unlabelled rows", _num(p.n_missing_labels))
    table.add_row(
        "classes",
        f"{p.n_classes} (imbalance ratio {_num(p.imbalance_ratio, 3)})",
    )
    total = sum(p.class_counts.values()) or 1
    balance = Table(title="Class balance", title_justify="left")
    balance.add_column("class")
    balance.add_column("rows", justify="right")
    balance.add_column("share", justify="right")
    balance.add_column("", no_wrap=True)
    for label, count in list(p.class_counts.items())[:MAX_CLASSES]:
        share = count / total
        balance.add_row(
            Text(_short(label, 30)),
            f"{count:,}",
            f"{share:.1%}",
            "\u2588" * max(1, round(share * 20)),
        )
    if p.n_classes > MAX_CLASSES:
        balance.caption = f"{MAX_CLASSES} most frequent of {p.n_classes} classes"
    return Group(table, Text(""), balance)


def _metafeatures(report: DatasetReport) -> RenderableType | None:
    if not report.metafeature_groups:
        return None
    table = Table(title="Meta-features by group", title_justify="left")
    table.add_column("group", style="bold")
    table.add_column("n", justify="right")
    table.add_column("ms", justify="right")
    table.add_column("values")
    for group in report.metafeature_groups:
        items = list(group.values.items())
        shown = items[:MAX_METAFEATURES_PER_GROUP]
        text = Text(", ".join(f"{k}={_num(v, 3)}" for k, v in shown))
        if len(items) > len(shown):
            text.append(f", \u2026 ({len(items) - len(shown)} more)", style="dim")
        ms = "" if group.seconds is None else f"{max(group.seconds * 1000, 1):.0f}"
        table.add_row(Text(group.name), str(len(items)), ms, text)
    return table


def _prior(report: DatasetReport) -> list[RenderableType]:
    out: list[RenderableType] = []
    info = report.prior_info
    if info is None:
        return out
    if report.neighbors:
        table = Table(
            title="Nearest tasks of the prior",
            title_justify="left",
            caption=f"of its {info.get('n_tasks')} tasks",
            min_width=30,
        )
        table.add_column("task")
        table.add_column("similarity", justify="right")
        for task, sim in report.neighbors:
            table.add_row(Text(task), f"{sim:.3f}")
        out.append(table)
    if report.recommendations:
        table = Table(
            title="Recommended configurations",
            title_justify="left",
            caption="expected: normalised score (1 = best candidate on a similar "
            "task); spread: its s.d. over the nearest tasks"
            + (
                "; not evaluated by fit with the tiny-data fallback" if report.fallback.used else ""
            ),
        )
        table.add_column("#", justify="right")
        table.add_column("family")
        table.add_column("parameters", overflow="fold")
        table.add_column("expected", justify="right")
        table.add_column("spread", justify="right")
        for i, rec in enumerate(report.recommendations):
            table.add_row(
                str(i + 1),
                Text(rec.family),
                Text(_short(_params(rec.params), 120)),
                f"{rec.expected_score:.3f}",
                f"{rec.spread:.3f}",
            )
        out.append(table)
    return out


def terminal_view(report: DatasetReport) -> list[RenderableType]:
    """The dataset report as rich renderables, in the order they should be printed."""
    out: list[RenderableType] = [_profile(report.profile)]
    mf = _metafeatures(report)
    if mf is not None:
        out.append(mf)
    out.extend(_prior(report))
    fb = report.fallback
    out.append(
        Panel(
            Text(f"The few-shot learner {fb.reason}."),
            title="Tiny-data fallback",
            title_align="left",
            border_style="green" if fb.used else "dim",
            expand=False,
        )
    )
    for note in report.notes:
        out.append(Text("note: " + note, style="yellow"))
    return out
