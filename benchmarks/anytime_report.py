"""Tables, targets and plots of ``benchmarks/anytime.py`` from its CSV files.

python benchmarks/anytime_report.py [benchmarks/results/anytime.csv] [--write-docs PAGE]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd

BUDGETED = ["autometa_warm", "autometa_cold", "optuna_lgbm", "flaml", "autogluon"]
DEFAULTS = ["flaml_zeroshot", "lightgbm", "random_forest", "logistic_regression"]
ORDER = BUDGETED + DEFAULTS
WARM, COLD = "autometa_warm", "autometa_cold"
START, END = "<!-- anytime:start -->", "<!-- anytime:end -->"


def _label(system: str, budget: float) -> str:
    return system if system in DEFAULTS else f"{system}@{budget:g}s"


def load_results(path: Path) -> pd.DataFrame:
    """Rows of the CSV, with failed cells scored as the class-prior (constant) predictor."""
    df = pd.read_csv(path)
    df["budget"] = df["budget"].astype(float)
    const = df[df.system == "constant"].set_index(["dataset", "fold"])
    df = df[df.system != "constant"].copy()
    bad = df.status != "ok"
    for col, fallback in [("roc_auc", 0.5), ("accuracy", np.nan), ("log_loss", np.nan)]:
        sub = const[col] if col in const else pd.Series(dtype=float)
        keys = list(zip(df.dataset, df.fold, strict=True))
        imputed = np.array([sub.get(k, fallback) for k in keys], dtype=float)
        df.loc[bad, col] = imputed[bad.to_numpy()]
    return df


def same_cells(df: pd.DataFrame, budgets: list[float]) -> pd.DataFrame:
    """The rows of the (dataset, outer fold) cells where autometa warm, and every system that
    ran at one of ``budgets`` at all, ran at each of them: systems are compared on the same
    folds (a budget, or a peer, may have been run on fewer)."""
    ran = df[df.budget.isin(budgets) & df.system.isin(BUDGETED)]
    need = {(s, b) for s, b in zip(ran.system, ran.budget, strict=True)}
    need |= {(WARM, b) for b in budgets}
    have = ran.groupby(["dataset", "fold"]).apply(
        lambda g: set(zip(g.system, g.budget, strict=True)), include_groups=False
    )
    keys = [k for k, got in have.items() if need <= got]
    return df[pd.MultiIndex.from_frame(df[["dataset", "fold"]]).isin(keys)]


def _n_warm_cells(df: pd.DataFrame, budgets: list[float]) -> int:
    cells = same_cells(df, budgets)
    return len(cells[(cells.system == WARM) & (cells.budget == budgets[0])])


def per_budget(df: pd.DataFrame, budget: float) -> pd.DataFrame:
    """Dataset x system mean ROC AUC over folds at ``budget`` (defaults join every budget)."""
    df = same_cells(df, [budget])
    sub = df[(df.budget == budget) | (df.system.isin(DEFAULTS))]
    wide = sub.pivot_table(index="dataset", columns="system", values="roc_auc", aggfunc="mean")
    wide = wide[[s for s in ORDER if s in wide.columns]]
    return wide.dropna() if WARM in wide else wide.iloc[0:0]


def normalise(wide: pd.DataFrame) -> pd.DataFrame:
    lo, hi = wide.min(axis=1), wide.max(axis=1)
    span = (hi - lo).replace(0, np.nan)
    return wide.sub(lo, axis=0).div(span, axis=0).fillna(1.0)


def wtl(a: pd.Series, b: pd.Series, tie: float) -> tuple[int, int, int]:
    d = (a - b).to_numpy()
    return int((d > tie).sum()), int((np.abs(d) <= tie).sum()), int((d < -tie).sum())


def _md(table: pd.DataFrame, floatfmt: str = "{:.3f}") -> str:
    cells = [[str(c) for c in [table.index.name or ""] + list(table.columns)]]
    for idx, *row in table.itertuples():
        cells.append(
            [str(idx)]
            + [
                ("-" if np.isnan(v) else floatfmt.format(v)) if isinstance(v, float) else str(v)
                for v in row
            ]
        )
    w = [max(len(r[j]) for r in cells) for j in range(len(cells[0]))]
    lines = ["| " + " | ".join(c.ljust(x) for c, x in zip(r, w, strict=True)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (x + 2) for x in w) + "|")
    return "\n".join(lines)


def summary_tables(df: pd.DataFrame, tie: float) -> dict:
    budgets = sorted(float(b) for b in df.budget.unique() if b > 0)
    out: dict = {"budgets": budgets, "per_budget": {}, "wtl": {}, "norm": {}, "wide": {}}
    for b in budgets:
        wide = per_budget(df, b)
        if wide.empty:
            continue
        norm = normalise(wide)
        cells = same_cells(df, [b])
        sub = cells[(cells.budget == b) | cells.system.isin(DEFAULTS)]
        n_cells = len(sub[sub.system == WARM])
        g = sub.groupby("system")
        ratio = (sub.fit_time / sub.budget.where(sub.budget > 0)).groupby(sub.system)
        table = pd.DataFrame(
            {
                "norm. score": norm.mean(),
                "avg rank": wide.rank(axis=1, ascending=False).mean(),
                "ROC AUC": wide.mean(),
                "accuracy": g.accuracy.mean(),
                "log loss": g.log_loss.mean(),
                "failed": g.status.apply(lambda s: int((s != "ok").sum())),
                "median fit s": g.fit_time.median(),
                "max fit/budget": ratio.max(),
            }
        ).loc[list(wide.columns)]
        table.index.name = f"{b:g} s, {len(wide)} datasets, {n_cells} dataset folds"
        out["per_budget"][b] = table.sort_values("norm. score", ascending=False)
        out["norm"][b] = norm
        out["wide"][b] = wide
        out["wtl"][b] = {s: wtl(wide[WARM], wide[s], tie) for s in wide.columns if s != WARM}
    return out


def pooled(df: pd.DataFrame, budgets: list[float]) -> pd.DataFrame:
    """Dataset x (system, budget) normalised over every cell of a dataset (datasets with all
    ``budgets``), so scores compare across budgets."""
    df = same_cells(df, budgets)
    sub = df[df.budget.isin(budgets) | df.system.isin(DEFAULTS)]
    wide = (
        sub.pivot_table(
            index="dataset", columns=["system", "budget"], values="roc_auc", aggfunc="mean"
        )
        .dropna(axis=1, how="all")
        .dropna()
    )
    return normalise(wide)


def curves(path: Path, grid_n: int = 200) -> dict:
    """Mean normalised best-so-far validation score of warm and cold start, per budget."""
    if not path.exists():
        return {}
    c = pd.read_csv(path)
    fewshot = c[c.source == "fewshot"].groupby(["dataset", "fold", "budget"]).size().index
    c = c[c.state == "complete"].copy()
    c = c[~c.set_index(["dataset", "fold", "budget"]).index.isin(fewshot)]  # no search there
    c["t"] = c.elapsed.fillna(c.finished_at)
    out = {}
    for b, grp in c.groupby("budget"):
        t_grid = np.linspace(0, b, grid_n)
        acc = {WARM: [], COLD: []}
        stats = {WARM: [], COLD: []}
        for _, cell in grp.groupby(["dataset", "fold"]):
            parts = {s: cell[cell.system == s].sort_values("t") for s in (WARM, COLD)}
            if any(p.empty for p in parts.values()):
                continue
            best = {s: np.maximum.accumulate(p.score.to_numpy()) for s, p in parts.items()}
            lo = min(v[0] for v in best.values())
            hi = max(v[-1] for v in best.values())
            for s, p in parts.items():
                idx = np.searchsorted(p.t.to_numpy(), t_grid, side="right") - 1
                v = np.where(idx >= 0, best[s][np.clip(idx, 0, None)], lo)
                acc[s].append((v - lo) / (hi - lo) if hi > lo else np.ones_like(v))
                offset = (p.elapsed - p.finished_at).median()
                stats[s].append(
                    {"first": p.t.iloc[0], "offset": offset, "final": best[s][-1], "n": len(p)}
                )
        if acc[WARM]:
            out[b] = {
                "t": t_grid,
                "n": len(acc[WARM]),
                **{s: np.mean(v, axis=0) for s, v in acc.items()},
                "stats": {s: pd.DataFrame(v) for s, v in stats.items()},
            }
    return out


def plot(
    summary: dict, pooled_tables: list[tuple[list, pd.DataFrame]], cv: dict, results: Path
) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    if cv:
        fig, axes = plt.subplots(1, len(cv), figsize=(4.6 * len(cv), 3.6), squeeze=False)
        for ax, (b, d) in zip(axes[0], sorted(cv.items()), strict=True):
            ax.plot(d["t"], d[WARM], label="autometa warm (LODO prior)", color="C0")
            ax.plot(d["t"], d[COLD], label="autometa cold (prior=None)", color="C1")
            ax.set(
                title=f"budget {b:g} s ({d['n']} dataset-folds)",
                xlabel="seconds since fit",
                ylabel="normalised best validation score",
                ylim=(-0.02, 1.02),
            )
            ax.grid(alpha=0.3)
        axes[0][0].legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        paths.append(results / "anytime_curve.png")
        fig.savefig(paths[-1], dpi=120)
        plt.close(fig)
    if pooled_tables:
        fig, axes = plt.subplots(
            1, len(pooled_tables), figsize=(4.8 * len(pooled_tables) + 2, 4), squeeze=False
        )
        for ax, (budgets, norm) in zip(axes[0], pooled_tables, strict=True):
            mean = norm.mean()
            for i, s in enumerate(ORDER):
                if s not in mean.index.get_level_values(0):
                    continue
                m = mean[s]
                if s in DEFAULTS:
                    ax.axhline(m.iloc[0], ls="--", lw=1, color=f"C{i}", label=s)
                else:
                    ax.plot(m.index, m.to_numpy(), marker="o", color=f"C{i}", label=s)
            ax.set(
                title=f"{len(norm)} datasets, budgets {', '.join(f'{b:g}' for b in budgets)}",
                xlabel="budget (s)",
                ylabel="mean normalised ROC AUC",
                xticks=budgets,
            )
            ax.grid(alpha=0.3)
        axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        fig.tight_layout()
        paths.append(results / "anytime_budgets.png")
        fig.savefig(paths[-1], dpi=120)
        plt.close(fig)
    return paths


def report(path: Path, write_docs: str | None = None, tie: float = 0.001) -> str:
    df = load_results(path)
    s = summary_tables(df, tie)
    budgets = s["budgets"]
    lines: list[str] = []
    emit = lines.append
    emit(
        f"Results: {path.name}: {df.dataset.nunique()} datasets, folds "
        f"{sorted(df.fold.unique().tolist())}, budgets {budgets}; ROC AUC on the outer test "
        "fold (OvR macro for multiclass); failed cells scored as the class-prior predictor."
    )
    for b, table in s["per_budget"].items():
        emit(
            f"\n#### Budget {b:g} s: normalised ROC AUC (1 = best system on a dataset, "
            "0 = worst), mean over datasets\n"
        )
        emit(_md(table))
    for b in s["per_budget"]:
        wide = per_budget(df, b)
        wide.columns = [
            c.replace("autometa_", "am_")
            .replace("logistic_regression", "logreg")
            .replace("random_forest", "rf")
            .replace("flaml_zeroshot", "flaml_0shot")
            for c in wide.columns
        ]
        wide.index.name = "dataset"
        emit(f"\n<details><summary>Per-dataset ROC AUC at {b:g} s</summary>\n")
        emit(_md(wide, "{:.4f}"))
        emit("\n</details>")
    emit(f"\n#### Wins / ties / losses of autometa_warm (ROC AUC, tie = within {tie:g})\n")
    peers = [p for p in ORDER if p != WARM and any(p in w for w in s["wtl"].values())]
    wtl_table = pd.DataFrame(
        {
            f"{b:g} s": {p: "{}/{}/{}".format(*w[p]) if p in w else "-" for p in peers}
            for b, w in s["wtl"].items()
        }
    )
    wtl_table.index.name = "peer"
    emit(_md(wtl_table))
    sets = []
    common = [
        b
        for b in budgets
        if (_n_warm_cells(df, [b]) == len(df[df.system == WARM].groupby(["dataset", "fold"])))
    ]
    for bs in ([common] if common else []) + ([budgets] if budgets != common else []):
        norm = pooled(df, bs)
        if norm.empty:
            continue
        sets.append((bs, norm))
        m = norm.mean().unstack("budget")
        m.columns = [f"{c:g} s" if c > 0 else "no budget" for c in m.columns]
        m = m.reindex([o for o in ORDER if o in m.index])
        m.index.name = f"{len(norm)} datasets"
        n_cells = _n_warm_cells(df, bs)
        emit(
            f"\n#### Normalised over all systems and budgets together "
            f"(budgets {', '.join(f'{b:g}' for b in bs)}; {n_cells} dataset folds)\n"
        )
        emit(_md(m.map(lambda v: float(v) if pd.notna(v) else "-")))
    emit("\n#### Targets\n")
    emit(_targets(s, sets, budgets))
    cpath = path.with_name(path.stem + "_curves.csv")
    cv = curves(cpath)
    if cpath.exists():
        c = pd.read_csv(cpath)
        few = sorted(set(c[c.source == "fewshot"].dataset))
        if few:
            emit(
                f"\nautometa took its tiny-data rule (the few-shot learner, no search) on "
                f"{len(few)} dataset(s), warm and cold alike: {', '.join(few)}; the anytime "
                "curve below leaves them out."
            )
    if cv:
        emit("\n#### Anytime: mean normalised best validation score, warm vs cold start\n")
        rows = {}
        for b, d in sorted(cv.items()):
            for t in [1, 2, 5, 10, 20, 30, 60]:
                if t <= b:
                    i = int(np.searchsorted(d["t"], t, side="right") - 1)
                    rows[(f"{b:g} s", f"{t} s")] = {"warm": d[WARM][i], "cold": d[COLD][i]}
            st = d["stats"]
            rows[(f"{b:g} s", "first model (median s)")] = {
                k: float(st[x]["first"].median()) for k, x in [("warm", WARM), ("cold", COLD)]
            }
            rows[(f"{b:g} s", "search starts after (median s)")] = {
                k: float(st[x]["offset"].median()) for k, x in [("warm", WARM), ("cold", COLD)]
            }
            rows[(f"{b:g} s", "completed trials (median)")] = {
                k: float(st[x]["n"].median()) for k, x in [("warm", WARM), ("cold", COLD)]
            }
            w, c = st[WARM]["final"].to_numpy(), st[COLD]["final"].to_numpy()
            rows[(f"{b:g} s", "final validation: warm better/equal/worse")] = {
                "warm": f"{(w > c + 1e-9).sum()}/{(np.abs(w - c) <= 1e-9).sum()}/"
                f"{(w < c - 1e-9).sum()}",
                "cold": "",
            }
        t = pd.DataFrame(rows).T
        t.index = [f"{a}: {b}" for a, b in t.index]
        t.index.name = "budget: time since fit"
        emit(_md(t))
    results = path.parent
    pngs = plot(s, sets, cv, results)
    emit("\nPlots: " + ", ".join(str(p.name) for p in pngs))
    text = "\n".join(lines)
    print(text, flush=True)
    if write_docs:
        _write_docs(Path(write_docs), text, pngs)
    return text


def _wilcoxon(a: pd.Series, b: pd.Series) -> str:
    """Two-sided Wilcoxon signed-rank p-value of the per-dataset ROC AUC differences."""
    from scipy.stats import wilcoxon

    d = (a - b).to_numpy()
    if np.count_nonzero(d) < 2:
        return "p = -"
    return f"p = {wilcoxon(d).pvalue:.2f}"


def _targets(s: dict, sets: list, budgets: list[float]) -> str:
    out = []
    for bs, norm in sets[::-1]:  # the target's 60 s first; then the largest common budget
        m = norm.mean()
        hi = 60.0 if 60.0 in bs else max(bs)
        if (WARM, 10.0) in m.index and ("optuna_lgbm", hi) in m.index:
            a, b = m[(WARM, 10.0)], m[("optuna_lgbm", hi)]
            tag = "" if hi == 60.0 else f" (datasets without 60 s runs: {hi:g} s stands in)"
            out.append(
                f"- autometa warm at 10 s ({a:.3f}) >= Optuna TPE LightGBM at {hi:g} s "
                f"({b:.3f}), {len(norm)} datasets{tag}: "
                f"{'HOLDS' if a >= b else 'DOES NOT HOLD'}"
            )
    for b in budgets:
        table, w = s["per_budget"].get(b), s["wtl"].get(b, {})
        if table is None:
            continue
        if "flaml" in table.index:
            a, f = table.loc[WARM, "norm. score"], table.loc["flaml", "norm. score"]
            win, tie, loss = w["flaml"]
            ok = a > f and win > loss
            out.append(
                f"- {b:g} s: autometa warm beats FLAML AutoML: normalised {a:.3f} vs "
                f"{f:.3f}, W/T/L {win}/{tie}/{loss}, Wilcoxon on ROC AUC "
                f"{_wilcoxon(s['wide'][b][WARM], s['wide'][b]['flaml'])}: "
                f"{'HOLDS' if ok else 'DOES NOT HOLD'}"
            )
        if COLD in table.index:
            a, c = table.loc[WARM, "norm. score"], table.loc[COLD, "norm. score"]
            win, tie, loss = w[COLD]
            out.append(
                f"- {b:g} s: warm start beats cold start: normalised {a:.3f} vs {c:.3f}, "
                f"W/T/L {win}/{tie}/{loss}, Wilcoxon on ROC AUC "
                f"{_wilcoxon(s['wide'][b][WARM], s['wide'][b][COLD])}: "
                f"{'HOLDS' if a > c else 'DOES NOT HOLD'}"
            )
    return "\n".join(out)


def _write_docs(page: Path, text: str, pngs: list[Path]) -> None:
    # mkdocs serves files under docs/ only: the plots are copied next to the page
    import shutil

    (page.parent / "img").mkdir(exist_ok=True)
    rel = []
    for p in pngs:
        shutil.copyfile(p, page.parent / "img" / p.name)
        rel.append(Path("img") / p.name)
    body = "\n".join(
        [START, text.split("\nPlots:")[0], ""]
        + [f"![{p.stem}]({p.as_posix()})" for p in rel]
        + [END]
    )
    old = page.read_text(encoding="utf-8") if page.exists() else "# Benchmarks\n"
    if START in old and END in old:
        new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: body, old, flags=re.S)
    else:
        new = old.rstrip("\n") + "\n\n## Anytime performance against peers\n\n" + body + "\n"
    page.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "csv", nargs="?", default=str(Path(__file__).resolve().parent / "results" / "anytime.csv")
    )
    ap.add_argument("--write-docs", default=None)
    ap.add_argument("--tie", type=float, default=0.001)
    a = ap.parse_args()
    report(Path(a.csv), a.write_docs, a.tie)
