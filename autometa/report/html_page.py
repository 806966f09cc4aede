"""Reports as one self-contained HTML file: inline CSS, plots as base64 PNG data URIs.

Every string that comes from the user (file names, column names, class labels, task names,
parameters) goes through :func:`html.escape` before it reaches the page.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
from pathlib import Path
from string import Template
from typing import Any

from autometa.report import plots
from autometa.report.analysis import DatasetReport
from autometa.report.fitted import FitReport, anytime_curve
from autometa.report.profile import DatasetProfile

__all__ = ["render_html", "write_html"]

MAX_TABLE_ROWS = 60

_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d2733; background: #f6f8fa; line-height: 1.45; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 32px 0 8px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }
.sub { color: #57606a; margin: 0 0 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid #d8dee4; border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.card b { display: block; font-size: 1.3em; }
.card span { color: #57606a; font-size: 0.85em; }
table { border-collapse: collapse; font-size: 0.88em; margin: 8px 0; }
th, td { border-bottom: 1px solid #e5e9ed; padding: 3px 10px; text-align: left;
         vertical-align: top; }
th { background: #f0f3f6; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 0.9em; overflow-wrap: anywhere; }
img { max-width: 100%; height: auto; display: block; margin: 8px 0; }
.note { background: #fff8e5; border-left: 4px solid #e8871e; padding: 6px 12px; margin: 8px 0; }
.yes { background: #e9f6ee; border-left: 4px solid #2e9e5b; padding: 6px 12px; }
.no { background: #f0f3f6; border-left: 4px solid #9aa5b1; padding: 6px 12px; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
@media (max-width: 800px) { .grid { grid-template-columns: 1fr; } }
footer { color: #57606a; font-size: 0.8em; margin-top: 40px; }
</style>
</head>
<body>
<main>
$body
<footer>Made by autometa $version on $when.</footer>
</main>
</body>
</html>
"""
)


def _e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def _num(value: Any, digits: int = 4) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, bool):
        return _e(value)
    if isinstance(value, int):
        return f"{value:,}"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return _e(value)
    if math.isnan(x):
        return "&ndash;"
    if x.is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return _e(f"{x:.{digits}g}")


def _fixed(value: Any) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "&ndash;"
    return "&ndash;" if math.isnan(x) else f"{x:.3f}"


def _img(png: bytes, alt: str) -> str:
    return f'<img src="{plots.data_uri(png)}" alt="{_e(alt)}">'


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    """A table from already-escaped cells (headers are escaped here)."""
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cards(items: list[tuple[str, str]]) -> str:
    inner = "".join(f'<div class="card"><b>{v}</b><span>{_e(k)}</span></div>' for k, v in items)
    return f'<div class="cards">{inner}</div>'


def _more(n_shown: int, n_total: int, what: str) -> str:
    if n_total <= n_shown:
        return ""
    return f'<p class="sub">The first {n_shown} of {n_total} {_e(what)} are shown.</p>'


def _notes(notes: list[str]) -> str:
    return "".join(f'<p class="note">{_e(n)}</p>' for n in notes)


# --------------------------------------------------------------------------- the profile
def _profile_section(p: DatasetProfile) -> str:
    kinds = ", ".join(f"{v} {k}" for k, v in p.kinds.items()) or "none"
    out = [
        "<h2>Dataset</h2>",
        _cards(
            [
                ("rows", _num(p.n_rows)),
                ("columns", _num(p.n_columns)),
                ("classes", _num(p.n_classes)),
                ("missing cells", _e(f"{p.missing_share:.1%}")),
            ]
        ),
        f"<p>Columns by type: {_e(kinds)}. Target: <code>{_e(p.target)}</code>"
        + (f", {p.n_missing_labels} row(s) without a label" if p.n_missing_labels else "")
        + ". Imbalance ratio (majority / minority): "
        + _num(p.imbalance_ratio, 3)
        + ".</p>",
    ]
    shown = p.columns[:MAX_TABLE_ROWS]
    rows = [
        [
            f"<code>{_e(c.name)}</code>",
            _e(c.kind),
            _e(c.dtype),
            _num(c.n_distinct),
            _num(c.n_missing),
            _e(f"{c.n_missing / p.n_rows:.1%}" if p.n_rows else ""),
        ]
        for c in shown
    ]
    out.append(
        "<details><summary>Columns</summary>"
        + _table(["column", "kind", "dtype", "distinct", "missing", "missing %"], rows, {3, 4, 5})
        + _more(len(shown), len(p.columns), "columns")
        + "</details>"
    )
    classes = list(p.class_counts.items())
    total = sum(p.class_counts.values()) or 1
    class_rows = [
        [f"<code>{_e(k)}</code>", _num(v), _e(f"{v / total:.1%}")]
        for k, v in classes[: plots.MAX_BARS]
    ]
    out.append(
        '<div class="grid"><div>'
        + _img(plots.class_balance_png(p.class_counts), "class balance")
        + "</div><div>"
        + _table(["class", "rows", "share"], class_rows, {1, 2})
        + _more(len(class_rows), len(classes), "classes")
        + "</div></div>"
    )
    missing = p.columns_with_missing
    if not missing:
        out.append("<p>No missing values.</p>")
    else:
        out.append(
            _img(
                plots.missing_map_png(p.missing_map, p.missing_map_columns, p.n_rows),
                "missing-value map",
            )
        )
        rows = [
            [f"<code>{_e(c.name)}</code>", _num(c.n_missing), _e(f"{c.n_missing / p.n_rows:.1%}")]
            for c in missing[:20]
        ]
        out.append(
            "<details><summary>Columns with missing values</summary>"
            + _table(["column", "missing", "share"], rows, {1, 2})
            + _more(len(rows), len(missing), "columns with missing values")
            + "</details>"
        )
    return "\n".join(out)


