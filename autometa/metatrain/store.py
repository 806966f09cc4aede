"""The evaluation store: a SQLite database that survives crashes and resumes runs.

One committed row per evaluation, keyed by ``(task, config_id, fold)``: a resumed run neither
redoes nor duplicates a finished evaluation. The store also holds the configurations (JSON),
the tasks' metadata and the run settings, so a prior can be re-fit from it alone.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from autometa.exceptions import AutoMetaError

__all__ = ["EVAL_COLUMNS", "EvalStore"]

STORE_VERSION = 2

# Columns added by version 2: CPU seconds of the fit (robust to a loaded machine) and the fit's
# peak resident memory above the worker's level before it, for budget planning.
_V2_COLUMNS = {"fit_cpu_time": "REAL", "fit_memory_mb": "REAL"}

EVAL_COLUMNS = [
    "task",
    "config_id",
    "fold",
    "state",
    "roc_auc",
    "accuracy",
    "log_loss",
    "fit_time",
    "predict_time",
    "n_train",
    "n_test",
    "error",
    "finished_at",
    "fit_cpu_time",
    "fit_memory_mb",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    name TEXT PRIMARY KEY, origin TEXT, n_rows INTEGER, n_features INTEGER,
    n_classes INTEGER, n_used INTEGER, subsampled INTEGER, data_path TEXT, added REAL
);
CREATE TABLE IF NOT EXISTS configs (
    config_id TEXT PRIMARY KEY, family TEXT NOT NULL, rank INTEGER NOT NULL,
    config TEXT NOT NULL, added REAL
);
CREATE TABLE IF NOT EXISTS evaluations (
    task TEXT NOT NULL, config_id TEXT NOT NULL, fold INTEGER NOT NULL, state TEXT NOT NULL,
    roc_auc REAL, accuracy REAL, log_loss REAL, fit_time REAL, predict_time REAL,
    n_train INTEGER, n_test INTEGER, error TEXT, finished_at REAL,
    PRIMARY KEY (task, config_id, fold)
);
CREATE TABLE IF NOT EXISTS metafeatures (
    task TEXT NOT NULL, name TEXT NOT NULL, value REAL, extractor TEXT,
    PRIMARY KEY (task, name)
);
"""


class EvalStore:
    """A SQLite evaluation store (WAL journal, one transaction per written row).

    Parameters
    ----------
    path : str or Path
        The database file (created with its folder if missing).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.path), timeout=60.0)
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise AutoMetaError(
                f"{str(self.path)!r} is not a readable evaluation store: {exc}"
            ) from exc
        version = self.get_meta("store_version")
        have = {row[1] for row in self._conn.execute("PRAGMA table_info(evaluations)")}
        with self._conn:  # version 1 -> 2: add the new columns (NULL for the old rows)
            for name, kind in _V2_COLUMNS.items():
                if name not in have:
                    self._conn.execute(f"ALTER TABLE evaluations ADD COLUMN {name} {kind}")
        if version is None or int(version) == 1:
            self.set_meta("store_version", STORE_VERSION)
        elif int(version) != STORE_VERSION:
            raise AutoMetaError(
                f"The evaluation store {str(self.path)!r} has version {version}; this version "
                f"of autometa reads version {STORE_VERSION}."
            )

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> EvalStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ meta / settings
    def get_meta(self, key: str) -> Any:
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_meta(self, key: str, value: Any) -> None:
        with self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value))
            )

    def check_settings(self, settings: Mapping[str, Any]) -> None:
        """Record the run settings, or check they match those the store was made with.

        Raises
        ------
        AutoMetaError
            If the store holds evaluations made with different settings.
        """
        stored = self.get_meta("settings")
        if stored is None:
            self.set_meta("settings", dict(settings))
            return
        diff = {k: (stored.get(k), v) for k, v in settings.items() if stored.get(k) != v}
        if diff:
            detail = ", ".join(f"{k}: store has {a!r}, asked {b!r}" for k, (a, b) in diff.items())
            raise AutoMetaError(
                f"The evaluation store {str(self.path)!r} was made with other settings "
                f"({detail}). Use the same settings to resume, or a new store."
            )

    # ------------------------------------------------------------------ tasks
    def add_task(self, record: Mapping[str, Any]) -> None:
        with self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record["name"],
                    record.get("origin", ""),
                    int(record["n_rows"]),
                    int(record["n_features"]),
                    int(record["n_classes"]),
                    int(record["n_used"]),
                    int(bool(record["subsampled"])),
                    record.get("data_path"),
                    time.time(),
                ),
            )

    def tasks(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM tasks ORDER BY added, name", self._conn)

    # ------------------------------------------------------------------ configs
    def add_configs(self, configs: Iterable[tuple[str, Mapping[str, Any], int]]) -> int:
        """Add ``(config_id, config, rank_in_family)`` triples; returns how many were new."""
        rows = [
            (cid, cfg["family"], int(rank), json.dumps(cfg, sort_keys=True), time.time())
            for cid, cfg, rank in configs
        ]
        with self._conn:
            before = self._conn.total_changes
            self._conn.executemany("INSERT OR IGNORE INTO configs VALUES (?, ?, ?, ?, ?)", rows)
            return self._conn.total_changes - before

    def configs(self) -> dict[str, dict[str, Any]]:
        """All configurations, by id, in the order of (rank in family, time added)."""
        rows = self._conn.execute(
            "SELECT config_id, config FROM configs ORDER BY rank, added, family"
        ).fetchall()
        return {cid: json.loads(text) for cid, text in rows}

    # ------------------------------------------------------------------ evaluations
    def done_keys(self) -> set[tuple[str, str, int]]:
        rows = self._conn.execute("SELECT task, config_id, fold FROM evaluations").fetchall()
        return {(t, c, int(f)) for t, c, f in rows}

    def add_result(self, record: Mapping[str, Any]) -> bool:
        """Write one evaluation (committed at once). Returns False if it was already there."""
        values = [record.get(c) for c in EVAL_COLUMNS]
        values[EVAL_COLUMNS.index("finished_at")] = record.get("finished_at") or time.time()
        with self._conn:
            cur = self._conn.execute(
                f"INSERT OR IGNORE INTO evaluations ({', '.join(EVAL_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(values))})",
                values,
            )
        return cur.rowcount == 1

    def n_evaluations(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0])

    def evaluations(self) -> pd.DataFrame:
        frame = pd.read_sql_query(
            "SELECT e.*, c.family FROM evaluations e JOIN configs c USING (config_id) "
            "ORDER BY e.finished_at",
            self._conn,
        )
        return frame

    # ------------------------------------------------------------------ meta-features
    def set_metafeatures(self, task: str, values: Mapping[str, float], extractor: str) -> None:
        with self._conn:
            self._conn.execute("DELETE FROM metafeatures WHERE task=?", (task,))
            self._conn.executemany(
                "INSERT INTO metafeatures VALUES (?, ?, ?, ?)",
                [(task, str(k), _float(v), extractor) for k, v in values.items()],
            )

    def metafeatures(self, extractor: str | None = None) -> pd.DataFrame:
        """Tasks x meta-features (only those computed by ``extractor``, if given)."""
        query, args = "SELECT task, name, value, extractor FROM metafeatures", ()
        if extractor is not None:
            query, args = query + " WHERE extractor=?", (extractor,)
        long = pd.read_sql_query(query, self._conn, params=args)
        if long.empty:
            return pd.DataFrame()
        return long.pivot(index="task", columns="name", values="value").astype("float64")


def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out and abs(out) != float("inf") else None
