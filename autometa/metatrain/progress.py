"""Progress reporting for meta-training: a callback protocol and a rich progress bar."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["ProgressCallback", "RichProgress"]


@runtime_checkable
class ProgressCallback(Protocol):
    """What the runner reports to. Library code never prints; a CLI passes one of these."""

    def start(self, total: int, done: int) -> None:
        """The run has ``total`` cells, of which ``done`` were finished before it."""

    def update(self, result: dict[str, Any]) -> None:
        """One evaluation finished (``result`` is the stored row)."""

    def message(self, text: str) -> None:
        """A status line (such as the task being prepared)."""

    def finish(self) -> None:
        """The run ended (normally or not)."""


class RichProgress:
    """A rich progress bar with ETA, counting evaluations and failures.

    Parameters
    ----------
    console : rich.console.Console, optional
    """

    def __init__(self, console: Any = None) -> None:
        self.console = console
        self._progress: Any = None
        self._bar: Any = None
        self._failed = 0

    def message(self, text: str) -> None:
        if self._progress is None:
            from rich.console import Console

            (self.console or Console(stderr=True)).log(text)

    def start(self, total: int, done: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]evaluations"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self._progress.start()
        self._bar = self._progress.add_task("eval", total=total, completed=done, failed=0)

    def update(self, result: dict[str, Any]) -> None:
        if self._progress is None:
            return
        if result.get("state") != "ok":
            self._failed += 1
        self._progress.update(self._bar, advance=1, failed=self._failed)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
