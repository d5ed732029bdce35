"""The shipped Alembic migrations on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from aspectfile_core.adapters.sql import SqlBatchRepository, build_tables, upgrade_database
from aspectfile_core.adapters.sql.migrations import (
    database_revision,
    downgrade_database,
    head_revision,
    schema_differences,
    version_table_name,
)
from aspectfile_core.domain.errors import ConfigurationError
from aspectfile_core.domain.model import Contact
from tests.integration.conftest import Database

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def differences(database: Database, prefix: str | None = None) -> list[str]:
    """Return how the tables under the prefix differ from build_tables(), one line each."""
    with database.engine.connect() as connection:
        return schema_differences(connection, database.prefix if prefix is None else prefix)


def table_names(database: Database) -> set[str]:
    names = sa.inspect(database.engine).get_table_names()
    return {name for name in names if name.startswith(database.prefix)}


def test_upgrade_creates_metadata_tables(database: Database) -> None:
    """The migrated schema equals build_tables' MetaData: columns, types, keys, indexes."""
    upgrade_database(database.engine, database.prefix)

    assert differences(database) == []
    assert database_revision(database.engine, database.prefix) == head_revision()


def test_comparison_detects_drift(database: Database) -> None:
    """The schema comparison reports an index the database lacks, so an empty one means equal."""
    upgrade_database(database.engine, database.prefix)
    index = f"ix_{database.prefix}aspect_file_batches_created"
    with database.engine.begin() as connection:
        sa.Index(index, build_tables(database.prefix).batches.c.created_at).drop(connection)

    found = differences(database)

    assert found == [f"add_index {index}"]


def test_upgrade_twice_changes_nothing(database: Database) -> None:
    """A second upgrade keeps the tables and their rows."""
    upgrade_database(database.engine, database.prefix)
    repository = SqlBatchRepository(database.engine, build_tables(database.prefix))
    repository.add_contacts(
        campaign_id=1,
        event_id=1,
        schema_name="s",
        bucket="",
        contacts=[Contact(1, {})],
        now=T0,
    )

    upgrade_database(database.url, database.prefix)

    assert repository.list_batches(page=1, per_page=20).total == 1


def test_tables_of_an_older_revision_need_an_upgrade(database: Database) -> None:
    """A repository on revision 0001 tables asks for db upgrade, and the upgrade keeps the rows."""
    upgrade_database(database.engine, database.prefix, revision="0001")
    repository = SqlBatchRepository(database.engine, build_tables(database.prefix))
    with database.engine.begin() as connection:
        connection.execute(
            sa.text(
                f"INSERT INTO {database.prefix}aspect_file_batches "
                "(status, schema_name, campaign_id, event_id, bucket, attempts, created_at, "
                "updated_at) VALUES ('PENDING', 's', 1, 1, '', 0, :now, :now)"
            ),
            {"now": T0.replace(tzinfo=None)},
        )

    with pytest.raises(ConfigurationError, match=r"older than this version.*db upgrade"):
        repository.list_batches(page=1, per_page=20)

    upgrade_database(database.engine, database.prefix)

    assert differences(database) == []
    assert repository.list_batches(page=1, per_page=20).total == 1


def test_upgrade_adopts_unversioned_tables(database: Database) -> None:
    """Tables made by create_tables get a migration history instead of an error."""
    SqlBatchRepository(database.engine, build_tables(database.prefix)).create_tables()
    assert database_revision(database.engine, database.prefix) is None

    upgrade_database(database.engine, database.prefix)

    assert database_revision(database.engine, database.prefix) == head_revision()


def test_upgrade_rejects_mismatched_tables(database: Database) -> None:
    """Tables without a history that differ from this version's are reported, not stamped."""
    SqlBatchRepository(database.engine, build_tables(database.prefix)).create_tables()
    index = f"ix_{database.prefix}aspect_file_batches_lease"
    with database.engine.begin() as connection:
        sa.Index(index, build_tables(database.prefix).batches.c.lease_expires_at).drop(connection)

    with pytest.raises(
        ConfigurationError, match=rf"differ from this version's tables \(add_index {index}\)"
    ):
        upgrade_database(database.engine, database.prefix)

    assert database_revision(database.engine, database.prefix) is None


def test_upgrade_rejects_partial_tables(database: Database) -> None:
    """Some of the tables without a history is reported, naming what is missing."""
    tables = build_tables(database.prefix)
    tables.schemas.create(database.engine)

    with pytest.raises(ConfigurationError, match=r"missing: .*aspect_file_attempts"):
        upgrade_database(database.engine, database.prefix)


def test_downgrade_to_base_drops_tables(database: Database) -> None:
    """Downgrading to base removes every table of the prefix but the version table."""
    upgrade_database(database.engine, database.prefix)

    downgrade_database(database.engine, database.prefix, revision="base")

    assert table_names(database) == {version_table_name(database.prefix)}
    assert database_revision(database.engine, database.prefix) is None


def test_prefixes_keep_separate_histories(database: Database) -> None:
    """Two prefixes in one database migrate independently."""
    other = f"{database.prefix}b_"
    upgrade_database(database.engine, database.prefix)
    upgrade_database(database.engine, other)

    downgrade_database(database.engine, other, revision="base")

    assert database_revision(database.engine, database.prefix) == head_revision()
    assert database_revision(database.engine, other) is None
    assert differences(database) == []


def test_concurrent_upgrades_all_succeed(database: Database) -> None:
    """Several processes upgrading the same prefix at once leave one correct schema."""
    start = threading.Barrier(3)

    def upgrade() -> None:
        start.wait()
        upgrade_database(database.url, database.prefix)

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(upgrade) for _ in range(3)]

    assert [future.result() for future in futures] == [None, None, None]
    assert differences(database) == []


def test_db_upgrade_command(database: Database, tmp_path: Path) -> None:
    """'aspectfile-run db upgrade' migrates the database and the prefix named in the environment."""
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("ASPECTFILE_")},
        "ASPECTFILE_DATABASE_URL": database.url,
        "ASPECTFILE_TABLE_PREFIX": database.prefix,
        "LANG": "en_US.UTF-8",
    }

    result = subprocess.run(
        [sys.executable, "-m", "aspectfile_core", "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "Database tables created or updated" in result.stdout
    assert database_revision(database.engine, database.prefix) == head_revision()


@pytest.mark.parametrize(
    "prefix",
    ["1abc_", "with space_", "a" * 25, "drop;table_"],
    ids=["leading-digit", "space", "too-long", "semicolon"],
)
def test_invalid_prefix_rejected(prefix: str) -> None:
    """A prefix that cannot start a table name on every database is rejected before any SQL."""
    with pytest.raises(ConfigurationError, match=r"table prefix .* is invalid"):
        build_tables(prefix)
