"""SQL storage on SQLAlchemy Core: SQLite (the embedded default), PostgreSQL, MySQL and MariaDB."""

from aspectfile_core.adapters.sql.engine import create_engine, normalize_url
from aspectfile_core.adapters.sql.migrations import upgrade_database
from aspectfile_core.adapters.sql.repository import SqlBatchRepository
from aspectfile_core.adapters.sql.tables import Tables, build_tables, metadata

__all__ = [
    "SqlBatchRepository",
    "Tables",
    "build_tables",
    "create_engine",
    "metadata",
    "normalize_url",
    "upgrade_database",
]
