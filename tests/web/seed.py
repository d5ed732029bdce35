"""Realistic batches for the web admin's tests and screenshots, made by the real pipeline."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from aspectfile_core import BatchService, Contact
from aspectfile_core.adapters.fsspec_store import UPLOADING
from aspectfile_core.adapters.store_errors import BucketNotFound, StoreUnavailable
from aspectfile_core.domain.errors import AspectFileError
from aspectfile_core.ports import ObjectStore, StoredFile
from aspectfile_core.testing import FixedClock, MemoryObjectStore

START = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.UTC)
"""08:00 in São Paulo, when the seeded day starts."""

CSV_SCHEMA = """\
name = "crm-csv"
description = "Semicolon-separated export for the CRM call list"
format = "delimited"
delimiter = ";"
encoding = "utf-8"
line_ending = "lf"
header_row = true
file_name = "crm_{campaign_id}_{event_id}_{batch_id}.{extension}"
extension = "csv"

[[fields]]
name = "id"
source = "id"
required = true

[[fields]]
name = "name"
template = "{firstname} {lastname}"
transforms = ["strip", "collapse_spaces"]

[[fields]]
name = "email"
source = "email"
required = true

[[fields]]
name = "mobile"
source = "mobile"
type = "phone"
default_region = "BR"
required = true
"""

BAD_CONTACTS = [
    {
        "id": "1090",
        "firstname": "Rogério",
        "lastname": "Tavares",
        "email": "rogerio.tavares@exemplo.com.br",
        "mobile": "(11) 1234",
    },
    {
        "id": "1091",
        "firstname": "",
        "lastname": "Nascimento",
        "email": "nascimento@exemplo.com.br",
        "mobile": "(21) 98765-4321",
    },
    {
        "id": "1092",
        "firstname": "Patrícia",
        "lastname": "Moura",
        "email": "patricia.moura@exemplo.com.br",
        "mobile": "ligar depois",
    },
]
"""Contacts the sample schema rejects: a short phone, an empty first name, text in the phone."""


def fixed_schema_text() -> str:
    return (
        resources.files("aspectfile_core") / "data" / "schemas" / "sample-fixed.toml"
    ).read_text(encoding="utf-8")


def sample_rows() -> list[dict[str, Any]]:
    text = (resources.files("aspectfile_core") / "data" / "sample_contacts.csv").read_text(
        encoding="utf-8-sig"
    )
    return list(csv.DictReader(io.StringIO(text)))


def contacts_from(rows: list[dict[str, Any]], first_id: int | None = None) -> list[Contact]:
    """Return *rows* as contacts; with *first_id*, ids are renumbered from it."""
    contacts = []
    for offset, row in enumerate(rows):
        fields = dict(row)
        if first_id is not None:
            fields["id"] = str(first_id + offset)
        contacts.append(Contact(fields["id"], fields))
    return contacts


class BucketStore(MemoryObjectStore):
    """A store that raises the errors queued for a bucket before storing into it.

    Files go to *inner* (a folder store, say) when given, else to memory.
    """

    def __init__(self, inner: ObjectStore | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.errors: dict[str, list[AspectFileError]] = {}
        self.on_store: Callable[[], object] | None = None
        """Called before each write, such as to move a test clock as a slow upload would."""
        if inner is not None:
            self.delivery = inner.delivery

    def describe(self) -> str:
        return self.inner.describe() if self.inner is not None else super().describe()

    def store(self, local_path: Path, *, bucket: str, file_path: str, **options: Any) -> StoredFile:
        if self.on_store is not None:
            self.on_store()
        queued = self.errors.get(bucket)
        if queued:
            raise queued.pop(0)
        if self.inner is not None:
            return self.inner.store(local_path, bucket=bucket, file_path=file_path, **options)
        return super().store(local_path, bucket=bucket, file_path=file_path, **options)


def seed_day(service: BatchService, clock: FixedClock, store: BucketStore) -> dict[str, int]:
    """Fill *service* with a morning of batches in every state; return their ids by role.

    Roles: ``uploaded`` (with failed leads), ``csv``, ``failed`` (configuration
    error), ``retry`` (transient error, PENDING again) and ``open``.
    """
    clock.set(START)
    service.register_schema(fixed_schema_text(), "toml")
    service.register_schema(CSV_SCHEMA, "toml")
    rows = sample_rows()
    ids: dict[str, int] = {}

    clock.set(START)
    ids["uploaded"] = _add(
        service,
        12,
        3,
        "sample-fixed",
        "discador-sp",
        contacts_from(rows) + contacts_from(BAD_CONTACTS),
    )
    clock.advance(minutes=5)
    service.process()

    clock.set(START + dt.timedelta(hours=1, minutes=30))
    ids["csv"] = _add(service, 12, 4, "crm-csv", "crm-export", contacts_from(rows[:8], 3001))
    clock.advance(minutes=2)
    service.process()

    clock.set(START + dt.timedelta(hours=2, minutes=15))
    store.errors["discador-rj"] = [
        BucketNotFound(bucket="discador-rj", endpoint="http://127.0.0.1:9000")
    ]
    ids["failed"] = _add(
        service, 15, 1, "sample-fixed", "discador-rj", contacts_from(rows[8:20], 2001)
    )
    clock.advance(minutes=3)
    service.process()

    clock.set(START + dt.timedelta(hours=3))
    store.errors["discador-mg"] = [
        StoreUnavailable(
            operation=UPLOADING, location="s3://discador-mg/", reason="timed out after 30 s"
        )
    ]
    ids["retry"] = _add(
        service, 15, 2, "sample-fixed", "discador-mg", contacts_from(rows[20:], 2101)
    )
    clock.advance(minutes=1)
    service.process()

    clock.set(START + dt.timedelta(hours=3, minutes=40))
    ids["open"] = _add(service, 12, 3, "sample-fixed", "discador-sp", contacts_from(rows[:4], 1201))
    clock.advance(minutes=5)
    return ids


def _add(
    service: BatchService,
    campaign: int,
    event: int,
    schema: str,
    bucket: str,
    contacts: list[Contact],
) -> int:
    result = service.add_contacts(
        campaign_id=campaign, event_id=event, schema_name=schema, contacts=contacts, bucket=bucket
    )
    return result.batch_ids[0]
