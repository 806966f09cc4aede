"""How many threads ``n_jobs`` means: scikit-learn's convention, aware of affinity and cgroups."""

from __future__ import annotations

import numbers
import os
from pathlib import Path

__all__ = ["available_cpus", "resolve_n_jobs"]


def _cgroup_cpus(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """The CPU quota of this process's cgroup, in CPUs (None when there is no limit)."""
    try:  # cgroup v2: "max 100000" or "<quota> <period>"
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota != "max" and float(period) > 0:
            return float(quota) / float(period)
        return None
    except (OSError, ValueError):
        pass
    try:  # cgroup v1
        quota = float((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = float((root / "cpu" / "cpu.cfs_period_us").read_text())
        if quota > 0 and period > 0:
            return quota / period
    except (OSError, ValueError):
        pass
    return None


def available_cpus(cgroup_root: str | Path = "/sys/fs/cgroup") -> int:
    """The cores this process may use: its CPU affinity, capped by a cgroup CPU quota."""
    if hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    else:  # pragma: no cover - macOS and Windows
        n = os.cpu_count() or 1
    quota = _cgroup_cpus(Path(cgroup_root))
    if quota is not None:
        n = min(n, max(1, int(quota)))
    return max(1, n)


def resolve_n_jobs(n_jobs: int | None, *, cpus: int | None = None) -> int:
    """The number of threads ``n_jobs`` asks for, as in scikit-learn.

    ``None`` is one thread; a positive int is that many; ``-1`` is every core the process
    may use (:func:`available_cpus`), ``-2`` all but one, and so on (never fewer than one).

    Raises
    ------
    ValueError
        If ``n_jobs`` is 0, a bool or not an int.
    """
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"n_jobs must be None or a non-zero int; got {n_jobs!r} instead.")
    if n_jobs > 0:
        return int(n_jobs)
    total = available_cpus() if cpus is None else int(cpus)
    return max(1, total + 1 + int(n_jobs))
