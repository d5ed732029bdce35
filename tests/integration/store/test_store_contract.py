"""The object store contract, run against every store: memory, folder, S3 (moto) and SFTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aspectfile_core.adapters.fsspec_store import FsspecObjectStore
from aspectfile_core.ports import ObjectStore
from aspectfile_core.testing import MemoryObjectStore
from aspectfile_core.testing.store_contract import ObjectStoreContract, ReadObject
from tests.integration.store.conftest import MotoS3
from tests.integration.store.sftp_server import SftpServer


class TestMemoryStore(ObjectStoreContract):
    @pytest.fixture
    def store(self) -> MemoryObjectStore:
        return MemoryObjectStore()

    @pytest.fixture
    def read_object(self, store: MemoryObjectStore) -> ReadObject:
        return lambda bucket, path: store.objects.get(f"{bucket}/{path}")


class TestFolderStore(ObjectStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> ObjectStore:
        return FsspecObjectStore(str(tmp_path / "outbox"))

    @pytest.fixture
    def read_object(self, tmp_path: Path) -> ReadObject:
        def read(bucket: str, path: str) -> bytes | None:
            stored = tmp_path / "outbox" / bucket / path
            return stored.read_bytes() if stored.exists() else None

        return read


class TestS3Store(ObjectStoreContract):
    @pytest.fixture
    def bucket(self, moto: MotoS3) -> str:
        return moto.new_bucket()

    @pytest.fixture
    def store(self, s3_store: Callable[..., FsspecObjectStore]) -> ObjectStore:
        return s3_store()

    @pytest.fixture
    def read_object(self, moto: MotoS3) -> ReadObject:
        return moto.read


class TestSftpStore(ObjectStoreContract):
    @pytest.fixture
    def store(self, sftp_server: SftpServer) -> ObjectStore:
        return FsspecObjectStore(f"{sftp_server.url}/outbox", sftp_server.client_options())

    @pytest.fixture
    def read_object(self, sftp_server: SftpServer) -> ReadObject:
        def read(bucket: str, path: str) -> bytes | None:
            stored = sftp_server.root / "outbox" / bucket / path
            return stored.read_bytes() if stored.exists() else None

        return read
