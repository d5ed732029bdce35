"""The ports: what the services need from the outside world.

Adapters in :mod:`aspectfile_core.adapters` implement these protocols for SQL
databases, memory and fsspec filesystems; a host may supply its own.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs

from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.domain.model import (
    AddResult,
    Attempt,
    Batch,
    BatchSummary,
    Contact,
    Lead,
    LeadFailure,
    LeadWarning,
    Page,
    StoredSchema,
)
from aspectfile_core.domain.status import BatchStatus, LeadStatus

LeadRow = tuple[str, Mapping[str, Any]]
"""A lead as the generator reads it: the lead id and the stored field values."""


class Clock(Protocol):
    """Source of the current time."""

    def now(self) -> dt.datetime:
        """Return the current time as a timezone-aware UTC datetime."""
        ...


@attrs.frozen
class BatchFilter:
    """Criteria for a batch list; None means any."""

    status: BatchStatus | None = None
    campaign_id: int | None = None
    schema_name: str | None = None
    created_from: dt.datetime | None = None
    created_before: dt.datetime | None = None


@attrs.frozen
class FileTarget:
    """The location of a batch's file, frozen at the first claim so retries write the same object."""

    schema_version: int
    file_sequence: int
    file_name: str
    file_path: str
    generated_at: dt.datetime


def frozen_target(batch: Batch) -> FileTarget | None:
    """Return the file target a batch kept from an earlier attempt, or None before its first one."""
    if (
        batch.file_name is None
        or batch.file_path is None
        or batch.schema_version is None
        or batch.file_sequence is None
        or batch.generated_at is None
    ):
        return None
    return FileTarget(
        schema_version=batch.schema_version,
        file_sequence=batch.file_sequence,
        file_name=batch.file_name,
        file_path=batch.file_path,
        generated_at=batch.generated_at,
    )


@attrs.frozen
class RenderOutcome:
    """The result of generating a batch's file, recorded on GENERATING -> UPLOADING."""

    record_count: int
    failures: Mapping[str, LeadFailure] = attrs.field(factory=dict)
    warnings: Mapping[str, Sequence[LeadWarning]] = attrs.field(factory=dict)


@attrs.frozen
class StoredFile:
    """A file as the object store keeps it."""

    path: str
    """Where the file is, as the store names it: a local path or a URL without credentials."""
    size: int
    """Bytes stored, after compression."""
    sha256: str
    """Hex SHA-256 of the stored bytes, after compression."""
    marker_path: str | None = None
    """Where the completion marker (``.done`` or manifest) is, when one was written."""


class IfExists(enum.StrEnum):
    """What storing does when an object already exists at the file's name."""

    OVERWRITE = "overwrite"
    """Replace it. Right for a retry of the same batch, which writes the same bytes."""
    FAIL = "fail"
    """Raise a configuration error, unless the object already holds exactly this file."""
    SUFFIX = "suffix"
    """Store under the first free name among ``<stem>_1<ext>``, ``<stem>_2<ext>``, and so on."""


class CompletionMarker(enum.StrEnum):
    """What is written next to the file once it is stored and verified."""

    NONE = "none"
    """Nothing."""
    DONE = "done"
    """An empty ``<name>.done``."""
    MANIFEST = "manifest"
    """``<name>.manifest.json`` with the file's name, size, SHA-256 and record count."""


class Compression(enum.StrEnum):
    """How the file is compressed before it is stored."""

    NONE = "none"
    """Stored as generated."""
    GZIP = "gzip"
    """Stored gzip-compressed as ``<name>.gz``."""


DELIVERY_KEYS: Mapping[str, type[enum.StrEnum]] = {
    "if_exists": IfExists,
    "completion_marker": CompletionMarker,
    "compression": Compression,
}
"""The keys of a schema's ``[delivery]`` table and the enum that lists each key's values."""


def delivery_problems(table: Mapping[str, object]) -> list[tuple[str, Message]]:
    """Return ``(key, message)`` for every unknown key or value in a ``[delivery]`` table."""
    problems: list[tuple[str, Message]] = []
    for key, value in table.items():
        choices = DELIVERY_KEYS.get(key)
        if choices is None:
            known = ", ".join(DELIVERY_KEYS)
            problems.append(
                (key, Message.of(N_("unknown delivery option; use one of {known}"), known=known))
            )
            continue
        allowed = [member.value for member in choices]
        if value not in allowed:
            problems.append(
                (
                    key,
                    Message.of(
                        N_("{value} is invalid; use one of {choices}"),
                        value=repr(value),
                        choices=", ".join(allowed),
                    ),
                )
            )
    return problems


