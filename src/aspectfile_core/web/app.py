"""The admin's WSGI application: routes, authorization, CSRF checks and error pages."""

from __future__ import annotations

import enum
import hashlib
import logging
import re
import secrets
import string
import threading
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import attrs
import jinja2
from werkzeug.exceptions import (
    Forbidden,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
)
from werkzeug.routing import BaseConverter, Map, RequestRedirect, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from aspectfile_core.domain.errors import (
    AspectFileError,
    BatchNotFound,
    ConfigurationError,
    SchemaNotFound,
    TransientError,
)
from aspectfile_core.i18n import DEFAULT_LOCALE, translation
from aspectfile_core.redaction import redact
from aspectfile_core.services import BatchService
from aspectfile_core.web import batch_views, schema_views
from aspectfile_core.web.context import InvalidRequest, RequestContext
from aspectfile_core.web.formatting import LocaleSelector, check_locale
from aspectfile_core.web.security import Signer, add_security_headers

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "/s/aspectfile"
STATIC_FILES = ("admin.css", "admin.js", "favicon.svg")
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}
_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)*\Z")


class Action(enum.StrEnum):
    """An operator's request to see or change something; the host's ``authorize`` callback decides each one."""

    VIEW = "view"
    """See batches, leads, attempts and schemas, and download failed leads."""
    REPROCESS = "reprocess"
    """Send a FAILED (or, with confirmation, an UPLOADED) batch back to PENDING."""
    DELETE = "delete"
    """Delete a batch with its leads and attempts."""
    PROCESS = "process"
    """Process due batches now, within the time budget."""
    MANAGE_SCHEMAS = "manage_schemas"
    """Create, update, import and delete schemas."""


Authorize = Callable[[Request, Action], bool]
"""``authorize(request, action)``: return True to let the request's user do *action*."""


def allow_all(request: Request, action: Action) -> bool:
    """Let everyone do everything; for a stand-alone admin behind its own authentication."""
    return True


@attrs.frozen
class AdminSettings:
    """Settings of the admin, checked and completed by :func:`create_app`."""

    prefix: str
    contact_url: str | None
    process_limit: int
    process_seconds: float
    zone: zoneinfo.ZoneInfo
    name_fields: tuple[str, ...]
    email_field: str
    max_upload_bytes: int
    default_locale: str
    """Locale of requests for which neither the host's selector nor ``Accept-Language`` picks one."""


@attrs.frozen
class Route:
    rule: str
    endpoint: str
    view: Callable[..., Response]
    action: Action
    methods: tuple[str, ...] = ("GET",)


class _SegmentConverter(BaseConverter):
    """One path segment that is not a word reserved by a sibling action route.

    Without the exclusion, ``GET /batches/process`` would match the list's page
    number rule and return 400 instead of 405.
    """

    regex = r"(?!(?:process|new|create|upload|import)\Z)[^/]+"


ROUTES: tuple[Route, ...] = (
    Route("/batches", "batch_list", batch_views.batch_list, Action.VIEW),
    Route("/batches/<segment:page>", "batch_list_page", batch_views.batch_list, Action.VIEW),
    Route("/batches/process", "batch_process", batch_views.process_now, Action.PROCESS, ("POST",)),
    Route("/batch/<batch_id>", "batch_detail", batch_views.batch_detail, Action.VIEW),
    Route(
        "/batch/<batch_id>/reprocess",
        "batch_reprocess",
        batch_views.reprocess,
        Action.REPROCESS,
        ("POST",),
    ),
    Route("/batch/<batch_id>/delete", "batch_delete", batch_views.delete, Action.DELETE, ("POST",)),
    Route(
        "/batch/<batch_id>/failed-leads.csv",
        "batch_failed_csv",
        batch_views.failed_leads_csv,
        Action.VIEW,
    ),
    Route("/schemas", "schema_list", schema_views.schema_list, Action.VIEW),
    Route("/schemas/new", "schema_new", schema_views.new_form, Action.MANAGE_SCHEMAS),
    Route(
        "/schemas/create", "schema_create", schema_views.create, Action.MANAGE_SCHEMAS, ("POST",)
    ),
    Route(
        "/schemas/upload", "schema_upload", schema_views.upload, Action.MANAGE_SCHEMAS, ("POST",)
    ),
    Route(
        "/schemas/import",
        "schema_import",
        schema_views.import_layout,
        Action.MANAGE_SCHEMAS,
        ("POST",),
    ),
    Route("/schema/<name>", "schema_detail", schema_views.schema_detail, Action.VIEW),
    Route("/schema/<name>/edit", "schema_edit", schema_views.edit_form, Action.MANAGE_SCHEMAS),
    Route(
        "/schema/<name>/update",
        "schema_update",
        schema_views.update,
        Action.MANAGE_SCHEMAS,
        ("POST",),
    ),
    Route(
        "/schema/<name>/delete",
        "schema_delete",
        schema_views.delete,
        Action.MANAGE_SCHEMAS,
        ("POST",),
    ),
)