# --------------------------------------------------------------------------- dataset report
def _metafeatures_section(report: DatasetReport) -> str:
    if not report.metafeature_groups:
        return ""
    total = sum(len(g.values) for g in report.metafeature_groups)
    out = [
        f"<h2>Meta-features</h2><p>{total} meta-features in "
        f"{len(report.metafeature_groups)} group(s).</p>"
    ]
    for group in report.metafeature_groups:
        timing = f", {group.seconds * 1000:.0f} ms" if group.seconds is not None else ""
        rows = [
            [f"<code>{_e(n)}</code>", _num(v), _e(group.descriptions.get(n, ""))]
            for n, v in group.values.items()
        ]
        out.append(
            f"<details open><summary><b>{_e(group.name)}</b> ({len(rows)} features{timing})"
            "</summary>" + _table(["name", "value", "description"], rows, {1}) + "</details>"
        )
    return "\n".join(out)


def _prior_section(report: DatasetReport) -> str:
    info = report.prior_info
    if info is None:
        return ""
    out = [
        "<h2>The prior</h2>",
        f"<p>{_num(info.get('n_tasks'))} tasks, {_num(info.get('n_configs'))} candidate "
        f"configurations, ranking method <code>{_e(info.get('ranking_method'))}</code>, "
        f"meta-features from <code>{_e(info.get('metafeature_extractor'))}</code>.</p>",
    ]
    if report.neighbors:
        rows = [[f"<code>{_e(t)}</code>", _fixed(s)] for t, s in report.neighbors]
        out.append("<h3>Nearest tasks</h3>" + _table(["task", "similarity"], rows, {1}))
    proj = report.projection
    if proj is not None:
        out.append(
            _img(
                plots.projection_png(
                    proj.tasks, proj.points, proj.point, proj.explained, report.neighbors
                ),
                "PCA map of the prior's tasks",
            )
            + f'<p class="sub">PCA of {proj.n_features} meta-features (signed log, standardised '
            "over the prior's tasks, missing values imputed with the mean), fitted on the "
            "tasks; this dataset is projected onto the first two components.</p>"
        )
    recs = report.recommendations
    if recs:
        rows = [
            [
                str(i + 1),
                _e(r.family),
                f"<code>{_e(r.params_text)}</code>",
                _fixed(r.expected_score),
                _fixed(r.spread),
            ]
            for i, r in enumerate(recs)
        ]
        labels = [f"{i + 1}. {r.family}" for i, r in enumerate(recs)]
        out.append(
            "<h3>Recommended configurations</h3>"
            f"<p>{_WHEN_USED[report.fallback.used]} Expected score: the "
            "normalised score (1 = best candidate on a task, 0 = worst) predicted for this "
            "dataset; spread: its standard deviation over the nearest tasks.</p>"
            + _table(["#", "family", "parameters", "expected", "spread"], rows, {0, 3, 4})
            + _img(
                plots.recommendations_png(
                    labels, [r.expected_score for r in recs], [r.spread for r in recs]
                ),
                "expected scores of the recommendations",
            )
        )
    return "\n".join(out)


_WHEN_USED = {
    False: "Evaluated first by <code>AutoMetaClassifier.fit</code>.",
    True: "With the tiny-data fallback, <code>AutoMetaClassifier.fit</code> does not search "
    "and does not evaluate these; they are what the prior expects to do well.",
}


