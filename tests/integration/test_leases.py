"""Leases, rescue and backoff on each SQL backend, with a fixed clock and back-dated rows."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from aspectfile_core.adapters.clock import SystemClock
from aspectfile_core.adapters.sql import SqlBatchRepository, build_tables, upgrade_database
from aspectfile_core.domain.errors import TransientError
from aspectfile_core.domain.model import LEASE_EXPIRED_MESSAGE, Contact
from aspectfile_core.domain.retry import RetryPolicy
from aspectfile_core.domain.status import BatchStatus, LeadStatus
from aspectfile_core.ports import Clock, DeliveryOptions, StoredFile
from aspectfile_core.services import BatchService, ServiceSettings
from aspectfile_core.testing import FailingObjectStore, FixedClock, MemoryObjectStore
from tests.integration.conftest import Database

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
LEASE_SECONDS = 300

SCHEMA = """
name = "lease"
format = "delimited"
delimiter = ";"
encoding = "utf-8"
line_ending = "lf"
file_name = "lease_{batch_id}.csv"

[[fields]]
name = "id"
source = "id"
"""


@pytest.fixture
def repository(database: Database) -> SqlBatchRepository:
    upgrade_database(database.engine, database.prefix)
    return SqlBatchRepository(database.engine, build_tables(database.prefix))


def make_service(
    repository: SqlBatchRepository,
    clock: Clock,
    store: MemoryObjectStore | None = None,
    *,
    max_attempts: int = 10,
) -> BatchService:
    return BatchService(
        repository,
        store or MemoryObjectStore(),
        clock,
        settings=ServiceSettings(
            lease_seconds=LEASE_SECONDS, retry=RetryPolicy(max_attempts=max_attempts)
        ),
        rng=random.Random(4),
    )


def add_batches(service: BatchService, count: int) -> list[int]:
    service.register_schema(SCHEMA, "toml")
    return [
        service.add_contacts(
            campaign_id=1,
            event_id=event_id,
            schema_name="lease",
            contacts=[Contact(n, {"id": str(n)}) for n in range(1, 4)],
        ).batch_ids[0]
        for event_id in range(1, count + 1)
    ]


def claim_and_die(repository: SqlBatchRepository, now: dt.datetime, limit: int = 1) -> list[int]:
    """Claim like a worker that then stops without a trace."""
    claimed = repository.claim(
        owner="dead-worker",
        now=now,
        lease_expires_at=now + dt.timedelta(seconds=LEASE_SECONDS),
        limit=limit,
    )
    return [batch.id for batch in claimed]


def test_live_lease_not_rescued(repository: SqlBatchRepository) -> None:
    """A batch whose lease has a second left is neither rescued nor claimed again."""
    clock = FixedClock(T0)
    service = make_service(repository, clock)
    (batch_id,) = add_batches(service, 1)
    claim_and_die(repository, T0)
    clock.advance(seconds=LEASE_SECONDS - 1)

    report = service.process()

    assert report.rescued == ()
    assert report.uploaded == ()
    assert service.get_batch(batch_id).batch.status is BatchStatus.GENERATING


def test_expired_lease_rescued_then_finished(repository: SqlBatchRepository) -> None:
    """After the lease expires, process rescues the batch; after its backoff, it is uploaded."""
    clock = FixedClock(T0)
    store = MemoryObjectStore()
    service = make_service(repository, clock, store)
    (batch_id,) = add_batches(service, 1)
    claim_and_die(repository, T0)
    clock.advance(seconds=LEASE_SECONDS)

    rescue = service.process()
    rescued = service.get_batch(batch_id).batch
    clock.set(rescued.next_attempt_at or T0)
    finish = service.process()

    assert rescue.rescued == (batch_id,)
    assert rescue.uploaded == ()
    assert rescued.status is BatchStatus.PENDING
    assert rescued.error_message == LEASE_EXPIRED_MESSAGE
    assert rescued.lease_owner is None
    assert finish.uploaded == (batch_id,)
    summary = service.get_batch(batch_id)
    assert summary.batch.attempts == 2
    assert summary.counts.generated == 3
    assert [attempt.outcome for attempt in service.list_attempts(batch_id)] == ["lost", "uploaded"]
    assert len(store.objects) == 1


def test_rescue_waits_backoff(repository: SqlBatchRepository) -> None:
    """A rescued batch is not claimed before its backoff, which is half to all of 30 s."""
    clock = FixedClock(T0)
    service = make_service(repository, clock)
    (batch_id,) = add_batches(service, 1)
    claim_and_die(repository, T0)
    rescued_at = clock.advance(seconds=LEASE_SECONDS)
    service.recover()
    due = service.get_batch(batch_id).batch.next_attempt_at
    assert due is not None

    clock.set(due - dt.timedelta(microseconds=1))
    early = service.process()

    assert dt.timedelta(seconds=15) <= due - rescued_at <= dt.timedelta(seconds=30)
    assert early.uploaded == ()
    assert service.get_batch(batch_id).batch.status is BatchStatus.PENDING


def test_rescue_out_of_attempts_fails(repository: SqlBatchRepository) -> None:
    """A lost batch that used its last attempt becomes FAILED with the 'worker lost' error."""
    clock = FixedClock(T0)
    service = make_service(repository, clock, max_attempts=1)
    (batch_id,) = add_batches(service, 1)
    claim_and_die(repository, T0)
    clock.advance(seconds=LEASE_SECONDS)

    rescued = service.recover()

    batch = service.get_batch(batch_id).batch
    assert rescued == [batch_id]
    assert batch.status is BatchStatus.FAILED
    assert batch.error_message == LEASE_EXPIRED_MESSAGE
    assert service.get_batch(batch_id).counts.pending == 3


def test_reprocess_after_attempts_ran_out(repository: SqlBatchRepository) -> None:
    """A batch FAILED for running out of attempts gets a new budget from reprocess and uploads."""
    clock = FixedClock(T0)
    service = make_service(repository, clock, max_attempts=1)
    (batch_id,) = add_batches(service, 1)
    claim_and_die(repository, T0)
    clock.advance(seconds=LEASE_SECONDS)
    service.recover()
    assert service.get_batch(batch_id).batch.status is BatchStatus.FAILED

    service.reprocess(batch_id)
    report = service.process()

    assert report.uploaded == (batch_id,)
    assert service.get_batch(batch_id).batch.attempts == 1
    assert [attempt.outcome for attempt in service.list_attempts(batch_id)] == ["lost", "uploaded"]


def test_back_dated_lease_rescued_by_real_clock(
    repository: SqlBatchRepository, database: Database
) -> None:
    """A lease back-dated into the past is rescued by a service on the system clock."""
    service = make_service(repository, SystemClock())
    (batch_id,) = add_batches(service, 1)
    now = dt.datetime.now(dt.UTC)
    claim_and_die(repository, now)
    batches = repository.tables.batches
    with database.engine.begin() as connection:
        connection.execute(
            sa.update(batches)
            .where(batches.c.id == batch_id)
            .values(lease_expires_at=now - dt.timedelta(minutes=1))
        )

    rescued = service.recover()

    assert rescued == [batch_id]
    assert service.get_batch(batch_id).batch.status is BatchStatus.PENDING


def spread(times: list[dt.datetime], start: dt.datetime) -> list[int]:
    """Count *times* in each of five equal windows from 15 s to 30 s after *start*."""
    windows = [0] * 5
    for moment in times:
        offset = (moment - start).total_seconds()
        assert 15 <= offset <= 30, f"retry {offset} s after the failure, outside 15-30 s"
        windows[min(4, int((offset - 15) // 3))] += 1
    return windows


def test_failures_together_retry_apart(repository: SqlBatchRepository) -> None:
    """Forty batches failing at the same moment are spread over the whole backoff window."""
    clock = FixedClock(T0)
    store = FailingObjectStore(TransientError("store timed out"), failures=40)
    service = make_service(repository, clock, store)
    ids = add_batches(service, 40)

    report = service.process()

    assert sorted(report.retried) == sorted(ids)
    times = [service.get_batch(batch_id).batch.next_attempt_at or T0 for batch_id in ids]
    windows = spread(times, T0)
    assert all(count > 0 for count in windows), windows
    assert max(windows) <= 20, windows


def test_lost_workers_retry_apart(repository: SqlBatchRepository) -> None:
    """Forty batches rescued in one pass get their own retry times across the window."""
    clock = FixedClock(T0)
    service = make_service(repository, clock)
    ids = add_batches(service, 40)
    assert sorted(claim_and_die(repository, T0, limit=40)) == sorted(ids)
    rescued_at = clock.advance(seconds=LEASE_SECONDS)

    service.recover()

    times = [service.get_batch(batch_id).batch.next_attempt_at or T0 for batch_id in ids]
    windows = spread(times, rescued_at)
    assert all(count > 0 for count in windows), windows
    assert max(windows) <= 20, windows


class TakeoverStore(MemoryObjectStore):
    """A store that, while worker A writes, lets A's lease expire and worker B step in."""

    def __init__(self, clock: FixedClock) -> None:
        super().__init__()
        self.clock = clock
        self.other_worker: BatchService | None = None
        self.calls = 0

    def store(
        self,
        local_path: Path,
        *,
        bucket: str,
        file_path: str,
        record_count: int,
        delivery: DeliveryOptions | None = None,
    ) -> StoredFile:
        self.calls += 1
        stored = super().store(
            local_path,
            bucket=bucket,
            file_path=file_path,
            record_count=record_count,
            delivery=delivery,
        )
        if self.calls == 1 and self.other_worker is not None:
            self.clock.advance(seconds=LEASE_SECONDS)
            self.other_worker.recover()
        return stored


def test_worker_that_lost_lease_changes_nothing(repository: SqlBatchRepository) -> None:
    """A worker whose lease was rescued mid-upload records nothing; the batch is retried."""
    clock = FixedClock(T0)
    store = TakeoverStore(clock)
    worker_a = make_service(repository, clock, store)
    store.other_worker = make_service(repository, clock, MemoryObjectStore())
    (batch_id,) = add_batches(worker_a, 1)

    report = worker_a.process()

    summary = worker_a.get_batch(batch_id)
    assert report.lost == (batch_id,)
    assert report.uploaded == ()
    assert summary.batch.status is BatchStatus.PENDING
    assert summary.batch.uploaded_at is None
    assert summary.counts.pending == 3
    assert [lead.status for lead in worker_a.list_leads(batch_id).items] == [LeadStatus.PENDING] * 3
    assert [attempt.outcome for attempt in worker_a.list_attempts(batch_id)] == ["lost"]
