"""Many threads on one database: one open batch per event, claims never shared, nothing lost."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from aspectfile_core.adapters.sql import SqlBatchRepository, build_tables, upgrade_database
from aspectfile_core.domain.model import AddResult, Contact
from aspectfile_core.domain.status import BatchStatus
from aspectfile_core.ports import BatchFilter
from tests.integration.conftest import Database

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)


@pytest.fixture
def repository(database: Database) -> SqlBatchRepository:
    upgrade_database(database.engine, database.prefix)
    return SqlBatchRepository(database.engine, build_tables(database.prefix))


def add(repository: SqlBatchRepository, event_id: int, *lead_ids: str) -> AddResult:
    return repository.add_contacts(
        campaign_id=1,
        event_id=event_id,
        schema_name="s",
        bucket="",
        contacts=[Contact(lead_id, {"name": lead_id}) for lead_id in lead_ids],
        now=T0,
    )


def all_leads(repository: SqlBatchRepository) -> Counter[str]:
    """Count every lead id across all batches."""
    seen: Counter[str] = Counter()
    for summary in repository.list_batches(page=1, per_page=1000).items:
        leads = repository.list_leads(summary.batch.id, page=1, per_page=1000).items
        seen.update(lead.lead_id for lead in leads)
    return seen


def test_twenty_threads_open_one_batch(repository: SqlBatchRepository) -> None:
    """Twenty threads adding to a new event at the same moment all land in one open batch."""
    start = threading.Barrier(20)

    def add_five(thread: int) -> AddResult:
        start.wait()
        return add(repository, 7, *(f"{thread}-{n}" for n in range(5)))

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(add_five, range(20)))

    batch_ids = {batch_id for result in results for batch_id in result.batch_ids}
    assert len(batch_ids) == 1
    summary = repository.get_batch(batch_ids.pop())
    assert summary.batch.is_open
    assert summary.counts.total == 100
    assert repository.list_batches(page=1, per_page=20).total == 1


def test_claims_never_share_a_batch(repository: SqlBatchRepository) -> None:
    """Six threads claiming at once get every due batch exactly once, never more than asked."""
    for event_id in range(1, 61):
        add(repository, event_id, "1")
    start = threading.Barrier(6)

    def claim_until_empty(worker: int) -> list[int]:
        start.wait()
        mine: list[int] = []
        limit = 1 + worker % 3
        while True:
            claimed = repository.claim(
                owner=f"worker-{worker}", now=T0, lease_expires_at=T0 + LEASE, limit=limit
            )
            assert len(claimed) <= limit
            if not claimed:
                return mine
            mine.extend(batch.id for batch in claimed)

    with ThreadPoolExecutor(max_workers=6) as pool:
        per_worker = list(pool.map(claim_until_empty, range(6)))

    claimed_ids = [batch_id for ids in per_worker for batch_id in ids]
    assert len(claimed_ids) == 60
    assert len(set(claimed_ids)) == 60
    generating = repository.list_batches(
        page=1, per_page=100, filters=BatchFilter(status=BatchStatus.GENERATING)
    )
    assert generating.total == 60


def test_adds_during_claims_lose_nothing(repository: SqlBatchRepository) -> None:
    """Contacts added while other threads claim each end up in exactly one batch."""
    adders = 4
    per_adder = 25
    done = threading.Event()

    def add_one_at_a_time(adder: int) -> None:
        for n in range(per_adder):
            add(repository, 1, f"{adder}-{n}")

    def claim_while_adding(worker: int) -> int:
        claims = 0
        while not done.is_set():
            claims += len(
                repository.claim(
                    owner=f"claimer-{worker}", now=T0, lease_expires_at=T0 + LEASE, limit=1
                )
            )
        return claims

    with ThreadPoolExecutor(max_workers=adders + 2) as pool:
        claimers = [pool.submit(claim_while_adding, worker) for worker in range(2)]
        added = [pool.submit(add_one_at_a_time, adder) for adder in range(adders)]
        try:
            for future in added:
                future.result()
        finally:
            done.set()
        claims = sum(future.result() for future in claimers)

    seen = all_leads(repository)
    assert sum(seen.values()) == adders * per_adder
    assert set(seen.values()) == {1}
    open_batches = [
        summary
        for summary in repository.list_batches(page=1, per_page=1000).items
        if summary.batch.is_open
    ]
    assert len(open_batches) <= 1
    assert claims == repository.list_batches(page=1, per_page=1000).total - len(open_batches)
