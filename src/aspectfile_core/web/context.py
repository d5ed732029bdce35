"""Per-request state of the admin: language, URLs, CSRF token, flash messages, rendering."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from werkzeug.exceptions import BadRequest, Forbidden
from werkzeug.routing import MapAdapter
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from aspectfile_core.i18n import translation
from aspectfile_core.web.formatting import Formatter, select_locale
from aspectfile_core.web.security import csrf_tokens_match

if TYPE_CHECKING:
    from aspectfile_core.web.app import Action, AdminApp

CSRF_COOKIE = "aspectfile_csrf"
CSRF_FIELD = "csrf_token"
FLASH_COOKIE = "aspectfile_flash"
MAX_FLASH_MESSAGES = 5
MAX_FLASH_LENGTH = 600
"""Longest flash message kept, in characters, so the cookie stays well under browsers' 4 KB limit."""

FLASH_LEVELS = frozenset({"success", "info", "warning", "error"})


class InvalidRequest(BadRequest):
    """A malformed id, page number or form value; :attr:`description` is already translated."""


class RequestContext:
    """Everything a view and its template need for one request."""

    def __init__(self, app: AdminApp, request: Request, adapter: MapAdapter) -> None:
        self.app = app
        self.request = request
        self.adapter = adapter
        self.locale = select_locale(request, app.locale_selector, app.settings.default_locale)
        translations = translation(self.locale)
        self.translations: gettext.NullTranslations = translations
        self._: Callable[[str], str] = translations.gettext
        self.ngettext: Callable[[str, str, int], str] = translations.ngettext
        self.format = Formatter(self.locale, translations, app.settings.zone)
        self._permissions: dict[str, bool] = {}
        self._new_flashes: list[tuple[str, str]] = []
        self._flashes_read = False

        cookie_token = request.cookies.get(CSRF_COOKIE)
        if app.signer.is_valid_csrf_token(cookie_token):
            self.csrf_token: str = cookie_token or ""
            self._csrf_is_new = False
        else:
            self.csrf_token = app.signer.new_csrf_token()
            self._csrf_is_new = True

    # Permissions and CSRF

    def can(self, action: Action | str) -> bool:
        """Return the host's ``authorize`` decision for *action*, computed once per request."""
        from aspectfile_core.web.app import Action

        key = str(action)
        if key not in self._permissions:
            self._permissions[key] = bool(self.app.authorize(self.request, Action(key)))
        return self._permissions[key]

    def check_csrf(self) -> None:
        """Raise Forbidden unless the form's CSRF token matches this browser's signed cookie."""
        form_token = self.request.form.get(CSRF_FIELD)
        cookie_token = None if self._csrf_is_new else self.csrf_token
        if not csrf_tokens_match(form_token, cookie_token):
            raise Forbidden(
                self._(
                    "The form expired or was not sent from this page. "
                    "Reload the page and try again."
                )
            )

    # URLs

    def url(self, endpoint: str, query: dict[str, Any] | None = None, **values: Any) -> str:
        """Return the path of *endpoint* under the admin's mount point, with an optional query."""
        url = self.adapter.build(endpoint, values)
        if query:
            url = self.app.with_query(url, query)
        return url

    def static_url(self, filename: str) -> str:
        return self.url("static", filename=filename, query={"v": self.app.static_version(filename)})

    @property
    def current_url(self) -> str:
        """This request's path and query, as sent back in ``next`` form fields."""
        query = self.request.query_string.decode("latin-1")
        path = self.request.script_root + self.request.path
        return f"{path}?{query}" if query else path

    def safe_next(self, fallback: str) -> str:
        """Return the form's ``next`` path when it stays inside the admin, else *fallback*."""
        target = self.request.form.get("next", "")
        root = self.request.script_root + "/"
        parts = urlsplit(target)
        if (
            not target.startswith(root)
            or parts.scheme
            or parts.netloc
            or "\\" in target
            or any(character in target for character in "\r\n\t")
            or target.startswith("//")
        ):
            return fallback
        return target

    def redirect(self, location: str) -> Response:
        """Return a 303 See Other to *location*, as Post/Redirect/Get requires."""
        return redirect(location, code=303)

    # Flash messages

    def flash(self, level: str, message: str) -> None:
        """Queue *message* to show on the next page this browser loads."""
        if level not in FLASH_LEVELS:
            raise ValueError(f"flash level {level!r} is invalid; use one of {sorted(FLASH_LEVELS)}")
        if len(message) > MAX_FLASH_LENGTH:
            message = message[: MAX_FLASH_LENGTH - 1] + "\u2026"
        self._new_flashes.append((level, message))

    @property
    def flashes(self) -> list[tuple[str, str]]:
        """The messages queued by the previous request; reading them clears the cookie."""
        self._flashes_read = True
        signed = self.request.cookies.get(FLASH_COOKIE)
        if not signed:
            return []
        stored = self.app.signer.load_json("flash", signed)
        if not isinstance(stored, list):
            return []
        messages = []
        for item in stored[:MAX_FLASH_MESSAGES]:
            if (
                isinstance(item, list)
                and len(item) == 2
                and item[0] in FLASH_LEVELS
                and isinstance(item[1], str)
            ):
                messages.append((item[0], item[1]))
        return messages

    # Responses

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        html = (
            self.app.environment(self.locale)
            .get_template(template)
            .render(ctx=self, fmt=self.format, **values)
        )
        return Response(html, status=status, mimetype="text/html")

    def finish(self, response: Response) -> None:
        """Set the CSRF and flash cookies this request needs on *response*."""
        path = self.request.script_root or "/"
        secure = self.request.scheme == "https"
        if self._csrf_is_new:
            response.set_cookie(
                CSRF_COOKIE,
                self.csrf_token,
                path=path,
                httponly=True,
                secure=secure,
                samesite="Lax",
            )
        if self._new_flashes:
            response.set_cookie(
                FLASH_COOKIE,
                self.app.signer.dump_json("flash", self._new_flashes[:MAX_FLASH_MESSAGES]),
                path=path,
                httponly=True,
                secure=secure,
                samesite="Lax",
            )
        elif self._flashes_read and FLASH_COOKIE in self.request.cookies:
            response.delete_cookie(
                FLASH_COOKIE, path=path, httponly=True, secure=secure, samesite="Lax"
            )