def _index(ctx: RequestContext) -> Response:
    return redirect(ctx.url("batch_list"), code=302)


def _static(ctx: RequestContext, filename: str) -> Response:
    return ctx.app.static_response(ctx.request, filename)


EXTRA_ROUTES: tuple[Route, ...] = (
    Route("/", "index", _index, Action.VIEW),
    Route("/static/<filename>", "static", _static, Action.VIEW),
)


def _build_map(routes: Iterable[Route]) -> Map:
    rules = [Rule(route.rule, endpoint=route.endpoint, methods=route.methods) for route in routes]
    return Map(rules, converters={"segment": _SegmentConverter}, strict_slashes=False)


class AdminApp:
    """The web admin as a WSGI application; build it with :func:`create_app`."""

    def __init__(
        self,
        service: BatchService,
        *,
        authorize: Authorize,
        settings: AdminSettings,
        signer: Signer,
        locale_selector: LocaleSelector | None,
    ) -> None:
        self.service = service
        self.authorize = authorize
        self.settings = settings
        self.signer = signer
        self.locale_selector = locale_selector
        self._routes = {route.endpoint: route for route in (*ROUTES, *EXTRA_ROUTES)}
        self._url_map = _build_map(self._routes.values())
        self._environments: dict[str, jinja2.Environment] = {}
        self._static_versions: dict[str, str] = {}
        self._lock = threading.Lock()

    # WSGI

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        outside = self._move_prefix(environ)
        request = Request(environ)
        request.max_content_length = self.settings.max_upload_bytes
        request.max_form_memory_size = self.settings.max_upload_bytes
        adapter = self._url_map.bind_to_environ(environ)
        ctx = RequestContext(self, request, adapter)

        try:
            response = self._outside_prefix(request) if outside else self._dispatch(ctx)
        except HTTPException as error:
            response = self._http_error(ctx, error)
        except Exception:  # the last line of defence: log the trace, show a page without it
            logger.exception(
                "AspectFile: Web admin request failed: %s %s",
                request.method,
                request.path,
                extra={"action": "web_request_failed"},
            )
            response = self._last_resort_error(ctx)

        finally:
            # Uploaded files are spooled to temporary files; close them with the request.
            request.close()

        ctx.finish(response)
        add_security_headers(response)
        if response.mimetype in ("text/html", "text/csv"):
            response.headers["Cache-Control"] = "no-store"
        return response(environ, start_response)

    def _move_prefix(self, environ: WSGIEnvironment) -> bool:
        """Move the prefix from PATH_INFO to SCRIPT_NAME; return True when the path is outside it.

        A host that mounts the admin (DispatcherMiddleware, a Flask or Django
        WSGI mount) has already moved its mount path to SCRIPT_NAME; then any
        path is inside.
        """
        prefix = self.settings.prefix
        path = environ.get("PATH_INFO", "") or ""
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
            environ["PATH_INFO"] = path[len(prefix) :]
            return False
        return bool(prefix) and not environ.get("SCRIPT_NAME")

    def _outside_prefix(self, request: Request) -> Response:
        if request.path in ("", "/") and request.method in ("GET", "HEAD"):
            return redirect(f"{self.settings.prefix}/batches", code=302)
        raise NotFound()

    def _dispatch(self, ctx: RequestContext) -> Response:
        try:
            endpoint, arguments = ctx.adapter.match()
        except RequestRedirect as moved:
            return moved.get_response(ctx.request.environ)

        route = self._routes[endpoint]
        if not ctx.can(route.action):
            raise Forbidden(
                ctx._("You are not allowed to do this. Ask an administrator for access.")
            )
        if ctx.request.method == "POST":
            ctx.check_csrf()

        try:
            return route.view(ctx, **arguments)
        except BatchNotFound as error:
            raise NotFound(ctx._("Batch {id} not found.").format(id=error.batch_id)) from error
        except SchemaNotFound as error:
            raise NotFound(
                ctx._("Schema {name} not found.").format(name=error.schema_name)
            ) from error
        except TransientError as error:
            logger.warning(
                "AspectFile: Web admin request failed: %s %s: %s",
                ctx.request.method,
                ctx.request.path,
                error,
                extra={"action": "web_backend_unavailable"},
            )
            raise ServiceUnavailable(
                ctx._(
                    "The database or the file store is unavailable right now. "
                    "Try again in a moment."
                )
            ) from error
        except ConfigurationError as error:
            logger.error(
                "AspectFile: Web admin request failed: %s %s: %s",
                ctx.request.method,
                ctx.request.path,
                error,
                extra={"action": "web_configuration_error"},
            )
            raise InternalServerError(
                ctx._("The setup needs a fix before this page can work: {detail}").format(
                    detail=redact(error.translated(ctx._))
                )
            ) from error
        except AspectFileError:
            logger.exception(
                "AspectFile: Web admin request failed: %s %s",
                ctx.request.method,
                ctx.request.path,
                extra={"action": "web_request_failed"},
            )
            raise InternalServerError() from None

    # Error pages

    def _last_resort_error(self, ctx: RequestContext) -> Response:
        try:
            return self._http_error(ctx, InternalServerError())
        except Exception:  # the error page itself failed, so respond without templates
            logger.exception(
                "AspectFile: Web admin error page failed", extra={"action": "web_error_page_failed"}
            )
            return Response("Internal Server Error\n", status=500, mimetype="text/plain")

    def _http_error(self, ctx: RequestContext, error: HTTPException) -> Response:
        if isinstance(error, RequestRedirect):
            return error.get_response(ctx.request.environ)
        code = error.code or 500
        title, default_message = _error_texts(ctx, code)
        message = error.description if _has_own_description(error) else default_message
        response = ctx.render("error.html", status=code, code=code, title=title, message=message)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    # Templates and static files

    def environment(self, locale: str) -> jinja2.Environment:
        """Return the template environment of *locale*, built on first use."""
        with self._lock:
            environment = self._environments.get(locale)
            if environment is None:
                environment = jinja2.Environment(
                    loader=jinja2.PackageLoader("aspectfile_core.web", "templates"),
                    autoescape=True,
                    extensions=["jinja2.ext.i18n"],
                    undefined=jinja2.StrictUndefined,
                    trim_blocks=True,
                    lstrip_blocks=True,
                )
                environment.install_gettext_translations(  # type: ignore[attr-defined]  # added by the i18n extension
                    translation(locale), newstyle=True
                )
                self._environments[locale] = environment
            return environment

    def static_version(self, filename: str) -> str:
        """Return a short hash of a static file's content, used in its URL to bust caches."""
        with self._lock:
            version = self._static_versions.get(filename)
            if version is None:
                version = hashlib.sha256(_read_static(filename)).hexdigest()[:12]
                self._static_versions[filename] = version
            return version

    def static_response(self, request: Request, filename: str) -> Response:
        if filename not in STATIC_FILES:
            raise NotFound()
        suffix = filename[filename.rindex(".") :]
        response = Response(_read_static(filename), mimetype=STATIC_TYPES[suffix])
        response.headers["Cache-Control"] = "public, max-age=86400"
        response.set_etag(self.static_version(filename))
        return response.make_conditional(request)

    @staticmethod
    def with_query(url: str, query: Mapping[str, Any]) -> str:
        """Return *url* with the non-empty values of *query* as its query string."""
        pairs = [(key, str(value)) for key, value in query.items() if value not in (None, "")]
        return f"{url}?{urlencode(pairs)}" if pairs else url


