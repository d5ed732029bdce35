"""The batch service: every use case the CLI, the web admin and host code call."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import random
import socket
import tempfile
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from aspectfile_core import schema as schemas
from aspectfile_core.domain.errors import (
    AspectFileError,
    ConfigurationError,
    InvalidContact,
    LeaseLost,
    SchemaError,
    TransientError,
)
from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.domain.model import (
    AddResult,
    Attempt,
    Batch,
    BatchSummary,
    Contact,
    Lead,
    Page,
    StoredSchema,
)
from aspectfile_core.domain.retry import RetryPolicy
from aspectfile_core.domain.status import BatchStatus, LeadStatus
from aspectfile_core.ports import (
    BatchFilter,
    BatchRepository,
    Clock,
    ContactSource,
    FileTarget,
    LeadRow,
    ObjectStore,
    RenderOutcome,
    frozen_target,
)
from aspectfile_core.redaction import redact

logger = logging.getLogger(__name__)


def _positive_int(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1, got {value!r}")


def _positive_seconds(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be greater than 0 seconds, got {value!r}")


DEFAULT_PURGE_STATUSES: frozenset[BatchStatus] = frozenset(
    {BatchStatus.UPLOADED, BatchStatus.FAILED}
)
"""States :meth:`BatchService.purge` deletes by default: those no worker touches again."""

PURGE_CHUNK_SIZE = 100
"""Default number of batches :meth:`BatchService.purge` deletes per transaction."""

MAX_PURGE_CHUNK_SIZE = 500
"""Largest purge chunk: the ids of one chunk go into one IN (...) list."""


@attrs.frozen
class ServiceSettings:
    """Tunable behaviour of the batch service."""

    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    lease_seconds: float = attrs.field(default=300.0, validator=_positive_seconds)
    """How long a claim stays valid without a renewal; workers renew every third of it."""
    chunk_size: int = attrs.field(default=500, validator=_positive_int)
    """Leads read from the database per round trip while generating.

    Small chunks are faster, because a chunk of 5,000 leads lives long enough
    for the garbage collector to move its objects to the oldest generation.
    Generating 100,000 leads from SQLite took 1.43 s with 5,000 and 1.02 s with
    500 (CPython 3.11, the benchmark's delimited schema, one 2-core machine)."""
    max_leads_per_batch: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(_positive_int)
    )
    """When set, a full open batch is sealed and the next contact opens a new one."""
    default_bucket: str = ""


@attrs.frozen
class ProcessReport:
    """The outcome of one ``process`` call, by batch id."""

    uploaded: tuple[int, ...] = ()
    retried: tuple[int, ...] = ()
    failed: tuple[int, ...] = ()
    lost: tuple[int, ...] = ()
    """Batches whose lease this worker lost while it worked on them."""
    rescued: tuple[int, ...] = ()
    """Batches of dead workers sent back to PENDING or FAILED before processing."""

    @property
    def all_uploaded(self) -> bool:
        return not (self.retried or self.failed or self.lost)


@attrs.define
class _ProcessTally:
    uploaded: list[int] = attrs.Factory(list)
    retried: list[int] = attrs.Factory(list)
    failed: list[int] = attrs.Factory(list)
    lost: list[int] = attrs.Factory(list)


