"""An in-memory batch repository with the same behaviour as the SQL one.

It backs unit tests, the shipped contract suite and hosts that want to try
the service without a database. State lives in the instance; nothing is shared.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any

import attrs

from aspectfile_core.domain.errors import (
    BatchBusy,
    BatchNotFound,
    LeaseLost,
    SchemaNotFound,
)
from aspectfile_core.domain.messages import Message, as_message
from aspectfile_core.domain.model import (
    LEASE_EXPIRED_MESSAGE,
    AddResult,
    Attempt,
    Batch,
    BatchSummary,
    Contact,
    Lead,
    LeadCounts,
    LeadFailure,
    Page,
    StoredSchema,
)
from aspectfile_core.domain.status import (
    BatchStatus,
    LeadStatus,
    check_batch_transition,
    check_lead_transition,
    check_reprocess,
)
from aspectfile_core.ports import (
    BatchFilter,
    FileTarget,
    LeadRow,
    RenderOutcome,
    StoredFile,
    frozen_target,
)


@attrs.define
class _LeadRecord:
    lead: Lead
    sequence: int


class InMemoryBatchRepository:
    """A :class:`~aspectfile_core.ports.BatchRepository` that keeps everything in dictionaries."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Forget every batch, lead, attempt and schema."""
        with self._lock:
            self._batches: dict[int, Batch] = {}
            self._leads: dict[int, dict[str, _LeadRecord]] = {}
            self._attempts: dict[int, list[Attempt]] = {}
            self._schemas: dict[str, list[StoredSchema]] = {}
            self._sequences: dict[str, int] = {}
            self._batch_ids = itertools.count(1)
            self._lead_sequence = itertools.count(1)

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
        with self._lock:
            unique: dict[str, Contact] = {}
            duplicates = 0
            for contact in contacts:
                if contact.lead_id in unique:
                    duplicates += 1
                else:
                    unique[contact.lead_id] = contact

            added = 0
            touched: list[int] = []
            batch = self._open_batch(campaign_id, event_id, schema_name, bucket, now)
            present = [lead_id for lead_id in unique if lead_id in self._leads[batch.id]]
            duplicates += len(present)
            for lead_id in present:
                del unique[lead_id]

            for contact in unique.values():
                leads = self._leads[batch.id]
                if max_leads_per_batch is not None and len(leads) >= max_leads_per_batch:
                    self._batches[batch.id] = attrs.evolve(batch, is_open=False)
                    batch = self._open_batch(campaign_id, event_id, schema_name, bucket, now)
                    leads = self._leads[batch.id]

                leads[contact.lead_id] = _LeadRecord(
                    Lead(
                        batch_id=batch.id,
                        lead_id=contact.lead_id,
                        status=LeadStatus.PENDING,
                        fields=dict(contact.fields),
                        created_at=now,
                    ),
                    next(self._lead_sequence),
                )
                added += 1
                if batch.id not in touched:
                    touched.append(batch.id)

            if (
                max_leads_per_batch is not None
                and len(self._leads[batch.id]) >= max_leads_per_batch
            ):
                self._batches[batch.id] = attrs.evolve(self._batches[batch.id], is_open=False)
            if not self._leads[batch.id] and batch.id not in touched:
                self._discard_if_empty(batch.id)

            return AddResult(added=added, duplicates=duplicates, batch_ids=tuple(touched))

    def _open_batch(
        self, campaign_id: int, event_id: int, schema_name: str, bucket: str, now: dt.datetime
    ) -> Batch:
        for batch in self._batches.values():
            if batch.is_open and (batch.campaign_id, batch.event_id) == (campaign_id, event_id):
                if (batch.schema_name, batch.bucket) == (schema_name, bucket):
                    return batch
                self._batches[batch.id] = attrs.evolve(batch, is_open=False)
                break

        batch = Batch(
            id=next(self._batch_ids),
            status=BatchStatus.PENDING,
            schema_name=schema_name,
            campaign_id=campaign_id,
            event_id=event_id,
            created_at=now,
            bucket=bucket,
            is_open=True,
        )
        self._batches[batch.id] = batch
        self._leads[batch.id] = {}
        self._attempts[batch.id] = []
        return batch

    def _discard_if_empty(self, batch_id: int) -> None:
        # A batch opened only to receive duplicates is not kept.
        del self._batches[batch_id]
        del self._leads[batch_id]
        del self._attempts[batch_id]

    # Workers

    def claim(
        self, *, owner: str, now: dt.datetime, lease_expires_at: dt.datetime, limit: int
    ) -> list[Batch]:
        with self._lock:
            due = sorted(
                (
                    batch
                    for batch in self._batches.values()
                    if batch.status is BatchStatus.PENDING
                    and (batch.next_attempt_at is None or batch.next_attempt_at <= now)
                ),
                key=lambda batch: batch.id,
            )
            claimed = []
            for batch in due[:limit]:
                check_batch_transition(batch.id, batch.status, BatchStatus.GENERATING)
                updated = attrs.evolve(
                    batch,
                    status=BatchStatus.GENERATING,
                    is_open=False,
                    attempts=batch.attempts + 1,
                    lease_owner=owner,
                    lease_expires_at=lease_expires_at,
                    next_attempt_at=None,
                )
                self._batches[batch.id] = updated
                self._attempts[batch.id].append(
                    Attempt(
                        batch_id=batch.id, number=updated.attempts, started_at=now, worker=owner
                    )
                )
                claimed.append(updated)
            return claimed

    def _owned(self, batch_id: int, owner: str) -> Batch:
        batch = self._get(batch_id)
        if batch.lease_owner != owner or batch.status not in (
            BatchStatus.GENERATING,
            BatchStatus.UPLOADING,
        ):
            raise LeaseLost(batch_id, owner)
        return batch

    def renew_lease(self, batch_id: int, *, owner: str, lease_expires_at: dt.datetime) -> None:
        with self._lock:
            batch = self._owned(batch_id, owner)
            self._batches[batch_id] = attrs.evolve(batch, lease_expires_at=lease_expires_at)

    def set_file_target(self, batch_id: int, *, owner: str, target: FileTarget) -> FileTarget:
        with self._lock:
            batch = self._owned(batch_id, owner)
            frozen = frozen_target(batch)
            if frozen is not None:
                return frozen
            self._batches[batch_id] = attrs.evolve(
                batch,
                schema_version=target.schema_version,
                file_sequence=target.file_sequence,
                file_name=target.file_name,
                file_path=target.file_path,
                generated_at=target.generated_at,
            )
            return target

    def next_file_sequence(self, schema_name: str) -> int:
        with self._lock:
            if schema_name not in self._schemas:
                raise SchemaNotFound(schema_name)
            self._sequences[schema_name] = self._sequences.get(schema_name, 0) + 1
            return self._sequences[schema_name]

    def count_leads(self, batch_id: int, status: LeadStatus | None = None) -> int:
        with self._lock:
            self._get(batch_id)
            return sum(
                1
                for record in self._leads[batch_id].values()
                if status is None or record.lead.status is status
            )

    def iter_pending_leads(self, batch_id: int, *, chunk_size: int) -> Iterator[Sequence[LeadRow]]:
        with self._lock:
            self._get(batch_id)
            rows: list[LeadRow] = [
                (record.lead.lead_id, record.lead.fields)
                for record in sorted(self._leads[batch_id].values(), key=lambda r: r.sequence)
                if record.lead.status is LeadStatus.PENDING
            ]
        for start in range(0, len(rows), chunk_size):
            yield rows[start : start + chunk_size]

    def mark_uploading(
        self, batch_id: int, *, owner: str, outcome: RenderOutcome, now: dt.datetime
    ) -> None:
        with self._lock:
            batch = self._owned(batch_id, owner)
            check_batch_transition(batch_id, batch.status, BatchStatus.UPLOADING)
            self._record_failures(batch_id, outcome.failures)
            for lead_id, warnings in outcome.warnings.items():
                record = self._leads[batch_id].get(lead_id)
                if record is not None:
                    record.lead = attrs.evolve(record.lead, warnings=tuple(warnings))
            self._batches[batch_id] = attrs.evolve(
                batch, status=BatchStatus.UPLOADING, record_count=outcome.record_count
            )

    def _record_failures(self, batch_id: int, failures: Mapping[str, LeadFailure]) -> None:
        for lead_id, failure in failures.items():
            record = self._leads[batch_id].get(lead_id)
            if record is None or record.lead.status is not LeadStatus.PENDING:
                continue
            record.lead = attrs.evolve(record.lead, status=LeadStatus.FAILED, failure=failure)

    def mark_uploaded(
        self, batch_id: int, *, owner: str, stored: StoredFile, now: dt.datetime
    ) -> None:
        with self._lock:
            batch = self._owned(batch_id, owner)
            check_batch_transition(batch_id, batch.status, BatchStatus.UPLOADED)
            for record in self._leads[batch_id].values():
                if record.lead.status is LeadStatus.PENDING:
                    record.lead = attrs.evolve(record.lead, status=LeadStatus.GENERATED)
            self._batches[batch_id] = attrs.evolve(
                batch,
                status=BatchStatus.UPLOADED,
                file_url=stored.path,
                file_size=stored.size,
                file_sha256=stored.sha256,
                uploaded_at=now,
                error_message=None,
                error_detail=None,
                lease_owner=None,
                lease_expires_at=None,
            )
            self._close_attempt(batch_id, now, "uploaded", None)

    def release_for_retry(
        self,
        batch_id: int,
        *,
        owner: str,
        error: str | Message,
        next_attempt_at: dt.datetime,
        now: dt.datetime,
    ) -> None:
        detail = as_message(error)
        with self._lock:
            batch = self._owned(batch_id, owner)
            check_batch_transition(batch_id, batch.status, BatchStatus.PENDING)
            self._reset_leads(batch_id)
            self._batches[batch_id] = attrs.evolve(
                batch,
                status=BatchStatus.PENDING,
                error_message=str(detail),
                error_detail=_kept_detail(detail),
                next_attempt_at=next_attempt_at,
                lease_owner=None,
                lease_expires_at=None,
                record_count=None,
            )
            self._close_attempt(batch_id, now, "retry", detail)

    def fail(
        self,
        batch_id: int,
        *,
        owner: str,
        error: str | Message,
        now: dt.datetime,
        failures: Mapping[str, LeadFailure] | None = None,
    ) -> None:
        detail = as_message(error)
        with self._lock:
            batch = self._owned(batch_id, owner)
            check_batch_transition(batch_id, batch.status, BatchStatus.FAILED)
            self._record_failures(batch_id, failures or {})
            self._batches[batch_id] = attrs.evolve(
                batch,
                status=BatchStatus.FAILED,
                error_message=str(detail),
                error_detail=_kept_detail(detail),
                lease_owner=None,
                lease_expires_at=None,
            )
            self._close_attempt(batch_id, now, "failed", detail)

    def rescue_expired(
        self, *, now: dt.datetime, retry_at: Callable[[int], dt.datetime | None]
    ) -> list[int]:
        with self._lock:
            rescued = []
            for batch in sorted(self._batches.values(), key=lambda batch: batch.id):
                if batch.status not in (BatchStatus.GENERATING, BatchStatus.UPLOADING):
                    continue
                if batch.lease_expires_at is None or batch.has_live_lease(now):
                    continue
                error = Message(LEASE_EXPIRED_MESSAGE)
                next_attempt_at = retry_at(batch.attempts)
                target = BatchStatus.FAILED if next_attempt_at is None else BatchStatus.PENDING
                check_batch_transition(batch.id, batch.status, target)
                self._reset_leads(batch.id)
                self._batches[batch.id] = attrs.evolve(
                    batch,
                    status=target,
                    error_message=str(error),
                    error_detail=None,
                    next_attempt_at=next_attempt_at,
                    lease_owner=None,
                    lease_expires_at=None,
                    record_count=None,
                )
                self._close_attempt(batch.id, now, "lost", error)
                rescued.append(batch.id)
            return rescued

    def _reset_leads(self, batch_id: int) -> None:
        for record in self._leads[batch_id].values():
            if record.lead.status is not LeadStatus.PENDING:
                check_lead_transition(batch_id, record.lead.status, LeadStatus.PENDING)
            record.lead = attrs.evolve(
                record.lead, status=LeadStatus.PENDING, failure=None, warnings=()
            )

    def _close_attempt(
        self, batch_id: int, now: dt.datetime, outcome: str, error: Message | None
    ) -> None:
        attempts = self._attempts[batch_id]
        if attempts and attempts[-1].ended_at is None:
            attempts[-1] = attrs.evolve(
                attempts[-1],
                ended_at=now,
                outcome=outcome,
                error=None if error is None else str(error),
                error_detail=None if error is None else _kept_detail(error),
            )

    # Operators

    def reprocess(self, batch_id: int, *, now: dt.datetime, force: bool = False) -> Batch:
        with self._lock:
            batch = self._get(batch_id)
            check_reprocess(batch_id, batch.status, force=force)
            self._reset_leads(batch_id)
            updated = attrs.evolve(
                batch,
                status=BatchStatus.PENDING,
                error_message=None,
                error_detail=None,
                file_name=None,
                file_path=None,
                file_url=None,
                file_size=None,
                file_sha256=None,
                record_count=None,
                generated_at=None,
                uploaded_at=None,
                schema_version=None,
                file_sequence=None,
                attempts=0,
                next_attempt_at=None,
            )
            self._batches[batch_id] = updated
            return updated

    def delete(self, batch_id: int, *, now: dt.datetime) -> None:
        with self._lock:
            batch = self._get(batch_id)
            if batch.has_live_lease(now):
                raise BatchBusy(batch_id, "delete")
            self._remove(batch_id)

    def purge(
        self,
        *,
        created_before: dt.datetime,
        statuses: Collection[BatchStatus],
        now: dt.datetime,
        limit: int,
    ) -> list[int]:
        with self._lock:
            wanted = set(statuses)
            ids = [
                batch.id
                for batch in sorted(self._batches.values(), key=lambda batch: batch.id)
                if batch.status in wanted
                and batch.created_at < created_before
                and not batch.has_live_lease(now)
            ][:limit]
            for batch_id in ids:
                self._remove(batch_id)
            return ids

    def _remove(self, batch_id: int) -> None:
        del self._batches[batch_id]
        del self._leads[batch_id]
        del self._attempts[batch_id]

    def _get(self, batch_id: int) -> Batch:
        try:
            return self._batches[batch_id]
        except KeyError:
            raise BatchNotFound(batch_id) from None

    def _counts(self, batch_id: int) -> LeadCounts:
        pending = generated = failed = 0
        for record in self._leads[batch_id].values():
            status = record.lead.status
            if status is LeadStatus.PENDING:
                pending += 1
            elif status is LeadStatus.GENERATED:
                generated += 1
            else:
                failed += 1
        return LeadCounts(pending=pending, generated=generated, failed=failed)

    def get_batch(self, batch_id: int) -> BatchSummary:
        with self._lock:
            return BatchSummary(self._get(batch_id), self._counts(batch_id))

    def list_batches(
        self, *, page: int, per_page: int, filters: BatchFilter | None = None
    ) -> Page[BatchSummary]:
        filters = filters or BatchFilter()
        with self._lock:
            matching = [batch for batch in self._batches.values() if _matches(batch, filters)]
            matching.sort(key=lambda batch: (batch.created_at, batch.id), reverse=True)
            start = (page - 1) * per_page
            items = [
                BatchSummary(batch, self._counts(batch.id))
                for batch in matching[start : start + per_page]
            ]
            return Page(items=items, page=page, per_page=per_page, total=len(matching))

    def list_leads(
        self, batch_id: int, *, page: int, per_page: int, status: LeadStatus | None = None
    ) -> Page[Lead]:
        with self._lock:
            self._get(batch_id)
            records = sorted(self._leads[batch_id].values(), key=lambda r: r.sequence)
            leads = [r.lead for r in records if status is None or r.lead.status is status]
            start = (page - 1) * per_page
            return Page(
                items=leads[start : start + per_page],
                page=page,
                per_page=per_page,
                total=len(leads),
            )

    def list_attempts(self, batch_id: int) -> list[Attempt]:
        with self._lock:
            self._get(batch_id)
            return list(self._attempts[batch_id])

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
        with self._lock:
            versions = self._schemas.setdefault(name, [])
            if versions and versions[-1].document == document:
                return versions[-1]
            stored = StoredSchema(
                name=name,
                version=len(versions) + 1 if not versions else versions[-1].version + 1,
                document=document,
                document_format=document_format,
                created_at=versions[0].created_at if versions else now,
                updated_at=now,
                description=description,
            )
            versions.append(stored)
            return stored

    def get_schema(self, name: str, version: int | None = None) -> StoredSchema:
        with self._lock:
            versions = self._schemas.get(name)
            if not versions:
                raise SchemaNotFound(name)
            if version is None:
                return versions[-1]
            for stored in versions:
                if stored.version == version:
                    return stored
            raise SchemaNotFound(f"{name} version {version}")

    def list_schemas(self) -> list[StoredSchema]:
        with self._lock:
            return [self._schemas[name][-1] for name in sorted(self._schemas)]

    def delete_schema(self, name: str) -> None:
        with self._lock:
            if name not in self._schemas:
                raise SchemaNotFound(name)
            del self._schemas[name]
            self._sequences.pop(name, None)


def _matches(batch: Batch, filters: BatchFilter) -> bool:
    checks: list[tuple[Any, Any]] = [
        (filters.status, batch.status),
        (filters.campaign_id, batch.campaign_id),
        (filters.schema_name, batch.schema_name),
    ]
    if any(wanted is not None and wanted != actual for wanted, actual in checks):
        return False
    if filters.created_from is not None and batch.created_at < filters.created_from:
        return False
    return not (filters.created_before is not None and batch.created_at >= filters.created_before)


def _kept_detail(message: Message) -> Message | None:
    # Like the SQL adapter: a message without values is stored as its English text alone.
    return message if message.params else None
