"""The ``autometa`` command line: fit, report, meta-train, prior info, worker, demo."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="Meta-learned AutoML for tabular classification.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
prior_app = typer.Typer(help="Inspect priors.", no_args_is_help=True)
app.add_typer(prior_app, name="prior")
console = Console()


def _version(value: bool) -> None:
    if value:
        from autometa import __version__

        typer.echo(f"autometa {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Meta-learned AutoML for tabular classification."""


_errors = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> None:
    """One line on stderr, exit code 2 (a usage or data error, never a traceback)."""
    _errors.print(f"[bold red]error:[/] {' '.join(str(message).split())}", highlight=False)
    raise typer.Exit(code=2)


def _load(data: Path, target: str | None):
    from autometa.data import load_dataset

    try:
        return load_dataset(data, target)
    except (ValueError, FileNotFoundError) as exc:  # pandas' parser errors are ValueErrors
        message = str(exc) or type(exc).__name__
        if str(data) not in message:
            message = f"could not read {str(data)!r} as a data file: {message}"
        _fail(message)


def _leaderboard_table(board, n: int = 15) -> Table:
    table = Table(title=f"Leaderboard (best {min(n, len(board))} of {len(board)} trials)")
    for col in ("trial", "family", "source", "state", "score", "fit s"):
        table.add_column(col, justify="right" if col in ("trial", "score", "fit s") else "left")
    for row in board.head(n).itertuples():
        score = "" if row.score != row.score else f"{row.score:.4f}"
        table.add_row(
            str(row.trial), row.family, row.source, row.state, score, f"{row.fit_time:.2f}"
        )
    return table


