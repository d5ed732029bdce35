"""The store on a local folder: temporary name, fsync and rename, and a worker killed mid-write."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aspectfile_core.adapters.fsspec_store import FsspecObjectStore
from aspectfile_core.adapters.store_errors import StoreFolderNotFound, StoreRejected
from aspectfile_core.adapters.store_settings import MIB, StoreSettings
from aspectfile_core.domain.errors import ConfigurationError
from aspectfile_core.ports import CompletionMarker, DeliveryOptions, IfExists
from tests.integration.store.conftest import write_file

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from aspectfile_core.adapters.fsspec_store import FsspecObjectStore

    def stop_after_first_block(sent, total):
        print("writing", flush=True)
        sys.stdin.read()

    store = FsspecObjectStore(sys.argv[1], on_progress=stop_after_first_block)
    store.store(Path(sys.argv[2]), bucket="dialer", file_path="out/calls.txt", record_count=1)
    """
)


def test_killed_worker_leaves_no_file(tmp_path: Path) -> None:
    """A worker killed mid-write leaves nothing at the final name; the next store cleans up."""
    outbox = tmp_path / "outbox"
    data = os.urandom(3 * MIB)
    local = write_file(tmp_path / "generated", "calls.txt", data)
    script = write_file(tmp_path, "writer.py", WRITER.encode())
    with subprocess.Popen(
        [sys.executable, str(script), str(outbox), str(local)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    ) as worker:
        assert worker.stdout is not None
        try:
            assert worker.stdout.readline() == b"writing\n"
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=60)

    folder = outbox / "dialer" / "out"
    leftovers = [path.name for path in folder.iterdir()]
    assert not (folder / "calls.txt").exists()
    assert len(leftovers) == 1
    assert leftovers[0].startswith(".calls.txt.")
    assert leftovers[0].endswith(".part")

    stored = FsspecObjectStore(str(outbox)).store(
        local, bucket="dialer", file_path="out/calls.txt", record_count=1
    )

    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert [path.name for path in folder.iterdir()] == ["calls.txt"]
    assert (folder / "calls.txt").read_bytes() == data


def test_store_leaves_only_the_file(tmp_path: Path) -> None:
    """After a store the folder contains the file and no temporary file."""
    local = write_file(tmp_path / "generated", "a.txt", b"data\n")

    stored = FsspecObjectStore(str(tmp_path / "outbox")).store(
        local, bucket="", file_path="a.txt", record_count=1
    )

    assert stored.path == str(tmp_path / "outbox" / "a.txt")
    assert [path.name for path in (tmp_path / "outbox").iterdir()] == ["a.txt"]


def test_missing_root_not_created(tmp_path: Path) -> None:
    """With create_root off, a missing root folder (an unmounted share) is a configuration error."""
    local = write_file(tmp_path / "generated", "a.txt", b"data\n")
    store = FsspecObjectStore(str(tmp_path / "share"), settings=StoreSettings(create_root=False))

    with pytest.raises(StoreFolderNotFound, match="ASPECTFILE_STORE_CREATE_ROOT"):
        store.store(local, bucket="dialer", file_path="a.txt", record_count=1)

    assert not (tmp_path / "share").exists()


def test_marker_failure_removes_file(tmp_path: Path) -> None:
    """When the marker cannot be written, the data file is removed too."""
    local = write_file(tmp_path / "generated", "a.txt", b"data\n")
    blocked = tmp_path / "outbox" / "a.txt.done"
    blocked.mkdir(parents=True)
    store = FsspecObjectStore(
        str(tmp_path / "outbox"),
        settings=StoreSettings(delivery=DeliveryOptions(completion_marker=CompletionMarker.DONE)),
    )

    with pytest.raises(ConfigurationError, match="writing the completion marker"):
        store.store(local, bucket="", file_path="a.txt", record_count=1)

    assert not (tmp_path / "outbox" / "a.txt").exists()
    assert sorted(path.name for path in (tmp_path / "outbox").iterdir()) == ["a.txt.done"]


@pytest.mark.parametrize(
    ("bucket", "file_path"),
    [
        pytest.param("", "../escape.txt", id="parent-segment"),
        pytest.param("", "/etc/escape.txt", id="absolute-path"),
        pytest.param("a/b", "x.txt", id="slash-in-bucket"),
        pytest.param("..", "x.txt", id="parent-bucket"),
    ],
)
def test_path_outside_root_rejected(tmp_path: Path, bucket: str, file_path: str) -> None:
    """A bucket or file path that would leave the store root is rejected before anything is written."""
    local = write_file(tmp_path / "generated", "a.txt", b"data\n")
    store = FsspecObjectStore(str(tmp_path / "outbox"))

    with pytest.raises(StoreRejected, match="leaves the store root"):
        store.store(local, bucket=bucket, file_path=file_path, record_count=1)

    assert not (tmp_path / "outbox").exists()


def test_fail_policy_keeps_race_safe(tmp_path: Path) -> None:
    """With if_exists = fail the final name is taken with a hard link, which never replaces."""
    outbox = tmp_path / "outbox"
    write_file(outbox, "a.txt", b"someone else's file\n")
    local = write_file(tmp_path / "generated", "a.txt", b"data\n")
    store = FsspecObjectStore(
        str(outbox), settings=StoreSettings(delivery=DeliveryOptions(if_exists=IfExists.FAIL))
    )

    with pytest.raises(ConfigurationError, match="if_exists is 'fail'"):
        store.store(local, bucket="", file_path="a.txt", record_count=1)

    assert (outbox / "a.txt").read_bytes() == b"someone else's file\n"
    assert sorted(path.name for path in outbox.iterdir()) == ["a.txt"]
