"""The Alembic environment: runs the shipped revisions on the connection or URL it is given.

Alembic imports this file; :func:`aspectfile_core.adapters.sql.migrations.alembic_config`
sets up what it reads: the table prefix and either an open connection or a
``sqlalchemy.url``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from aspectfile_core.adapters.sql.engine import create_engine
from aspectfile_core.adapters.sql.migrations import CONNECTION_KEY, PREFIX_KEY, version_table_name
from aspectfile_core.adapters.sql.tables import build_tables


def run_migrations(connection: sa.Connection) -> None:
    prefix = context.config.attributes.get(PREFIX_KEY, "")
    context.configure(
        connection=connection,
        target_metadata=build_tables(prefix).metadata,
        version_table=version_table_name(prefix),
        # SQLite runs DDL inside a transaction as PostgreSQL does, so a failed
        # revision leaves nothing behind. MySQL commits each DDL statement.
        transactional_ddl=connection.dialect.name in ("sqlite", "postgresql"),
        include_name=lambda name, type_, parent: (
            type_ != "table" or name is None or name.startswith(f"{prefix}aspect_file_")
        ),
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = context.config.attributes.get(CONNECTION_KEY)
    if connection is not None:
        run_migrations(connection)
        return

    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "no database to migrate; build the configuration with "
            "aspectfile_core.adapters.sql.migrations.alembic_config(connection_or_url)"
        )
    engine = create_engine(url)
    try:
        with engine.connect() as new_connection:
            run_migrations(new_connection)
    finally:
        engine.dispose()


run()
