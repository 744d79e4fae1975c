"""The run's progress on a terminal: units checked, units/s, elapsed time and, when the total is known, ETA."""
from __future__ import annotations

from typing import Callable

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.text import Text


class _RateColumn(ProgressColumn):
    """Units per second, once Rich has measured a rate."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} 个/秒")


class RunProgress:
    """Context manager giving a `tick(done)` callback, or None when stderr is no terminal or `quiet` is set."""

    def __init__(self, console: Console, quiet: bool = False, total: int | None = None) -> None:
        self._console = console
        self._quiet = quiet
        self._total = total
        self._progress: Progress | None = None

    def __enter__(self) -> Callable[[int], None] | None:
        if self._quiet or not self._console.is_terminal:
            return None
        columns = [SpinnerColumn(), TextColumn("已检查"), MofNCompleteColumn() if self._total else
                   TextColumn("{task.completed} 个单位"), BarColumn(), _RateColumn(), TimeElapsedColumn()]
        if self._total:
            columns.append(TimeRemainingColumn())
        progress = Progress(*columns, console=self._console, transient=True)
        progress.start()
        task = progress.add_task("check", total=self._total)
        self._progress = progress
        return lambda done: progress.update(task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