def run_fit(
    X,
    y,
    *,
    time_budget: float,
    metric: str,
    out: Path | None,
    test_size: float,
    random_state: int,
    prior: str | None,
    n_trials: int | None = None,
    report: Path | None = None,
    source: str = "data",
    options: dict | None = None,
) -> None:
    """Fit with a progress bar, print the leaderboard and (with ``test_size``) a held-out score.

    With ``report``, also write the HTML report of the fit (of the training rows) there.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from sklearn.metrics import accuracy_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    from autometa import AutoMetaClassifier
    from autometa.exceptions import AutoMetaError

    X_test = y_test = None
    if test_size > 0:
        X, X_test, y, y_test = train_test_split(
            X, y, test_size=test_size, random_state=random_state, stratify=y
        )
    best = {"score": float("-inf"), "n": 0}
    with Progress(
        TextColumn("[bold]searching"),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=time_budget)
        start = time.monotonic()

        def on_trial(record) -> None:
            family = record.config["family"]
            best["n"] += 1
            if record.state == "complete" and record.score > best["score"]:
                best["score"] = record.score
            progress.update(
                task,
                completed=min(time_budget, time.monotonic() - start),
                description=f"{best['n']} trials, best {best['score']:.4f} ({family})"
                if best["score"] > float("-inf")
                else f"{best['n']} trials",
            )

        clf = AutoMetaClassifier(
            time_budget=time_budget,
            metric=metric,
            random_state=random_state,
            prior=prior,
            n_trials=n_trials,
            callback=on_trial,
            **(options or {}),
        )
        try:
            clf.fit(X, y)
        except (ValueError, AutoMetaError) as exc:  # bad data, a bad --prior path
            _fail(str(exc))
    console.print(_leaderboard_table(clf.leaderboard_))
    console.print(_final_model_line(clf, time_budget))
    if X_test is not None:
        proba = clf.predict_proba(X_test)
        pred = clf.classes_[proba.argmax(1)]
        if len(clf.classes_) == 2:
            auc = roc_auc_score(y_test == clf.classes_[1], proba[:, 1])
        else:
            auc = roc_auc_score(y_test, proba, multi_class="ovr", labels=clf.classes_)
        console.print(
            f"held-out ({len(y_test)} rows): ROC AUC [bold green]{auc:.4f}[/], "
            f"accuracy {accuracy_score(y_test, pred):.4f}"
        )
    if out is not None:
        _save(clf, out)
        console.print(f"model saved to {out}/")
    if report is not None:
        from autometa.report import describe_fit, write_html

        write_html(describe_fit(clf, X, y, name=source), report)
        console.print(f"report written to {report}")


def _score_text(metric: str, score: float) -> str:
    """A trial's score in the metric's own units: log loss as a loss (scores are negated)."""
    if metric == "log_loss":
        return f"log loss {-score:.4f}"
    return f"{metric} {score:.4f}"


def _final_model_line(clf, time_budget: float) -> str:
    """What the fitted model is: its members (trial, family, weight) and the best CV score."""
    board = clf.leaderboard_.set_index("trial")
    members = sorted(clf.ensemble_weights_.items(), key=lambda kv: -kv[1])
    if len(members) == 1:
        trial = members[0][0]
        what = f"trial {trial} [bold]{board.loc[trial, 'family']}[/]"
    else:
        what = f"ensemble of {len(members)}: " + ", ".join(
            f"{board.loc[t, 'family']} #{t} x{w:.2f}" for t, w in members
        )
    return (
        f"final model: {what}; best cv {_score_text(clf.metric_, clf.best_score_)}; "
        f"fit took {clf.fit_time_:.1f} s of a {time_budget:g} s budget"
    )


def _save(clf, out: Path) -> None:
    import pickle

    out.mkdir(parents=True, exist_ok=True)
    # The fitted estimator is pickled, as scikit-learn models are: load only files you made.
    # The progress callback belongs to this terminal session, not to the model.
    clf.set_params(callback=None)
    with open(out / "model.pkl", "wb") as fh:
        pickle.dump(clf, fh)
    clf.leaderboard_.to_csv(out / "leaderboard.csv", index=False)
    meta = {
        "best_config": clf.best_config_,
        "best_score": clf.best_score_,
        "metric": clf.metric_,
        "classes": [str(c) for c in clf.classes_],
        "ensemble_weights": {str(k): v for k, v in clf.ensemble_weights_.items()},
        "fit_time": clf.fit_time_,
    }
    (out / "summary.json").write_text(json.dumps(meta, indent=2, default=str))


@app.command()
def fit(
    data: Path = typer.Argument(..., help="A CSV, Parquet or ARFF file."),
    target: str | None = typer.Option(
        None,
        "--target",
        "-t",
        help="Class column (default: the last one).",
    ),
    time_budget: float = typer.Option(60.0, "--time-budget", "-b", help="Seconds for fit."),
    metric: str = typer.Option(
        "auto", help="auto, roc_auc, log_loss, accuracy, balanced_accuracy."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Folder to save the model and leaderboard in.",
    ),
    test_size: float = typer.Option(0.0, help="Hold out this share of rows and score on it."),
    prior: str | None = typer.Option("default", help="'default', a path, or 'none'."),
    n_trials: int | None = typer.Option(None, help="Stop after this many trials."),
    seed: int = typer.Option(0, help="Random seed."),
    report: Path | None = typer.Option(
        None,
        "--report",
        help="Also write an HTML report of the fit (leaderboard, anytime curve, ensemble).",
    ),
    families: str | None = typer.Option(
        None, help="Comma-separated model families to search (default: all that apply)."
    ),
    cv: int | None = typer.Option(
        None, help="Cross-validation folds of each trial (default: the estimator's, 5)."
    ),
    n_jobs: int | None = typer.Option(
        None, "--n-jobs", "-j", help="Threads: 1 by default, -1 for every core."
    ),
    no_ensemble: bool = typer.Option(False, "--no-ensemble", help="Keep the single best model."),
) -> None:
    """Search for the best model of DATA and save it."""
    X, y = _load(data, target)
    if not 0 <= test_size < 1:
        _fail(f"--test-size must be in [0, 1). Got {test_size}.")
    if n_jobs == 0:
        _fail("--n-jobs must be a non-zero int (-1 for every core). Got 0.")
    if cv is not None and cv < 2:
        _fail(f"--cv must be at least 2. Got {cv}.")
    options = {"n_jobs": n_jobs, "ensemble": not no_ensemble}
    if cv is not None:
        options["cv"] = cv
    if families:
        from autometa.space import FAMILIES

        names = [f.strip() for f in families.split(",") if f.strip()]
        unknown = [f for f in names if f not in FAMILIES]
        if unknown:
            _fail(f"Unknown families {unknown}; expected names among {sorted(FAMILIES)}.")
        options["families"] = names
    run_fit(
        X,
        y,
        time_budget=time_budget,
        metric=metric,
        out=out,
        test_size=test_size,
        random_state=seed,
        prior=None if prior == "none" else prior,
        n_trials=n_trials,
        report=report,
        source=data.name,
        options=options,
    )


@app.command()
def report(
    data: Path | None = typer.Argument(
        None, help="A CSV, Parquet or ARFF file (or use --openml-task)."
    ),
    target: str | None = typer.Option(
        None, "--target", "-t", help="Class column (default: the last one)."
    ),
    html: Path | None = typer.Option(
        None, "--html", help="Also write a self-contained HTML report (with plots) here."
    ),
    prior: str = typer.Option("default", help="'default', a path, or 'none'."),
    openml_task: int | None = typer.Option(
        None, "--openml-task", help="Read the data of this OpenML task (needs openml-python)."
    ),
    openml_cache: Path | None = typer.Option(
        None, "--openml-cache", help="openml-python cache directory (for --openml-task)."
    ),
    openml_server: str | None = typer.Option(
        None, "--openml-server", help="OpenML API URL (for --openml-task)."
    ),
    seed: int = typer.Option(0, help="Random seed of the meta-features."),
) -> None:
    """Describe DATA as autometa sees it, before any fit.

    Prints the dataset profile, its meta-features by group, the nearest tasks of the prior, the
    configurations the prior recommends and whether the tiny-data fallback applies; --html
    also writes all of it, with plots, as one self-contained HTML file.
    """
    from autometa.exceptions import AutoMetaError
    from autometa.report import analyze_dataset, load_openml_task, terminal_view, write_html

    if (data is None) == (openml_task is None):
        _fail("Give either a data file or --openml-task ID (one of the two).")
    if openml_task is not None:
        try:
            X, y, name = load_openml_task(openml_task, cache_dir=openml_cache, server=openml_server)
        except AutoMetaError as exc:
            _fail(str(exc))
    else:
        X, y = _load(data, target)
        name = data.name
    try:
        result = analyze_dataset(
            X, y, name=name, prior=None if prior == "none" else prior, random_state=seed
        )
    except (ValueError, AutoMetaError) as exc:
        _fail(str(exc))
    for part in terminal_view(result):
        console.print(part)
        console.print()
    if html is not None:
        write_html(result, html)
        console.print(f"HTML report written to {html}")


@app.command()
def demo(
    time_budget: float = typer.Option(30.0, "--time-budget", "-b"),
    out: Path | None = typer.Option(None, "--out", "-o"),
) -> None:
    """Fit on the dataset that ships with autometa (UCI credit-a) and score a held-out quarter."""
    from autometa.datasets import demo_path

    path = demo_path()
    console.print(
        f"autometa fit {path.name} --target class --time-budget {time_budget:g} --test-size 0.25"
    )
    X, y = _load(path, "class")
    run_fit(
        X,
        y,
        time_budget=time_budget,
        metric="auto",
        out=out,
        test_size=0.25,
        random_state=0,
        prior="default",
    )


@app.command("meta-train")
def meta_train_command(
    out: Path = typer.Option(..., "--out", "-o", help="Folder of the prior to build."),
    suite: str | None = typer.Option(None, help="OpenML suite alias or id (OpenML-CC18)."),
    tasks: str | None = typer.Option(None, help="Comma-separated OpenML task ids."),
    source: Path | None = typer.Option(
        None, help="Local folder of ARFF/CSV/Parquet files with a manifest.csv (name,file,target)."
    ),
    configs: int = typer.Option(100, "--configs", help="Candidate configurations (about)."),
    folds: int = typer.Option(3, help="Cross-validation folds per task."),
    max_rows: int = typer.Option(2000, help="Larger tasks are subsampled (stratified)."),
    time_limit: float = typer.Option(30.0, help="Seconds per fit before it counts as failed."),
    workers: int = typer.Option(1, help="Local worker processes."),
    scheduler: str | None = typer.Option(None, help="Dask scheduler address (tcp://...)."),
    store: Path | None = typer.Option(None, help="Evaluation store (SQLite); reruns resume."),
    seed: int = typer.Option(0),
) -> None:
    """Evaluate candidate configurations on many tasks and fit a prior from them.

    Resumable: run the same command again after an interruption and finished evaluations are
    kept. The raw evaluation table is saved with the prior.
    """
    from autometa.exceptions import AutoMetaError
    from autometa.metatrain import RichProgress, meta_train

    chosen = [x for x in (suite, tasks, source) if x is not None]
    if len(chosen) != 1:
        _fail("Give exactly one of --suite, --tasks or --source.")
    if suite is not None:
        src: object = f"openml:{suite}"
    elif tasks is not None:
        try:
            src = [int(t) for t in tasks.split(",") if t.strip()]
        except ValueError:
            _fail(f"--tasks must be comma-separated integers. Got {tasks!r}.")
    else:
        src = str(source)
    start = time.monotonic()
    try:
        summary = meta_train(
            src,
            out,
            store_path=store,
            n_configs=configs,
            folds=folds,
            max_rows=max_rows,
            time_limit=time_limit,
            n_workers=workers,
            scheduler=scheduler,
            progress=RichProgress(),
            random_state=seed,
        )
    except (AutoMetaError, ValueError, FileNotFoundError, ConnectionError) as exc:
        _fail(str(exc))
    console.print(f"prior written to {summary['prior']} in {time.monotonic() - start:.0f} s")
    _print_prior_info(summary["prior"])


def _print_prior_info(path: str | Path) -> None:
    from autometa.prior import prior_info

    info = prior_info(path)
    table = Table(title=f"Prior {path}", show_header=False)
    for key, value in info.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value, default=str)
            value = value if len(value) < 200 else value[:197] + "..."
        table.add_row(str(key), str(value))
    console.print(table)


@prior_app.command("info")
def prior_info_command(
    path: str = typer.Argument("default", help="A prior folder, or 'default'."),
) -> None:
    """What a prior holds: tasks, configurations, families, how and when it was built."""
    from autometa.exceptions import AutoMetaError

    try:
        _print_prior_info(path)
    except (AutoMetaError, OSError) as exc:
        _fail(str(exc))


@app.command()
def worker(
    data: Path = typer.Argument(..., help="The same data file the search was started on."),
    storage: str = typer.Option(
        ..., help="Optuna storage URL (sqlite:///x.db, postgresql://..., journal:///path/x.log)."
    ),
    study: str = typer.Option(..., "--study", help="Name of the running study."),
    target: str | None = typer.Option(None, "--target", "-t"),
    time_budget: float = typer.Option(60.0, "--time-budget", "-b"),
    n_trials: int | None = typer.Option(None, help="Stop after this many trials."),
) -> None:
    """Join a search running on a shared storage and run trials for it."""
    from autometa.exceptions import AutoMetaError
    from autometa.search import run_worker

    X, y = _load(data, target)
    try:
        result = run_worker(
            X, y, storage=storage, study_name=study, time_budget=time_budget, n_trials=n_trials
        )
    except AutoMetaError as exc:
        _fail(str(exc))
    done = [r for r in result.records if r.state == "complete"]
    best = max((r.score for r in done), default=float("nan"))
    console.print(
        f"worker ran {len(result.records)} trials ({len(done)} complete, best "
        f"{best:.4f}) for study {study!r}"
    )


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
