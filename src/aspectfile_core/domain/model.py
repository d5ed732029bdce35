"""Batches, leads and the values the services pass around."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

import attrs

from aspectfile_core.domain.errors import InvalidContact
from aspectfile_core.domain.messages import N_, Message, Translate
from aspectfile_core.domain.status import BatchStatus, LeadStatus

MAX_LEAD_ID_LENGTH = 191
"""Longest lead id, in characters; 191 keeps a utf8mb4 index within MySQL's 767-byte limit."""

LEASE_EXPIRED_MESSAGE = N_("worker lost: lease expired")
"""Error recorded on a batch whose worker stopped renewing its lease."""

PAGE_SIZE = 20
"""Batches or leads per page in every list, unless a caller asks for another size."""

T = TypeVar("T")


def _error_text(detail: Message | None, message: str | None, translate: Translate) -> str | None:
    if detail is not None:
        return detail.render(translate)
    if message:
        return translate(message)  # the English text is itself a msgid for fixed messages
    return None


def normalize_lead_id(value: object) -> str:
    """Return the host's lead id as the string stored with the lead.

    An integer ``42`` and the string ``"42"`` name the same lead. Raises
    :class:`InvalidContact` for an empty, overlong or non-scalar id.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidContact(
            Message.of(
                N_("lead id {value} is not an integer or a string; pass the host's contact id"),
                value=repr(value),
            ),
            value,
        )

    text = str(value).strip()
    if not text:
        raise InvalidContact(N_("lead id is empty; every contact needs an id"), value)
    if len(text) > MAX_LEAD_ID_LENGTH:
        raise InvalidContact(
            Message.of(
                N_("lead id {start!r}... is {length} characters long; the maximum is {maximum}"),
                start=text[:40],
                length=len(text),
                maximum=MAX_LEAD_ID_LENGTH,
            ),
            value,
        )
    return text


@attrs.frozen
class Contact:
    """A contact to add to a batch: the host's lead id and its field values."""

    lead_id: str = attrs.field(converter=normalize_lead_id)
    fields: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class LeadFailure:
    """The reason a lead was left out of the file.

    :attr:`code` is a stable identifier (``missing_required``, ``invalid_phone``…)
    that operator screens translate; :attr:`message` is the English text.
    """

    code: str
    message: str
    field: str | None = None
    value: str | None = None


@attrs.frozen
class LeadWarning:
    """Something changed in a lead's value that did not stop it being written, such as a cut."""

    code: str
    message: str
    field: str | None = None


@attrs.frozen
class Lead:
    """One contact in one batch."""

    batch_id: int
    lead_id: str
    status: LeadStatus
    fields: Mapping[str, Any]
    created_at: dt.datetime
    failure: LeadFailure | None = None
    warnings: tuple[LeadWarning, ...] = ()


@attrs.frozen
class Batch:
    """A group of leads of one campaign event that becomes one file."""

    id: int
    status: BatchStatus
    schema_name: str
    campaign_id: int
    event_id: int
    created_at: dt.datetime
    bucket: str = ""
    is_open: bool = False
    """True while the batch accepts new contacts: PENDING and never claimed."""
    schema_version: int | None = None
    file_sequence: int | None = None
    file_name: str | None = None
    file_path: str | None = None
    """The file's key under the bucket: path prefix and file name."""
    file_url: str | None = None
    """The stored file's location as the store names it: a local path or a URL."""
    file_size: int | None = None
    file_sha256: str | None = None
    record_count: int | None = None
    generated_at: dt.datetime | None = None
    uploaded_at: dt.datetime | None = None
    error_message: str | None = None
    """The last error, in English, as logs and SQL queries see it."""
    error_detail: Message | None = None
    """The last error as a translatable message; see :meth:`error_text`."""
    attempts: int = 0
    """Attempts made so far; reset by a reprocess."""
    next_attempt_at: dt.datetime | None = None
    lease_owner: str | None = None
    lease_expires_at: dt.datetime | None = None

    def error_text(self, translate: Translate) -> str | None:
        """Return the last error in the language of *translate*, or None without an error."""
        return _error_text(self.error_detail, self.error_message, translate)

    def has_live_lease(self, now: dt.datetime) -> bool:
        """Return True while a worker's lease on this batch has not expired at *now*."""
        return self.lease_expires_at is not None and self.lease_expires_at > now


@attrs.frozen
class LeadCounts:
    """How many leads of a batch are in each state."""

    pending: int = 0
    generated: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.generated + self.failed


@attrs.frozen
class BatchSummary:
    """A batch with its lead counts, as shown in a list."""

    batch: Batch
    counts: LeadCounts


@attrs.frozen
class Attempt:
    """One try at generating and storing a batch."""

    batch_id: int
    number: int
    started_at: dt.datetime
    worker: str
    ended_at: dt.datetime | None = None
    outcome: str | None = None
    """``uploaded``, ``retry``, ``failed`` or ``lost``; None while running."""
    error: str | None = None
    error_detail: Message | None = None

    def error_text(self, translate: Translate) -> str | None:
        """Return the attempt's error in the language of *translate*, or None without one."""
        return _error_text(self.error_detail, self.error, translate)


@attrs.frozen
class Page(Generic[T]):
    """One page of a longer list. Page numbers start at 1."""

    items: Sequence[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Number of pages; an empty list has one empty page."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@attrs.frozen
class StoredSchema:
    """A schema document as registered: name, version and source text."""

    name: str
    version: int
    document: str
    document_format: str
    """``toml`` or ``json``."""
    created_at: dt.datetime
    updated_at: dt.datetime
    description: str = ""


@attrs.frozen
class AddResult:
    """The result of an add-contacts call."""

    added: int
    duplicates: int
    batch_ids: tuple[int, ...]
