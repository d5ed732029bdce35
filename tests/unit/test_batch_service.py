"""The batch service on the in-memory repository and store, with a fixed clock."""

from __future__ import annotations

import datetime as dt
import logging
import random
from pathlib import Path
from typing import Any

import pytest

from aspectfile_core.domain.errors import (
    ConfigurationError,
    InvalidContact,
    SchemaNotFound,
    TransientError,
)
from aspectfile_core.domain.model import LEASE_EXPIRED_MESSAGE, Contact
from aspectfile_core.domain.retry import RetryPolicy
from aspectfile_core.domain.status import BatchStatus, LeadStatus
from aspectfile_core.services import BatchService, ServiceSettings
from aspectfile_core.testing import (
    FailingObjectStore,
    FixedClock,
    InMemoryBatchRepository,
    MemoryObjectStore,
)

SCHEMA = """
name = "unit-csv"
format = "delimited"
delimiter = ";"
encoding = "utf-8"
line_ending = "lf"
header_row = true
file_name = "unit_{batch_id}_{file_sequence:04d}.csv"
path_prefix = "out"

[[fields]]
name = "id"
source = "id"
type = "integer"

[[fields]]
name = "name"
template = "{firstname} {lastname}"
transforms = ["strip", "collapse_spaces"]

[[fields]]
name = "phone"
source = "mobile"
required = true
"""

T0 = dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)


def person(lead_id: int, mobile: str = "11987654321", **extra: str) -> Contact:
    return Contact(
        lead_id,
        {"id": str(lead_id), "firstname": "José", "lastname": "Araújo", "mobile": mobile, **extra},
    )


class World:
    """A service wired to fakes, with helpers to add contacts and inspect the result."""

    def __init__(
        self, tmp_path: Path, store: MemoryObjectStore | None = None, **settings: object
    ) -> None:
        self.repository = InMemoryBatchRepository()
        self.store = store or MemoryObjectStore()
        self.clock = FixedClock(T0)
        self.temp_dir = tmp_path / "work"
        self.temp_dir.mkdir()
        self.service = BatchService(
            self.repository,
            self.store,
            self.clock,
            settings=ServiceSettings(**settings),  # type: ignore[arg-type]  # test passes valid keywords
            rng=random.Random(5),
            temp_dir=self.temp_dir,
        )
        self.service.register_schema(SCHEMA, "toml")

    def add(self, *contacts: Contact, event: int = 1) -> int:
        result = self.service.add_contacts(
            campaign_id=1, event_id=event, schema_name="unit-csv", contacts=contacts
        )
        return result.batch_ids[0]


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_process_uploads_file(world: World) -> None:
    """A pending batch becomes UPLOADED with its file stored and every lead GENERATED."""
    batch_id = world.add(person(1), person(2))

    report = world.service.process()

    assert report.uploaded == (batch_id,)
    summary = world.service.get_batch(batch_id)
    assert summary.batch.status is BatchStatus.UPLOADED
    assert summary.counts.generated == 2
    assert summary.batch.file_path == f"out/unit_{batch_id}_0001.csv"
    assert summary.batch.schema_version == 1
    data = world.store.objects[summary.batch.file_path]
    assert data.decode("utf-8").splitlines() == [
        "id;name;phone",
        "1;José Araújo;11987654321",
        "2;José Araújo;11987654321",
    ]
    assert summary.batch.file_size == len(data)
    assert summary.batch.record_count == 2


def test_invalid_lead_fails_alone(world: World) -> None:
    """A lead missing a required value fails with its reason; the others are written."""
    batch_id = world.add(person(1), person(2, mobile=""))

    world.service.process()

    summary = world.service.get_batch(batch_id)
    assert summary.batch.status is BatchStatus.UPLOADED
    assert (summary.counts.generated, summary.counts.failed) == (1, 1)
    failed = world.service.list_leads(batch_id, status=LeadStatus.FAILED).items
    assert failed[0].lead_id == "2"
    assert failed[0].failure is not None
    assert failed[0].failure.code == "missing_required"
    assert failed[0].failure.field == "phone"


