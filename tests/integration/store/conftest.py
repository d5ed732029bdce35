"""Servers for the store tests, all on 127.0.0.1: moto's S3 server and an SFTP server.

Every test gets dummy AWS credentials in its environment and no shared AWS
configuration, so nothing reaches a real AWS endpoint or the instance
metadata address.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from aspectfile_core.adapters.fsspec_store import FsspecObjectStore
from aspectfile_core.adapters.store_settings import MIB, StoreSettings
from aspectfile_core.ports import DeliveryOptions
from tests.integration.store.sftp_server import SftpServer

DUMMY_KEY_ID = "testing"
DUMMY_SECRET = "testing"
REGION = "us-east-1"
PART_SIZE = 5 * MIB


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class MotoS3:
    """moto's server mode on a port of 127.0.0.1, with a boto3 client to inspect it."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadedMotoServer | None = None

    def start(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self, service: str = "s3", **credentials: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=credentials.get("key_id", DUMMY_KEY_ID),
            aws_secret_access_key=credentials.get("secret", DUMMY_SECRET),
        )

    def new_bucket(self) -> str:
        name = f"dialer-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def read(self, bucket: str, key: str) -> bytes | None:
        try:
            answer = self.client().get_object(Bucket=bucket, Key=key)
        except self.client().exceptions.NoSuchKey:
            return None
        body: bytes = answer["Body"].read()
        return body

    def pending_uploads(self, bucket: str) -> list[str]:
        listing = self.client().list_multipart_uploads(Bucket=bucket)
        return [upload["Key"] for upload in listing.get("Uploads", [])]

    def keys(self, bucket: str) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def require_credentials(self, required: bool) -> None:
        """Switch moto's IAM credential and policy checks on or off for the whole process."""
        count = "0" if required else "inf"
        answer = requests.post(f"{self.url}/moto-api/reset-auth", data=count, timeout=10)
        answer.raise_for_status()


@pytest.fixture(autouse=True)
def aws_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Dummy credentials from the environment, no AWS profile files, no metadata lookups."""
    missing = tmp_path_factory.getbasetemp() / "no-aws-config"
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(missing))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(missing))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoS3]:
    """One moto S3 server for the session; tests keep apart by using buckets of their own."""
    server = MotoS3()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_moto() -> Iterator[MotoS3]:
    """A moto S3 server for one test, which may stop and restart it on the same port."""
    server = MotoS3()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def s3_settings(endpoint_url: str, **changes: Any) -> StoreSettings:
    """Store settings for a moto endpoint: 5 MiB parts and no retry inside a request."""
    values: dict[str, Any] = {
        "endpoint_url": endpoint_url,
        "region": REGION,
        "part_size": PART_SIZE,
        "max_attempts": 1,
        "connect_timeout": 5.0,
        "read_timeout": 30.0,
        "delivery": DeliveryOptions(),
    }
    values.update(changes)
    return StoreSettings(**values)


@pytest.fixture
def s3_store(moto: MotoS3) -> Callable[..., FsspecObjectStore]:
    """Return a function that builds an S3 store on the session's moto server."""

    def build(**changes: Any) -> FsspecObjectStore:
        on_progress = changes.pop("on_progress", None)
        return FsspecObjectStore(
            "s3://", settings=s3_settings(moto.url, **changes), on_progress=on_progress
        )

    return build


@pytest.fixture
def sftp_server(tmp_path: Path) -> Iterator[SftpServer]:
    """An SFTP server on 127.0.0.1 serving ``tmp_path / "sftp-root"``, with a client key."""
    server = SftpServer(tmp_path / "sftp-root", tmp_path / "sftp-keys")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write_file(folder: Path, name: str, content: bytes) -> Path:
    """Write *content* to ``folder / name`` and return the path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path
