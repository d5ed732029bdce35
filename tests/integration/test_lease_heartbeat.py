"""The lease keeper renews a claim while a long batch streams, on each SQL backend."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from aspectfile_core.adapters.sql import SqlBatchRepository, build_tables, upgrade_database
from aspectfile_core.domain.model import Contact
from aspectfile_core.services import BatchService, ServiceSettings
from aspectfile_core.testing import FixedClock, MemoryObjectStore
from tests.integration.conftest import Database

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
LEASE_SECONDS = 0.15
RENEWAL_TIMEOUT_SECONDS = 30.0

SCHEMA = """
name = "heartbeat"
format = "delimited"
delimiter = ";"
encoding = "utf-8"
line_ending = "lf"

[[fields]]
name = "id"
source = "id"
"""


class CountingRepository(SqlBatchRepository):
    """The SQL repository, signalling each lease renewal it commits."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # passed through unchanged
        self.renewed = threading.Condition()
        self.renewals = 0

    def renew_lease(self, batch_id: int, *, owner: str, lease_expires_at: dt.datetime) -> None:
        super().renew_lease(batch_id, owner=owner, lease_expires_at=lease_expires_at)
        with self.renewed:
            self.renewals += 1
            self.renewed.notify_all()

    def wait_for_renewals(self, count: int) -> bool:
        with self.renewed:
            return self.renewed.wait_for(
                lambda: self.renewals >= count, timeout=RENEWAL_TIMEOUT_SECONDS
            )


def test_lease_renewed_while_batch_streams(database: Database) -> None:
    """While the leads stream, renewals keep the lease ahead of the clock, so no other worker rescues the batch."""
    upgrade_database(database.engine, database.prefix)
    tables = build_tables(database.prefix)
    repository = CountingRepository(database.engine, tables)
    clock = FixedClock(T0)
    settings = ServiceSettings(lease_seconds=LEASE_SECONDS, chunk_size=100)
    worker = BatchService(repository, MemoryObjectStore(), clock, settings=settings)
    other = BatchService(
        SqlBatchRepository(database.engine, tables), MemoryObjectStore(), clock, settings=settings
    )
    worker.register_schema(SCHEMA, "toml")
    contacts = [Contact(number, {"id": number}) for number in range(1, 1001)]
    worker.add_contacts(campaign_id=1, event_id=1, schema_name="heartbeat", contacts=contacts)
    rescued_midway: list[list[int]] = []
    renewed_midway: list[bool] = []

    def in_the_middle(batch_id: int, written: int, total: int) -> None:
        if written != 500:
            return
        # Far past the first lease: only renewals made from here on can keep the batch.
        clock.advance(seconds=LEASE_SECONDS * 20)
        renewed_midway.append(repository.wait_for_renewals(repository.renewals + 2))
        rescued_midway.append(other.recover())

    report = worker.process(progress=in_the_middle)

    assert renewed_midway == [True]
    assert rescued_midway == [[]]
    assert report.uploaded == (1,)
    assert report.lost == ()


@pytest.mark.parametrize("leads", [1, 250], ids=["one-chunk", "three-chunks"])
def test_lease_keeper_stops_with_batch(database: Database, leads: int) -> None:
    """The keeper thread ends with its batch, whatever the number of chunks."""
    upgrade_database(database.engine, database.prefix)
    repository = CountingRepository(database.engine, build_tables(database.prefix))
    service = BatchService(
        repository,
        MemoryObjectStore(),
        FixedClock(T0),
        settings=ServiceSettings(lease_seconds=LEASE_SECONDS, chunk_size=100),
    )
    service.register_schema(SCHEMA, "toml")
    contacts = [Contact(number, {"id": number}) for number in range(1, leads + 1)]
    service.add_contacts(campaign_id=1, event_id=1, schema_name="heartbeat", contacts=contacts)

    report = service.process()

    assert report.uploaded == (1,)
    assert not any(thread.name.startswith("aspectfile-lease-") for thread in threading.enumerate())