def test_transient_error_retries_later(tmp_path: Path) -> None:
    """A transient store error sends the batch back to PENDING with backoff; the retry keeps the name."""
    world = World(
        tmp_path, store=FailingObjectStore(TransientError("connection refused"), failures=1)
    )
    batch_id = world.add(person(1))

    first = world.service.process()

    assert first.retried == (batch_id,)
    batch = world.service.get_batch(batch_id).batch
    assert batch.status is BatchStatus.PENDING
    assert batch.error_message == "connection refused"
    assert batch.attempts == 1
    assert batch.next_attempt_at is not None
    assert T0 + dt.timedelta(seconds=15) <= batch.next_attempt_at <= T0 + dt.timedelta(seconds=30)
    assert world.service.get_batch(batch_id).counts.pending == 1
    first_name = batch.file_path

    assert world.service.process().uploaded == ()
    world.clock.advance(seconds=31)
    second = world.service.process()

    assert second.uploaded == (batch_id,)
    batch = world.service.get_batch(batch_id).batch
    assert batch.file_path == first_name
    assert batch.attempts == 2
    assert [a.outcome for a in world.service.list_attempts(batch_id)] == ["retry", "uploaded"]


def test_configuration_error_fails_then_reprocess(tmp_path: Path) -> None:
    """A configuration error makes the batch FAILED at once; reprocess lets the next run upload it."""
    world = World(
        tmp_path, store=FailingObjectStore(ConfigurationError("bucket 'x' not found"), failures=1)
    )
    batch_id = world.add(person(1))

    report = world.service.process()

    assert report.failed == (batch_id,)
    batch = world.service.get_batch(batch_id).batch
    assert batch.status is BatchStatus.FAILED
    assert batch.error_message == "bucket 'x' not found"

    world.service.reprocess(batch_id)
    assert world.service.get_batch(batch_id).batch.status is BatchStatus.PENDING
    assert world.service.process().uploaded == (batch_id,)


def test_attempts_run_out(tmp_path: Path) -> None:
    """After max_attempts transient failures the batch is FAILED, not retried forever."""
    store = FailingObjectStore(TransientError("timed out"), failures=99)
    world = World(tmp_path, store=store, retry=RetryPolicy(max_attempts=3))
    batch_id = world.add(person(1))

    for _ in range(3):
        world.service.process()
        world.clock.advance(hours=2)

    batch = world.service.get_batch(batch_id).batch
    assert batch.status is BatchStatus.FAILED
    assert "gave up after 3 attempts" in (batch.error_message or "")
    assert batch.attempts == 3


def test_missing_schema_fails_batch(world: World) -> None:
    """A batch whose schema was removed fails with a message naming the schema."""
    batch_id = world.add(person(1))
    world.service.delete_schema("unit-csv")

    world.service.process()

    batch = world.service.get_batch(batch_id).batch
    assert batch.status is BatchStatus.FAILED
    assert "unit-csv" in (batch.error_message or "")


def test_all_leads_invalid_fails_batch(world: World) -> None:
    """With empty_batch = 'fail' (the default), a batch with no writable lead is FAILED."""
    batch_id = world.add(person(1, mobile=""), person(2, mobile=" "))

    world.service.process()

    summary = world.service.get_batch(batch_id)
    assert summary.batch.status is BatchStatus.FAILED
    assert "empty_batch" in (summary.batch.error_message or "")
    assert summary.counts.failed == 2
    assert world.store.objects == {}


def test_lost_lease_changes_nothing(tmp_path: Path) -> None:
    """A worker whose lease was taken over mid-upload leaves the batch to the new owner."""
    world = World(tmp_path)
    original_store = world.store.store

    def store_after_takeover(local_path: Path, **options: Any) -> object:
        world.clock.advance(minutes=10)
        world.service.recover()
        return original_store(local_path, **options)

    world.store.store = store_after_takeover  # type: ignore[method-assign,assignment]  # wrap to act mid-upload
    batch_id = world.add(person(1))

    report = world.service.process(limit=1)

    assert report.lost == (batch_id,)
    batch = world.service.get_batch(batch_id).batch
    assert batch.status is BatchStatus.PENDING
    assert batch.error_message == LEASE_EXPIRED_MESSAGE


def test_temporary_files_removed(tmp_path: Path) -> None:
    """No temporary file remains after a success or a failure."""
    world = World(tmp_path, store=FailingObjectStore(TransientError("down"), failures=1))
    world.add(person(1))

    world.service.process()
    world.clock.advance(hours=1)
    world.service.process()

    assert list(world.temp_dir.iterdir()) == []


def test_contact_source_supplies_fields(tmp_path: Path) -> None:
    """A contact source's current values replace the stored ones at generation time."""

    class Crm:
        def fetch(self, lead_ids: object) -> dict[str, dict[str, str]]:
            return {"1": {"mobile": "21999998888"}}

    world = World(tmp_path)
    world.service.contact_source = Crm()
    batch_id = world.add(person(1), person(2))

    world.service.process()

    path = world.service.get_batch(batch_id).batch.file_path
    assert path is not None
    lines = world.store.objects[path].decode().splitlines()
    assert lines[1].endswith(";21999998888")
    assert lines[2].endswith(";11987654321")


