"""The store on an SFTP server (asyncssh on 127.0.0.1) through fsspec and paramiko."""

from __future__ import annotations

from pathlib import Path

import pytest

from aspectfile_core.adapters.fsspec_store import FsspecObjectStore
from aspectfile_core.adapters.store_errors import CredentialsRejected, StoreUnavailable
from aspectfile_core.domain.errors import ConfigurationError, TransientError
from tests.integration.store.conftest import write_file
from tests.integration.store.sftp_server import SftpServer


def test_stored_path_names_server(sftp_server: SftpServer, tmp_path: Path) -> None:
    """The stored path is an sftp URL with the user and the host, and no temporary file remains."""
    local = write_file(tmp_path / "generated", "a.txt", b"data\n")
    store = FsspecObjectStore(f"{sftp_server.url}/outbox", sftp_server.client_options())

    stored = store.store(local, bucket="dialer", file_path="day/a.txt", record_count=1)

    assert stored.path == f"{sftp_server.url}/outbox/dialer/day/a.txt"
    folder = sftp_server.root / "outbox" / "dialer" / "day"
    assert [path.name for path in folder.iterdir()] == ["a.txt"]


def test_wrong_key_is_configuration(sftp_server: SftpServer, tmp_path: Path) -> None:
    """A key the server does not accept is a configuration error."""
    local = write_file(tmp_path / "generated", "a.txt", b"data\n")
    options = sftp_server.client_options(sftp_server.stranger_key_path)
    store = FsspecObjectStore(f"{sftp_server.url}/outbox", options)

    with pytest.raises(CredentialsRejected, match="rejected the credentials") as raised:
        store.store(local, bucket="dialer", file_path="a.txt", record_count=1)

    assert isinstance(raised.value, ConfigurationError)


def test_stopped_server_then_reconnects(sftp_server: SftpServer, tmp_path: Path) -> None:
    """A stopped server is transient; once it is back the store connects again by itself."""
    local = write_file(tmp_path / "generated", "a.txt", b"data\n")
    store = FsspecObjectStore(f"{sftp_server.url}/outbox", sftp_server.client_options())
    store.store(local, bucket="dialer", file_path="first.txt", record_count=1)
    sftp_server.stop()

    with pytest.raises(StoreUnavailable, match="the store may be down or busy") as raised:
        store.store(local, bucket="dialer", file_path="second.txt", record_count=1)
    sftp_server.start()
    store.store(local, bucket="dialer", file_path="third.txt", record_count=1)

    assert isinstance(raised.value, TransientError)
    folder = sftp_server.root / "outbox" / "dialer"
    assert sorted(path.name for path in folder.iterdir()) == ["first.txt", "third.txt"]