def _read_static(filename: str) -> bytes:
    return (resources.files("aspectfile_core.web") / "static" / filename).read_bytes()


def _has_own_description(error: HTTPException) -> bool:
    """Return True when the view set a translated description, not werkzeug's English default."""
    return isinstance(error, InvalidRequest) or type(error).description != error.description


def _error_texts(ctx: RequestContext, code: int) -> tuple[str, str]:
    _ = ctx._
    texts = {
        400: (_("Invalid request"), _("The address or the form contains an invalid value.")),
        403: (
            _("Not allowed"),
            _("You are not allowed to do this. Ask an administrator for access."),
        ),
        404: (
            _("Page not found"),
            _("There is no page at this address. It may have been deleted."),
        ),
        405: (
            _("Method not allowed"),
            _("This address does not accept this kind of request. Use the buttons on the pages."),
        ),
        413: (_("File too large"), _("The uploaded file is larger than the admin accepts.")),
        503: (
            _("Service unavailable"),
            _("The database or the file store is unavailable right now. Try again in a moment."),
        ),
    }
    return texts.get(
        code,
        (
            _("Something went wrong"),
            _(
                "The admin could not complete the request. The error was logged for the administrator."
            ),
        ),
    )


def _check_contact_url(template: str | None) -> str | None:
    if template is None:
        return None
    fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    if fields != ["lead_id"]:
        raise ValueError(
            f"contact_url {template!r} is invalid; it must contain {{lead_id}} exactly once "
            "and no other placeholder, such as '/s/contacts/view/{lead_id}'"
        )
    lowered = template.strip().lower()
    if not (lowered.startswith(("/", "http://", "https://"))):
        raise ValueError(
            f"contact_url {template!r} is invalid; use a path starting with '/' or an http(s) URL"
        )
    return template


