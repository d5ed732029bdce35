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
from aspectfile_core.web import DEFAULT_PREFIX, BasicAuthMiddleware
from tests.web.conftest import PREFIX, make_app

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


def stand_alone(
    service: BatchService, login: tuple[str, str] | None, default_locale: str = "en_US"
) -> Client:
    app = serve.build_admin(
        service,
        login=login,
        secret_key="test-secret-key-that-is-long-enough",
        prefix=PREFIX,
        contact_url=None,
        timezone="UTC",
        process_limit=5,
        process_seconds=10,
        default_locale=default_locale,
    )
    return Client(app)


@pytest.fixture
def guarded(service: BatchService) -> Client:
    return stand_alone(service, ("ops", "s3cret"))


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


def test_login_page_in_default_locale(service: BatchService) -> None:
    """Without Accept-Language, the 401 text and the pages behind the login use the default locale."""
    client = stand_alone(service, ("ops", "s3cret"), default_locale="pt_BR")

    challenge = client.get(f"{PREFIX}/batches")
    page = client.get(f"{PREFIX}/batches", headers=basic("ops", "s3cret"))

    assert "Entre com o usuário e a senha" in challenge.get_data(as_text=True)
    assert '<html lang="pt-BR">' in page.get_data(as_text=True)


def test_default_locale_without_login(service: BatchService) -> None:
    """On loopback without a login, pages use the default locale too."""
    client = stand_alone(service, None, default_locale="pt_BR")

    assert '<html lang="pt-BR">' in client.get(f"{PREFIX}/batches").get_data(as_text=True)


def test_basic_auth_rejects_unsupported_default_locale(service: BatchService) -> None:
    """BasicAuthMiddleware checks its default locale like create_app does."""
    with pytest.raises(ValueError, match="default_locale 'xx'"):
        BasicAuthMiddleware(make_app(service), "ops", "s3cret", default_locale="xx")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(
    tmp_path: Path, *arguments: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    # LANG alone sets the language unless *env* adds LC_ALL or LC_MESSAGES.
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ASPECTFILE_") and name not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")
    }
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


def upgrade_database(tmp_path: Path) -> None:
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


def test_serve_answers_on_loopback(tmp_path: Path) -> None:
    """The real command serves the admin on 127.0.0.1 with the given prefix."""
    upgrade_database(tmp_path)
    port = free_port()
    process = run_cli(tmp_path, "serve", "--port", str(port), "--prefix", "/ops")
    try:
        body = wait_for(f"http://127.0.0.1:{port}/ops/batches", process)
    finally:
        process.terminate()
        process.communicate(timeout=30)

    assert "No batches yet" in body
    assert '<html lang="en-US">' in body


@pytest.mark.parametrize(
    ("global_options", "env"),
    [
        ((), {"LANG": "pt_BR.UTF-8"}),
        ((), {"LANG": "en_US.UTF-8", "LC_MESSAGES": "pt_BR.UTF-8"}),
        (("--locale", "pt_BR"), {"LANG": "en_US.UTF-8"}),
    ],
    ids=["lang", "lc-messages", "locale-option"],
)
def test_serve_default_locale_from_cli(
    tmp_path: Path, global_options: tuple[str, ...], env: dict[str, str]
) -> None:
    """The real command serves requests without Accept-Language in the CLI's language."""
    upgrade_database(tmp_path)
    port = free_port()
    process = run_cli(tmp_path, *global_options, "serve", "--port", str(port), env=env)
    try:
        # urllib sends no Accept-Language header, like curl.
        body = wait_for(f"http://127.0.0.1:{port}{PREFIX}/batches", process)
        english = fetch(f"http://127.0.0.1:{port}{PREFIX}/batches", {"Accept-Language": "en"})
    finally:
        process.terminate()
        process.communicate(timeout=30)

    assert '<html lang="pt-BR">' in body
    assert '<html lang="en-US">' in english


def fetch(url: str, headers: dict[str, str]) -> str:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return str(response.read().decode("utf-8"))


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


def test_name_and_email_fields_follow_the_options(
    service: BatchService, seeded: dict[str, int]
) -> None:
    """--name-fields and --email-field pick the contact columns shown for each lead."""
    from aspectfile_core import Contact

    added = service.add_contacts(
        campaign_id=99,
        event_id=1,
        schema_name="sample-fixed",
        contacts=[Contact(7001, {"first_name": "Joana", "last_name": "Prado", "Email": "jp@x.br"})],
    )
    app = serve.build_admin(
        service,
        login=None,
        secret_key="test-secret-key-that-is-long-enough",
        prefix=PREFIX,
        contact_url=None,
        timezone="UTC",
        process_limit=5,
        process_seconds=10,
        name_fields=("first_name", "last_name"),
        email_field="Email",
    )

    html = Client(app).get(f"{PREFIX}/batch/{added.batch_ids[0]}").get_data(as_text=True)

    assert "Joana Prado" in html
    assert "jp@x.br" in html
