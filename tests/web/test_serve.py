"""``aspectfile-run serve``: loopback by default, a login anywhere else, and a real server."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import click
import pytest
from werkzeug.test import Client

from aspectfile_core import BatchService
from aspectfile_core.cli.commands import serve
from aspectfile_core.i18n import translation
from aspectfile_core.web import DEFAULT_PREFIX
from tests.web.conftest import PREFIX

_ = translation("en_US").gettext


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("admin.example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    """Only addresses of this machine count as loopback."""
    assert serve.is_loopback(host) is loopback


def test_loopback_needs_no_login() -> None:
    """On 127.0.0.1 the admin runs without credentials."""
    assert serve.credentials("127.0.0.1", {}, _) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::"])
def test_other_address_needs_login(host: str) -> None:
    """Any address reachable from other machines needs the user and password variables."""
    with pytest.raises(click.UsageError, match="ASPECTFILE_WEB_USER and ASPECTFILE_WEB_PASSWORD"):
        serve.credentials(host, {}, _)


def test_other_address_with_login() -> None:
    """With both variables set, any address is accepted and the login returned."""
    environ = {"ASPECTFILE_WEB_USER": "ops", "ASPECTFILE_WEB_PASSWORD": "s3cret"}

    assert serve.credentials("0.0.0.0", environ, _) == ("ops", "s3cret")


@pytest.mark.parametrize("variable", ["ASPECTFILE_WEB_USER", "ASPECTFILE_WEB_PASSWORD"])
def test_half_a_login_rejected(variable: str) -> None:
    """Setting only one of the two variables is a mistake, reported as such."""
    with pytest.raises(click.UsageError, match="or neither"):
        serve.credentials("127.0.0.1", {variable: "x"}, _)


def test_default_prefix_matches_web() -> None:
    """The CLI's copy of the default prefix equals the web package's."""
    assert serve.DEFAULT_PREFIX == DEFAULT_PREFIX


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def guarded(service: BatchService) -> Client:
    app = serve.build_admin(
        service,
        login=("ops", "s3cret"),
        secret_key="test-secret-key-that-is-long-enough",
        prefix=PREFIX,
        contact_url=None,
        timezone="UTC",
        process_limit=5,
        process_seconds=10,
    )
    return Client(app)


@pytest.mark.parametrize(
    "headers",
    [{}, basic("ops", "wrong"), basic("other", "s3cret"), {"Authorization": "Bearer abc"}],
    ids=["none", "wrong-password", "wrong-user", "other-scheme"],
)
def test_login_required(guarded: Client, headers: dict[str, str]) -> None:
    """Without the right Basic credentials every path responds with 401 and a Basic challenge."""
    response = guarded.get(f"{PREFIX}/batches", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.headers["X-Frame-Options"] == "DENY"


def test_login_accepted(guarded: Client) -> None:
    """The right credentials reach the admin."""
    assert guarded.get(f"{PREFIX}/batches", headers=basic("ops", "s3cret")).status_code == 200


def test_login_page_in_portuguese(guarded: Client) -> None:
    """The 401 text follows the browser's language."""
    response = guarded.get(f"{PREFIX}/batches", headers={"Accept-Language": "pt-BR"})

    assert "Entre com o usuário e a senha" in response.get_data(as_text=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(
    tmp_path: Path, *arguments: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASPECTFILE_")}
    environment.update({"LANG": "en_US.UTF-8", **(env or {})})
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aspectfile_core",
            "--database",
            f"sqlite:///{tmp_path / 'a.db'}",
            *arguments,
        ],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_refuses_open_address_without_login(tmp_path: Path) -> None:
    """The real command exits with a usage error instead of listening on 0.0.0.0 without a login."""
    process = run_cli(tmp_path, "serve", "--host", "0.0.0.0")
    _stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 2
    assert "needs a login" in stderr


def test_serve_answers_on_loopback(tmp_path: Path) -> None:
    """The real command serves the admin on 127.0.0.1 with the given prefix."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "aspectfile_core",
            "--database",
            f"sqlite:///{tmp_path / 'a.db'}",
            "db",
            "upgrade",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=60,
    )
    port = free_port()
    process = run_cli(tmp_path, "serve", "--port", str(port), "--prefix", "/ops")
    try:
        body = wait_for(f"http://127.0.0.1:{port}/ops/batches", process)
    finally:
        process.terminate()
        process.communicate(timeout=30)

    assert "No batches yet" in body


def wait_for(url: str, process: subprocess.Popen[str], attempts: int = 100) -> str:
    """Return the body at *url* once the server responds; fail if the process exits first."""
    for _attempt in range(attempts):
        if process.poll() is not None:
            pytest.fail(
                f"serve exited with {process.returncode}: {process.stderr.read() if process.stderr else ''}"
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return str(response.read().decode("utf-8"))
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)  # waiting for the child process to bind its port; no clock to inject
    pytest.fail(f"serve did not answer at {url}")
