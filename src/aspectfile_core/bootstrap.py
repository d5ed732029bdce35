"""Wire the real adapters to the batch service from a database URL and a store URL."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs

from aspectfile_core.adapters.clock import SystemClock
from aspectfile_core.adapters.fsspec_store import FsspecObjectStore
from aspectfile_core.adapters.sql import SqlBatchRepository, create_engine
from aspectfile_core.adapters.sql.tables import DEFAULT_TABLES, build_tables
from aspectfile_core.ports import Clock, ContactSource
from aspectfile_core.services import BatchService, ServiceSettings

DEFAULT_DATABASE_URL = "sqlite:///aspectfile.db"
DEFAULT_STORE_URL = "./aspectfile-files"


@attrs.frozen
class Config:
    """Where the database and the files live, and how the service behaves."""

    database_url: str = DEFAULT_DATABASE_URL
    store_url: str = DEFAULT_STORE_URL
    table_prefix: str = ""
    storage_options: Mapping[str, Any] = attrs.field(factory=dict)
    settings: ServiceSettings = attrs.field(factory=ServiceSettings)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """Read ``ASPECTFILE_DATABASE_URL`` and ``ASPECTFILE_STORE_URL``; *overrides* win when not None."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {
            "database_url": env.get("ASPECTFILE_DATABASE_URL") or DEFAULT_DATABASE_URL,
            "store_url": env.get("ASPECTFILE_STORE_URL") or DEFAULT_STORE_URL,
            "table_prefix": env.get("ASPECTFILE_TABLE_PREFIX", ""),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


def build_repository(config: Config) -> SqlBatchRepository:
    """Create the SQL repository for *config*; no connection is made until first use."""
    tables = build_tables(config.table_prefix) if config.table_prefix else DEFAULT_TABLES
    return SqlBatchRepository(create_engine(config.database_url), tables)


def build_service(
    config: Config,
    *,
    clock: Clock | None = None,
    contact_source: ContactSource | None = None,
) -> BatchService:
    """Create a batch service on the SQL repository and fsspec store that *config* names."""
    return BatchService(
        build_repository(config),
        FsspecObjectStore(config.store_url, config.storage_options),
        clock or SystemClock(),
        settings=config.settings,
        contact_source=contact_source,
    )
