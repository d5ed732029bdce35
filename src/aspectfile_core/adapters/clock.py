"""Clocks: the real one, and a settable one for tests and simulations."""

from __future__ import annotations

import datetime as dt
import threading


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that moves only when told to; thread-safe."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
        if self._now.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware start time")
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> dt.datetime:
        """Move the clock forward by ``datetime.timedelta(**delta)`` and return the new time."""
        with self._lock:
            self._now += dt.timedelta(**delta)
            return self._now

    def set(self, moment: dt.datetime) -> None:
        with self._lock:
            self._now = moment