def default_worker_id() -> str:
    """Return an owner token that names this host and process, unique per call."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class BatchService:
    """Adds contacts to batches, turns batches into stored files, and serves operators."""

    def __init__(
        self,
        repository: BatchRepository,
        store: ObjectStore,
        clock: Clock,
        *,
        settings: ServiceSettings | None = None,
        contact_source: ContactSource | None = None,
        rng: random.Random | None = None,
        worker_id: Callable[[], str] = default_worker_id,
        temp_dir: Path | None = None,
    ) -> None:
        self.repository = repository
        self.store = store
        self.clock = clock
        self.settings = settings or ServiceSettings()
        self.contact_source = contact_source
        self._rng = rng or random.Random()
        self._worker_id = worker_id
        self._temp_dir = temp_dir

    # Contacts

    def add_contact(
        self,
        *,
        campaign_id: int,
        event_id: int,
        schema_name: str,
        lead_id: int | str,
        fields: Mapping[str, Any] | None = None,
        bucket: str | None = None,
    ) -> AddResult:
        """Put one contact into the open batch of (campaign, event)."""
        return self.add_contacts(
            campaign_id=campaign_id,
            event_id=event_id,
            schema_name=schema_name,
            contacts=[Contact(lead_id, dict(fields or {}))],
            bucket=bucket,
        )

    def add_contacts(
        self,
        *,
        campaign_id: int,
        event_id: int,
        schema_name: str,
        contacts: Iterable[Contact],
        bucket: str | None = None,
    ) -> AddResult:
        """Put many contacts into the open batch of (campaign, event) in one transaction.

        The schema must be registered. A lead id already in the open batch is
        skipped and counted in :attr:`AddResult.duplicates`.
        """
        _check_id(N_("campaign id"), campaign_id)
        _check_id(N_("event id"), event_id)
        self.repository.get_schema(schema_name)

        return self.repository.add_contacts(
            campaign_id=campaign_id,
            event_id=event_id,
            schema_name=schema_name,
            bucket=self.settings.default_bucket if bucket is None else bucket,
            contacts=list(contacts),
            now=self.clock.now(),
            max_leads_per_batch=self.settings.max_leads_per_batch,
        )

    # Schemas

    def register_schema(self, document: str, document_format: str) -> StoredSchema:
        """Validate a schema document and store it under its name, as a new version when changed."""
        parsed = schemas.parse_schema(document, document_format)  # type: ignore[arg-type]  # parse_schema validates the format name
        return self.repository.save_schema(
            name=parsed.name,
            document=document,
            document_format=document_format,
            description=parsed.description,
            now=self.clock.now(),
        )

    def register_schema_file(self, path: Path) -> StoredSchema:
        """Validate the schema file at *path* and store it."""
        _, text, document_format = schemas.load_schema_file(path)
        return self.register_schema(text, document_format)

    def get_schema(self, name: str, version: int | None = None) -> StoredSchema:
        return self.repository.get_schema(name, version)

    def list_schemas(self) -> list[StoredSchema]:
        return self.repository.list_schemas()

    def delete_schema(self, name: str) -> None:
        self.repository.delete_schema(name)

    # Processing

    def recover(self) -> list[int]:
        """Send batches whose worker died (lease expired) back to PENDING, or to FAILED
        when they have used all their attempts; return their ids.

        Each rescued batch gets its own backoff, drawn from the retry policy
        for the attempts it has made, so batches that lost their workers
        together do not all come due at the same moment.
        """
        now = self.clock.now()
        retry = self.settings.retry

        def retry_at(attempts: int) -> dt.datetime | None:
            if retry.is_exhausted(attempts):
                return None
            return now + retry.delay(attempts, self._rng)

        rescued = self.repository.rescue_expired(now=now, retry_at=retry_at)
        for batch_id in rescued:
            logger.warning(
                "AspectFile: Rescued batch %s: worker lost: lease expired",
                batch_id,
                extra={"batch_id": batch_id, "action": "batch_rescued"},
            )
        return rescued

    def process(
        self,
        limit: int | None = None,
        *,
        deadline: dt.datetime | None = None,
        progress: Callable[[int, int, int], None] | None = None,
        stop: threading.Event | None = None,
    ) -> ProcessReport:
        """Claim and process pending batches one at a time.

        Stops after *limit* batches, when none is due, once *deadline* has
        passed, or once *stop* is set; the batch in hand is finished first.
        *progress* is called with (batch id, leads written, leads in the batch)
        as generation advances.
        """
        rescued = self.recover()
        tally = _ProcessTally()
        handled = 0

        while limit is None or handled < limit:
            if deadline is not None and self.clock.now() >= deadline:
                break
            if stop is not None and stop.is_set():
                break

            owner = self._worker_id()
            now = self.clock.now()
            claimed = self.repository.claim(
                owner=owner, now=now, lease_expires_at=self._lease_expiry(now), limit=1
            )
            if not claimed:
                break

            handled += 1
            self._process_claimed(claimed[0], owner, tally, progress)

        return ProcessReport(
            uploaded=tuple(tally.uploaded),
            retried=tuple(tally.retried),
            failed=tuple(tally.failed),
            lost=tuple(tally.lost),
            rescued=tuple(rescued),
        )

    def _lease_expiry(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(seconds=self.settings.lease_seconds)

    def _process_claimed(
        self,
        batch: Batch,
        owner: str,
        tally: _ProcessTally,
        progress: Callable[[int, int, int], None] | None,
    ) -> None:
        logger.info(
            "AspectFile: Processing batch %s (schema %s, campaign %s, event %s, attempt %s)",
            batch.id,
            batch.schema_name,
            batch.campaign_id,
            batch.event_id,
            batch.attempts,
            extra={"batch_id": batch.id, "action": "batch_processing"},
        )
        try:
            with self._lease_keeper(batch.id, owner):
                self._generate_and_store(batch, owner, progress)
        except LeaseLost:
            logger.warning(
                "AspectFile: Batch processing failed: batch %s lease lost; another worker owns it",
                batch.id,
                extra={"batch_id": batch.id, "action": "batch_lease_lost"},
            )
            tally.lost.append(batch.id)
            return
        except ConfigurationError as error:
            self._fail(batch, owner, error, tally)
            return
        except TransientError as error:
            self._retry_or_fail(batch, owner, error, tally)
            return
        except Exception as error:  # an unexpected error must not stop the worker; it is retried within the attempt budget
            logger.exception(
                "AspectFile: Batch processing failed: batch %s: unexpected error",
                batch.id,
                extra={"batch_id": batch.id, "action": "batch_unexpected_error"},
            )
            self._retry_or_fail(batch, owner, error, tally)
            return

        tally.uploaded.append(batch.id)

    def _generate_and_store(
        self,
        batch: Batch,
        owner: str,
        progress: Callable[[int, int, int], None] | None,
    ) -> None:
        stored_schema = self.repository.get_schema(batch.schema_name, batch.schema_version)
        schema = schemas.parse_schema(stored_schema.document, stored_schema.document_format)  # type: ignore[arg-type]  # stored documents were validated when registered
        target = self._file_target(batch, owner, stored_schema, schema)
        variables = self._variables(batch, target)
        total = self.repository.count_leads(batch.id, LeadStatus.PENDING)

        with tempfile.TemporaryDirectory(prefix="aspectfile-", dir=self._temp_dir) as work_dir:
            local_path = Path(work_dir) / Path(target.file_name).name
            chunks = self._lead_chunks(batch.id, total, progress)
            with local_path.open("wb") as out:
                result = schemas.render_file(schema, chunks, out, variables)
            self._verify(schema, local_path, result.record_count)

            outcome = result.to_outcome()
            try:
                schemas.check_batch_policies(schema, result)
            except schemas.BatchPolicyError as error:
                raise BatchRejected(error.detail, outcome) from error
            self.repository.mark_uploading(
                batch.id, owner=owner, outcome=outcome, now=self.clock.now()
            )
            stored = self.store.store(
                local_path,
                bucket=batch.bucket,
                file_path=target.file_path,
                record_count=outcome.record_count,
                delivery=self.store.delivery.merged(schema.delivery),
            )

        self.repository.mark_uploaded(batch.id, owner=owner, stored=stored, now=self.clock.now())
        logger.info(
            "AspectFile: Batch %s uploaded to %s (%s records, %s bytes, %s leads failed)",
            batch.id,
            stored.path,
            outcome.record_count,
            stored.size,
            len(outcome.failures),
            extra={"batch_id": batch.id, "action": "batch_uploaded"},
        )

    def _file_target(
        self, batch: Batch, owner: str, stored_schema: StoredSchema, schema: schemas.Schema
    ) -> FileTarget:
        frozen = frozen_target(batch)
        if frozen is not None:
            return frozen

        generated_at = self.clock.now()
        sequence = self.repository.next_file_sequence(batch.schema_name)
        variables = schemas.BatchVariables(
            batch_id=batch.id,
            campaign_id=batch.campaign_id,
            event_id=batch.event_id,
            schema=batch.schema_name,
            schema_version=stored_schema.version,
            created_at=batch.created_at,
            generated_at=generated_at,
            file_sequence=sequence,
        )
        prefix, file_name = schemas.render_location(schema, variables)
        file_path = f"{prefix}/{file_name}" if prefix else file_name
        return self.repository.set_file_target(
            batch.id,
            owner=owner,
            target=FileTarget(
                schema_version=stored_schema.version,
                file_sequence=sequence,
                file_name=file_name,
                file_path=file_path,
                generated_at=generated_at,
            ),
        )

    @staticmethod
    def _variables(batch: Batch, target: FileTarget) -> schemas.BatchVariables:
        return schemas.BatchVariables(
            batch_id=batch.id,
            campaign_id=batch.campaign_id,
            event_id=batch.event_id,
            schema=batch.schema_name,
            schema_version=target.schema_version,
            created_at=batch.created_at,
            generated_at=target.generated_at,
            file_sequence=target.file_sequence,
        )

    def _lead_chunks(
        self,
        batch_id: int,
        total: int,
        progress: Callable[[int, int, int], None] | None,
    ) -> Iterator[Sequence[LeadRow]]:
        written = 0
        for chunk in self.repository.iter_pending_leads(
            batch_id, chunk_size=self.settings.chunk_size
        ):
            if self.contact_source is not None:
                chunk = self._with_current_fields(chunk)
            yield chunk
            written += len(chunk)
            if progress is not None:
                progress(batch_id, written, total)

    def _with_current_fields(self, chunk: Sequence[LeadRow]) -> list[LeadRow]:
        assert self.contact_source is not None
        current = self.contact_source.fetch([lead_id for lead_id, _ in chunk])
        merged: list[LeadRow] = []
        for lead_id, stored_fields in chunk:
            fresh = current.get(lead_id)
            merged.append((lead_id, {**stored_fields, **fresh} if fresh else stored_fields))
        return merged

    @staticmethod
    def _verify(schema: schemas.Schema, path: Path, record_count: int) -> None:
        try:
            schemas.verify_file(schema, path, record_count)
        except schemas.FileFormatError as error:
            # Retrying renders the same bytes, so this needs a person, like a configuration error.
            raise ConfigurationError(
                Message.of(
                    N_(
                        "the generated file failed verification against schema {schema!r}: "
                        "{problem}; nothing was stored. Please report this with the schema document"
                    ),
                    schema=schema.name,
                    problem=str(error),
                )
            ) from error

    def _fail(self, batch: Batch, owner: str, error: AspectFileError, tally: _ProcessTally) -> None:
        detail = _redacted_detail(error)
        message = str(detail)
        failures = error.outcome.failures if isinstance(error, BatchRejected) else None
        logger.error(
            "AspectFile: Batch processing failed: batch %s: %s",
            batch.id,
            message,
            extra={"batch_id": batch.id, "action": "batch_failed"},
        )
        try:
            self.repository.fail(
                batch.id, owner=owner, error=detail, now=self.clock.now(), failures=failures
            )
        except LeaseLost:
            tally.lost.append(batch.id)
            return
        tally.failed.append(batch.id)

    def _retry_or_fail(
        self, batch: Batch, owner: str, error: BaseException, tally: _ProcessTally
    ) -> None:
        detail = _redacted_detail(error)
        message = str(detail)
        retry = self.settings.retry
        now = self.clock.now()
        try:
            if retry.is_exhausted(batch.attempts):
                final = Message.of(
                    N_("{detail} (gave up after {attempts} attempts)"),
                    detail=detail,
                    attempts=batch.attempts,
                )
                logger.error(
                    "AspectFile: Batch processing failed: batch %s: %s",
                    batch.id,
                    final,
                    extra={"batch_id": batch.id, "action": "batch_failed"},
                )
                self.repository.fail(batch.id, owner=owner, error=final, now=now)
                tally.failed.append(batch.id)
                return

            next_attempt_at = now + retry.delay(batch.attempts, self._rng)
            logger.warning(
                "AspectFile: Batch processing failed: batch %s: %s; retrying after %s",
                batch.id,
                message,
                next_attempt_at.isoformat(timespec="seconds"),
                extra={"batch_id": batch.id, "action": "batch_retry"},
            )
            self.repository.release_for_retry(
                batch.id, owner=owner, error=detail, next_attempt_at=next_attempt_at, now=now
            )
            tally.retried.append(batch.id)
        except LeaseLost:
            tally.lost.append(batch.id)

    @contextlib.contextmanager
    def _lease_keeper(self, batch_id: int, owner: str) -> Iterator[None]:
        """Renew *owner*'s lease on a background thread while the body runs."""
        stop = threading.Event()
        interval = self.settings.lease_seconds / 3

        def renew() -> None:
            while not stop.wait(interval):
                try:
                    self.repository.renew_lease(
                        batch_id, owner=owner, lease_expires_at=self._lease_expiry(self.clock.now())
                    )
                except LeaseLost:
                    logger.warning(
                        "AspectFile: Lease on batch %s lost; stopping renewals",
                        batch_id,
                        extra={"batch_id": batch_id, "action": "lease_lost"},
                    )
                    return
                except AspectFileError as error:
                    logger.warning(
                        "AspectFile: Lease renewal of batch %s failed: %s; trying again",
                        batch_id,
                        redact(str(error)),
                        extra={"batch_id": batch_id, "action": "lease_renewal_failed"},
                    )

        thread = threading.Thread(target=renew, name=f"aspectfile-lease-{batch_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    # Operators

    def reprocess(self, batch_id: int, *, force: bool = False) -> Batch:
        """Send a FAILED batch (or, with *force*, an UPLOADED one) back to PENDING with all its leads."""
        logger.info(
            "AspectFile: Resetting batch leads of batch %s",
            batch_id,
            extra={"batch_id": batch_id, "action": "batch_reprocess"},
        )
        return self.repository.reprocess(batch_id, now=self.clock.now(), force=force)

    def delete(self, batch_id: int) -> None:
        """Delete a batch with its leads and attempts."""
        self.repository.delete(batch_id, now=self.clock.now())
        logger.info(
            "AspectFile: Deleted batch %s",
            batch_id,
            extra={"batch_id": batch_id, "action": "batch_deleted"},
        )

    def purge(
        self,
        *,
        older_than: dt.timedelta,
        statuses: Collection[BatchStatus] | None = None,
        chunk_size: int = PURGE_CHUNK_SIZE,
    ) -> int:
        """Delete batches created more than *older_than* ago, with their leads and attempts.

        Only batches in *statuses* go, by default :data:`DEFAULT_PURGE_STATUSES`.
        A batch a worker holds a live lease on is never deleted. Each
        transaction deletes at most *chunk_size* batches, so a large purge
        never holds locks for long. Returns the number of batches deleted.
        """
        if older_than < dt.timedelta(0):
            raise ValueError(f"older_than {older_than} is invalid; use 0 or more")
        if not 1 <= chunk_size <= MAX_PURGE_CHUNK_SIZE:
            raise ValueError(f"chunk_size {chunk_size} is invalid; use 1 to {MAX_PURGE_CHUNK_SIZE}")
        wanted = frozenset(DEFAULT_PURGE_STATUSES if statuses is None else statuses)
        if not wanted:
            raise ValueError("statuses is empty; name at least one batch state to purge")

        now = self.clock.now()
        created_before = now - older_than
        deleted = 0
        while True:
            ids = self.repository.purge(
                created_before=created_before, statuses=wanted, now=now, limit=chunk_size
            )
            deleted += len(ids)
            if ids:
                logger.info(
                    "AspectFile: Purged %s batches (ids %s to %s) created before %s",
                    len(ids),
                    ids[0],
                    ids[-1],
                    created_before.isoformat(timespec="seconds"),
                    extra={"action": "batches_purged"},
                )
            if len(ids) < chunk_size:
                return deleted

    def list_batches(
        self, page: int = 1, *, per_page: int = 20, filters: BatchFilter | None = None
    ) -> Page[BatchSummary]:
        """Return one page of batches, newest first, with lead counts."""
        _check_page(page, per_page)
        return self.repository.list_batches(page=page, per_page=per_page, filters=filters)

    def get_batch(self, batch_id: int) -> BatchSummary:
        return self.repository.get_batch(batch_id)

    def list_leads(
        self,
        batch_id: int,
        page: int = 1,
        *,
        per_page: int = 20,
        status: LeadStatus | None = None,
    ) -> Page[Lead]:
        _check_page(page, per_page)
        return self.repository.list_leads(batch_id, page=page, per_page=per_page, status=status)

    def list_attempts(self, batch_id: int) -> list[Attempt]:
        return self.repository.list_attempts(batch_id)


class BatchRejected(ConfigurationError):
    """A batch-level policy of the schema rejected the generated file; :attr:`outcome` keeps the lead failures."""

    def __init__(self, message: str | Message, outcome: RenderOutcome) -> None:
        self.outcome = outcome
        super().__init__(message)


def _redacted_detail(error: BaseException) -> Message:
    if isinstance(error, AspectFileError):
        return error.detail.map_text(redact) if error.detail.params else Message(redact(str(error)))
    return Message(redact(str(error) or type(error).__name__))


def _check_id(label: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidContact(
            Message.of(
                N_("{label} {value} is invalid; use a positive integer"),
                label=Message(label),
                value=repr(value),
            ),
            value,
        )


def _check_page(page: int, per_page: int) -> None:
    if page < 1:
        raise ValueError(f"page {page} is invalid; pages start at 1")
    if not 1 <= per_page <= 1000:
        raise ValueError(f"per_page {per_page} is invalid; use 1 to 1000")


__all__ = [
    "DEFAULT_PURGE_STATUSES",
    "BatchRejected",
    "BatchService",
    "ProcessReport",
    "SchemaError",
    "ServiceSettings",
]
