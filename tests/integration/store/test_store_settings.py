"""Store settings from the environment, checked at start-up, and the ``store check`` command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from aspectfile_core.adapters.store_errors import InvalidStoreSetting
from aspectfile_core.adapters.store_settings import MIB, StoreSettings, effective_part_size
from aspectfile_core.bootstrap import Config
from aspectfile_core.ports import CompletionMarker, Compression, DeliveryOptions, IfExists
from tests.integration.store.conftest import MotoS3


def test_environment_sets_every_setting() -> None:
    """Each ASPECTFILE_S3_* and ASPECTFILE_STORE_* variable reaches its setting."""
    settings = StoreSettings.from_environment(
        {
            "ASPECTFILE_S3_ENDPOINT_URL": "http://minio.internal:9000",
            "ASPECTFILE_S3_REGION": "sa-east-1",
            "ASPECTFILE_S3_ADDRESSING_STYLE": "virtual",
            "ASPECTFILE_S3_PART_SIZE": "16MiB",
            "ASPECTFILE_S3_CHECKSUM": "md5",
            "ASPECTFILE_S3_MAX_ATTEMPTS": "5",
            "ASPECTFILE_S3_CONNECT_TIMEOUT": "2.5",
            "ASPECTFILE_S3_READ_TIMEOUT": "30",
            "ASPECTFILE_STORE_CREATE_ROOT": "false",
            "ASPECTFILE_STORE_IF_EXISTS": "suffix",
            "ASPECTFILE_STORE_COMPLETION_MARKER": "manifest",
            "ASPECTFILE_STORE_COMPRESSION": "gzip",
        }
    )

    assert settings == StoreSettings(
        endpoint_url="http://minio.internal:9000",
        region="sa-east-1",
        addressing_style="virtual",
        part_size=16 * MIB,
        checksum="md5",
        max_attempts=5,
        connect_timeout=2.5,
        read_timeout=30.0,
        create_root=False,
        delivery=DeliveryOptions(
            if_exists=IfExists.SUFFIX,
            completion_marker=CompletionMarker.MANIFEST,
            compression=Compression.GZIP,
        ),
    )


def test_endpoint_means_path_style() -> None:
    """An endpoint URL (MinIO) selects path-style addressing unless another style is set."""
    assert StoreSettings(endpoint_url="http://minio:9000").resolved_addressing_style == "path"
    assert StoreSettings().resolved_addressing_style == "auto"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        pytest.param(
            "ASPECTFILE_S3_ENDPOINT_URL",
            "minio:9000",
            "needs a scheme and a host",
            id="endpoint-without-scheme",
        ),
        pytest.param(
            "ASPECTFILE_S3_ENDPOINT_URL",
            "ftp://minio:9000",
            "needs a scheme and a host",
            id="endpoint-wrong-scheme",
        ),
        pytest.param(
            "ASPECTFILE_S3_PART_SIZE", "4MiB", "between 5 MiB and 5 GiB", id="part-too-small"
        ),
        pytest.param(
            "ASPECTFILE_S3_PART_SIZE",
            "5242879",
            "between 5 MiB and 5 GiB",
            id="part-one-byte-short",
        ),
        pytest.param(
            "ASPECTFILE_S3_PART_SIZE", "6GiB", "between 5 MiB and 5 GiB", id="part-too-large"
        ),
        pytest.param("ASPECTFILE_S3_PART_SIZE", "8 MB", "KiB, MiB or GiB", id="part-unknown-unit"),
        pytest.param("ASPECTFILE_S3_CHECKSUM", "crc32", "docs/storage.md", id="unknown-checksum"),
        pytest.param("ASPECTFILE_S3_MAX_ATTEMPTS", "0", "greater than 0", id="no-attempts"),
        pytest.param(
            "ASPECTFILE_S3_READ_TIMEOUT", "soon", "must be a number", id="timeout-not-number"
        ),
        pytest.param("ASPECTFILE_STORE_CREATE_ROOT", "maybe", "true or false", id="flag"),
        pytest.param("ASPECTFILE_STORE_IF_EXISTS", "replace", "docs/storage.md", id="if-exists"),
        pytest.param("ASPECTFILE_STORE_OPTIONS", "[1, 2]", "JSON object", id="options-not-object"),
    ],
)
def test_invalid_setting_names_variable(variable: str, value: str, message: str) -> None:
    """An invalid value stops start-up with a message that names the variable and the value."""
    with pytest.raises(InvalidStoreSetting, match=message) as raised:
        Config.from_environment({variable: value})

    assert str(raised.value).startswith(f"{variable} {value!r} is invalid")
    assert raised.value.setting == variable


def test_options_from_environment() -> None:
    """ASPECTFILE_STORE_OPTIONS contains fsspec storage options as JSON."""
    config = Config.from_environment({"ASPECTFILE_STORE_OPTIONS": '{"key_filename": "/etc/k"}'})

    assert config.storage_options == {"key_filename": "/etc/k"}


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        pytest.param(10 * MIB, 8 * MIB, id="small-file"),
        pytest.param(80_000 * MIB, 8 * MIB, id="exactly-10000-parts"),
        pytest.param(80_000 * MIB + 1, 9 * MIB, id="one-byte-more"),
    ],
)
def test_part_size_grows_for_huge_files(size: int, expected: int) -> None:
    """The part size grows in whole MiB when a file would need more than 10,000 parts."""
    assert effective_part_size(size, 8 * MIB) == expected


def run_cli(*arguments: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ASPECTFILE_", "LC_", "LANG"))
    }
    return subprocess.run(
        [sys.executable, "-m", "aspectfile_core", *arguments],
        env={**clean, "LANG": "en_US.UTF-8", **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_store_check_succeeds(moto: MotoS3, tmp_path: Path) -> None:
    """``store check`` prints the settings and round-trips a probe file through the bucket."""
    bucket = moto.new_bucket()
    env = {"ASPECTFILE_STORE_URL": "s3://", "ASPECTFILE_S3_ENDPOINT_URL": moto.url}

    result = run_cli("store", "check", "--bucket", bucket, env=env, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert re.search(rf"^Endpoint +{re.escape(moto.url)}$", result.stdout, re.MULTILINE)
    assert re.search(r"^Addressing style +path$", result.stdout, re.MULTILINE)
    assert "the store works" in result.stdout
    assert moto.keys(bucket) == []


def test_store_check_missing_bucket(moto: MotoS3, tmp_path: Path) -> None:
    """A missing bucket exits with 2 and a message in the operator's language."""
    env = {"ASPECTFILE_STORE_URL": "s3://", "ASPECTFILE_S3_ENDPOINT_URL": moto.url}

    english = run_cli("store", "check", "--bucket", "absent-bucket", env=env, cwd=tmp_path)
    portuguese = run_cli(
        "--locale", "pt_BR", "store", "check", "--bucket", "absent-bucket", env=env, cwd=tmp_path
    )

    assert english.returncode == 2
    assert "S3 bucket 'absent-bucket' not found" in english.stderr
    assert portuguese.returncode == 2
    assert "bucket S3 'absent-bucket' não encontrado" in portuguese.stderr


def test_endpoint_without_scheme_stops_cli(tmp_path: Path) -> None:
    """An endpoint without a scheme stops every command at start-up with exit code 2."""
    env = {"ASPECTFILE_STORE_URL": "s3://dialer", "ASPECTFILE_S3_ENDPOINT_URL": "minio:9000"}

    result = run_cli("list", env=env, cwd=tmp_path)

    assert result.returncode == 2
    assert "ASPECTFILE_S3_ENDPOINT_URL 'minio:9000' is invalid" in result.stderr
