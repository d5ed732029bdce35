"""Serve the admin under /s/aspectfile beside another WSGI application, with Werkzeug alone.

Run it with ``python docs/examples/mount_dispatcher.py`` and open
http://127.0.0.1:8000/s/aspectfile/batches with the header
``X-Remote-User: admin`` (a reverse proxy that logs users in would set it).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

from aspectfile_core import BatchService, Config, build_service
from aspectfile_core.web import Action, create_app


def host_application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Stand-in for the host's own WSGI application."""
    return Response("The host application.\n")(environ, start_response)


def authorize(request: Request, action: Action) -> bool:
    """Let signed-in users look; only the user 'admin' may change anything."""
    user = request.headers.get("X-Remote-User")
    if not user:
        return False
    return action is Action.VIEW or user == "admin"


def build(service: BatchService, secret_key: str) -> DispatcherMiddleware:
    admin = create_app(
        service,
        authorize=authorize,
        contact_url="/s/contacts/view/{lead_id}",
        secret_key=secret_key,
        timezone="America/Sao_Paulo",
    )
    return DispatcherMiddleware(host_application, {"/s/aspectfile": admin})


if __name__ == "__main__":
    service = build_service(Config.from_environment())
    run_simple("127.0.0.1", 8000, build(service, os.environ["ASPECTFILE_WEB_SECRET_KEY"]))
