"""BatchService.purge on the in-memory repository with a fixed clock."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection

import pytest

from aspectfile_core.domain.errors import BatchNotFound
from aspectfile_core.domain.model import Contact
from aspectfile_core.domain.status import BatchStatus
from aspectfile_core.ports import RenderOutcome, StoredFile
from aspectfile_core.services import BatchService
from aspectfile_core.testing import FixedClock, InMemoryBatchRepository, MemoryObjectStore

T0 = dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)
STORED = StoredFile(path="memory://f", size=1, sha256="0" * 64)


class RecordingRepository(InMemoryBatchRepository):
    """Records the limit of every purge call, to show the chunks."""

    def __init__(self) -> None:
        super().__init__()
        self.purge_limits: list[int] = []

    def purge(
        self,
        *,
        created_before: dt.datetime,
        statuses: Collection[BatchStatus],
        now: dt.datetime,
        limit: int,
    ) -> list[int]:
        self.purge_limits.append(limit)
        return super().purge(created_before=created_before, statuses=statuses, now=now, limit=limit)


class World:
    def __init__(self) -> None:
        self.repository = RecordingRepository()
        self.clock = FixedClock(T0)
        self.service = BatchService(self.repository, MemoryObjectStore(), self.clock)
        self.repository.save_schema(
            name="s", document="", document_format="toml", description="", now=T0
        )

    def batch(self, status: BatchStatus, event_id: int) -> int:
        """Create a batch in *status* on the current clock, going through the real moves."""
        now = self.clock.now()
        (batch_id,) = self.repository.add_contacts(
            campaign_id=1,
            event_id=event_id,
            schema_name="s",
            bucket="",
            contacts=[Contact(1, {})],
            now=now,
        ).batch_ids
        if status is BatchStatus.PENDING:
            return batch_id
        self.repository.claim(owner="w", now=now, lease_expires_at=now + LEASE, limit=1)
        if status is BatchStatus.FAILED:
            self.repository.fail(batch_id, owner="w", error="bad", now=now)
        if status is BatchStatus.UPLOADED:
            self.repository.mark_uploading(
                batch_id, owner="w", outcome=RenderOutcome(record_count=1), now=now
            )
            self.repository.mark_uploaded(batch_id, owner="w", stored=STORED, now=now)
        return batch_id

    def remaining(self) -> list[int]:
        page = self.repository.list_batches(page=1, per_page=100)
        return sorted(summary.batch.id for summary in page.items)


@pytest.fixture
def world() -> World:
    return World()


def test_purge_default_states(world: World) -> None:
    """By default only UPLOADED and FAILED batches older than the cutoff go."""
    uploaded = world.batch(BatchStatus.UPLOADED, 1)
    failed = world.batch(BatchStatus.FAILED, 2)
    world.clock.advance(days=31)
    recent = world.batch(BatchStatus.UPLOADED, 3)
    world.clock.set(T0)
    waiting = world.batch(BatchStatus.PENDING, 4)
    world.clock.advance(days=31)

    deleted = world.service.purge(older_than=dt.timedelta(days=30))

    assert deleted == 2
    assert world.remaining() == [recent, waiting]
    with pytest.raises(BatchNotFound, match=str(uploaded)):
        world.service.get_batch(uploaded)
    with pytest.raises(BatchNotFound, match=str(failed)):
        world.service.get_batch(failed)


def test_purge_named_states(world: World) -> None:
    """Named states replace the default, PENDING included."""
    world.batch(BatchStatus.UPLOADED, 1)
    waiting = world.batch(BatchStatus.PENDING, 2)
    world.clock.advance(days=2)

    deleted = world.service.purge(older_than=dt.timedelta(days=1), statuses=[BatchStatus.PENDING])

    assert deleted == 1
    assert waiting not in world.remaining()
    assert len(world.remaining()) == 1


def test_purge_works_in_chunks(world: World) -> None:
    """Five old batches in chunks of two take three calls; the short last one ends the purge."""
    for event_id in range(1, 6):
        world.batch(BatchStatus.FAILED, event_id)
    world.clock.advance(days=1)

    deleted = world.service.purge(older_than=dt.timedelta(hours=1), chunk_size=2)

    assert deleted == 5
    assert world.remaining() == []
    assert world.repository.purge_limits == [2, 2, 2]


def test_purge_exact_chunk_multiple(world: World) -> None:
    """Four batches in chunks of two need one more call to see that nothing is left."""
    for event_id in range(1, 5):
        world.batch(BatchStatus.FAILED, event_id)
    world.clock.advance(days=1)

    deleted = world.service.purge(older_than=dt.timedelta(0), chunk_size=2)

    assert deleted == 4
    assert world.repository.purge_limits == [2, 2, 2]


def test_purge_spares_live_lease(world: World) -> None:
    """A batch a worker holds is kept even when its state is named, until the lease expires."""
    held = world.batch(BatchStatus.GENERATING, 1)
    world.clock.advance(minutes=1)

    kept = world.service.purge(older_than=dt.timedelta(0), statuses=[BatchStatus.GENERATING])
    world.clock.advance(minutes=5)
    gone = world.service.purge(older_than=dt.timedelta(0), statuses=[BatchStatus.GENERATING])

    assert kept == 0
    assert gone == 1
    assert held not in world.remaining()


def test_purge_logs_chunks(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """Each deleting chunk is logged with the stable action 'batches_purged'."""
    world.batch(BatchStatus.UPLOADED, 1)
    world.clock.advance(days=1)

    with caplog.at_level(logging.INFO, logger="aspectfile_core"):
        world.service.purge(older_than=dt.timedelta(0))

    actions = [getattr(record, "action", None) for record in caplog.records]
    assert actions == ["batches_purged"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"older_than": dt.timedelta(days=-1)}, "older_than .* is invalid"),
        ({"older_than": dt.timedelta(0), "chunk_size": 0}, "chunk_size 0 is invalid"),
        ({"older_than": dt.timedelta(0), "chunk_size": 501}, "chunk_size 501 is invalid"),
        ({"older_than": dt.timedelta(0), "statuses": []}, "statuses is empty"),
    ],
    ids=["negative-age", "zero-chunk", "huge-chunk", "no-states"],
)
def test_purge_rejects_invalid_arguments(
    world: World, arguments: dict[str, object], message: str
) -> None:
    """Invalid arguments raise ValueError before anything is deleted."""
    world.batch(BatchStatus.UPLOADED, 1)

    with pytest.raises(ValueError, match=message):
        world.service.purge(**arguments)  # type: ignore[arg-type]  # each case passes valid keywords

    assert len(world.remaining()) == 1
