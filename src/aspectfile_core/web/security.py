"""Signed cookies, CSRF tokens, response headers and HTTP Basic authentication."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import WWWAuthenticate
from werkzeug.wrappers import Request, Response

from aspectfile_core.i18n import DEFAULT_LOCALE, translation
from aspectfile_core.web.formatting import check_locale, locale_from_accept_language

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
"""Policy sent with every response: scripts and styles only from the admin's own files, no framing."""

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class Signer:
    """Signs and checks short values with HMAC-SHA256 under one secret key.

    Each use passes its own *purpose*, so a value signed for one cookie is
    rejected by another.
    """

    def __init__(self, secret_key: bytes) -> None:
        if len(secret_key) < 16:
            raise ValueError("secret_key must be at least 16 bytes long")
        self._key = secret_key

    def _signature(self, purpose: str, payload: str) -> str:
        digest = hmac.new(self._key, f"{purpose}:{payload}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def sign(self, purpose: str, payload: str) -> str:
        """Return ``payload.signature``; *payload* must not contain a dot."""
        return f"{payload}.{self._signature(purpose, payload)}"

    def unsign(self, purpose: str, signed: str) -> str | None:
        """Return the payload of *signed*, or None when the signature does not match."""
        payload, dot, signature = signed.rpartition(".")
        if not dot or not payload:
            return None
        if not hmac.compare_digest(signature, self._signature(purpose, payload)):
            return None
        return payload

    def new_csrf_token(self) -> str:
        """Return a fresh signed CSRF token."""
        return self.sign("csrf", secrets.token_urlsafe(32))

    def is_valid_csrf_token(self, token: str | None) -> bool:
        return bool(token) and self.unsign("csrf", token or "") is not None

    def dump_json(self, purpose: str, value: Any) -> str:
        """Return *value* as signed, base64-encoded JSON, for a cookie."""
        raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        payload = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        return self.sign(purpose, payload)

    def load_json(self, purpose: str, signed: str) -> Any:
        """Return the value of :meth:`dump_json`, or None when it is unsigned or damaged."""
        payload = self.unsign(purpose, signed)
        if payload is None:
            return None
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            return json.loads(raw.decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None


def csrf_tokens_match(form_token: str | None, cookie_token: str | None) -> bool:
    """Return True when the form's token equals the cookie's (double-submit check)."""
    if not form_token or not cookie_token:
        return False
    return hmac.compare_digest(form_token.encode("utf-8"), cookie_token.encode("utf-8"))


def add_security_headers(response: Response) -> None:
    """Set the content security policy, frame denial and related headers on *response*."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


class BasicAuthMiddleware:
    """Ask for one user name and password (HTTP Basic) before passing requests to *app*.

    Compare with :func:`hmac.compare_digest`, so the time taken does not tell
    how much of a guess was right. Use it behind HTTPS: Basic credentials are
    only base64-encoded. The 401 text follows ``Accept-Language``, else
    *default_locale*.
    """

    def __init__(
        self,
        app: WSGIApplication,
        username: str,
        password: str,
        realm: str = "aspectfile",
        *,
        default_locale: str = DEFAULT_LOCALE,
    ) -> None:
        if not username or not password:
            raise ValueError("HTTP Basic authentication needs a non-empty user name and password")
        self.app = app
        self.realm = realm
        self.default_locale = check_locale("default_locale", default_locale)
        self._username = username.encode("utf-8")
        self._password = password.encode("utf-8")

    def is_authorized(self, request: Request) -> bool:
        credentials = request.authorization
        if credentials is None or credentials.type != "basic":
            return False
        username = (credentials.username or "").encode("utf-8")
        password = (credentials.password or "").encode("utf-8")
        user_ok = hmac.compare_digest(username, self._username)
        password_ok = hmac.compare_digest(password, self._password)
        return user_ok and password_ok

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if self.is_authorized(request):
            return self.app(environ, start_response)

        if request.authorization is not None:
            logger.warning(
                "AspectFile: Web admin login failed from %s",
                request.remote_addr,
                extra={"action": "web_login_failed"},
            )
        _ = translation(locale_from_accept_language(request, self.default_locale)).gettext
        response = Response(
            _("Sign in with the user name and password of the web admin.") + "\n",
            status=401,
            mimetype="text/plain",
        )
        response.www_authenticate = WWWAuthenticate("basic", {"realm": self.realm})
        add_security_headers(response)
        return response(environ, start_response)