def test_deadline_stops_claiming(world: World) -> None:
    """Once the deadline passes no further batch is claimed."""
    world.add(person(1), event=1)
    world.add(person(1), event=2)

    report = world.service.process(deadline=T0)

    assert report.uploaded == ()
    assert world.service.list_batches().items[0].batch.status is BatchStatus.PENDING


def test_limit_caps_batches(world: World) -> None:
    """process(limit=1) handles one batch and leaves the rest."""
    world.add(person(1), event=1)
    world.add(person(1), event=2)

    assert len(world.service.process(limit=1).uploaded) == 1
    assert len(world.service.process().uploaded) == 1


def test_add_needs_known_schema(world: World) -> None:
    """Adding contacts for an unknown schema raises SchemaNotFound."""
    with pytest.raises(SchemaNotFound, match="nope"):
        world.service.add_contacts(
            campaign_id=1, event_id=1, schema_name="nope", contacts=[person(1)]
        )


@pytest.mark.parametrize("campaign", [0, -1, True], ids=["zero", "negative", "bool"])
def test_add_rejects_bad_campaign(world: World, campaign: int) -> None:
    """Campaign ids must be positive integers."""
    with pytest.raises(InvalidContact, match="campaign id"):
        world.service.add_contacts(
            campaign_id=campaign, event_id=1, schema_name="unit-csv", contacts=[person(1)]
        )


def test_operator_log_messages(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """The messages operators grep for are logged with the batch id."""
    caplog.set_level(logging.INFO, logger="aspectfile_core")
    batch_id = world.add(person(1, mobile=""))

    world.service.process()
    world.service.reprocess(batch_id)

    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith(f"AspectFile: Processing batch {batch_id}") for m in messages)
    assert any(
        m.startswith(f"AspectFile: Batch processing failed: batch {batch_id}") for m in messages
    )
    assert f"AspectFile: Resetting batch leads of batch {batch_id}" in messages
    assert all(
        getattr(r, "batch_id", None) == batch_id
        for r in caplog.records
        if r.name.startswith("aspectfile_core.services")
    )


def test_no_contact_data_in_logs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """Logs never carry contact field values."""
    caplog.set_level(logging.DEBUG, logger="aspectfile_core")
    world.add(person(1, mobile=""))

    world.service.process()

    assert "Araújo" not in caplog.text


def test_schema_delivery_overrides_destination(tmp_path: Path) -> None:
    """A schema's [delivery] table adds a completion marker the destination does not set."""
    world = World(tmp_path)
    world.service.register_schema(SCHEMA + '\n[delivery]\ncompletion_marker = "done"\n', "toml")
    batch_id = world.add(person(1))

    world.service.process()

    path = world.service.get_batch(batch_id).batch.file_path
    assert path is not None
    assert f"{path}.done" in world.store.objects
    assert world.store.objects[f"{path}.done"] == b""


def test_schema_reads_lead_id(tmp_path: Path) -> None:
    """A field with source = "lead_id" gets the host's lead id even when no column holds it."""
    world = World(tmp_path)
    world.service.register_schema(SCHEMA.replace('source = "id"', 'source = "lead_id"'), "toml")
    contact = Contact("ana@exemplo.com.br", {"firstname": "Ana", "lastname": "Lima", "mobile": "11987654321"})
    batch_id = world.add(contact)

    world.service.process()

    summary = world.service.get_batch(batch_id)
    assert summary.counts.failed == 1  # the id field is an integer, and an email is not
    failed = world.service.list_leads(batch_id, status=LeadStatus.FAILED).items[0]
    assert failed.failure is not None
    assert failed.failure.value == "ana@exemplo.com.br"


def test_lead_id_in_template(tmp_path: Path) -> None:
    """A template can name lead_id, and a contact's own lead_id field wins."""
    world = World(tmp_path)
    schema = SCHEMA.replace('source = "id"\ntype = "integer"', 'template = "L-{lead_id}"')
    world.service.register_schema(schema, "toml")
    batch_id = world.add(person(7), Contact(8, {"lead_id": "own", "firstname": "B", "lastname": "C", "mobile": "1"}))

    world.service.process()

    path = world.service.get_batch(batch_id).batch.file_path
    assert path is not None
    lines = world.store.objects[path].decode().splitlines()
    assert lines[1].startswith("L-7;")
    assert lines[2].startswith("L-own;")
