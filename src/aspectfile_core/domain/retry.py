"""When a batch that failed with a transient error is tried again."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import attrs


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be greater than 0, got {value!r}")


@attrs.frozen
class RetryPolicy:
    """Exponential backoff with jitter and a bounded number of attempts.

    The wait before attempt ``n + 1`` is drawn between half and all of
    ``min(wait_max_seconds, wait_initial_seconds * 2 ** (n - 1))``, so batches
    that failed together spread out instead of retrying together.
    """

    wait_initial_seconds: float = attrs.field(default=30.0, validator=_positive)
    wait_max_seconds: float = attrs.field(default=3600.0, validator=_positive)
    max_attempts: int = attrs.field(default=10, validator=_positive)

    def is_exhausted(self, attempts: int) -> bool:
        """Return True when *attempts* attempts leave no retry."""
        return attempts >= self.max_attempts

    def delay(self, attempts: int, rng: random.Random) -> dt.timedelta:
        """Return the wait after the *attempts*-th failed attempt."""
        exponent = max(0, attempts - 1)
        ceiling = min(self.wait_max_seconds, self.wait_initial_seconds * 2.0 ** min(exponent, 60))
        return dt.timedelta(seconds=rng.uniform(ceiling / 2, ceiling))
