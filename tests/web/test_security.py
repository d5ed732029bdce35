"""Security of the admin: escaping, headers, CSRF, authorization and error pages without internals."""

from __future__ import annotations

import logging
import re

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request

from aspectfile_core import BatchService, Contact
from aspectfile_core.domain.errors import TransientError
from aspectfile_core.testing import FixedClock
from aspectfile_core.web import Action
from tests.web.conftest import PREFIX, SECRET, csrf_token, follow, make_app, post, text
from tests.web.seed import fixed_schema_text

XSS = "<img src=x onerror=alert(1)>"

GET_PAGES = [
    "/batches",
    "/batches/1",
    "/batch/{failed}",
    "/batch/{uploaded}?status=FAILED",
    "/schemas",
    "/schemas/new",
    "/schema/sample-fixed",
    "/schema/sample-fixed/edit",
]

ACTION_ROUTES = [
    "/batches/process",
    "/batch/{failed}/reprocess",
    "/batch/{failed}/delete",
    "/schemas/create",
    "/schemas/upload",
    "/schemas/import",
    "/schema/sample-fixed/update",
    "/schema/sample-fixed/delete",
]


def fill(path: str, seeded: dict[str, int]) -> str:
    return PREFIX + path.format(**seeded)


# Escaping


@pytest.fixture
def hostile(service: BatchService, clock: FixedClock) -> int:
    """A processed batch whose contact carries HTML in every field the admin shows."""
    service.register_schema(fixed_schema_text(), "toml")
    result = service.add_contacts(
        campaign_id=1,
        event_id=1,
        schema_name="sample-fixed",
        contacts=[
            Contact(
                XSS,
                {"id": "1", "firstname": XSS, "lastname": XSS, "email": XSS, "mobile": XSS},
            )
        ],
    )
    clock.advance(minutes=1)
    service.process()
    return result.batch_ids[0]


def test_contact_html_shows_as_text(client: Client, hostile: int) -> None:
    """A contact named like an HTML tag appears as text in the leads table, never as markup."""
    html = text(client.get(f"{PREFIX}/batch/{hostile}"))

    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "onerror=alert(1)>" not in html


def test_contact_html_in_link_is_encoded(client: Client, hostile: int) -> None:
    """A lead id with HTML is percent-encoded in the contact link."""
    html = text(client.get(f"{PREFIX}/batch/{hostile}"))

    assert 'href="/s/contacts/view/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"' in html


def test_reason_with_html_value_escaped(client: Client, hostile: int) -> None:
    """A failure reason quoting the hostile value is escaped too, in both languages."""
    for language in ("en-US", "pt-BR"):
        html = text(client.get(f"{PREFIX}/batch/{hostile}", headers={"Accept-Language": language}))

        assert "&#34;&lt;img src=x onerror=alert(1)&gt;&#34;" in html


def test_error_message_with_html_escaped(client: Client) -> None:
    """A malformed id echoed in an error page is escaped."""
    response = client.get(f"{PREFIX}/batch/%3Cscript%3Ealert(1)")

    assert response.status_code == 400
    assert "<script>alert(1)" not in text(response)
    assert "&lt;script&gt;alert(1)" in text(response)


def test_filter_value_with_html_escaped(client: Client) -> None:
    """A hostile filter value comes back escaped in the 400 page."""
    response = client.get(f"{PREFIX}/batches", query_string={"campaign": '"><script>x</script>'})

    assert response.status_code == 400
    assert "<script>x" not in text(response)


def test_schema_description_escaped(client: Client, service: BatchService) -> None:
    """Schema descriptions with HTML are shown as text on the list and detail pages."""
    document = fixed_schema_text().replace(
        'description = "Aspect-style', 'description = "<b onmouseover=alert(1)>Aspect-style'
    )
    service.register_schema(document, "toml")

    for path in ("/schemas", "/schema/sample-fixed"):
        html = text(client.get(PREFIX + path))
        assert "<b onmouseover" not in html
        assert "&lt;b onmouseover=alert(1)&gt;" in html


@pytest.mark.parametrize("path", GET_PAGES)
def test_pages_have_no_inline_code(client: Client, seeded: dict[str, int], path: str) -> None:
    """Pages load script and style from files only: no inline script, handler or style attribute."""
    html = text(client.get(fill(path, seeded)))

    assert re.findall(r"<script(?![^>]*\ssrc=)", html) == []
    assert re.findall(r"\son[a-z]+=", html) == []
    assert " style=" not in html
    assert "<style" not in html


