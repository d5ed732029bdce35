"""The batch repository on SQLAlchemy Core."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import random
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from aspectfile_core.adapters.sql.contact_json import decode_fields, encode_fields
from aspectfile_core.adapters.sql.engine import READ_ONLY
from aspectfile_core.adapters.sql.errors import configuration_problem
from aspectfile_core.adapters.sql.tables import DEFAULT_TABLES, Tables
from aspectfile_core.domain.errors import (
    BatchBusy,
    BatchNotFound,
    ConfigurationError,
    IllegalTransition,
    LeaseLost,
    SchemaNotFound,
    TransientError,
)
from aspectfile_core.domain.messages import N_, Message, as_message
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
    LeadWarning,
    Page,
    StoredSchema,
)
from aspectfile_core.domain.status import (
    BatchStatus,
    LeadStatus,
    batch_sources,
    check_batch_transition,
    check_reprocess,
    lead_sources,
)
from aspectfile_core.ports import (
    BatchFilter,
    FileTarget,
    LeadRow,
    RenderOutcome,
    StoredFile,
    frozen_target,
)
from aspectfile_core.redaction import redact

logger = logging.getLogger(__name__)

LOOKUP_CHUNK = 500
"""Ids per IN (...) list; keeps every statement well under each driver's parameter limit."""

OPEN_BATCH_PASSES = 5
"""Times add_contacts looks for, or inserts, the open batch before it gives up."""

DEADLOCK_RETRIES = 8
"""Times a transaction is run before a deadlock reaches the caller as a TransientError."""

DEADLOCK_WAIT_SECONDS = 0.02
"""Base of the jittered, doubling wait before a transaction is rerun after a deadlock."""

