"""``python -m autometa.metatrain``: run, resume or export meta-training evaluations."""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autometa.metatrain")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run (or resume) the evaluations into a store")
    run.add_argument("--source", required=True)
    run.add_argument("--store", required=True)
    run.add_argument("--n-configs", type=int, default=100)
    run.add_argument("--folds", type=int, default=3)
    run.add_argument("--max-rows", type=int, default=2000)
    run.add_argument("--pool", choices=["sobol"], default=None)
    run.add_argument("--fidelities", type=int, nargs="*", default=[])
    run.add_argument("--max-task-rows", type=int, default=None)
    run.add_argument("--seed-from", default=None)
    run.add_argument("--split", default=None, help="only the manifest rows of this split")
    run.add_argument("--time-limit", type=float, default=30.0)
    run.add_argument("--n-workers", type=int, default=1)
    run.add_argument("--scheduler", default=None)
    run.add_argument("--random-state", type=int, default=0)
    run.add_argument("--quiet", action="store_true")
    exp = sub.add_parser("export", help="export a store's evaluation table")
    exp.add_argument("--store", required=True)
    exp.add_argument("--out", required=True)
    st = sub.add_parser("status", help="how far a store's run has got, by task size band")
    st.add_argument("--store", required=True)
    st.add_argument("--folds", type=int, default=3)
    fit = sub.add_parser("fit", help="fit a prior from a store (or a prior folder)")
    fit.add_argument("--store", required=True)
    fit.add_argument("--out", required=True)
    fit.add_argument("--method", default="auto")
    fit.add_argument("--build-command", default=None)
    args = parser.parse_args(argv)
    if args.command == "run":
        from autometa.metatrain import LocalSource, RichProgress, run_evaluations

        summary = run_evaluations(
            args.source if args.split is None else LocalSource(args.source, split=args.split),
            args.store,
            n_configs=args.n_configs,
            folds=args.folds,
            max_rows=args.max_rows,
            pool=args.pool,
            fidelities=args.fidelities,
            max_task_rows=args.max_task_rows,
            seed_from=args.seed_from,
            time_limit=args.time_limit,
            n_workers=args.n_workers,
            scheduler=args.scheduler,
            progress=None if args.quiet else RichProgress(),
            random_state=args.random_state,
        )
    elif args.command == "fit":
        from autometa.prior import fit_prior, prior_info

        fit_prior(args.store, args.out, method=args.method, build_command=args.build_command)
        info = prior_info(args.out)
        summary = {
            k: info[k]
            for k in ("n_tasks", "n_configs", "n_evaluations", "ranking_method", "size_bytes")
        }
    elif args.command == "status":
        from autometa.metatrain.status import store_status

        status = store_status(args.store, folds=args.folds)
        bands = status["bands"].astype(
            {"tasks": int, "complete": int, "cells_done": int, "cells_planned": int, "failed": int}
        )
        sys.stdout.write(bands.round(3).to_string() + "\n")
        summary = {
            **status["total"],
            "configs": status["configs"],
            "rate_per_hour": round(status["rate_per_hour"], 1),
            "eta_hours": round(status["eta_hours"], 1),
        }
    else:
        from autometa.metatrain import export_evaluations

        summary = export_evaluations(args.store, args.out)
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
