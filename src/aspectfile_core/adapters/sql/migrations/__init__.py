"""Alembic migrations for the aspectfile-core tables, shipped inside the package.

:func:`upgrade_database` brings a database, under an optional table-name
prefix, to the newest revision; ``aspectfile-run db upgrade`` calls it. Each
prefix keeps its own version table, ``<prefix>aspect_file_alembic_version``,
so several installations, or a host's own Alembic history, share a database
without touching each other.

Revision files live in ``versions/`` and name tables through
:func:`table_name`, which adds the prefix of the run.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import zlib
from collections.abc import Iterator
from importlib import resources
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import URL

from aspectfile_core.adapters.sql.engine import create_engine
from aspectfile_core.adapters.sql.errors import configuration_problem
from aspectfile_core.adapters.sql.tables import build_tables, check_prefix
from aspectfile_core.domain.errors import ConfigurationError, TransientError
from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.redaction import redact

logger = logging.getLogger(__name__)

LOCK_TIMEOUT_SECONDS = 300
"""How long an upgrade on MySQL or MariaDB waits for another upgrade of the same prefix."""

CONNECTION_KEY = "aspectfile_connection"
PREFIX_KEY = "aspectfile_table_prefix"

_PROCESS_LOCK = threading.Lock()
"""Alembic keeps the running migration's context in module globals, so the
threads of one process must migrate one at a time; other processes are kept
apart by the database locks of :func:`_upgrade_lock`."""


def version_table_name(prefix: str = "") -> str:
    """Return the name of the table where Alembic records the revision of *prefix*'s tables."""
    return f"{check_prefix(prefix)}aspect_file_alembic_version"


def table_name(name: str) -> str:
    """Return the full name of table *name* (``"batches"``) in the migration being run.

    Only valid inside a revision's ``upgrade()`` or ``downgrade()``.
    """
    from alembic import context

    prefix = context.config.attributes.get(PREFIX_KEY, "")
    return f"{prefix}aspect_file_{name}"


def alembic_config(bind: sa.Connection | str | URL, table_prefix: str = "") -> Config:
    """Return an Alembic configuration for the shipped migrations on *bind*.

    *bind* is an open connection, or a database URL that the environment
    connects to. Use it with :mod:`alembic.command`, for example to write a
    new revision with ``command.revision(config, message, autogenerate=True)``.
    """
    config = Config()
    location = resources.files("aspectfile_core.adapters.sql") / "migrations"
    config.set_main_option("script_location", str(location))
    config.attributes[PREFIX_KEY] = check_prefix(table_prefix)
    if isinstance(bind, sa.Connection):
        config.attributes[CONNECTION_KEY] = bind
    else:
        config.set_main_option(
            "sqlalchemy.url", sa.make_url(bind).render_as_string(hide_password=False)
        )
    return config


def head_revision() -> str:
    """Return the newest revision this version of the package ships."""
    config = alembic_config("sqlite://")
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def database_revision(bind: sa.Engine | str | URL, table_prefix: str = "") -> str | None:
    """Return the revision the tables under *table_prefix* are at, or None before the first upgrade."""
    engine, owned = _engine_for(bind)
    try:
        with _translated_errors(engine), engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": version_table_name(table_prefix)}
            )
            return context.get_current_revision()
    finally:
        if owned:
            engine.dispose()


def upgrade_database(
    bind: sa.Engine | str | URL, table_prefix: str = "", *, revision: str = "head"
) -> None:
    """Create or update the tables under *table_prefix* to *revision*, the newest by default.

    Safe to run on every deployment, from several hosts and threads at once:
    on PostgreSQL, MySQL and MariaDB an advisory lock per prefix lets one
    upgrade run at a time, on SQLite the migration's transaction takes the
    database's write lock, and within one process upgrades run one at a time.

    Tables created without migrations (by ``SqlBatchRepository.create_tables``
    or a host's ``create_all``) are recorded at the newest revision when they
    match this version's tables. Raises :class:`ConfigurationError` when only
    some of the tables exist, when such tables differ from this version's, or
    when the database is at a revision this version does not know, and
    :class:`TransientError` when the database is unreachable.
    """
    engine, owned = _engine_for(bind)
    try:
        with (
            _PROCESS_LOCK,
            _translated_errors(engine),
            engine.connect() as connection,
            _upgrade_lock(connection, table_prefix),
        ):
            config = alembic_config(connection, table_prefix)
            _adopt_unversioned_tables(connection, config, table_prefix)
            command.upgrade(config, revision)
            if connection.in_transaction():
                connection.commit()
    finally:
        if owned:
            engine.dispose()
    logger.info(
        "AspectFile: Database tables with prefix %r upgraded to revision %s",
        table_prefix,
        revision,
        extra={"action": "database_upgraded"},
    )


def downgrade_database(bind: sa.Engine | str | URL, table_prefix: str, *, revision: str) -> None:
    """Undo migrations down to *revision*; ``"base"`` drops every table and its data."""
    engine, owned = _engine_for(bind)
    try:
        with (
            _PROCESS_LOCK,
            _translated_errors(engine),
            engine.connect() as connection,
            _upgrade_lock(connection, table_prefix),
        ):
            command.downgrade(alembic_config(connection, table_prefix), revision)
            if connection.in_transaction():
                connection.commit()
    finally:
        if owned:
            engine.dispose()