# Headers


@pytest.mark.parametrize("path", [*GET_PAGES, "/batch/999", "/batch/x", "/static/admin.css"])
def test_security_headers_everywhere(client: Client, seeded: dict[str, int], path: str) -> None:
    """Every response carries a script policy without 'unsafe-inline' and denies framing."""
    response = client.get(fill(path, seeded))
    policy = response.headers["Content-Security-Policy"]

    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_not_cached(client: Client, seeded: dict[str, int]) -> None:
    """Pages with contact data tell browsers and proxies not to store them."""
    assert client.get(f"{PREFIX}/batch/{seeded['uploaded']}").headers["Cache-Control"] == "no-store"
    assert (
        client.get(f"{PREFIX}/batch/{seeded['uploaded']}/failed-leads.csv").headers["Cache-Control"]
        == "no-store"
    )


def test_cookies_scoped_to_admin(client: Client) -> None:
    """The CSRF cookie is HttpOnly, SameSite=Lax and limited to the admin's path."""
    cookie = client.get(f"{PREFIX}/batches").headers["Set-Cookie"]

    assert cookie.startswith("aspectfile_csrf=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/s/aspectfile" in cookie
    assert "Secure" not in cookie


def test_cookies_secure_over_https(app: object) -> None:
    """Over HTTPS the cookies are marked Secure."""
    client = Client(app)  # type: ignore[arg-type]

    cookie = client.get(f"{PREFIX}/batches", base_url="https://localhost").headers["Set-Cookie"]

    assert "Secure" in cookie


# Methods, ids and page numbers


@pytest.mark.parametrize("path", ACTION_ROUTES)
def test_get_on_action_is_405(client: Client, seeded: dict[str, int], path: str) -> None:
    """Action routes respond to GET with 405 and list POST as allowed."""
    response = client.get(fill(path, seeded))

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert "Method not allowed" in text(response)


@pytest.mark.parametrize("path", ["/batches", "/batch/{failed}", "/schemas"])
def test_post_on_page_is_405(client: Client, seeded: dict[str, int], path: str) -> None:
    """Pages respond to POST with 405."""
    response = client.post(fill(path, seeded))

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/batch/999"),
        ("GET", "/batch/999/failed-leads.csv"),
        ("POST", "/batch/999/reprocess"),
        ("POST", "/batch/999/delete"),
        ("GET", "/schema/unknown"),
        ("GET", "/schema/unknown/edit"),
        ("POST", "/schema/unknown/update"),
        ("POST", "/schema/unknown/delete"),
        ("GET", "/schema/sample-fixed?version=9"),
        ("GET", "/nowhere"),
        ("GET", "/static/secrets.txt"),
    ],
    ids=[
        "batch",
        "batch-csv",
        "reprocess",
        "delete",
        "schema",
        "schema-edit",
        "schema-update",
        "schema-delete",
        "schema-version",
        "unknown-path",
        "unknown-static",
    ],
)
def test_unknown_is_404(client: Client, seeded: dict[str, int], method: str, path: str) -> None:
    """Unknown batches, schemas, versions and paths return 404 with a page in the admin's style."""
    token = csrf_token(client)

    response = client.open(
        PREFIX + path, method=method, data={"csrf_token": token} if method == "POST" else None
    )

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Go to the batch list" in text(response)


def test_unknown_batch_names_it(client: Client) -> None:
    """The 404 page of a batch names the batch that was not found."""
    assert "Batch 999 not found." in text(client.get(f"{PREFIX}/batch/999"))


@pytest.mark.parametrize(
    "path",
    [
        "/batch/abc",
        "/batch/0",
        "/batch/-1",
        "/batch/1.5",
        "/batch/99999999999999999999",
        "/batch/abc/failed-leads.csv",
        "/batches/0",
        "/batches/abc",
        "/batches/-2",
        "/batches/1000000001",
        "/batch/{failed}?page=abc",
        "/batch/{failed}?page=0",
        "/batch/{failed}?status=LOST",
        "/batches?status=LOST",
        "/batches?campaign=abc",
        "/batches?campaign=0",
        "/batches?schema=../../etc",
        "/batches?created_from=2026-13-01",
        "/batches?created_from=01/03/2026",
        "/batches?created_from=2026-03-05&created_to=2026-03-01",
        "/schema/bad%20name",
        "/schema/sample-fixed?version=x",
        "/schema/sample-fixed?batch=x",
    ],
)
def test_malformed_is_400(client: Client, seeded: dict[str, int], path: str) -> None:
    """Malformed ids, page numbers, statuses, dates and names answer 400 with what is wrong."""
    response = client.get(fill(path, seeded))

    assert response.status_code == 400
    assert "Invalid request" in text(response)


