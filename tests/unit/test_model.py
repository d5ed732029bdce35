"""Lead ids, pages and the retry policy."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from aspectfile_core.domain.errors import InvalidContact
from aspectfile_core.domain.model import Contact, Page, normalize_lead_id
from aspectfile_core.domain.retry import RetryPolicy
from aspectfile_core.redaction import redact


@pytest.mark.parametrize(
    ("value", "expected"),
    [(42, "42"), ("42", "42"), (" abc ", "abc"), ("é" * 191, "é" * 191)],
    ids=["int", "str", "stripped", "191-chars"],
)
def test_lead_id_accepted(value: int | str, expected: str) -> None:
    """Integer and string ids are stored as text; 191 characters is the maximum."""
    assert normalize_lead_id(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("x" * 192, "192 characters"),
        (True, "not an integer"),
        (1.5, "not an integer"),
        (None, "not an integer"),
    ],
    ids=["empty", "blank", "too-long", "bool", "float", "none"],
)
def test_lead_id_rejected(value: object, message: str) -> None:
    """Unusable ids raise InvalidContact naming the problem."""
    with pytest.raises(InvalidContact, match=message):
        normalize_lead_id(value)


def test_contact_converts_id() -> None:
    """Contact normalises its lead id on construction."""
    assert Contact(7, {}).lead_id == "7"


@pytest.mark.parametrize(
    ("total", "page", "pages", "has_next", "has_previous"),
    [
        (0, 1, 1, False, False),
        (20, 1, 1, False, False),
        (21, 1, 2, True, False),
        (21, 2, 2, False, True),
    ],
    ids=["empty", "exactly-one-page", "first-of-two", "last-of-two"],
)
def test_page_arithmetic(
    total: int, page: int, pages: int, has_next: bool, has_previous: bool
) -> None:
    """Page counts hold at the boundaries."""
    result: Page[int] = Page(items=[], page=page, per_page=20, total=total)

    assert result.pages == pages
    assert result.has_next is has_next
    assert result.has_previous is has_previous


def test_backoff_grows_to_cap() -> None:
    """Waits double per attempt, stay within [half, full] of the step, and stop at the cap."""
    policy = RetryPolicy(wait_initial_seconds=30, wait_max_seconds=3600, max_attempts=10)
    rng = random.Random(1)

    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (8, 3600), (50, 3600)]:
        wait = policy.delay(attempt, rng)
        assert dt.timedelta(seconds=ceiling / 2) <= wait <= dt.timedelta(seconds=ceiling)


def test_backoff_spreads_batches() -> None:
    """Batches failing together get different retry times."""
    policy = RetryPolicy()
    rng = random.Random(3)

    waits = {policy.delay(3, rng) for _ in range(50)}

    assert len(waits) == 50


def test_attempts_exhausted() -> None:
    """The policy is exhausted once max_attempts attempts were made."""
    policy = RetryPolicy(max_attempts=3)

    assert not policy.is_exhausted(2)
    assert policy.is_exhausted(3)


def test_policy_rejects_zero() -> None:
    """Non-positive settings are refused with their name."""
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("postgresql://app:hunter2@db/x failed", "hunter2"),
        (
            "GET /b/k?X-Amz-Signature=abcdef123&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE/2026",
            "abcdef123",
        ),
        ("key AKIAIOSFODNN7EXAMPLE rejected", "AKIAIOSFODNN7EXAMPLE"),
        ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG rejected", "wJalrXUtnFEMI"),
    ],
    ids=["url-password", "signed-query", "access-key", "named-secret"],
)
def test_redact_hides_secrets(text: str, secret: str) -> None:
    """Secrets are masked and the rest of the message stays readable."""
    cleaned = redact(text)

    assert secret not in cleaned
    assert "***" in cleaned
