"""The progress display of ``aspectfile-run process``: leads processed of the batch's total."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO

import click

Translate = Callable[[str], str]

LINE_INTERVAL_SECONDS = 10.0
"""Seconds between two progress lines when the output is not a terminal."""


class ProgressDisplay:
    """Shows the leads processed per batch: a progress bar on a terminal, a line every
    :data:`LINE_INTERVAL_SECONDS` otherwise, and a last line or full bar when a batch ends.

    Pass an instance as the ``progress`` callback of
    :meth:`~aspectfile_core.services.BatchService.process`, then call :meth:`close`.
    """

    def __init__(
        self,
        _: Translate,
        output: TextIO,
        *,
        interactive: bool | None = None,
        interval_seconds: float = LINE_INTERVAL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ = _
        self.output = output
        self.interactive = output.isatty() if interactive is None else interactive
        self.interval_seconds = interval_seconds
        self.monotonic = monotonic
        self._batch_id: int | None = None
        self._bar: Any = None
        self._shown = 0
        self._last_line_at = 0.0

    def __call__(self, batch_id: int, written: int, total: int) -> None:
        if batch_id != self._batch_id:
            self.close()
            self._start(batch_id, total)
        if self._bar is not None:
            self._bar.update(written - self._shown)
            self._shown = written
        elif written >= total or self.monotonic() - self._last_line_at >= self.interval_seconds:
            self._write_line(batch_id, written, total)
        if written >= total:
            self.close()

    def close(self) -> None:
        """End the current batch's bar, if one is shown."""
        if self._bar is not None:
            self._bar.render_finish()
        self._bar = None
        self._batch_id = None
        self._shown = 0

    def _start(self, batch_id: int, total: int) -> None:
        self._batch_id = batch_id
        self._last_line_at = self.monotonic()
        if not self.interactive:
            return
        self._bar = click.progressbar(
            length=max(total, 1),
            label=self._("Batch {batch}").format(batch=batch_id),
            show_pos=True,
            file=self.output,
        )
        self._bar.render_progress()

    def _write_line(self, batch_id: int, written: int, total: int) -> None:
        self._last_line_at = self.monotonic()
        click.echo(
            self._("Batch {batch}: leads processed: {written} of {total}.").format(
                batch=batch_id, written=written, total=total
            ),
            file=self.output,
        )