def create_app(
    service: BatchService,
    *,
    authorize: Authorize,
    contact_url: str | None = None,
    locale_selector: LocaleSelector | None = None,
    default_locale: str = DEFAULT_LOCALE,
    prefix: str = DEFAULT_PREFIX,
    secret_key: str | bytes | None = None,
    timezone: str = "UTC",
    process_limit: int = 10,
    process_seconds: float = 20.0,
    name_fields: Sequence[str] = ("firstname", "lastname"),
    email_field: str = "email",
    max_upload_bytes: int = 5 * 1024 * 1024,
) -> AdminApp:
    """Build the web admin for batches and schemas as a WSGI application.

    *authorize* is called as ``authorize(request, action)`` before every page
    and action; :func:`allow_all` suits an admin behind its own login.
    *contact_url* links each lead to the host's contact page, such as
    ``"/s/contacts/view/{lead_id}"``. *locale_selector* returns the operator's
    locale, or None to use ``Accept-Language``; *default_locale* (``en_US`` or
    ``pt_BR``) serves requests for which neither names a supported language,
    such as curl's without ``Accept-Language``. *secret_key* signs the CSRF and
    flash cookies; without one, a random key is made, which only works while a
    single process serves the admin. "Process now" handles at most
    *process_limit* batches and starts no new one after *process_seconds*.
    Raises :class:`ValueError` for an invalid setting.
    """
    if prefix and not _PREFIX.match(prefix):
        raise ValueError(
            f"prefix {prefix!r} is invalid; use '' or a path such as '/s/aspectfile' "
            "without a trailing slash"
        )
    if process_limit < 1:
        raise ValueError(f"process_limit must be at least 1, got {process_limit!r}")
    if process_seconds <= 0:
        raise ValueError(f"process_seconds must be greater than 0, got {process_seconds!r}")
    if max_upload_bytes < 1024:
        raise ValueError(f"max_upload_bytes must be at least 1024, got {max_upload_bytes!r}")
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"timezone {timezone!r} is not a known IANA time zone, such as 'America/Sao_Paulo'"
        ) from error

    if secret_key is None:
        key = secrets.token_bytes(32)
    elif isinstance(secret_key, str):
        key = secret_key.encode("utf-8")
    else:
        key = secret_key

    settings = AdminSettings(
        prefix=prefix,
        contact_url=_check_contact_url(contact_url),
        process_limit=process_limit,
        process_seconds=process_seconds,
        zone=zone,
        name_fields=tuple(name_fields),
        email_field=email_field,
        max_upload_bytes=max_upload_bytes,
        default_locale=check_locale("default_locale", default_locale),
    )
    return AdminApp(
        service,
        authorize=authorize,
        settings=settings,
        signer=Signer(key),
        locale_selector=locale_selector,
    )