@attrs.frozen
class DeliveryOptions:
    """How a file is delivered: the policy for an existing object, the marker and compression.

    The destination's configuration gives the defaults, and a schema's
    ``[delivery]`` table may override each key (see :meth:`merged`).
    """

    if_exists: IfExists = attrs.field(default=IfExists.OVERWRITE, converter=IfExists)
    completion_marker: CompletionMarker = attrs.field(
        default=CompletionMarker.NONE, converter=CompletionMarker
    )
    compression: Compression = attrs.field(default=Compression.NONE, converter=Compression)

    def merged(self, overrides: Mapping[str, object] | None) -> DeliveryOptions:
        """Return these options with each key that *overrides* sets replaced.

        Raises :class:`ValueError` naming every unknown key or value.
        """
        if not overrides:
            return self
        problems = delivery_problems(overrides)
        if problems:
            details = "; ".join(f"{key}: {message}" for key, message in problems)
            raise ValueError(f"invalid delivery options: {details}")
        changes: dict[str, Any] = dict(overrides)
        return attrs.evolve(self, **changes)


class BatchRepository(Protocol):
    """Persistent batches, leads, attempts and schemas.

    Every method is one transaction. Methods that take ``owner`` change a
    claimed batch only while that worker still holds its lease and raise
    :class:`~aspectfile_core.LeaseLost` otherwise. Moves between states follow
    :data:`~aspectfile_core.domain.status.BATCH_TRANSITIONS`.
    """

    # Contacts

    def add_contacts(
        self,
        *,
        campaign_id: int,
        event_id: int,
        schema_name: str,
        bucket: str,
        contacts: Sequence[Contact],
        now: dt.datetime,
        max_leads_per_batch: int | None = None,
    ) -> AddResult:
        """Add contacts to the open batch of (campaign, event), creating it when there is none.

        A lead id already in the open batch is skipped and counted as a duplicate.
        """
        ...

    # Workers

    def claim(
        self, *, owner: str, now: dt.datetime, lease_expires_at: dt.datetime, limit: int
    ) -> list[Batch]:
        """Claim up to *limit* due PENDING batches, lowest id (oldest) first: seal them, move
        them to GENERATING under *owner*'s lease, count the attempt and open an attempt row.

        A batch is due when its ``next_attempt_at`` is unset or not after *now*.
        Concurrent callers never receive the same batch.
        """
        ...

    def renew_lease(self, batch_id: int, *, owner: str, lease_expires_at: dt.datetime) -> None:
        """Extend *owner*'s lease on a claimed batch."""
        ...

    def set_file_target(self, batch_id: int, *, owner: str, target: FileTarget) -> FileTarget:
        """Freeze the file name, path, schema version, sequence and generation time of a batch.

        When the batch already has a target (a retry), keep and return that one,
        so every retry renders the same bytes under the same name.
        """
        ...

    def next_file_sequence(self, schema_name: str) -> int:
        """Take the next number of the schema's file counter; numbers are never reused."""
        ...

    def count_leads(self, batch_id: int, status: LeadStatus | None = None) -> int:
        """Count the leads of a batch, optionally in one state."""
        ...

    def iter_pending_leads(self, batch_id: int, *, chunk_size: int) -> Iterator[Sequence[LeadRow]]:
        """Yield the PENDING leads of a batch in insertion order, *chunk_size* at a time."""
        ...

    def mark_uploading(
        self, batch_id: int, *, owner: str, outcome: RenderOutcome, now: dt.datetime
    ) -> None:
        """Move GENERATING -> UPLOADING, recording lead failures and warnings in bulk."""
        ...

    def mark_uploaded(
        self, batch_id: int, *, owner: str, stored: StoredFile, now: dt.datetime
    ) -> None:
        """Move UPLOADING -> UPLOADED with the file information; PENDING leads become GENERATED."""
        ...

    def release_for_retry(
        self,
        batch_id: int,
        *,
        owner: str,
        error: str | Message,
        next_attempt_at: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """Send a claimed batch back to PENDING after a transient error; its leads go back to PENDING.

        *error* is kept on the batch and on the closed attempt, as English text
        (``error_message``) and, when it is a :class:`Message`, translatable
        (``error_detail``).
        """
        ...

    def fail(
        self,
        batch_id: int,
        *,
        owner: str,
        error: str | Message,
        now: dt.datetime,
        failures: Mapping[str, LeadFailure] | None = None,
    ) -> None:
        """Move a claimed batch to FAILED, optionally recording lead failures.

        *error* is kept as :meth:`release_for_retry` keeps it.
        """
        ...

    def rescue_expired(
        self, *, now: dt.datetime, retry_at: Callable[[int], dt.datetime | None]
    ) -> list[int]:
        """Release every GENERATING or UPLOADING batch whose lease expired at or before *now*.

        ``retry_at(attempts)`` decides each batch's fate from the attempts it
        has made: a time sends it back to PENDING, due at that time; None makes
        it FAILED. Either way its leads go back to PENDING, its error becomes
        :data:`~aspectfile_core.domain.model.LEASE_EXPIRED_MESSAGE` and its open
        attempt is closed as ``lost``. Returns the ids of the released batches.
        """
        ...

    # Operators

    def reprocess(self, batch_id: int, *, now: dt.datetime, force: bool = False) -> Batch:
        """Reset a FAILED batch (or, with *force*, an UPLOADED one) to PENDING with all leads PENDING."""
        ...

    def delete(self, batch_id: int, *, now: dt.datetime) -> None:
        """Delete a batch, its leads and its attempts; refuse while a worker holds a live lease."""
        ...

    def purge(
        self,
        *,
        created_before: dt.datetime,
        statuses: Collection[BatchStatus],
        now: dt.datetime,
        limit: int,
    ) -> list[int]:
        """Delete up to *limit* batches created before *created_before* in one of *statuses*,
        with their leads and attempts, in one transaction; return their ids, lowest first.

        A batch whose lease is live at *now* is skipped, as :meth:`delete` refuses it.
        """
        ...

    def get_batch(self, batch_id: int) -> BatchSummary:
        """Return a batch with its lead counts."""
        ...

    def list_batches(
        self, *, page: int, per_page: int, filters: BatchFilter | None = None
    ) -> Page[BatchSummary]:
        """Return one page of batches, newest first, with their lead counts."""
        ...

    def list_leads(
        self, batch_id: int, *, page: int, per_page: int, status: LeadStatus | None = None
    ) -> Page[Lead]:
        """Return one page of a batch's leads in insertion order."""
        ...

    def list_attempts(self, batch_id: int) -> list[Attempt]:
        """Return a batch's attempts, first first."""
        ...

    # Schemas

    def save_schema(
        self,
        *,
        name: str,
        document: str,
        document_format: str,
        description: str,
        now: dt.datetime,
    ) -> StoredSchema:
        """Register a schema or store a new version of it; an unchanged document keeps its version."""
        ...

    def get_schema(self, name: str, version: int | None = None) -> StoredSchema:
        """Return the latest (or the given) version of a schema."""
        ...

    def list_schemas(self) -> list[StoredSchema]:
        """Return the latest version of every schema, by name."""
        ...

    def delete_schema(self, name: str) -> None:
        """Remove a schema and its versions."""
        ...


class ObjectStore(Protocol):
    """The destination where generated files are published."""

    @property
    def delivery(self) -> DeliveryOptions:
        """The destination's delivery options; a schema's ``[delivery]`` table may override them."""
        ...

    def store(
        self,
        local_path: Path,
        *,
        bucket: str,
        file_path: str,
        record_count: int,
        delivery: DeliveryOptions | None = None,
    ) -> StoredFile:
        """Publish the local file at ``<root>/<bucket>/<file_path>``, verify it, then write its marker.

        *record_count* goes into a manifest marker. *delivery* defaults to
        :attr:`delivery`. After a failure nothing this call wrote remains at
        the file's name. Raises :class:`~aspectfile_core.TransientError` when a
        retry may succeed and :class:`~aspectfile_core.ConfigurationError` when
        the setup must change first.
        """
        ...

    def describe(self) -> str:
        """Return the store's root as a URL with any credentials removed."""
        ...


class ContactSource(Protocol):
    """The host's contact records, read when a file is generated."""

    def fetch(self, lead_ids: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        """Return the current field values of the given leads; absent ids keep their stored values."""
        ...