_DEADLOCK_CODES = {1213, 1205, "40P01", "40001"}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class SqlBatchRepository:
    """A :class:`~aspectfile_core.ports.BatchRepository` on one SQLAlchemy engine.

    Every public method runs in its own transaction. Database errors are
    translated here: lost connections and deadlocks that persist become
    :class:`TransientError`; missing tables become :class:`ConfigurationError`.
    """

    def __init__(self, engine: sa.Engine, tables: Tables = DEFAULT_TABLES) -> None:
        self.engine = engine
        self.tables = tables
        self._dialect = engine.dialect.name
        self._skip_locked = self._dialect in ("postgresql", "mysql", "mariadb")

    # Setup

    def create_tables(self) -> None:
        """Create any missing table straight from :attr:`tables`, without migrations.

        Meant for tests and throwaway databases: a database made this way has
        no migration history, which :func:`~aspectfile_core.adapters.sql.upgrade_database`
        adds the first time it runs. Installations use ``upgrade_database``.
        """
        with self._errors():
            self.tables.metadata.create_all(self.engine)

    # Transactions and error translation

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sa.exc.OperationalError as error:
            if _is_missing_table(error):
                raise _tables_missing(error) from error
            problem = configuration_problem(error, self.engine.url)
            if problem is not None:
                raise problem from error
            raise TransientError(
                Message.of(N_("database unavailable: {detail}"), detail=_describe(error))
            ) from error
        except sa.exc.ProgrammingError as error:
            if _is_missing_table(error):
                raise _tables_missing(error) from error
            raise
        except sa.exc.InterfaceError as error:
            raise TransientError(
                Message.of(N_("database connection failed: {detail}"), detail=_describe(error))
            ) from error

    def _write(self, work: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``work(connection, ...)`` in a write transaction, rerunning it after a deadlock.

        The database rolls the whole victim transaction back, so running
        *work* again from the start is safe.
        """
        for attempt in range(1, DEADLOCK_RETRIES + 1):
            try:
                with self._errors(), self.engine.begin() as connection:
                    return work(connection, *args, **kwargs)
            except TransientError as error:
                if not _is_deadlock(error.__cause__) or attempt == DEADLOCK_RETRIES:
                    raise
                logger.info(
                    "AspectFile: Transaction chosen as deadlock victim; rerunning (%s of %s)",
                    attempt,
                    DEADLOCK_RETRIES,
                    extra={"action": "deadlock_retry"},
                )
                # Jitter keeps the transactions that deadlocked together from colliding again.
                time.sleep(random.uniform(0, DEADLOCK_WAIT_SECONDS * 2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self._errors(), self.engine.connect() as connection:
            connection = connection.execution_options(**READ_ONLY)
            with connection.begin():
                yield connection

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
        result: AddResult = self._write(
            self._add_contacts,
            campaign_id,
            event_id,
            schema_name,
            bucket,
            contacts,
            now,
            max_leads_per_batch,
        )
        return result

    def _add_contacts(
        self,
        connection: sa.Connection,
        campaign_id: int,
        event_id: int,
        schema_name: str,
        bucket: str,
        contacts: Sequence[Contact],
        now: dt.datetime,
        max_leads_per_batch: int | None,
    ) -> AddResult:
        unique: dict[str, Contact] = {}
        duplicates = 0
        for contact in contacts:
            if contact.lead_id in unique:
                duplicates += 1
            else:
                unique[contact.lead_id] = contact

        batch_id, size, created = self._open_batch(
            connection, campaign_id, event_id, schema_name, bucket, now
        )
        if not created and unique:
            present = self._present_lead_ids(connection, batch_id, list(unique))
            duplicates += len(present)
            for lead_id in present:
                del unique[lead_id]

        pending = list(unique.values())
        touched: list[int] = []
        while pending:
            room = len(pending) if max_leads_per_batch is None else max_leads_per_batch - size
            if room <= 0:
                self._seal(connection, batch_id, now)
                batch_id, size, _ = self._open_batch(
                    connection, campaign_id, event_id, schema_name, bucket, now
                )
                continue
            portion, pending = pending[:room], pending[room:]
            self._insert_leads(connection, batch_id, portion, now)
            size += len(portion)
            touched.append(batch_id)

        if max_leads_per_batch is not None and size >= max_leads_per_batch:
            self._seal(connection, batch_id, now)
        if created and not touched:
            connection.execute(
                sa.delete(self.tables.batches).where(self.tables.batches.c.id == batch_id)
            )

        return AddResult(added=len(unique), duplicates=duplicates, batch_ids=tuple(touched))

    def _open_batch(
        self,
        connection: sa.Connection,
        campaign_id: int,
        event_id: int,
        schema_name: str,
        bucket: str,
        now: dt.datetime,
    ) -> tuple[int, int, bool]:
        """Return (id, lead count, created) of the open batch, creating it when there is none.

        Two transactions may both find no open batch and both insert one. The
        unique (campaign, event, open_slot) constraint lets one insert through;
        the other looks again, and by then a claim may already have sealed the
        winner's batch, so it may have to insert after all. Every pass ends
        with some transaction's batch committed, so a few passes suffice.
        """
        for _ in range(OPEN_BATCH_PASSES):
            found = self._find_open_batch(
                connection, campaign_id, event_id, schema_name, bucket, now
            )
            if found is not None:
                return found[0], found[1], False
            created = self._insert_open_batch(
                connection, campaign_id, event_id, schema_name, bucket, now
            )
            if created is not None:
                return created, 0, True
        raise TransientError(
            Message.of(
                N_(
                    "no open batch for campaign {campaign}, event {event} after {tries} tries, "
                    "because concurrent claims kept sealing the new ones; add the contacts again"
                ),
                campaign=campaign_id,
                event=event_id,
                tries=OPEN_BATCH_PASSES,
            )
        )

    def _find_open_batch(
        self,
        connection: sa.Connection,
        campaign_id: int,
        event_id: int,
        schema_name: str,
        bucket: str,
        now: dt.datetime,
    ) -> tuple[int, int] | None:
        """Return (id, lead count) of the open batch, locked; None when there is none to use."""
        batches = self.tables.batches
        query = sa.select(batches.c.id, batches.c.schema_name, batches.c.bucket).where(
            batches.c.campaign_id == campaign_id,
            batches.c.event_id == event_id,
            batches.c.open_slot == 1,
        )
        if self._skip_locked:
            query = query.with_for_update()
        row = connection.execute(query).first()
        if row is None:
            return None
        if (row.schema_name, row.bucket) == (schema_name, bucket):
            return row.id, self._lead_count(connection, row.id)

        # The campaign step now uses another schema or bucket: the old batch
        # keeps its leads and settings, new contacts start a new batch.
        self._seal(connection, row.id, now)
        return None

    def _insert_open_batch(
        self,
        connection: sa.Connection,
        campaign_id: int,
        event_id: int,
        schema_name: str,
        bucket: str,
        now: dt.datetime,
    ) -> int | None:
        """Insert a new open batch and return its id; None when another transaction opened one."""
        values = {
            "status": BatchStatus.PENDING.value,
            "schema_name": schema_name,
            "campaign_id": campaign_id,
            "event_id": event_id,
            "bucket": bucket,
            "open_slot": 1,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        try:
            with connection.begin_nested():
                inserted = connection.execute(sa.insert(self.tables.batches).values(**values))
        except sa.exc.IntegrityError:
            return None
        primary_key = inserted.inserted_primary_key
        assert primary_key is not None
        return int(primary_key[0])

    def _seal(self, connection: sa.Connection, batch_id: int, now: dt.datetime) -> None:
        batches = self.tables.batches
        connection.execute(
            sa.update(batches)
            .where(batches.c.id == batch_id)
            .values(open_slot=None, updated_at=now)
        )

    def _lead_count(self, connection: sa.Connection, batch_id: int) -> int:
        leads = self.tables.leads
        count = connection.scalar(
            sa.select(sa.func.count()).select_from(leads).where(leads.c.batch_id == batch_id)
        )
        return int(count or 0)

    def _present_lead_ids(
        self, connection: sa.Connection, batch_id: int, lead_ids: list[str]
    ) -> set[str]:
        leads = self.tables.leads
        if self._dialect == "postgresql":
            return self._present_lead_ids_postgresql(connection, batch_id, lead_ids)
        present: set[str] = set()
        for start in range(0, len(lead_ids), LOOKUP_CHUNK):
            chunk = lead_ids[start : start + LOOKUP_CHUNK]
            present.update(
                connection.scalars(
                    sa.select(leads.c.lead_id).where(
                        leads.c.batch_id == batch_id, leads.c.lead_id.in_(chunk)
                    )
                )
            )
        return present

    def _present_lead_ids_postgresql(
        self, connection: sa.Connection, batch_id: int, lead_ids: list[str]
    ) -> set[str]:
        """Return the given lead ids already in the batch, in one query that probes the unique index.

        PostgreSQL has no statistics for a batch id newer than its last
        ANALYZE, so it estimates a new batch at a few rows. For ``lead_id IN
        (...)`` it then reads every lead of the batch through the status
        index, about 0.25 s per 500 ids once the batch holds 850,000 leads.
        Joining an unnested array instead makes it look each id up in the
        (batch_id, lead_id) index, about 2 ms per 500 ids (PostgreSQL 15).
        """
        leads = self.tables.leads
        candidates = (
            sa.func.unnest(sa.literal(lead_ids, postgresql.ARRAY(sa.Text)))
            .table_valued("lead_id")
            .render_derived()
        )
        query = sa.select(leads.c.lead_id).select_from(
            candidates.join(
                leads,
                sa.and_(leads.c.batch_id == batch_id, leads.c.lead_id == candidates.c.lead_id),
            )
        )
        return set(connection.scalars(query))

    def _insert_leads(
        self,
        connection: sa.Connection,
        batch_id: int,
        contacts: Sequence[Contact],
        now: dt.datetime,
    ) -> None:
        # The rows go to the driver's executemany ready-made: SQLAlchemy's
        # per-row parameter processing took as long as SQLite's own insert
        # (profiled with 100,000 rows). The shared values go through their
        # column types once.
        dialect = connection.dialect
        sql, names = _lead_insert_sql(self.tables.leads, dialect)
        created_at = self.tables.leads.c.created_at.type.dialect_impl(dialect).bind_processor(
            dialect
        )
        shared = {
            "batch_id": batch_id,
            "status": LeadStatus.PENDING.value,
            "created_at": created_at(now) if created_at is not None else now,
        }
        rows: list[Any]
        if names is None:
            rows = [
                {**shared, "lead_id": contact.lead_id, "fields": encode_fields(contact.fields)}
                for contact in contacts
            ]
        else:
            template = [shared.get(name) for name in names]
            lead_at, fields_at = names.index("lead_id"), names.index("fields")
            rows = []
            for contact in contacts:
                row = template.copy()
                row[lead_at] = contact.lead_id
                row[fields_at] = encode_fields(contact.fields)
                rows.append(tuple(row))
        connection.exec_driver_sql(sql, rows)

    # Workers

    def claim(
        self, *, owner: str, now: dt.datetime, lease_expires_at: dt.datetime, limit: int
    ) -> list[Batch]:
        claimed: list[Batch] = self._write(self._claim, owner, now, lease_expires_at, limit)
        return claimed

    def _claim(
        self,
        connection: sa.Connection,
        owner: str,
        now: dt.datetime,
        lease_expires_at: dt.datetime,
        limit: int,
    ) -> list[Batch]:
        batches = self.tables.batches
        check_batch_transition(None, BatchStatus.PENDING, BatchStatus.GENERATING)
        due = sa.select(batches.c.id).where(
            batches.c.status == BatchStatus.PENDING.value,
            sa.or_(batches.c.next_attempt_at.is_(None), batches.c.next_attempt_at <= now),
        )
        # Lowest id first follows the (status, id) claim index, so a locking
        # read stops after *limit* rows instead of sorting, and locking, every
        # PENDING row first.
        due = due.order_by(batches.c.id).limit(limit)
        claimed_values = {
            "status": BatchStatus.GENERATING.value,
            "open_slot": None,
            "attempts": batches.c.attempts + 1,
            "lease_owner": owner,
            "lease_expires_at": lease_expires_at,
            "next_attempt_at": None,
            "updated_at": now,
        }

        if self._dialect == "postgresql":
            rows = self._claim_in_one_statement(connection, due, claimed_values)
        else:
            rows = self._claim_selected(connection, due, claimed_values, owner)
        if not rows:
            return []

        connection.execute(
            sa.insert(self.tables.attempts),
            [
                {"batch_id": row.id, "number": row.attempts, "worker": owner, "started_at": now}
                for row in rows
            ],
        )
        return sorted((_batch(row) for row in rows), key=lambda batch: batch.id)

    def _claim_in_one_statement(
        self, connection: sa.Connection, due: sa.Select[Any], values: Mapping[str, Any]
    ) -> list[sa.Row[Any]]:
        # The ids are chosen in a CTE, which PostgreSQL evaluates once. Written
        # as "WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)" the
        # subquery may run again per row and update more than n batches.
        batches = self.tables.batches
        picked = due.with_for_update(skip_locked=True).cte("picked")
        return list(
            connection.execute(
                sa.update(batches)
                .where(batches.c.id == picked.c.id)
                .values(**values)
                .returning(*batches.c)
            ).all()
        )

    def _claim_selected(
        self,
        connection: sa.Connection,
        due: sa.Select[Any],
        values: Mapping[str, Any],
        owner: str,
    ) -> list[sa.Row[Any]]:
        # MySQL and MariaDB skip rows other claims hold; SQLite needs no row
        # locks because BEGIN IMMEDIATE already gave this transaction the
        # database's only write lock.
        batches = self.tables.batches
        if self._skip_locked:
            due = due.with_for_update(skip_locked=True)
        ids = list(connection.scalars(due))
        if not ids:
            return []

        update = (
            sa.update(batches)
            .where(batches.c.id.in_(ids), batches.c.status == BatchStatus.PENDING.value)
            .values(**values)
        )
        if self.engine.dialect.update_returning:
            return list(connection.execute(update.returning(*batches.c)).all())
        connection.execute(update)
        return list(
            connection.execute(
                sa.select(batches).where(batches.c.id.in_(ids), batches.c.lease_owner == owner)
            ).all()
        )

    def _change_owned(
        self,
        connection: sa.Connection,
        batch_id: int,
        owner: str,
        to_state: BatchStatus | None,
        values: Mapping[str, Any],
    ) -> None:
        """Update a claimed batch only if *owner* still holds it and the move is legal."""
        batches = self.tables.batches
        sources = (
            batch_sources(to_state)
            if to_state is not None
            else frozenset({BatchStatus.GENERATING, BatchStatus.UPLOADING})
        )
        claimed_states = {BatchStatus.GENERATING.value, BatchStatus.UPLOADING.value}
        allowed = [state.value for state in sources if state.value in claimed_states]
        changed = connection.execute(
            sa.update(batches)
            .where(
                batches.c.id == batch_id,
                batches.c.lease_owner == owner,
                batches.c.status.in_(allowed),
            )
            .values(**values)
        ).rowcount
        if changed == 1:
            return

        row = connection.execute(
            sa.select(batches.c.status, batches.c.lease_owner).where(batches.c.id == batch_id)
        ).first()
        if row is None:
            raise BatchNotFound(batch_id)
        if row.lease_owner != owner:
            raise LeaseLost(batch_id, owner)
        if to_state is not None:
            check_batch_transition(batch_id, BatchStatus(row.status), to_state)
        raise IllegalTransition(batch_id, row.status, to_state.value if to_state else row.status)

    def renew_lease(self, batch_id: int, *, owner: str, lease_expires_at: dt.datetime) -> None:
        self._write(
            self._change_owned, batch_id, owner, None, {"lease_expires_at": lease_expires_at}
        )

    def set_file_target(self, batch_id: int, *, owner: str, target: FileTarget) -> FileTarget:
        result: FileTarget = self._write(self._set_file_target, batch_id, owner, target)
        return result

    def _set_file_target(
        self, connection: sa.Connection, batch_id: int, owner: str, target: FileTarget
    ) -> FileTarget:
        batch = self._load(connection, batch_id)
        frozen = frozen_target(batch)
        if frozen is not None:
            return frozen
        self._change_owned(
            connection,
            batch_id,
            owner,
            None,
            {
                "schema_version": target.schema_version,
                "file_sequence": target.file_sequence,
                "file_name": target.file_name,
                "file_path": target.file_path,
                "generated_at": target.generated_at,
            },
        )
        return target

    def next_file_sequence(self, schema_name: str) -> int:
        sequence: int = self._write(self._next_file_sequence, schema_name)
        return sequence

    def _next_file_sequence(self, connection: sa.Connection, schema_name: str) -> int:
        schemas = self.tables.schemas
        changed = connection.execute(
            sa.update(schemas)
            .where(schemas.c.name == schema_name)
            .values(file_sequence=schemas.c.file_sequence + 1)
        ).rowcount
        if changed != 1:
            raise SchemaNotFound(schema_name)
        sequence = connection.scalar(
            sa.select(schemas.c.file_sequence).where(schemas.c.name == schema_name)
        )
        return int(sequence or 0)

    def count_leads(self, batch_id: int, status: LeadStatus | None = None) -> int:
        leads = self.tables.leads
        query = sa.select(sa.func.count()).select_from(leads).where(leads.c.batch_id == batch_id)
        with self._read() as connection:
            batch = self._load(connection, batch_id)
            if status is not None:
                query = query.where(leads.c.status.in_(_stored_statuses(batch.status, status)))
            return int(connection.scalar(query) or 0)

    def iter_pending_leads(self, batch_id: int, *, chunk_size: int) -> Iterator[Sequence[LeadRow]]:
        leads = self.tables.leads
        query = (
            sa.select(leads.c.lead_id, leads.c.fields)
            .where(leads.c.batch_id == batch_id, leads.c.status == LeadStatus.PENDING.value)
            .order_by(leads.c.id)
        )
        loads = decode_fields
        with self._errors(), self.engine.connect() as connection:
            connection = connection.execution_options(
                stream_results=True, yield_per=chunk_size, **READ_ONLY
            )
            with connection.begin():
                result = connection.execute(query)
                for partition in result.partitions(chunk_size):
                    yield [(lead_id, loads(fields)) for lead_id, fields in partition]

    def mark_uploading(
        self, batch_id: int, *, owner: str, outcome: RenderOutcome, now: dt.datetime
    ) -> None:
        self._write(self._mark_uploading, batch_id, owner, outcome, now)

    def _mark_uploading(
        self,
        connection: sa.Connection,
        batch_id: int,
        owner: str,
        outcome: RenderOutcome,
        now: dt.datetime,
    ) -> None:
        self._change_owned(
            connection,
            batch_id,
            owner,
            BatchStatus.UPLOADING,
            {
                "status": BatchStatus.UPLOADING.value,
                "record_count": outcome.record_count,
                "updated_at": now,
            },
        )
        self._record_failures(connection, batch_id, outcome.failures)
        self._record_warnings(connection, batch_id, outcome.warnings)

    def _record_failures(
        self, connection: sa.Connection, batch_id: int, failures: Mapping[str, LeadFailure]
    ) -> None:
        """Mark the given PENDING leads FAILED with their reasons, one statement per chunk.

        Each chunk is one UPDATE whose CASE expressions pick every lead's own
        reason, because an executemany of per-lead UPDATEs reaches the server
        as one statement per lead on PyMySQL.
        """
        leads = self.tables.leads
        sources = [status.value for status in lead_sources(LeadStatus.FAILED)]
        items = list(failures.items())
        for start in range(0, len(items), LOOKUP_CHUNK):
            chunk = dict(items[start : start + LOOKUP_CHUNK])
            connection.execute(
                sa.update(leads)
                .where(
                    leads.c.batch_id == batch_id,
                    leads.c.lead_id.in_(list(chunk)),
                    leads.c.status.in_(sources),
                )
                .values(
                    status=LeadStatus.FAILED.value,
                    reason_code=_per_lead(leads, {k: f.code for k, f in chunk.items()}),
                    reason_message=_per_lead(leads, {k: f.message for k, f in chunk.items()}),
                    reason_field=_per_lead(leads, {k: f.field for k, f in chunk.items()}),
                    reason_value=_per_lead(leads, {k: f.value for k, f in chunk.items()}),
                )
            )

    def _record_warnings(
        self,
        connection: sa.Connection,
        batch_id: int,
        warnings: Mapping[str, Sequence[LeadWarning]],
    ) -> None:
        leads = self.tables.leads
        encoded = [
            (
                lead_id,
                _dumps([{"code": w.code, "message": w.message, "field": w.field} for w in items]),
            )
            for lead_id, items in warnings.items()
            if items
        ]
        for start in range(0, len(encoded), LOOKUP_CHUNK):
            chunk = dict(encoded[start : start + LOOKUP_CHUNK])
            connection.execute(
                sa.update(leads)
                .where(leads.c.batch_id == batch_id, leads.c.lead_id.in_(list(chunk)))
                .values(warnings=_per_lead(leads, chunk))
            )

    def mark_uploaded(
        self, batch_id: int, *, owner: str, stored: StoredFile, now: dt.datetime
    ) -> None:
        self._write(self._mark_uploaded, batch_id, owner, stored, now)

    def _mark_uploaded(
        self,
        connection: sa.Connection,
        batch_id: int,
        owner: str,
        stored: StoredFile,
        now: dt.datetime,
    ) -> None:
        self._change_owned(
            connection,
            batch_id,
            owner,
            BatchStatus.UPLOADED,
            {
                "status": BatchStatus.UPLOADED.value,
                "file_url": stored.path,
                "file_size": stored.size,
                "file_sha256": stored.sha256,
                "uploaded_at": now,
                "error_message": None,
                "error_detail": None,
                "lease_owner": None,
                "lease_expires_at": None,
                "updated_at": now,
            },
        )
        # The written leads stay PENDING in the table: the leads of an UPLOADED
        # batch read as GENERATED (see _read_status), which saves rewriting
        # every row of the batch, about 3.7 s per million leads on SQLite.
        self._close_attempt(connection, batch_id, now, "uploaded", None)

    def release_for_retry(
        self,
        batch_id: int,
        *,
        owner: str,
        error: str | Message,
        next_attempt_at: dt.datetime,
        now: dt.datetime,
    ) -> None:
        self._write(self._release, batch_id, owner, as_message(error), next_attempt_at, now)

    def _release(
        self,
        connection: sa.Connection,
        batch_id: int,
        owner: str,
        error: Message,
        next_attempt_at: dt.datetime,
        now: dt.datetime,
    ) -> None:
        self._change_owned(
            connection,
            batch_id,
            owner,
            BatchStatus.PENDING,
            {
                "status": BatchStatus.PENDING.value,
                "error_message": str(error),
                "error_detail": _dump_message(error),
                "next_attempt_at": next_attempt_at,
                "lease_owner": None,
                "lease_expires_at": None,
                "record_count": None,
                "updated_at": now,
            },
        )
        self._reset_leads(connection, batch_id)
        self._close_attempt(connection, batch_id, now, "retry", error)

    def fail(
        self,
        batch_id: int,
        *,
        owner: str,
        error: str | Message,
        now: dt.datetime,
        failures: Mapping[str, LeadFailure] | None = None,
    ) -> None:
        self._write(self._fail, batch_id, owner, as_message(error), now, failures or {})

    def _fail(
        self,
        connection: sa.Connection,
        batch_id: int,
        owner: str,
        error: Message,
        now: dt.datetime,
        failures: Mapping[str, LeadFailure],
    ) -> None:
        self._change_owned(
            connection,
            batch_id,
            owner,
            BatchStatus.FAILED,
            {
                "status": BatchStatus.FAILED.value,
                "error_message": str(error),
                "error_detail": _dump_message(error),
                "lease_owner": None,
                "lease_expires_at": None,
                "updated_at": now,
            },
        )
        self._record_failures(connection, batch_id, failures)
        self._close_attempt(connection, batch_id, now, "failed", error)

    def rescue_expired(
        self, *, now: dt.datetime, retry_at: Callable[[int], dt.datetime | None]
    ) -> list[int]:
        rescued: list[int] = self._write(self._rescue_expired, now, retry_at)
        return rescued

    def _rescue_expired(
        self,
        connection: sa.Connection,
        now: dt.datetime,
        retry_at: Callable[[int], dt.datetime | None],
    ) -> list[int]:
        batches = self.tables.batches
        claimed = [BatchStatus.GENERATING.value, BatchStatus.UPLOADING.value]
        expired = [batches.c.status.in_(claimed), batches.c.lease_expires_at <= now]
        query = (
            sa.select(batches.c.id, batches.c.attempts, batches.c.status)
            .where(*expired)
            .order_by(batches.c.id)
        )
        if self._skip_locked:
            query = query.with_for_update(skip_locked=True)
        rows = connection.execute(query).all()

        rescued = []
        for row in rows:
            next_attempt_at = retry_at(row.attempts)
            target = BatchStatus.PENDING if next_attempt_at is not None else BatchStatus.FAILED
            check_batch_transition(row.id, BatchStatus(row.status), target)
            changed = connection.execute(
                sa.update(batches)
                .where(batches.c.id == row.id, *expired)
                .values(
                    status=target.value,
                    error_message=LEASE_EXPIRED_MESSAGE,
                    error_detail=None,
                    next_attempt_at=next_attempt_at,
                    lease_owner=None,
                    lease_expires_at=None,
                    record_count=None,
                    updated_at=now,
                )
            ).rowcount
            if changed != 1:
                continue
            self._reset_leads(connection, row.id)
            self._close_attempt(connection, row.id, now, "lost", Message(LEASE_EXPIRED_MESSAGE))
            rescued.append(row.id)
        return rescued

    def _reset_leads(self, connection: sa.Connection, batch_id: int) -> None:
        leads = self.tables.leads
        connection.execute(
            sa.update(leads)
            .where(
                leads.c.batch_id == batch_id,
                leads.c.status.in_([s.value for s in lead_sources(LeadStatus.PENDING)]),
            )
            .values(
                status=LeadStatus.PENDING.value,
                reason_code=None,
                reason_message=None,
                reason_field=None,
                reason_value=None,
                warnings=None,
            )
        )

    def _close_attempt(
        self,
        connection: sa.Connection,
        batch_id: int,
        now: dt.datetime,
        outcome: str,
        error: Message | None,
    ) -> None:
        attempts = self.tables.attempts
        connection.execute(
            sa.update(attempts)
            .where(attempts.c.batch_id == batch_id, attempts.c.ended_at.is_(None))
            .values(
                ended_at=now,
                outcome=outcome,
                error=None if error is None else str(error),
                error_detail=_dump_message(error),
            )
        )

    # Operators

    def reprocess(self, batch_id: int, *, now: dt.datetime, force: bool = False) -> Batch:
        batch: Batch = self._write(self._reprocess, batch_id, now, force)
        return batch

    def _reprocess(
        self, connection: sa.Connection, batch_id: int, now: dt.datetime, force: bool
    ) -> Batch:
        batch = self._load(connection, batch_id, lock=True)
        check_reprocess(batch_id, batch.status, force=force)

        batches = self.tables.batches
        connection.execute(
            sa.update(batches)
            .where(batches.c.id == batch_id, batches.c.status == batch.status.value)
            .values(
                status=BatchStatus.PENDING.value,
                error_message=None,
                error_detail=None,
                schema_version=None,
                file_sequence=None,
                file_name=None,
                file_path=None,
                file_url=None,
                file_size=None,
                file_sha256=None,
                record_count=None,
                generated_at=None,
                uploaded_at=None,
                attempts=0,
                next_attempt_at=None,
                updated_at=now,
            )
        )
        self._reset_leads(connection, batch_id)
        return self._load(connection, batch_id)

    def delete(self, batch_id: int, *, now: dt.datetime) -> None:
        self._write(self._delete, batch_id, now)

    def _delete(self, connection: sa.Connection, batch_id: int, now: dt.datetime) -> None:
        batch = self._load(connection, batch_id, lock=True)
        if batch.has_live_lease(now):
            raise BatchBusy(batch_id, "delete")
        self._remove(connection, [batch_id])

    def purge(
        self,
        *,
        created_before: dt.datetime,
        statuses: Collection[BatchStatus],
        now: dt.datetime,
        limit: int,
    ) -> list[int]:
        if not statuses:
            return []
        purged: list[int] = self._write(self._purge, created_before, statuses, now, limit)
        return purged

    def _purge(
        self,
        connection: sa.Connection,
        created_before: dt.datetime,
        statuses: Collection[BatchStatus],
        now: dt.datetime,
        limit: int,
    ) -> list[int]:
        batches = self.tables.batches
        query = (
            sa.select(batches.c.id)
            .where(
                batches.c.created_at < created_before,
                batches.c.status.in_([status.value for status in statuses]),
                sa.or_(batches.c.lease_expires_at.is_(None), batches.c.lease_expires_at <= now),
            )
            .order_by(batches.c.id)
            .limit(limit)
        )
        if self._skip_locked:
            # A batch that another transaction has locked is left for the next chunk or run.
            query = query.with_for_update(skip_locked=True)
        ids = list(connection.scalars(query))
        self._remove(connection, ids)
        return ids

    def _remove(self, connection: sa.Connection, batch_ids: Sequence[int]) -> None:
        if not batch_ids:
            return
        # Leads and attempts go by ON DELETE CASCADE; deleting them explicitly
        # first keeps the result the same on a database without foreign keys.
        ids = list(batch_ids)
        connection.execute(
            sa.delete(self.tables.leads).where(self.tables.leads.c.batch_id.in_(ids))
        )
        connection.execute(
            sa.delete(self.tables.attempts).where(self.tables.attempts.c.batch_id.in_(ids))
        )
        connection.execute(sa.delete(self.tables.batches).where(self.tables.batches.c.id.in_(ids)))

    def _load(self, connection: sa.Connection, batch_id: int, *, lock: bool = False) -> Batch:
        batches = self.tables.batches
        query = sa.select(batches).where(batches.c.id == batch_id)
        if lock and self._skip_locked:
            query = query.with_for_update()
        row = connection.execute(query).first()
        if row is None:
            raise BatchNotFound(batch_id)
        return _batch(row)

    def get_batch(self, batch_id: int) -> BatchSummary:
        with self._read() as connection:
            batch = self._load(connection, batch_id)
            counts = self._counts_for(connection, [batch]).get(batch_id, LeadCounts())
            return BatchSummary(batch, counts)

    def _counts_for(
        self, connection: sa.Connection, batches: Sequence[Batch]
    ) -> dict[int, LeadCounts]:
        if not batches:
            return {}
        leads = self.tables.leads
        statuses = {batch.id: batch.status for batch in batches}
        rows = connection.execute(
            sa.select(leads.c.batch_id, leads.c.status, sa.func.count())
            .where(leads.c.batch_id.in_(list(statuses)))
            .group_by(leads.c.batch_id, leads.c.status)
        ).all()
        tallies: dict[int, dict[str, int]] = {}
        for batch_id, stored, count in rows:
            status = _read_status(statuses[batch_id], stored)
            tally = tallies.setdefault(batch_id, {})
            tally[status] = tally.get(status, 0) + count
        return {
            batch_id: LeadCounts(
                pending=tally.get(LeadStatus.PENDING.value, 0),
                generated=tally.get(LeadStatus.GENERATED.value, 0),
                failed=tally.get(LeadStatus.FAILED.value, 0),
            )
            for batch_id, tally in tallies.items()
        }

    def list_batches(
        self, *, page: int, per_page: int, filters: BatchFilter | None = None
    ) -> Page[BatchSummary]:
        batches = self.tables.batches
        conditions = _filter_conditions(batches, filters or BatchFilter())
        with self._read() as connection:
            total = int(
                connection.scalar(
                    sa.select(sa.func.count()).select_from(batches).where(*conditions)
                )
                or 0
            )
            rows = connection.execute(
                sa.select(batches)
                .where(*conditions)
                .order_by(batches.c.created_at.desc(), batches.c.id.desc())
                .limit(per_page)
                .offset((page - 1) * per_page)
            ).all()
            items = [_batch(row) for row in rows]
            counts = self._counts_for(connection, items)
        summaries = [BatchSummary(batch, counts.get(batch.id, LeadCounts())) for batch in items]
        return Page(items=summaries, page=page, per_page=per_page, total=total)

    def list_leads(
        self, batch_id: int, *, page: int, per_page: int, status: LeadStatus | None = None
    ) -> Page[Lead]:
        leads = self.tables.leads
        conditions = [leads.c.batch_id == batch_id]
        with self._read() as connection:
            batch = self._load(connection, batch_id)
            if status is not None:
                conditions.append(leads.c.status.in_(_stored_statuses(batch.status, status)))
            total = int(
                connection.scalar(sa.select(sa.func.count()).select_from(leads).where(*conditions))
                or 0
            )
            rows = connection.execute(
                sa.select(leads)
                .where(*conditions)
                .order_by(leads.c.id)
                .limit(per_page)
                .offset((page - 1) * per_page)
            ).all()
        items = [_lead(row, batch.status) for row in rows]
        return Page(items=items, page=page, per_page=per_page, total=total)

    def list_attempts(self, batch_id: int) -> list[Attempt]:
        attempts = self.tables.attempts
        with self._read() as connection:
            self._load(connection, batch_id)
            rows = connection.execute(
                sa.select(attempts).where(attempts.c.batch_id == batch_id).order_by(attempts.c.id)
            ).all()
        return [
            Attempt(
                batch_id=row.batch_id,
                number=row.number,
                started_at=row.started_at,
                worker=row.worker,
                ended_at=row.ended_at,
                outcome=row.outcome,
                error=row.error,
                error_detail=_load_message(row.error_detail),
            )
            for row in rows
        ]

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
        stored: StoredSchema = self._write(
            self._save_schema, name, document, document_format, description, now
        )
        return stored

    def _save_schema(
        self,
        connection: sa.Connection,
        name: str,
        document: str,
        document_format: str,
        description: str,
        now: dt.datetime,
    ) -> StoredSchema:
        schemas = self.tables.schemas
        query = sa.select(schemas).where(schemas.c.name == name)
        if self._skip_locked:
            query = query.with_for_update()
        row = connection.execute(query).first()
        if row is not None and row.document == document:
            return _stored_schema(row)

        values = {
            "document": document,
            "document_format": document_format,
            "description": description,
            "updated_at": now,
        }
        if row is None:
            inserted = connection.execute(
                sa.insert(schemas).values(
                    name=name, version=1, file_sequence=0, created_at=now, **values
                )
            )
            primary_key = inserted.inserted_primary_key
            assert primary_key is not None
            schema_id, version = int(primary_key[0]), 1
        else:
            schema_id, version = row.id, row.version + 1
            connection.execute(
                sa.update(schemas)
                .where(schemas.c.id == schema_id)
                .values(version=version, **values)
            )

        connection.execute(
            sa.insert(self.tables.schema_versions).values(
                schema_id=schema_id,
                version=version,
                document=document,
                document_format=document_format,
                description=description,
                created_at=now,
            )
        )
        return self._schema(connection, name, None)

    def get_schema(self, name: str, version: int | None = None) -> StoredSchema:
        with self._read() as connection:
            return self._schema(connection, name, version)

    def _schema(self, connection: sa.Connection, name: str, version: int | None) -> StoredSchema:
        schemas = self.tables.schemas
        row = connection.execute(sa.select(schemas).where(schemas.c.name == name)).first()
        if row is None:
            raise SchemaNotFound(name)
        if version is None or version == row.version:
            return _stored_schema(row)

        versions = self.tables.schema_versions
        old = connection.execute(
            sa.select(versions).where(versions.c.schema_id == row.id, versions.c.version == version)
        ).first()
        if old is None:
            raise SchemaNotFound(f"{name} version {version}")
        return StoredSchema(
            name=name,
            version=old.version,
            document=old.document,
            document_format=old.document_format,
            created_at=row.created_at,
            updated_at=old.created_at,
            description=old.description,
        )

    def list_schemas(self) -> list[StoredSchema]:
        schemas = self.tables.schemas
        with self._read() as connection:
            rows = connection.execute(sa.select(schemas).order_by(schemas.c.name)).all()
        return [_stored_schema(row) for row in rows]

    def delete_schema(self, name: str) -> None:
        self._write(self._delete_schema, name)

    def _delete_schema(self, connection: sa.Connection, name: str) -> None:
        schemas = self.tables.schemas
        row = connection.execute(sa.select(schemas.c.id).where(schemas.c.name == name)).first()
        if row is None:
            raise SchemaNotFound(name)
        versions = self.tables.schema_versions
        connection.execute(sa.delete(versions).where(versions.c.schema_id == row.id))
        connection.execute(sa.delete(schemas).where(schemas.c.id == row.id))


@functools.lru_cache(maxsize=32)
def _lead_insert_sql(leads: sa.Table, dialect: sa.Dialect) -> tuple[str, list[str] | None]:
    """Return the INSERT of one lead row in *dialect*'s parameter style, and the parameter
    order for a positional style (None for a named one)."""
    columns = ("batch_id", "lead_id", "status", "fields", "created_at")
    statement = sa.insert(leads).inline().values({name: sa.bindparam(name) for name in columns})
    compiled = statement.compile(dialect=dialect)
    if compiled.positional:
        return compiled.string, list(compiled.positiontup or ())
    return compiled.string, None


def _per_lead(leads: sa.Table, values: Mapping[str, str | None]) -> sa.ColumnElement[Any]:
    """Return ``CASE lead_id WHEN ... END``: each listed lead's own value."""
    return sa.case(
        {lead_id: sa.literal(value, sa.Text) for lead_id, value in values.items()},
        value=leads.c.lead_id,
    )


def _filter_conditions(batches: sa.Table, filters: BatchFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(batches.c.status == filters.status.value)
    if filters.campaign_id is not None:
        conditions.append(batches.c.campaign_id == filters.campaign_id)
    if filters.schema_name is not None:
        conditions.append(batches.c.schema_name == filters.schema_name)
    if filters.created_from is not None:
        conditions.append(batches.c.created_at >= filters.created_from)
    if filters.created_before is not None:
        conditions.append(batches.c.created_at < filters.created_before)
    return conditions


def _dump_message(message: Message | None) -> str | None:
    if message is None or not message.params:
        return None  # error_message already contains the whole text
    return json.dumps(message.to_data(), ensure_ascii=False)


def _load_message(stored: str | None) -> Message | None:
    if not stored:
        return None
    try:
        return Message.from_data(json.loads(stored))
    except (ValueError, TypeError, AttributeError):
        return None  # written by another version: fall back to the English text


def _batch(row: sa.Row[Any]) -> Batch:
    return Batch(
        id=row.id,
        status=BatchStatus(row.status),
        schema_name=row.schema_name,
        campaign_id=row.campaign_id,
        event_id=row.event_id,
        created_at=row.created_at,
        bucket=row.bucket,
        is_open=row.open_slot is not None,
        schema_version=row.schema_version,
        file_sequence=row.file_sequence,
        file_name=row.file_name,
        file_path=row.file_path,
        file_url=row.file_url,
        file_size=row.file_size,
        file_sha256=row.file_sha256,
        record_count=row.record_count,
        generated_at=row.generated_at,
        uploaded_at=row.uploaded_at,
        error_message=row.error_message,
        error_detail=_load_message(row.error_detail),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        lease_owner=row.lease_owner,
        lease_expires_at=row.lease_expires_at,
    )


def _read_status(batch_status: BatchStatus, stored: str) -> str:
    """Return the state a lead stored as *stored* is in: PENDING reads as GENERATED once its batch is UPLOADED.

    mark_uploaded leaves the written leads PENDING instead of rewriting every
    row; databases written before that change also hold GENERATED rows.
    """
    if stored == LeadStatus.PENDING.value and batch_status is BatchStatus.UPLOADED:
        return LeadStatus.GENERATED.value
    return stored


def _stored_statuses(batch_status: BatchStatus, status: LeadStatus) -> list[str]:
    """Return the stored lead states that read as *status* in a batch in *batch_status*."""
    return [
        stored.value for stored in LeadStatus if _read_status(batch_status, stored.value) == status
    ]


def _lead(row: sa.Row[Any], batch_status: BatchStatus) -> Lead:
    failure = None
    if row.reason_code is not None:
        failure = LeadFailure(
            code=row.reason_code,
            message=row.reason_message or "",
            field=row.reason_field,
            value=row.reason_value,
        )
    warnings = tuple(
        LeadWarning(code=item["code"], message=item["message"], field=item.get("field"))
        for item in (json.loads(row.warnings) if row.warnings else [])
    )
    return Lead(
        batch_id=row.batch_id,
        lead_id=row.lead_id,
        status=LeadStatus(_read_status(batch_status, row.status)),
        fields=json.loads(row.fields),
        created_at=row.created_at,
        failure=failure,
        warnings=warnings,
    )


def _stored_schema(row: sa.Row[Any]) -> StoredSchema:
    return StoredSchema(
        name=row.name,
        version=row.version,
        document=row.document,
        document_format=row.document_format,
        created_at=row.created_at,
        updated_at=row.updated_at,
        description=row.description,
    )


def _describe(error: sa.exc.DBAPIError) -> str:
    return redact(str(error.orig).strip().splitlines()[0] if error.orig else str(error))


def _is_missing_table(error: sa.exc.DBAPIError) -> bool:
    """Return True when a table or column of this version is missing: the database needs an upgrade."""
    text = str(error.orig).lower()
    return (
        "no such table" in text
        or ("relation" in text and "does not exist" in text)
        or ("table" in text and "doesn't exist" in text)
        or "no such column" in text
        or "has no column named" in text
        or ("column" in text and "does not exist" in text)
        or "unknown column" in text
    )


def _tables_missing(error: sa.exc.DBAPIError) -> ConfigurationError:
    return ConfigurationError(
        Message.of(
            N_(
                "database tables are missing or older than this version ({detail}); "
                "run 'aspectfile-run db upgrade' first"
            ),
            detail=_describe(error),
        )
    )


def _is_deadlock(error: BaseException | None) -> bool:
    if not isinstance(error, sa.exc.DBAPIError) or error.orig is None:
        return False
    orig = error.orig
    code = getattr(orig, "sqlstate", None) or (orig.args[0] if orig.args else None)
    return code in _DEADLOCK_CODES