def _fallback_section(report: DatasetReport) -> str:
    fb = report.fallback
    cls = "yes" if fb.used else "no"
    return (
        "<h2>Tiny-data fallback</h2>"
        f'<p class="{cls}">The few-shot learner {_e(fb.reason)}. With '
        '<code>fewshot="auto"</code>, <code>AutoMetaClassifier</code> fits only the few-shot '
        f"learner, without a search, on training sets of at most {_num(fb.threshold)} "
        "rows.</p>"
    )


def _dataset_body(report: DatasetReport) -> str:
    p = report.profile
    parts = [
        "<h1>autometa report</h1>",
        f'<p class="sub">{_e(p.name)} &middot; target <code>{_e(p.target)}</code></p>',
        _notes(report.notes),
        _profile_section(p),
        _fallback_section(report),
        _metafeatures_section(report),
        _prior_section(report),
    ]
    return "\n".join(x for x in parts if x)


# --------------------------------------------------------------------------- fit report
def _fit_body(report: FitReport) -> str:
    board = report.leaderboard
    n_done = int((board["state"] == "complete").sum())
    p = report.profile
    budget = f" of {report.time_budget:g} s" if report.time_budget else ""
    parts = [
        "<h1>autometa fit report</h1>",
        f'<p class="sub">{_e(p.name)} &middot; target <code>{_e(p.target)}</code></p>',
        _cards(
            [
                ("best cv " + report.metric, _num(report.best_score)),
                ("best family", _e(report.best_config.get("family"))),
                ("trials (complete)", f"{len(board)} ({n_done})"),
                ("fit time", _e(f"{report.fit_time:.1f} s{budget}")),
                ("final model members", _num(len(report.ensemble_weights))),
            ]
        ),
        _notes(report.notes),
        "<h2>Best configuration</h2>",
        f"<pre><code>{_e(json.dumps(report.best_config, indent=2, default=str))}</code></pre>",
        "<h2>Anytime curve</h2>",
        _img(
            plots.anytime_png(anytime_curve(board), report.metric, report.time_budget),
            "anytime curve",
        ),
    ]
    ens = report.ensemble_table
    labels = [f"trial {t} {f}" for t, f in zip(ens["trial"], ens["family"], strict=True)]
    rows = [
        [_num(r.trial), _e(r.family), _e(r.source), _num(r.score), _num(r.weight, 3)]
        for r in ens.itertuples()
    ]
    parts += [
        "<h2>Final model</h2>",
        '<div class="grid"><div>'
        + _img(plots.ensemble_png(labels, ens["weight"].tolist()), "ensemble weights")
        + "</div><div>"
        + _table(["trial", "family", "source", "cv score", "weight"], rows, {0, 3, 4})
        + "</div></div>",
    ]
    shown = board.head(MAX_TABLE_ROWS)
    rows = [
        [
            _num(r.trial),
            _e(r.family),
            _e(r.source),
            _e(r.state),
            _num(r.score),
            _num(r.fit_time, 3),
            _num(r.finished_at, 3),
            f"<code>{_e(r.params)}</code>",
            _e(r.error),
        ]
        for r in shown.itertuples()
    ]
    parts += [
        "<h2>Leaderboard</h2>",
        _table(
            [
                "trial",
                "family",
                "source",
                "state",
                "score",
                "fit s",
                "finished at s",
                "parameters",
                "error",
            ],
            rows,
            {0, 4, 5, 6},
        ),
        _more(len(shown), len(board), "trials"),
    ]
    if report.suggestions:
        rows = [
            [
                _e(s["config"].get("family")),
                f"<code>{_e(json.dumps(s['config'].get('params', {}), sort_keys=True))}</code>",
                _fixed(s.get("expected_score")),
                _fixed(s.get("spread")),
            ]
            for s in report.suggestions
        ]
        parts += [
            "<h2>The prior's suggestions (evaluated first)</h2>",
            _table(["family", "parameters", "expected", "spread"], rows, {2, 3}),
        ]
    parts.append(_profile_section(p))
    return "\n".join(x for x in parts if x)


# --------------------------------------------------------------------------- entry points
def render_html(report: DatasetReport | FitReport) -> str:
    """The report as one self-contained HTML page (no external files or scripts)."""
    from autometa import __version__

    if isinstance(report, FitReport):
        body, title = _fit_body(report), f"autometa fit report: {report.profile.name}"
    elif isinstance(report, DatasetReport):
        body, title = _dataset_body(report), f"autometa report: {report.profile.name}"
    else:
        raise TypeError(
            f"render_html expects a DatasetReport or a FitReport. Got {type(report).__name__}."
        )
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return _PAGE.substitute(title=_e(title), body=body, version=_e(__version__), when=when)


def write_html(report: DatasetReport | FitReport, path: str | Path) -> Path:
    """Write :func:`render_html` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    return path