@pytest.mark.parametrize(
    "path",
    ["/batch/abc/reprocess", "/batch/0/delete", "/schema/bad%20name/delete"],
    ids=["reprocess", "delete", "schema-delete"],
)
def test_malformed_action_is_400(client: Client, path: str) -> None:
    """Actions on malformed ids answer 400."""
    response = post(client, PREFIX + path, {"confirmed": "yes"})

    assert response.status_code == 400


def test_head_works_like_get(client: Client, seeded: dict[str, int]) -> None:
    """HEAD requests are answered like GET, without a body."""
    response = client.head(f"{PREFIX}/batches")

    assert response.status_code == 200
    assert response.get_data() == b""


# CSRF


@pytest.mark.parametrize(
    "form",
    [{}, {"csrf_token": ""}, {"csrf_token": "forged.value"}],
    ids=["missing", "empty", "forged"],
)
def test_post_without_valid_token_is_403(
    client: Client, service: BatchService, seeded: dict[str, int], form: dict[str, str]
) -> None:
    """A POST without the page's CSRF token is refused and changes nothing."""
    csrf_token(client)

    response = client.post(
        f"{PREFIX}/batch/{seeded['failed']}/delete", data={**form, "confirmed": "yes"}
    )

    assert response.status_code == 403
    assert "The form expired" in text(response)
    assert service.get_batch(seeded["failed"]).counts.total == 12


def test_token_without_cookie_is_403(service: BatchService, seeded: dict[str, int]) -> None:
    """A token copied from another browser does not work without that browser's cookie."""
    token = csrf_token(Client(make_app(service)))
    other_browser = Client(make_app(service))

    response = other_browser.post(
        f"{PREFIX}/batch/{seeded['failed']}/delete", data={"csrf_token": token, "confirmed": "yes"}
    )

    assert response.status_code == 403


def test_token_signed_with_other_key_is_403(service: BatchService, seeded: dict[str, int]) -> None:
    """A cookie and token pair made with another secret key is refused (cookie tossing)."""
    attacker = Client(make_app(service, secret_key="another-secret-key-also-long-enough"))
    token = csrf_token(attacker)
    victim = Client(make_app(service, secret_key=SECRET))
    victim.set_cookie("aspectfile_csrf", token, path=PREFIX)

    response = victim.post(
        f"{PREFIX}/batch/{seeded['failed']}/delete", data={"csrf_token": token, "confirmed": "yes"}
    )

    assert response.status_code == 403


def test_flash_cookie_cannot_be_forged(client: Client) -> None:
    """A flash cookie that the admin did not sign is ignored."""
    client.set_cookie("aspectfile_flash", "W1siZXJyb3IiLCJmYWtlIl1d.bad", path=PREFIX)

    html = text(client.get(f"{PREFIX}/batches"))

    assert "fake" not in html


# Authorization


def test_authorize_sees_each_action(service: BatchService, seeded: dict[str, int]) -> None:
    """The host's callback is asked with the request and the action of each page."""
    asked: list[tuple[str, Action]] = []

    def authorize(request: Request, action: Action) -> bool:
        asked.append((request.path, action))
        return True

    client = Client(make_app(service, authorize=authorize))

    client.get(f"{PREFIX}/batch/{seeded['failed']}")

    assert (f"/batch/{seeded['failed']}", Action.VIEW) in asked
    assert {action for _, action in asked} >= {Action.VIEW, Action.REPROCESS, Action.DELETE}


@pytest.mark.parametrize(
    ("denied", "method", "path"),
    [
        (Action.VIEW, "GET", "/batches"),
        (Action.VIEW, "GET", "/batch/{failed}/failed-leads.csv"),
        (Action.REPROCESS, "POST", "/batch/{failed}/reprocess"),
        (Action.DELETE, "POST", "/batch/{failed}/delete"),
        (Action.PROCESS, "POST", "/batches/process"),
        (Action.MANAGE_SCHEMAS, "GET", "/schemas/new"),
        (Action.MANAGE_SCHEMAS, "POST", "/schema/sample-fixed/delete"),
    ],
    ids=["view", "csv", "reprocess", "delete", "process", "schema-form", "schema-delete"],
)
def test_denied_action_is_403(
    service: BatchService, seeded: dict[str, int], denied: Action, method: str, path: str
) -> None:
    """An action the host's callback denies answers 403 and changes nothing."""
    client = Client(make_app(service, authorize=lambda request, action: action is not denied))
    token = csrf_token(Client(make_app(service)))

    response = client.open(
        fill(path, seeded),
        method=method,
        data={"csrf_token": token, "confirmed": "yes"} if method == "POST" else None,
    )

    assert response.status_code == 403
    assert "not allowed" in text(response)
    assert service.get_batch(seeded["failed"]).counts.total == 12


