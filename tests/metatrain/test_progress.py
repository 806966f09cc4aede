from __future__ import annotations

import io

from autometa.metatrain import ProgressCallback, RichProgress


def test_rich_progress_counts_and_failures():
    from rich.console import Console

    out = io.StringIO()
    bar = RichProgress(console=Console(file=out, force_terminal=False, width=120))
    assert isinstance(bar, ProgressCallback)
    bar.message("preparing")
    bar.start(total=3, done=1)
    bar.update({"state": "ok"})
    bar.update({"state": "timeout"})
    task = bar._progress.tasks[0]
    assert task.completed == 3 and task.total == 3 and task.fields["failed"] == 1
    bar.finish()
    assert "3/3" in out.getvalue() and "preparing" in out.getvalue()
