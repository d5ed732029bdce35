"""Mounting the admin: under any path, with DispatcherMiddleware, inside Flask, in front of Django.

The Flask and Django cases run the examples in docs/examples, which docs/web.md includes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from aspectfile_core import BatchService
from tests.web.conftest import PREFIX, SECRET, make_app, text

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "web.md"
CSRF = __import__("re").compile(r'name="csrf_token" value="([^"]+)"')


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["mount_dispatcher", "mount_flask", "mount_django"])
def test_docs_show_each_example(name: str) -> None:
    """docs/web.md contains each example file verbatim, so the documented code is the tested code."""
    assert (EXAMPLES / f"{name}.py").read_text(encoding="utf-8").strip() in DOCS.read_text(
        encoding="utf-8"
    )


# Where the admin is


def test_default_prefix_standalone(service: BatchService) -> None:
    """Called with full paths, the admin serves /s/aspectfile and redirects / there."""
    client = Client(make_app(service))

    assert client.get(f"{PREFIX}/batches").status_code == 200
    assert client.get("/").headers["Location"] == "/s/aspectfile/batches"
    assert client.get("/other").status_code == 404


def test_custom_prefix(service: BatchService) -> None:
    """Another prefix moves every link and form."""
    client = Client(make_app(service, prefix="/admin/dialer"))

    html = text(client.get("/admin/dialer/batches"))

    assert 'action="/admin/dialer/batches/process"' in html
    assert 'href="/admin/dialer/static/admin.css?v=' in html
    assert client.get(f"{PREFIX}/batches").status_code == 404


def test_empty_prefix(service: BatchService) -> None:
    """With an empty prefix, the admin owns the whole path space."""
    client = Client(make_app(service, prefix=""))

    assert client.get("/batches").status_code == 200
    assert client.get("/").headers["Location"] == "/batches"


@pytest.mark.parametrize("mount", ["/s/aspectfile", "/tools/files"], ids=["at-prefix", "elsewhere"])
def test_dispatcher_mount(service: BatchService, seeded: dict[str, int], mount: str) -> None:
    """Mounted by DispatcherMiddleware at any path, links, forms and redirects use that path."""
    host = DispatcherMiddleware(lambda environ, start: [b""], {mount: make_app(service)})
    client = Client(host)

    html = text(client.get(f"{mount}/batches"))
    token = CSRF.search(html)
    assert token is not None
    response = client.post(
        f"{mount}/batch/{seeded['failed']}/reprocess", data={"csrf_token": token.group(1)}
    )

    assert f'href="{mount}/batch/{seeded["uploaded"]}"' in html
    assert response.headers["Location"] == f"{mount}/batch/{seeded['failed']}"
    assert f"Path={mount}" in client.get(f"{mount}/batches").headers.get(
        "Set-Cookie", f"Path={mount}"
    )


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"prefix": "/trailing/"}, "prefix"),
        ({"prefix": "no-slash"}, "prefix"),
        ({"contact_url": "/s/contacts/view/{id}"}, "lead_id"),
        ({"contact_url": "/c/{lead_id}/{lead_id}"}, "lead_id"),
        ({"contact_url": "javascript:alert({lead_id})"}, "http"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"process_limit": 0}, "process_limit"),
        ({"process_seconds": 0}, "process_seconds"),
        ({"secret_key": "short"}, "16 bytes"),
        ({"max_upload_bytes": 10}, "max_upload_bytes"),
    ],
    ids=[
        "trailing-slash",
        "relative",
        "wrong-placeholder",
        "twice",
        "javascript",
        "zone",
        "limit",
        "seconds",
        "key",
        "upload",
    ],
)
def test_invalid_settings_rejected(
    service: BatchService, options: dict[str, object], match: str
) -> None:
    """create_app rejects settings that would break links, security or processing."""
    with pytest.raises(ValueError, match=match):
        make_app(service, **options)


def test_no_work_at_import() -> None:
    """Importing the web package builds no app and opens nothing."""
    import aspectfile_core.web.app as module

    assert not [name for name, value in vars(module).items() if type(value).__name__ == "AdminApp"]


# The documented examples


def test_dispatcher_example(service: BatchService, seeded: dict[str, int]) -> None:
    """The DispatcherMiddleware example keeps the host's pages and lets only 'admin' act."""
    example = load_example("mount_dispatcher")
    client = Client(example.build(service, SECRET))

    assert text(client.get("/")) == "The host application.\n"
    assert client.get(f"{PREFIX}/batches").status_code == 403
    viewer = text(client.get(f"{PREFIX}/batches", headers={"X-Remote-User": "ana"}))
    admin = text(client.get(f"{PREFIX}/batches", headers={"X-Remote-User": "admin"}))
    assert "Process now" not in viewer
    assert "Process now" in admin


def test_flask_example(service: BatchService, seeded: dict[str, int]) -> None:
    """Inside Flask, the admin reads the Flask session to authorize and the host's routes still work."""
    example = load_example("mount_flask")
    client = Client(example.build(service, SECRET))

    assert client.get(f"{PREFIX}/batches").status_code == 403
    login = client.post("/login", data={"user": "admin"})
    page = client.get(f"{PREFIX}/batches")
    token = CSRF.search(text(page))
    assert token is not None
    action = client.post(
        f"{PREFIX}/batch/{seeded['failed']}/reprocess", data={"csrf_token": token.group(1)}
    )

    assert login.headers["Location"] == "/s/aspectfile/batches"
    assert page.status_code == 200
    assert action.status_code == 303
    client.set_cookie("language", "pt_BR")
    assert "Processar agora" in text(client.get(f"{PREFIX}/batches"))


def test_django_example(service: BatchService, seeded: dict[str, int]) -> None:
    """In front of Django, the admin reads Django's session and Django keeps its other URLs."""
    example = load_example("mount_django")
    client = Client(example.build(service, SECRET))

    assert client.get(f"{PREFIX}/batches").status_code == 403
    login = client.post("/login/", data={"user": "ana"})
    page = client.get(f"{PREFIX}/batches")

    assert login.status_code == 302
    assert page.status_code == 200
    assert "Process now" not in text(page)
    assert client.get(f"{PREFIX}/batch/{seeded['uploaded']}").status_code == 200
