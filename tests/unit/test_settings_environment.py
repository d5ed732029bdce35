"""Worker settings read from ASPECTFILE_* environment variables."""

from __future__ import annotations

import pytest

from aspectfile_core.bootstrap import Config, service_settings_from_environment
from aspectfile_core.domain.errors import ConfigurationError
from aspectfile_core.services import ServiceSettings


def test_unset_variables_keep_defaults() -> None:
    """With no variable set, or set empty, every setting keeps its documented default."""
    empty = dict.fromkeys(
        (
            "ASPECTFILE_MAX_ATTEMPTS",
            "ASPECTFILE_RETRY_WAIT_INITIAL",
            "ASPECTFILE_RETRY_WAIT_MAX",
            "ASPECTFILE_LEASE_SECONDS",
            "ASPECTFILE_MAX_LEADS_PER_BATCH",
            "ASPECTFILE_CHUNK_SIZE",
        ),
        "",
    )

    for env in ({}, empty):
        settings = service_settings_from_environment(env)

        assert settings == ServiceSettings()
        assert settings.retry.wait_initial_seconds == 30
        assert settings.retry.wait_max_seconds == 3600
        assert settings.retry.max_attempts == 10
        assert settings.lease_seconds == 300
        assert settings.max_leads_per_batch is None


def test_every_variable_read() -> None:
    """Each variable sets its own setting."""
    settings = service_settings_from_environment(
        {
            "ASPECTFILE_MAX_ATTEMPTS": "4",
            "ASPECTFILE_RETRY_WAIT_INITIAL": "2.5",
            "ASPECTFILE_RETRY_WAIT_MAX": " 600 ",
            "ASPECTFILE_LEASE_SECONDS": "90",
            "ASPECTFILE_MAX_LEADS_PER_BATCH": "5000",
            "ASPECTFILE_CHUNK_SIZE": "250",
        }
    )

    assert settings.retry.max_attempts == 4
    assert settings.retry.wait_initial_seconds == 2.5
    assert settings.retry.wait_max_seconds == 600
    assert settings.lease_seconds == 90
    assert settings.max_leads_per_batch == 5000
    assert settings.chunk_size == 250


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ASPECTFILE_MAX_ATTEMPTS", "0"),
        ("ASPECTFILE_MAX_ATTEMPTS", "2.5"),
        ("ASPECTFILE_MAX_LEADS_PER_BATCH", "-3"),
        ("ASPECTFILE_MAX_LEADS_PER_BATCH", "many"),
        ("ASPECTFILE_CHUNK_SIZE", "0"),
        ("ASPECTFILE_RETRY_WAIT_INITIAL", "0"),
        ("ASPECTFILE_RETRY_WAIT_MAX", "-1"),
        ("ASPECTFILE_RETRY_WAIT_MAX", "nan"),
        ("ASPECTFILE_LEASE_SECONDS", "inf"),
        ("ASPECTFILE_LEASE_SECONDS", "5m"),
    ],
    ids=[
        "attempts-zero",
        "attempts-fraction",
        "batch-size-negative",
        "batch-size-word",
        "chunk-zero",
        "wait-zero",
        "wait-max-negative",
        "wait-max-nan",
        "lease-infinite",
        "lease-with-unit",
    ],
)
def test_invalid_value_names_variable(name: str, value: str) -> None:
    """An invalid value is rejected with the variable's name and the value in the message."""
    with pytest.raises(ConfigurationError, match=rf"^{name}={value!r} is invalid"):
        service_settings_from_environment({name: value})


def test_config_reads_settings() -> None:
    """Config.from_environment carries the worker settings and the table prefix."""
    config = Config.from_environment(
        {"ASPECTFILE_LEASE_SECONDS": "60", "ASPECTFILE_TABLE_PREFIX": "mautic_"}
    )

    assert config.settings.lease_seconds == 60
    assert config.table_prefix == "mautic_"


def test_invalid_prefix_names_variable() -> None:
    """A table prefix that cannot start a table name is rejected with the variable's name."""
    with pytest.raises(ConfigurationError, match=r"^ASPECTFILE_TABLE_PREFIX: table prefix"):
        Config.from_environment({"ASPECTFILE_TABLE_PREFIX": "my-app_"})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("lease_seconds", 0, "lease_seconds must be greater than 0"),
        ("max_leads_per_batch", 0, "max_leads_per_batch must be at least 1"),
        ("chunk_size", 0, "chunk_size must be at least 1"),
    ],
    ids=["lease", "batch-size", "chunk"],
)
def test_settings_validate(field: str, value: int, message: str) -> None:
    """ServiceSettings rejects values that would stall or break workers, whatever their source."""
    with pytest.raises(ValueError, match=message):
        ServiceSettings(**{field: value})  # type: ignore[arg-type]  # each case names a real field
