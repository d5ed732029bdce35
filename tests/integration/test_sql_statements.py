"""SQL that scales: the statements a processed batch costs do not grow with its leads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from aspectfile_core.adapters.sql import SqlBatchRepository, build_tables, upgrade_database
from aspectfile_core.domain.model import Contact
from aspectfile_core.domain.status import BatchStatus
from aspectfile_core.services import BatchService, ServiceSettings
from aspectfile_core.testing import FixedClock, MemoryObjectStore
from tests.integration.conftest import Database

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)

SCHEMA = """
name = "count"
format = "delimited"
delimiter = ";"
encoding = "utf-8"
line_ending = "lf"
header_row = true
file_name = "count_{batch_id}.csv"

[[fields]]
name = "id"
source = "id"

[[fields]]
name = "phone"
source = "phone"
required = true
"""


@contextmanager
def counting_statements(engine: sa.Engine) -> Iterator[list[str]]:
    """Record the first word of every statement the server runs on *engine*.

    An executemany counts once per parameter set, because drivers such as
    PyMySQL send a bulk UPDATE as one statement per row.
    """
    seen: list[str] = []

    def record(
        _connection: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> None:
        verb = statement.split(None, 1)[0].upper()
        seen.extend([verb] * (len(parameters) if executemany else 1))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def service(database: Database) -> BatchService:
    upgrade_database(database.engine, database.prefix)
    repository = SqlBatchRepository(database.engine, build_tables(database.prefix))
    service = BatchService(
        repository,
        MemoryObjectStore(),
        FixedClock(T0),
        settings=ServiceSettings(lease_seconds=3600),
    )
    service.register_schema(SCHEMA, "toml")
    return service


def statements_to_process(service: BatchService, engine: sa.Engine, leads: int) -> list[str]:
    """Add *leads* contacts, one in a hundred without a phone, and process their batch."""
    contacts = [
        Contact(number, {"id": str(number), "phone": "" if number % 100 == 0 else "11987654321"})
        for number in range(1, leads + 1)
    ]
    (batch_id,) = service.add_contacts(
        campaign_id=1, event_id=leads, schema_name="count", contacts=contacts
    ).batch_ids

    with counting_statements(engine) as seen:
        report = service.process()

    assert report.uploaded == (batch_id,)
    counts = service.get_batch(batch_id).counts
    assert (counts.generated, counts.failed) == (leads - leads // 100, leads // 100)
    return seen


def test_statements_per_batch_constant(service: BatchService, database: Database) -> None:
    """Processing a batch of 10,000 leads runs the same statements as one of 100."""
    small = statements_to_process(service, database.engine, 100)
    large = statements_to_process(service, database.engine, 10_000)

    assert len(large) == len(small)
    assert large == small


def test_add_inserts_leads_in_bulk(service: BatchService, database: Database) -> None:
    """Adding 10,000 contacts sends their rows in one executemany, not one call per lead."""
    contacts = [Contact(number, {"id": str(number)}) for number in range(10_000)]
    calls: list[bool] = []

    def record(*arguments: Any) -> None:
        calls.append(bool(arguments[-1]))

    sa.event.listen(database.engine, "before_cursor_execute", record)
    try:
        service.add_contacts(campaign_id=1, event_id=1, schema_name="count", contacts=contacts)
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", record)

    assert len(calls) < 10
    assert calls.count(True) == 1


def test_list_page_counts_leads_in_one_query(service: BatchService, database: Database) -> None:
    """A page of 20 batches costs the same statements as a page of one."""
    for event_id in range(1, 22):
        service.add_contacts(
            campaign_id=2,
            event_id=event_id,
            schema_name="count",
            contacts=[Contact(n, {"id": str(n)}) for n in range(3)],
        )

    with counting_statements(database.engine) as one:
        single = service.list_batches(1, per_page=1)
    with counting_statements(database.engine) as twenty:
        page = service.list_batches(1, per_page=20)

    assert len(single.items) == 1
    assert [summary.counts.total for summary in page.items] == [3] * 20
    assert page.items[0].batch.status is BatchStatus.PENDING
    assert len(twenty) == len(one)
