"""Fixtures shared by every test scope: databases, stores and clocks."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from aspectfile_core.adapters.sql import SqlBatchRepository, build_tables, create_engine

POSTGRES_URL = os.environ.get(
    "ASPECTFILE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("ASPECTFILE_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")

BACKENDS = ["sqlite", "postgresql", "mariadb"]


def server_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'aspectfile.db'}"
    return POSTGRES_URL if backend == "postgresql" else MYSQL_URL


def require_server(engine: sa.Engine, backend: str) -> None:
    """Fail (never skip) when a database server the suite needs is down."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        pytest.fail(
            f"{backend} is not reachable at {engine.url.render_as_string(hide_password=True)}: "
            f"{error.orig}. Start it (see .ci/run) or deselect with -m 'not {backend}'.",
            pytrace=False,
        )


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
        pytest.param("mariadb", id="mariadb", marks=pytest.mark.mysql),
    ]
)
def sql_repository(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqlBatchRepository]:
    """An empty SQL repository on each backend, in tables with a prefix of its own."""
    backend = request.param
    engine = create_engine(server_url(backend, tmp_path_factory))
    require_server(engine, backend)
    tables = build_tables(prefix=f"t{uuid.uuid4().hex[:8]}_")
    repository = SqlBatchRepository(engine, tables)
    repository.create_tables()
    try:
        yield repository
    finally:
        tables.metadata.drop_all(engine)
        engine.dispose()