def _engine_for(bind: sa.Engine | str | URL) -> tuple[sa.Engine, bool]:
    if isinstance(bind, sa.Engine):
        return bind, False
    return create_engine(bind), True


def _adopt_unversioned_tables(connection: sa.Connection, config: Config, prefix: str) -> None:
    """Record tables made without migrations at the newest revision, if they match it."""
    expected = {table.name for table in build_tables(prefix).metadata.sorted_tables}
    existing = set(sa.inspect(connection).get_table_names())
    connection.commit()
    if version_table_name(prefix) in existing:
        return

    present = expected & existing
    if not present:
        return
    if present != expected:
        missing = ", ".join(sorted(expected - present))
        raise ConfigurationError(
            Message.of(
                N_(
                    "the database has only some aspectfile tables (missing: {missing}) and no "
                    "migration history in {history}; restore the missing tables or drop the "
                    "others, then run 'aspectfile-run db upgrade' again"
                ),
                missing=missing,
                history=version_table_name(prefix),
            )
        )

    differences = schema_differences(connection, prefix)
    if differences:
        raise ConfigurationError(
            Message.of(
                N_(
                    "the aspectfile tables with prefix {prefix!r} have no migration history in "
                    "{history} and differ from this version's tables ({differences}); record "
                    "the revision they match with "
                    "alembic.command.stamp(alembic_config(url, prefix), revision), then upgrade"
                ),
                prefix=prefix,
                history=version_table_name(prefix),
                differences="; ".join(differences[:5]),
            )
        )

    logger.warning(
        "AspectFile: Tables with prefix %r exist without migration history; "
        "recording them at revision %s, which they match",
        prefix,
        head_revision(),
        extra={"action": "database_adopted"},
    )
    command.stamp(config, "head")
    if connection.in_transaction():
        connection.commit()


def schema_differences(connection: sa.Connection, prefix: str = "") -> list[str]:
    """Describe how the tables under *prefix* differ from :func:`build_tables`, one line each.

    An empty list means the columns, types, keys, constraints and indexes all
    match. Alembic's comparison does not see SQLite's AUTOINCREMENT flag.
    """

    def ours(name: str | None, type_: str, _parent: object) -> bool:
        return type_ != "table" or (
            name is not None
            and name.startswith(f"{prefix}aspect_file_")
            and name != version_table_name(prefix)
        )

    context = MigrationContext.configure(
        connection, opts={"include_name": ours, "compare_type": True}
    )
    found = compare_metadata(context, build_tables(prefix).metadata)
    if connection.in_transaction():
        connection.commit()
    return [_describe_difference(difference) for difference in found]


def _describe_difference(difference: Any) -> str:
    # Alembic reports a change as a tuple (operation, object, ...), or as a
    # list of tuples (operation, schema, table, column, ...) for column changes.
    if isinstance(difference, list):
        operation, _schema, table, column = difference[0][:4]
        return f"{operation} {table}.{column}"
    operation, target = difference[0], difference[1]
    return f"{operation} {getattr(target, 'name', target)}"


@contextlib.contextmanager
def _upgrade_lock(connection: sa.Connection, prefix: str) -> Iterator[None]:
    """Hold a per-prefix lock for the session on PostgreSQL, MySQL and MariaDB."""
    dialect = connection.dialect.name
    name = f"aspectfile_migrate_{prefix}"
    if dialect == "postgresql":
        key = zlib.crc32(name.encode())
        connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": key})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()
        return

    if dialect in ("mysql", "mariadb"):
        acquired = connection.scalar(
            sa.text("SELECT GET_LOCK(:name, :timeout)"),
            {"name": name[:64], "timeout": LOCK_TIMEOUT_SECONDS},
        )
        connection.commit()
        if acquired != 1:
            raise TransientError(
                Message.of(
                    N_(
                        "another database upgrade of table prefix {prefix!r} held its lock for "
                        "{seconds} seconds; run 'aspectfile-run db upgrade' again"
                    ),
                    prefix=prefix,
                    seconds=LOCK_TIMEOUT_SECONDS,
                )
            )
        try:
            yield
        finally:
            connection.execute(sa.text("SELECT RELEASE_LOCK(:name)"), {"name": name[:64]})
            connection.commit()
        return

    yield


@contextlib.contextmanager
def _translated_errors(engine: sa.Engine) -> Iterator[None]:
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
        problem = configuration_problem(error, engine.url)
        if problem is not None:
            raise problem from error
        detail = redact(str(error.orig).strip().splitlines()[0] if error.orig else str(error))
        raise TransientError(
            Message.of(N_("database unavailable during the upgrade: {detail}"), detail=detail)
        ) from error
    except CommandError as error:
        raise ConfigurationError(
            Message.of(
                N_(
                    "database migration failed: {detail}; if the database was upgraded "
                    "by a newer aspectfile-core, install that version"
                ),
                detail=redact(str(error)),
            )
        ) from error


__all__ = [
    "alembic_config",
    "database_revision",
    "downgrade_database",
    "head_revision",
    "schema_differences",
    "table_name",
    "upgrade_database",
    "version_table_name",
]
