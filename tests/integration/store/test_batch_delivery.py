"""Batches delivered to S3 (moto over HTTP) by the batch service on a SQLite database."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from aspectfile_core.adapters.fsspec_store import FsspecObjectStore
from aspectfile_core.adapters.sql import SqlBatchRepository, build_tables, create_engine
from aspectfile_core.adapters.store_settings import MIB
from aspectfile_core.domain.model import Contact
from aspectfile_core.domain.status import BatchStatus
from aspectfile_core.services import BatchService, ServiceSettings
from aspectfile_core.testing import FixedClock
from tests.integration.store.conftest import MotoS3, s3_settings

SCHEMA = """
name = "s3-delivery"
format = "delimited"
delimiter = ";"
encoding = "utf-8"
line_ending = "lf"
header_row = true
file_name = "calls_{batch_id}.csv"
path_prefix = "outbox"

[[fields]]
name = "id"
source = "id"

[[fields]]
name = "note"
source = "note"
"""

T0 = dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)


class Delivery:
    """A batch service on a SQLite file, delivering to an S3 bucket of a moto server."""

    def __init__(
        self,
        tmp_path: Path,
        moto: MotoS3,
        bucket: str,
        *,
        contact_source: Any = None,
        chunk_size: int = 5000,
    ) -> None:
        self.moto = moto
        self.bucket = bucket
        self.clock = FixedClock(T0)
        self.work = tmp_path / "work"
        self.work.mkdir()
        engine = create_engine(f"sqlite:///{tmp_path / 'aspectfile.db'}")
        self.repository = SqlBatchRepository(engine, build_tables())
        self.repository.create_tables()
        self.store = FsspecObjectStore("s3://", settings=s3_settings(moto.url))
        self.service = BatchService(
            self.repository,
            self.store,
            self.clock,
            settings=ServiceSettings(default_bucket=bucket, chunk_size=chunk_size),
            contact_source=contact_source,
            temp_dir=self.work,
        )
        self.service.register_schema(SCHEMA, "toml")

    def add(self, count: int, note: str = "call in the morning") -> int:
        result = self.service.add_contacts(
            campaign_id=1,
            event_id=1,
            schema_name="s3-delivery",
            contacts=[
                Contact(number, {"id": str(number), "note": note}) for number in range(1, count + 1)
            ],
        )
        return result.batch_ids[0]

    def key(self, batch_id: int) -> str:
        return f"outbox/calls_{batch_id}.csv"


@pytest.mark.parametrize(
    ("count", "note_length"),
    [pytest.param(5, 20, id="small"), pytest.param(700, 10_000, id="multipart")],
)
def test_batch_uploaded_with_checksum(
    tmp_path: Path, moto: MotoS3, count: int, note_length: int
) -> None:
    """An uploaded batch records the size and SHA-256 of the object in the bucket."""
    delivery = Delivery(tmp_path, moto, moto.new_bucket())
    batch_id = delivery.add(count, note="x" * note_length)

    report = delivery.service.process()

    assert report.uploaded == (batch_id,)
    batch = delivery.service.get_batch(batch_id).batch
    stored = moto.read(delivery.bucket, delivery.key(batch_id))
    assert stored is not None
    assert batch.status is BatchStatus.UPLOADED
    assert batch.file_size == len(stored)
    assert batch.file_sha256 == hashlib.sha256(stored).hexdigest()
    assert batch.file_url == f"s3://{delivery.bucket}/{delivery.key(batch_id)}"
    assert (len(stored) > 5 * MIB) is (count == 700)


def test_missing_bucket_fails_batch(tmp_path: Path, moto: MotoS3) -> None:
    """A missing bucket fails the batch at once with a message that names the bucket."""
    delivery = Delivery(tmp_path, moto, "bucket-that-was-never-created")
    batch_id = delivery.add(3)

    report = delivery.service.process()

    batch = delivery.service.get_batch(batch_id).batch
    assert report.failed == (batch_id,)
    assert batch.status is BatchStatus.FAILED
    assert batch.attempts == 1
    assert batch.error_message is not None
    assert "S3 bucket 'bucket-that-was-never-created' not found" in batch.error_message
    assert "file not found" not in batch.error_message.lower()


def test_stopped_server_retries_batch(tmp_path: Path, own_moto: MotoS3) -> None:
    """A stopped server sends the batch back to PENDING; it is UPLOADED once the server is back."""
    delivery = Delivery(tmp_path, own_moto, own_moto.new_bucket())
    batch_id = delivery.add(3)
    own_moto.stop()

    first = delivery.service.process()

    batch = delivery.service.get_batch(batch_id).batch
    assert first.retried == (batch_id,)
    assert batch.status is BatchStatus.PENDING
    assert batch.attempts == 1
    assert batch.error_message is not None
    assert "the store may be down or busy" in batch.error_message
    assert batch.next_attempt_at is not None

    own_moto.start()
    delivery.clock.set(batch.next_attempt_at)
    second = delivery.service.process()

    batch = delivery.service.get_batch(batch_id).batch
    assert second.uploaded == (batch_id,)
    assert batch.status is BatchStatus.UPLOADED
    assert batch.attempts == 2
    assert own_moto.read(delivery.bucket, delivery.key(batch_id)) is not None


def test_wrong_key_fails_without_retry(
    tmp_path: Path, moto: MotoS3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With moto checking credentials, a wrong key fails the batch and it is not retried."""
    delivery = Delivery(tmp_path, moto, moto.new_bucket())
    batch_id = delivery.add(3)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGKEY00000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value-000000000000000000000")
    moto.require_credentials(True)
    try:
        first = delivery.service.process()
        delivery.clock.advance(days=1)
        second = delivery.service.process()
    finally:
        moto.require_credentials(False)

    batch = delivery.service.get_batch(batch_id).batch
    assert first.failed == (batch_id,)
    assert second.uploaded == second.retried == second.failed == ()
    assert batch.status is BatchStatus.FAILED
    assert batch.attempts == 1
    assert batch.error_message is not None
    assert "InvalidAccessKeyId" in batch.error_message
    assert "AKIAWRONGKEY" not in batch.error_message
    assert "wrong-secret-value" not in batch.error_message


class FailsOnThird:
    """A contact source whose database goes away when the third lead is read."""

    def fetch(self, lead_ids: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        if "3" in lead_ids:
            raise ConnectionResetError(104, "contact database connection reset")
        return {}


def test_generator_failure_leaves_nothing(tmp_path: Path, moto: MotoS3) -> None:
    """A generator that fails on record 3 of 5 leaves no object and no unfinished upload."""
    delivery = Delivery(
        tmp_path, moto, moto.new_bucket(), contact_source=FailsOnThird(), chunk_size=1
    )
    batch_id = delivery.add(5, note="y" * 3 * MIB)

    report = delivery.service.process()

    batch = delivery.service.get_batch(batch_id).batch
    assert report.retried == (batch_id,)
    assert batch.status is BatchStatus.PENDING
    assert moto.read(delivery.bucket, delivery.key(batch_id)) is None
    assert moto.keys(delivery.bucket) == []
    assert moto.pending_uploads(delivery.bucket) == []
    assert list(delivery.work.iterdir()) == []
