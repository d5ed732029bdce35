"""The progress display of ``aspectfile-run process``."""

from __future__ import annotations

import io

from aspectfile_core.cli.progress import ProgressDisplay


class Terminal(io.StringIO):
    """A text stream that says it is a terminal, as click checks before drawing a bar."""

    def isatty(self) -> bool:
        return True


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def identity(message: str) -> str:
    return message


def test_lines_every_interval_when_not_a_terminal() -> None:
    """Without a terminal, a line is written once the interval has passed and when the batch ends."""
    output = io.StringIO()
    ticks = Ticks()
    display = ProgressDisplay(identity, output, interval_seconds=10, monotonic=ticks)

    display(7, 5_000, 20_000)
    ticks.now = 4
    display(7, 10_000, 20_000)
    ticks.now = 11
    display(7, 15_000, 20_000)
    ticks.now = 12
    display(7, 20_000, 20_000)
    display.close()

    assert output.getvalue().splitlines() == [
        "Batch 7: leads processed: 15000 of 20000.",
        "Batch 7: leads processed: 20000 of 20000.",
    ]


def test_new_batch_starts_its_own_count() -> None:
    """Each batch gets its own lines, the last one when all its leads are written."""
    output = io.StringIO()
    display = ProgressDisplay(identity, output, interval_seconds=10, monotonic=Ticks())

    display(1, 3, 3)
    display(2, 2, 5)
    display(2, 5, 5)

    assert output.getvalue().splitlines() == [
        "Batch 1: leads processed: 3 of 3.",
        "Batch 2: leads processed: 5 of 5.",
    ]


def test_bar_on_a_terminal_shows_position() -> None:
    """On a terminal, a bar labelled with the batch shows leads processed of the total."""
    output = Terminal()
    display = ProgressDisplay(identity, output, monotonic=Ticks())

    display(3, 500, 1_000)
    display(3, 1_000, 1_000)

    shown = output.getvalue()
    assert "Batch 3" in shown
    assert "1000/1000" in shown
    assert shown.endswith("\n")
    assert "leads processed" not in shown


def test_empty_batch_bar_finishes() -> None:
    """A batch without pending leads still draws and ends its bar."""
    output = Terminal()
    display = ProgressDisplay(identity, output, monotonic=Ticks())

    display(4, 0, 0)

    assert "Batch 4" in output.getvalue()
    assert output.getvalue().endswith("\n")
