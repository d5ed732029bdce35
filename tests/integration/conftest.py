"""Fixtures for tests against the real databases: an engine per backend and a fresh table prefix."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import attrs
import pytest
import sqlalchemy as sa

from aspectfile_core.adapters.sql import create_engine
from tests.conftest import require_server, server_url

BACKEND_PARAMS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mysql),
]
SERVER_PARAMS = BACKEND_PARAMS[1:]


@attrs.frozen
class Database:
    """A reachable database and a table prefix no other test uses."""

    backend: str
    url: str
    engine: sa.Engine
    prefix: str

    def drop_prefixed_tables(self) -> None:
        """Drop every table whose name starts with :attr:`prefix`, children first."""
        reflected = sa.MetaData()
        reflected.reflect(self.engine, only=lambda name, _: name.startswith(self.prefix))
        reflected.drop_all(self.engine)


def open_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Database:
    url = server_url(backend, tmp_path_factory)
    engine = create_engine(url)
    require_server(engine, backend)
    return Database(backend, url, engine, prefix=f"i{uuid.uuid4().hex[:8]}_")


@pytest.fixture(params=BACKEND_PARAMS)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """Each backend in turn, with its tables removed after the test."""
    opened = open_database(request.param, tmp_path_factory)
    try:
        yield opened
    finally:
        opened.drop_prefixed_tables()
        opened.engine.dispose()


@pytest.fixture(params=SERVER_PARAMS)
def server_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """PostgreSQL, then MariaDB, with their tables removed after the test."""
    opened = open_database(request.param, tmp_path_factory)
    try:
        yield opened
    finally:
        opened.drop_prefixed_tables()
        opened.engine.dispose()
