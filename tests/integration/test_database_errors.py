"""Database errors a retry cannot fix are configuration errors; an unreachable server is transient."""

from __future__ import annotations

from pathlib import Path

import pytest

from aspectfile_core.adapters.sql import SqlBatchRepository, create_engine
from aspectfile_core.domain.errors import ConfigurationError, TransientError
from tests.conftest import MYSQL_URL, POSTGRES_URL


def list_with(url: str) -> None:
    SqlBatchRepository(create_engine(url)).list_batches(page=1, per_page=20)


def test_sqlite_missing_folder(tmp_path: Path) -> None:
    """A SQLite file in a folder that does not exist is a configuration error naming the URL."""
    url = f"sqlite:///{tmp_path / 'missing' / 'a.db'}"

    with pytest.raises(ConfigurationError, match="folder of a SQLite file must exist"):
        list_with(url)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [("/test", "/no_such_database", "no_such_database"), ("postgres@", "no_such_role@", "no_such_role")],
    ids=["unknown-database", "unknown-role"],
)
def test_postgres_wrong_url(replace: str, by: str, message: str) -> None:
    """An unknown PostgreSQL database or role is a configuration error."""
    with pytest.raises(ConfigurationError, match=message):
        list_with(POSTGRES_URL.replace(replace, by))


@pytest.mark.mysql
def test_mariadb_unknown_database() -> None:
    """An unknown MariaDB database is a configuration error."""
    with pytest.raises(ConfigurationError, match="Unknown database"):
        list_with(MYSQL_URL.replace("/test", "/no_such_database"))


def test_refused_connection_is_transient() -> None:
    """A server that refuses connections may come back, so the error is transient."""
    with pytest.raises(TransientError, match="database unavailable"):
        list_with("postgresql://postgres@127.0.0.1:1/test")
