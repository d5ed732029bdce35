"""The ports: what the services need from the outside world.

Adapters in :mod:`aspectfile_core.adapters` implement these protocols for SQL
databases, memory and fsspec filesystems; a host may supply its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs

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
    """Where a batch's file goes, frozen at the first claim so retries write the same object."""

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
    """What generating a batch's file produced, recorded on GENERATING -> UPLOADING."""

    record_count: int
    failures: Mapping[str, LeadFailure] = attrs.field(factory=dict)
    warnings: Mapping[str, Sequence[LeadWarning]] = attrs.field(factory=dict)


@attrs.frozen
class StoredFile:
    """A file as the object store holds it."""

    path: str
    size: int
    sha256: str


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
        """Claim up to *limit* due PENDING batches, oldest first: seal them, move them to
        GENERATING under *owner*'s lease, count the attempt and open an attempt row."""
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
        error: str,
        next_attempt_at: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """Send a claimed batch back to PENDING after a transient error; its leads go back to PENDING."""
        ...

    def fail(
        self,
        batch_id: int,
        *,
        owner: str,
        error: str,
        now: dt.datetime,
        failures: Mapping[str, LeadFailure] | None = None,
    ) -> None:
        """Move a claimed batch to FAILED, optionally recording lead failures."""
        ...

    def rescue_expired(
        self, *, now: dt.datetime, max_attempts: int, next_attempt_at: dt.datetime
    ) -> list[int]:
        """Send batches whose lease expired back to PENDING (or FAILED when out of attempts)."""
        ...

    # Operators

    def reprocess(self, batch_id: int, *, now: dt.datetime, force: bool = False) -> Batch:
        """Reset a FAILED batch (or, with *force*, an UPLOADED one) to PENDING with all leads PENDING."""
        ...

    def delete(self, batch_id: int, *, now: dt.datetime) -> None:
        """Delete a batch, its leads and its attempts; refuse while a worker holds a live lease."""
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
    """Where generated files are published."""

    def store(self, local_path: Path, *, bucket: str, file_path: str) -> StoredFile:
        """Publish the local file at ``<root>/<bucket>/<file_path>`` and verify it."""
        ...

    def describe(self) -> str:
        """Return the store's root as a URL with any credentials removed."""
        ...


class ContactSource(Protocol):
    """The host's contact records, read when a file is generated."""

    def fetch(self, lead_ids: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        """Return the current field values of the given leads; absent ids keep their stored values."""
        ...
