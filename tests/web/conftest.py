"""Fixtures of the web admin tests: a service on real adapters, the app and a test client."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.test import Client, TestResponse

from aspectfile_core import BatchService
from aspectfile_core.adapters.sql import SqlBatchRepository, create_engine
from aspectfile_core.testing import FixedClock, InMemoryBatchRepository
from aspectfile_core.web import AdminApp, allow_all, create_app
from tests.web.seed import START, BucketStore, seed_day

PREFIX = "/s/aspectfile"
SECRET = "test-secret-key-that-is-long-enough"
CONTACT_URL = "/s/contacts/view/{lead_id}"
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def worker_names() -> Callable[[], str]:
    """Return a worker id source that names workers like a small fleet: worker-1, worker-2…"""
    counter = iter(range(1, 10**6))
    return lambda: f"dialer-worker-{next(counter):02d}"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def store() -> BucketStore:
    return BucketStore()


@pytest.fixture
def service(clock: FixedClock, store: BucketStore) -> BatchService:
    """A batch service on the in-memory repository, empty."""
    return BatchService(InMemoryBatchRepository(), store, clock, worker_id=worker_names())


@pytest.fixture
def sql_service(tmp_path: Any, clock: FixedClock, store: BucketStore) -> Iterator[BatchService]:
    """A batch service on a SQLite file, empty."""
    engine = create_engine(f"sqlite:///{tmp_path / 'aspectfile.db'}")
    repository = SqlBatchRepository(engine)
    repository.create_tables()
    yield BatchService(repository, store, clock, worker_id=worker_names())
    engine.dispose()


@pytest.fixture
def seeded(service: BatchService, clock: FixedClock, store: BucketStore) -> dict[str, int]:
    """Batch ids by role after a realistic morning: uploaded, csv, failed, retry, open."""
    return seed_day(service, clock, store)


def make_app(service: BatchService, **options: Any) -> AdminApp:
    settings: dict[str, Any] = {
        "authorize": allow_all,
        "secret_key": SECRET,
        "contact_url": CONTACT_URL,
    }
    settings.update(options)
    return create_app(service, **settings)


@pytest.fixture
def app(service: BatchService) -> AdminApp:
    return make_app(service)


@pytest.fixture
def client(app: AdminApp) -> Client:
    return Client(app)


def csrf_token(client: Client, path: str = f"{PREFIX}/batches") -> str:
    """Load *path* like a browser and return the CSRF token of its forms."""
    response = client.get(path, headers={"Accept-Language": "en-US"})
    match = _CSRF_FIELD.search(response.get_data(as_text=True))
    assert match is not None, f"no CSRF field on {path} ({response.status_code})"
    return match.group(1)


def post(
    client: Client,
    path: str,
    data: dict[str, Any] | None = None,
    *,
    language: str = "en-US",
    token_from: str = f"{PREFIX}/batches",
) -> TestResponse:
    """POST a form the way a browser does: with the CSRF token of a page loaded first."""
    form = {"csrf_token": csrf_token(client, token_from), **(data or {})}
    return client.post(path, data=form, headers={"Accept-Language": language})


def follow(client: Client, response: TestResponse, language: str = "en-US") -> TestResponse:
    """GET the redirect target of *response*, as a browser does after a POST."""
    assert response.status_code in (302, 303), response.status_code
    return client.get(response.headers["Location"], headers={"Accept-Language": language})


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)
