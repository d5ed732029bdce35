"""Serve the admin inside a Flask application, authorized by the Flask session.

Run it with ``python docs/examples/mount_flask.py``, sign in by posting a
user name to http://127.0.0.1:8000/login, then open
http://127.0.0.1:8000/s/aspectfile/batches.
"""

from __future__ import annotations

import os

from flask import Flask, redirect, request, session
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Request, Response

from aspectfile_core import BatchService, Config, build_service
from aspectfile_core.web import Action, create_app


def build(service: BatchService, secret_key: str) -> Flask:
    flask_app = Flask(__name__)
    flask_app.secret_key = secret_key

    @flask_app.post("/login")
    def login() -> Response:
        session["user"] = request.form["user"]
        return redirect("/s/aspectfile/batches")

    def authorize(admin_request: Request, action: Action) -> bool:
        # Open the Flask session from the same cookies the admin's request carries.
        with flask_app.request_context(admin_request.environ):
            user = session.get("user")
        if not user:
            return False
        return action is Action.VIEW or user == "admin"

    admin = create_app(
        service,
        authorize=authorize,
        contact_url="/s/contacts/view/{lead_id}",
        secret_key=secret_key,
        locale_selector=lambda admin_request: admin_request.cookies.get("language"),
    )
    flask_app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        flask_app.wsgi_app, {"/s/aspectfile": admin}
    )
    return flask_app


if __name__ == "__main__":
    service = build_service(Config.from_environment())
    build(service, os.environ["ASPECTFILE_WEB_SECRET_KEY"]).run("127.0.0.1", 8000)
