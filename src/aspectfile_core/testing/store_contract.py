"""The object store contract, as a pytest class to subclass.

Subclass :class:`ObjectStoreContract` and provide two fixtures: ``store``, an
empty store whose default delivery options are the defaults, and
``read_object``, a function that returns the bytes at ``bucket/path`` in that
store, or None when nothing is there::

    class TestMyStore(ObjectStoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            return MyStore(tmp_path)

        @pytest.fixture
        def read_object(self, tmp_path):
            return lambda bucket, path: ...

Every test stores into the bucket returned by the ``bucket`` fixture, which
subclasses may override (an S3 store needs an existing bucket).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from aspectfile_core.domain.errors import ConfigurationError
from aspectfile_core.ports import (
    CompletionMarker,
    Compression,
    DeliveryOptions,
    IfExists,
    ObjectStore,
)

ReadObject = Callable[[str, str], bytes | None]
LocalFile = Callable[[bytes], Path]

CONTENT = "id;name\r\n1;José Araújo\r\n2;Maria da Silva\r\n".encode("latin-1")
OTHER_CONTENT = b"id;name\r\n9;someone else\r\n"


class ObjectStoreContract:
    """Behaviour every :class:`~aspectfile_core.ports.ObjectStore` must have."""

    @pytest.fixture
    def store(self) -> ObjectStore:
        raise NotImplementedError("subclasses provide a 'store' fixture")

    @pytest.fixture
    def read_object(self) -> ReadObject:
        raise NotImplementedError("subclasses provide a 'read_object' fixture")

    @pytest.fixture
    def bucket(self) -> str:
        return "dialer"

    @pytest.fixture
    def local_file(self, tmp_path: Path) -> LocalFile:
        def write(content: bytes) -> Path:
            folder = tmp_path / "generated"
            folder.mkdir(exist_ok=True)
            path = folder / f"file-{hashlib.sha256(content).hexdigest()[:8]}.txt"
            path.write_bytes(content)
            return path

        return write

    def test_store_reports_size_and_sha256(
        self, store: ObjectStore, read_object: ReadObject, bucket: str, local_file: LocalFile
    ) -> None:
        """Storing returns the stored size and SHA-256, and the object contains the file's bytes."""
        stored = store.store(
            local_file(CONTENT), bucket=bucket, file_path="out/calls.txt", record_count=2
        )

        assert stored.size == len(CONTENT)
        assert stored.sha256 == hashlib.sha256(CONTENT).hexdigest()
        assert stored.path.endswith("out/calls.txt")
        assert stored.marker_path is None
        assert read_object(bucket, "out/calls.txt") == CONTENT

    def test_overwrite_replaces_object(
        self, store: ObjectStore, read_object: ReadObject, bucket: str, local_file: LocalFile
    ) -> None:
        """The default policy replaces an object already at the name."""
        store.store(local_file(OTHER_CONTENT), bucket=bucket, file_path="a.txt", record_count=1)

        store.store(local_file(CONTENT), bucket=bucket, file_path="a.txt", record_count=2)

        assert read_object(bucket, "a.txt") == CONTENT

    def test_fail_policy_rejects_other_object(
        self, store: ObjectStore, read_object: ReadObject, bucket: str, local_file: LocalFile
    ) -> None:
        """With if_exists = fail, another file at the name is a configuration error and stays."""
        store.store(local_file(OTHER_CONTENT), bucket=bucket, file_path="a.txt", record_count=1)
        delivery = DeliveryOptions(if_exists=IfExists.FAIL)

        with pytest.raises(ConfigurationError, match="already exists"):
            store.store(
                local_file(CONTENT),
                bucket=bucket,
                file_path="a.txt",
                record_count=2,
                delivery=delivery,
            )

        assert read_object(bucket, "a.txt") == OTHER_CONTENT

    def test_fail_policy_accepts_same_file(
        self, store: ObjectStore, read_object: ReadObject, bucket: str, local_file: LocalFile
    ) -> None:
        """With if_exists = fail, a retry that finds its own file at the name succeeds."""
        delivery = DeliveryOptions(if_exists=IfExists.FAIL)
        first = store.store(
            local_file(CONTENT), bucket=bucket, file_path="a.txt", record_count=2, delivery=delivery
        )

        again = store.store(
            local_file(CONTENT), bucket=bucket, file_path="a.txt", record_count=2, delivery=delivery
        )

        assert again == first
        assert read_object(bucket, "a.txt") == CONTENT

    def test_suffix_policy_takes_next_free_name(
        self, store: ObjectStore, read_object: ReadObject, bucket: str, local_file: LocalFile
    ) -> None:
        """With if_exists = suffix, the file goes to ``<stem>_1<ext>`` and the old one stays."""
        store.store(local_file(OTHER_CONTENT), bucket=bucket, file_path="a.txt", record_count=1)
        delivery = DeliveryOptions(if_exists=IfExists.SUFFIX)

        stored = store.store(
            local_file(CONTENT), bucket=bucket, file_path="a.txt", record_count=2, delivery=delivery
        )

        assert stored.path.endswith("a_1.txt")
        assert read_object(bucket, "a.txt") == OTHER_CONTENT
        assert read_object(bucket, "a_1.txt") == CONTENT

    def test_done_marker_is_empty(
        self, store: ObjectStore, read_object: ReadObject, bucket: str, local_file: LocalFile
    ) -> None:
        """The ``done`` marker is an empty ``<name>.done`` next to the file."""
        delivery = DeliveryOptions(completion_marker=CompletionMarker.DONE)

        stored = store.store(
            local_file(CONTENT), bucket=bucket, file_path="a.txt", record_count=2, delivery=delivery
        )

        assert stored.marker_path is not None
        assert stored.marker_path.endswith("a.txt.done")
        assert read_object(bucket, "a.txt.done") == b""

    def test_manifest_describes_file(
        self, store: ObjectStore, read_object: ReadObject, bucket: str, local_file: LocalFile
    ) -> None:
        """The manifest contains the stored name, size, SHA-256 and record count."""
        delivery = DeliveryOptions(completion_marker=CompletionMarker.MANIFEST)

        stored = store.store(
            local_file(CONTENT), bucket=bucket, file_path="a.txt", record_count=2, delivery=delivery
        )

        manifest = read_object(bucket, "a.txt.manifest.json")
        assert manifest is not None
        assert json.loads(manifest) == {
            "name": "a.txt",
            "size": stored.size,
            "sha256": stored.sha256,
            "record_count": 2,
            "compression": "none",
        }

    def test_gzip_stores_compressed_copy(
        self, store: ObjectStore, read_object: ReadObject, bucket: str, local_file: LocalFile
    ) -> None:
        """With gzip, ``<name>.gz`` contains the compressed file, and size and SHA-256 are of it."""
        delivery = DeliveryOptions(compression=Compression.GZIP)

        stored = store.store(
            local_file(CONTENT), bucket=bucket, file_path="a.txt", record_count=2, delivery=delivery
        )

        compressed = read_object(bucket, "a.txt.gz")
        assert compressed is not None
        assert gzip.decompress(compressed) == CONTENT
        assert stored.size == len(compressed)
        assert stored.sha256 == hashlib.sha256(compressed).hexdigest()
        assert read_object(bucket, "a.txt") is None

    def test_gzip_is_repeatable(
        self, store: ObjectStore, read_object: ReadObject, bucket: str, local_file: LocalFile
    ) -> None:
        """Compressing the same file twice gives the same bytes, so a retry can find its own file."""
        delivery = DeliveryOptions(compression=Compression.GZIP, if_exists=IfExists.FAIL)

        first = store.store(
            local_file(CONTENT), bucket=bucket, file_path="a.txt", record_count=2, delivery=delivery
        )
        again = store.store(
            local_file(CONTENT), bucket=bucket, file_path="a.txt", record_count=2, delivery=delivery
        )

        assert again.sha256 == first.sha256

    def test_empty_file_is_rejected(
        self, store: ObjectStore, read_object: ReadObject, bucket: str, local_file: LocalFile
    ) -> None:
        """A zero-byte file is a configuration error and nothing is stored."""
        with pytest.raises(ConfigurationError, match="empty"):
            store.store(local_file(b""), bucket=bucket, file_path="a.txt", record_count=0)

        assert read_object(bucket, "a.txt") is None


__all__ = ["ObjectStoreContract", "ReadObject"]
