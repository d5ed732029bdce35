"""Wire the real adapters to the batch service from a database URL and a store URL."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import attrs

from aspectfile_core.adapters.clock import SystemClock
from aspectfile_core.adapters.fsspec_store import FsspecObjectStore
from aspectfile_core.adapters.sql import SqlBatchRepository, create_engine
from aspectfile_core.adapters.sql.tables import DEFAULT_TABLES, build_tables, check_prefix
from aspectfile_core.adapters.store_settings import StoreSettings, storage_options_from_environment
from aspectfile_core.domain.errors import ConfigurationError
from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.domain.retry import RetryPolicy
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
    """fsspec options for the store URL (``ASPECTFILE_STORE_OPTIONS``); never credentials for S3."""
    settings: ServiceSettings = attrs.field(factory=ServiceSettings)
    store: StoreSettings = attrs.field(factory=StoreSettings)
    """S3 connection settings and the destination's delivery options (docs/storage.md)."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """Read ``ASPECTFILE_DATABASE_URL``, ``ASPECTFILE_STORE_URL``, ``ASPECTFILE_TABLE_PREFIX``
        and the worker settings of :func:`service_settings_from_environment`; *overrides* win
        when not None."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {
            "database_url": env.get("ASPECTFILE_DATABASE_URL") or DEFAULT_DATABASE_URL,
            "store_url": env.get("ASPECTFILE_STORE_URL") or DEFAULT_STORE_URL,
            "table_prefix": _table_prefix(env),
            "settings": service_settings_from_environment(env),
            "storage_options": storage_options_from_environment(env),
            "store": StoreSettings.from_environment(env),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


def service_settings_from_environment(env: Mapping[str, str]) -> ServiceSettings:
    """Read the worker settings from *env*; an unset or empty variable keeps the default.

    ``ASPECTFILE_MAX_ATTEMPTS``, ``ASPECTFILE_RETRY_WAIT_INITIAL`` and
    ``ASPECTFILE_RETRY_WAIT_MAX`` (seconds) set the retry policy;
    ``ASPECTFILE_LEASE_SECONDS``, ``ASPECTFILE_MAX_LEADS_PER_BATCH`` and
    ``ASPECTFILE_CHUNK_SIZE`` set the rest. Raises :class:`ConfigurationError`
    naming the variable when a value is invalid.
    """
    defaults = ServiceSettings()
    retry = RetryPolicy(
        wait_initial_seconds=_seconds(
            env, "ASPECTFILE_RETRY_WAIT_INITIAL", defaults.retry.wait_initial_seconds
        ),
        wait_max_seconds=_seconds(
            env, "ASPECTFILE_RETRY_WAIT_MAX", defaults.retry.wait_max_seconds
        ),
        max_attempts=_count(env, "ASPECTFILE_MAX_ATTEMPTS") or defaults.retry.max_attempts,
    )
    return attrs.evolve(
        defaults,
        retry=retry,
        lease_seconds=_seconds(env, "ASPECTFILE_LEASE_SECONDS", defaults.lease_seconds),
        chunk_size=_count(env, "ASPECTFILE_CHUNK_SIZE") or defaults.chunk_size,
        max_leads_per_batch=_count(env, "ASPECTFILE_MAX_LEADS_PER_BATCH"),
    )


def _table_prefix(env: Mapping[str, str]) -> str:
    raw = env.get("ASPECTFILE_TABLE_PREFIX", "").strip()
    try:
        return check_prefix(raw)
    except ConfigurationError as error:
        raise ConfigurationError(
            Message.of(N_("ASPECTFILE_TABLE_PREFIX: {detail}"), detail=error.detail)
        ) from error


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigurationError(
            Message.of(
                N_(
                    "{name}={value!r} is invalid; use a number of seconds greater than 0, "
                    "such as {default}"
                ),
                name=name,
                value=raw,
                default=f"{default:g}",
            )
        )
    return value


def _count(env: Mapping[str, str], name: str) -> int | None:
    """Return the whole number of at least 1 in variable *name*, or None when it is unset."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigurationError(
            Message.of(
                N_("{name}={value!r} is invalid; use a whole number of at least 1"),
                name=name,
                value=raw,
            )
        )
    return value


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
        FsspecObjectStore(config.store_url, config.storage_options, settings=config.store),
        clock or SystemClock(),
        settings=config.settings,
        contact_source=contact_source,
    )
