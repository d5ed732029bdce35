"""A real SFTP server for tests: asyncssh on 127.0.0.1, chrooted to a folder, key login only."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import asyncssh

USER = "dialer"


class _Tracker(asyncssh.SSHServer):
    """Records every connection as it opens, logged in or not, so stop() can close it."""

    def __init__(self, connections: list[Any]) -> None:
        self._connections = connections

    def connection_made(self, conn: Any) -> None:
        self._connections.append(conn)


class SftpServer:
    """Serves *root* over SFTP on a free port of 127.0.0.1 in a background thread.

    The server accepts only the client key it writes to ``keys/client``.
    :meth:`stop` closes it; :meth:`start` opens it again on the same port.
    """

    def __init__(self, root: Path, keys: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        keys.mkdir(parents=True, exist_ok=True)

        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        client_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key_path = keys / "client"
        client_key.write_private_key(str(self.client_key_path))
        self.stranger_key_path = keys / "stranger"
        asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(self.stranger_key_path))
        self._authorized = asyncssh.import_authorized_keys(
            client_key.export_public_key().decode("ascii")
        )

        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self._connections: list[Any] = []

    @property
    def url(self) -> str:
        return f"sftp://{USER}@127.0.0.1:{self.port}"

    def client_options(self, key_path: Path | None = None) -> dict[str, Any]:
        """Return fsspec storage options that log in with the client key and nothing else."""
        return {
            "key_filename": str(key_path or self.client_key_path),
            "look_for_keys": False,
            "allow_agent": False,
            "timeout": 10,
            "banner_timeout": 10,
            "auth_timeout": 10,
        }

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            self._server = loop.run_until_complete(self._listen())
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="sftp-server", daemon=True)
        self._thread.start()
        if not ready.wait(timeout=30):
            raise RuntimeError("the SFTP server did not start within 30 seconds")

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return

        async def close() -> None:
            self._server.close()
            await self._server.wait_closed()
            for connection in self._connections:
                connection.close()
                await connection.wait_closed()
            self._connections.clear()
            # Let the transports run their connection_lost callbacks before the loop stops.
            for _ in range(3):
                await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop = None
        self._thread = None

    async def _listen(self) -> Any:
        root = str(self.root)
        return await asyncssh.listen(
            "127.0.0.1",
            self.port,
            server_host_keys=[self.host_key],
            authorized_client_keys=self._authorized,
            sftp_factory=lambda channel: asyncssh.SFTPServer(channel, chroot=root),
            allow_scp=False,
            server_factory=lambda: _Tracker(self._connections),
        )
