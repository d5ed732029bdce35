"""Engines configured for safe concurrent use on each supported database."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from aspectfile_core.domain.errors import ConfigurationError
from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.redaction import redact

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
"""How long a SQLite writer waits for the write lock before it reports the database locked."""

_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}

READ_ONLY = {"aspectfile_read_only": True}
"""Execution options for a connection that only reads; on SQLite it takes no write lock."""


def normalize_url(url: str | URL) -> URL:
    """Return *url* with this library's drivers: psycopg 3 for PostgreSQL, PyMySQL for MySQL/MariaDB."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as error:
        raise ConfigurationError(
            Message.of(
                N_(
                    "database URL {url!r} is invalid; use a SQLAlchemy URL such as "
                    "sqlite:///aspectfile.db or postgresql://user@host/db"
                ),
                url=redact(str(url)),
            )
        ) from error

    driver = _DRIVERS.get(parsed.drivername)
    if driver is not None:
        parsed = parsed.set(drivername=driver)
    if parsed.get_backend_name() in ("mysql", "mariadb") and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed


def create_engine(url: str | URL, **options: Any) -> sa.Engine:
    """Create an engine for *url*, with SQLite set up for WAL, foreign keys and immediate writes."""
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _create_sqlite_engine(parsed, **options)
    if backend not in ("postgresql", "mysql", "mariadb"):
        raise ConfigurationError(
            Message.of(
                N_(
                    "database {backend!r} is not supported; use SQLite, PostgreSQL, MySQL or MariaDB"
                ),
                backend=backend,
            )
        )
    options.setdefault("pool_pre_ping", True)
    if backend in ("mysql", "mariadb"):
        # InnoDB's default REPEATABLE READ takes gap locks on locking reads,
        # which turns concurrent claims and inserts of new batches into
        # deadlocks; READ COMMITTED locks only the rows it reads, as
        # PostgreSQL's default does.
        options.setdefault("isolation_level", "READ COMMITTED")
    try:
        return sa.create_engine(parsed, **options)
    except ModuleNotFoundError as error:
        extra = "postgres" if backend == "postgresql" else "mysql"
        raise ConfigurationError(
            Message.of(
                N_(
                    "the {backend} driver is not installed ({module}); "
                    "install it with pip install 'aspectfile-core[{extra}]'"
                ),
                backend=backend,
                module=error.name,
                extra=extra,
            )
        ) from error


def _create_sqlite_engine(url: URL, **options: Any) -> sa.Engine:
    connect_args = options.pop("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_SECONDS)
    connect_args.setdefault("check_same_thread", False)
    engine = sa.create_engine(url, connect_args=connect_args, **options)
    in_memory = url.database in (None, "", ":memory:")

    @sa.event.listens_for(engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, instead of pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def begin(connection: sa.Connection) -> None:
        # A deferred BEGIN upgrades to a write lock at the first write and fails
        # at once with "database is locked" when another writer holds it,
        # whatever the busy timeout. BEGIN IMMEDIATE waits for the lock instead.
        if connection.get_execution_options().get("aspectfile_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