def test_denied_buttons_are_hidden(service: BatchService, seeded: dict[str, int]) -> None:
    """A read-only operator sees no reprocess, delete or process button."""
    client = Client(make_app(service, authorize=lambda request, action: action is Action.VIEW))

    listing = text(client.get(f"{PREFIX}/batches"))
    detail = text(client.get(f"{PREFIX}/batch/{seeded['failed']}"))
    pending = text(client.get(f"{PREFIX}/batch/{seeded['open']}"))
    schemas = text(client.get(f"{PREFIX}/schemas"))

    assert "Process now" not in listing
    assert "/reprocess" not in listing
    assert "/delete" not in listing
    assert 'id="reprocess"' not in detail
    assert 'id="delete"' not in detail
    assert 'id="process-now"' not in pending
    assert "New schema" not in schemas
    assert "Upload a schema file" not in schemas


# Errors without internals


class ExplodingService(BatchService):
    """A service whose list fails like a bug would, with a secret in the message."""

    def __init__(self, base: BatchService, error: Exception) -> None:
        super().__init__(base.repository, base.store, base.clock)
        self.error = error

    def list_batches(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        raise self.error


def test_unexpected_error_hides_internals(
    service: BatchService, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug answers 500 with a plain page; the trace and the message go to the log only."""
    failing = ExplodingService(service, RuntimeError("password=hunter2 at db.internal"))
    client = Client(make_app(failing))

    with caplog.at_level(logging.ERROR, logger="aspectfile_core.web"):
        response = client.get(f"{PREFIX}/batches")

    html = text(response)
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert "hunter2" not in html
    assert "Traceback" not in html
    assert "RuntimeError" not in html
    assert any(record.exc_info for record in caplog.records)


def test_backend_down_is_503(service: BatchService) -> None:
    """A database or store that is down answers 503 and asks to try again."""
    client = Client(
        make_app(
            ExplodingService(service, TransientError("database unavailable: connection refused"))
        )
    )

    response = client.get(f"{PREFIX}/batches")

    assert response.status_code == 503
    assert "Try again in a moment" in text(response)
    assert "connection refused" not in text(response)


def test_upload_too_large_is_413(service: BatchService) -> None:
    """An upload over the size limit answers 413 with a page saying so."""
    client = Client(make_app(service, max_upload_bytes=2048))
    token = csrf_token(client)

    response = client.post(
        f"{PREFIX}/schemas/upload",
        data={"csrf_token": token, "file": (__import__("io").BytesIO(b"x" * 5000), "big.toml")},
    )

    assert response.status_code == 413
    assert "File too large" in text(response)


# Static files


@pytest.mark.parametrize(
    ("name", "mimetype"),
    [("admin.css", "text/css"), ("admin.js", "text/javascript")],
    ids=["css", "js"],
)
def test_static_files_served(client: Client, name: str, mimetype: str) -> None:
    """The stylesheet and script ship with the package and are served with their types."""
    response = client.get(f"{PREFIX}/static/{name}")

    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert "max-age" in response.headers["Cache-Control"]


def test_static_revalidates_with_etag(client: Client) -> None:
    """A browser holding the current file gets 304 Not Modified."""
    etag = client.get(f"{PREFIX}/static/admin.css").headers["ETag"]

    response = client.get(f"{PREFIX}/static/admin.css", headers={"If-None-Match": etag})

    assert response.status_code == 304


def test_pages_reference_no_other_host(client: Client, seeded: dict[str, int]) -> None:
    """Pages load nothing from other hosts: operators' networks are often closed."""
    html = text(client.get(f"{PREFIX}/batch/{seeded['uploaded']}"))

    assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []


def test_follow_redirect_keeps_headers(client: Client, seeded: dict[str, int]) -> None:
    """Redirects after actions carry the security headers too."""
    response = post(client, f"{PREFIX}/batch/{seeded['failed']}/reprocess")

    assert response.headers["X-Frame-Options"] == "DENY"
    assert follow(client, response).status_code == 200
