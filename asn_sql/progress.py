"""Progress: the callback a run reports its steps to, and a bar on stderr that shows
itself only once a run passes a second."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich import progress as bar
    from rich.console import Console

_DELAY = 1.0

# A run calls it with the name of each step as the step starts.
Progress = Callable[[str], None]


class DelayedProgress:
    """Counts steps; starts drawing after a second, on a terminal only."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._started = time.monotonic()
        self._progress: bar.Progress | None = None
        self._task = None

    def __enter__(self) -> DelayedProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, step: str) -> None:
        """Note the step now running."""
        if self._progress is None:
            if time.monotonic() - self._started < _DELAY or not self._console.is_terminal:
                return
            # Imported here: most runs end, or write to no terminal, before a bar shows.
            from rich import progress as bar

            # a console that makes rich's own on first use (asn_sql/cli/common.py) hands it over
            console = getattr(self._console, "rich_console", lambda: self._console)()
            self._progress = bar.Progress(
                bar.SpinnerColumn(),
                bar.TextColumn("{task.description}"),
                bar.TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(step)
        assert self._task is not None
        self._progress.update(self._task, description=step)
