"""Serve the admin in front of a Django project through a WSGI mount.

Django keeps every URL except /s/aspectfile/, which goes to the admin. The
admin reads the Django session to authorize; this example uses signed-cookie
sessions so that it runs without a database. Run it with
``python docs/examples/mount_django.py``, sign in by posting a user name to
http://127.0.0.1:8000/login/, then open http://127.0.0.1:8000/s/aspectfile/batches.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

import django
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Request

from aspectfile_core import BatchService, Config, build_service
from aspectfile_core.web import Action, create_app


@csrf_exempt  # a sketch of a login view; use django.contrib.auth in a real project
def login(request: HttpRequest) -> HttpResponse:
    request.session["user"] = request.POST["user"]
    return HttpResponseRedirect("/s/aspectfile/batches")


urlpatterns = [path("login/", login)]


def configure_django(secret_key: str) -> None:
    if settings.configured:
        return
    settings.configure(
        SECRET_KEY=secret_key,
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "testserver"],
        INSTALLED_APPS=["django.contrib.sessions"],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware"],
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    )
    django.setup()


def django_user(request: Request) -> Any:
    """Return the user name stored in the Django session of *request*'s cookies, or None."""
    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore(session_key=request.cookies.get(settings.SESSION_COOKIE_NAME))
    return store.get("user")


def authorize(request: Request, action: Action) -> bool:
    user = django_user(request)
    if not user:
        return False
    return action is Action.VIEW or user == "admin"


def build(service: BatchService, secret_key: str) -> DispatcherMiddleware:
    configure_django(secret_key)
    from django.core.wsgi import get_wsgi_application

    admin = create_app(
        service,
        authorize=authorize,
        contact_url="/s/contacts/view/{lead_id}",
        secret_key=secret_key,
    )
    return DispatcherMiddleware(get_wsgi_application(), {"/s/aspectfile": admin})


if __name__ == "__main__":
    from werkzeug.serving import run_simple

    service = build_service(Config.from_environment())
    run_simple("127.0.0.1", 8000, build(service, os.environ["ASPECTFILE_WEB_SECRET_KEY"]))
