"""``aspectfile-run serve``: the web admin on Werkzeug's threaded server."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import click

from aspectfile_core.i18n import DEFAULT_LOCALE

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from aspectfile_core.cli.app import CliState
    from aspectfile_core.services import BatchService

Translate = Callable[[str], str]

USER_VARIABLE = "ASPECTFILE_WEB_USER"
PASSWORD_VARIABLE = "ASPECTFILE_WEB_PASSWORD"
SECRET_VARIABLE = "ASPECTFILE_WEB_SECRET_KEY"
DEFAULT_PREFIX = "/s/aspectfile"
"""The web admin's default prefix, repeated here so that building the CLI never imports Werkzeug."""


def is_loopback(host: str) -> bool:
    """Return True when *host* names this machine only: localhost, 127.0.0.0/8 or ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def credentials(host: str, environ: Mapping[str, str], _: Translate) -> tuple[str, str] | None:
    """Return the HTTP Basic user and password from *environ*, or None on loopback without them.

    Raises :class:`click.UsageError` when only one of the two is set, or when
    *host* is reachable from other machines and they are missing.
    """
    user = environ.get(USER_VARIABLE, "")
    password = environ.get(PASSWORD_VARIABLE, "")
    if bool(user) != bool(password):
        raise click.UsageError(
            _("Set both {user} and {password}, or neither.").format(
                user=USER_VARIABLE, password=PASSWORD_VARIABLE
            )
        )
    if user:
        return user, password
    if not is_loopback(host):
        raise click.UsageError(
            _(
                "Listening on {host} lets other machines reach the admin, so it needs a login: "
                "set {user} and {password} (HTTP Basic), or listen on 127.0.0.1."
            ).format(host=host, user=USER_VARIABLE, password=PASSWORD_VARIABLE)
        )
    return None


def build_admin(
    service: BatchService,
    *,
    login: tuple[str, str] | None,
    secret_key: str | None,
    prefix: str,
    contact_url: str | None,
    timezone: str,
    process_limit: int,
    process_seconds: float,
    default_locale: str = DEFAULT_LOCALE,
    name_fields: tuple[str, ...] = ("firstname", "lastname"),
    email_field: str = "email",
) -> WSGIApplication:
    """Return the stand-alone admin: every action allowed, behind HTTP Basic when *login* is set.

    *default_locale* is the language of pages and of the login prompt for
    requests without a supported ``Accept-Language``.
    """
    from aspectfile_core.web import BasicAuthMiddleware, allow_all, create_app

    app = create_app(
        service,
        authorize=allow_all,
        contact_url=contact_url,
        prefix=prefix,
        secret_key=secret_key,
        timezone=timezone,
        process_limit=process_limit,
        process_seconds=process_seconds,
        default_locale=default_locale,
        name_fields=name_fields,
        email_field=email_field,
    )
    if login is None:
        return app
    return BasicAuthMiddleware(app, login[0], login[1], default_locale=default_locale)


def register(cli: click.Group, _: Translate) -> None:
    """Add ``serve`` to *cli*."""

    @cli.command(
        help=_(
            "Run the web admin for batches and schemas. It listens on 127.0.0.1 unless --host "
            "says otherwise; any other address needs ASPECTFILE_WEB_USER and "
            "ASPECTFILE_WEB_PASSWORD for HTTP Basic login. Pages follow the browser's "
            "language; requests without a supported one get the language of --locale "
            "or LC_ALL, LC_MESSAGES or LANG."
        )
    )
    @click.option("--host", default="127.0.0.1", show_default=True, help=_("Address to listen on."))
    @click.option(
        "--port",
        type=click.IntRange(1, 65535),
        default=8080,
        show_default=True,
        help=_("TCP port to listen on."),
    )
    @click.option(
        "--prefix",
        default=DEFAULT_PREFIX,
        show_default=True,
        metavar="PATH",
        help=_("URL path the admin is served under."),
    )
    @click.option(
        "--contact-url",
        envvar="ASPECTFILE_WEB_CONTACT_URL",
        metavar="TEMPLATE",
        help=_(
            "Link from each lead to its contact page in the host application, "
            "such as https://mautic.example.com/s/contacts/view/{lead_id}."
        ),
    )
    @click.option(
        "--timezone",
        envvar="ASPECTFILE_WEB_TIMEZONE",
        default="UTC",
        show_default=True,
        metavar="ZONE",
        help=_("IANA time zone of the times on the pages, such as America/Sao_Paulo."),
    )
    @click.option(
        "--process-limit",
        type=click.IntRange(min=1),
        default=10,
        show_default=True,
        metavar="N",
        help=_("Most batches one 'Process now' handles."),
    )
    @click.option(
        "--process-seconds",
        type=click.FloatRange(min=1),
        default=20.0,
        show_default=True,
        metavar="SECONDS",
        help=_("Seconds after which 'Process now' starts no new batch."),
    )
    @click.option(
        "--name-fields",
        envvar="ASPECTFILE_WEB_NAME_FIELDS",
        default="firstname,lastname",
        show_default=True,
        metavar="FIELDS",
        help=_(
            "Contact fields, separated by commas, joined into the name shown for each lead, "
            "such as first_name,last_name."
        ),
    )
    @click.option(
        "--email-field",
        envvar="ASPECTFILE_WEB_EMAIL_FIELD",
        default="email",
        show_default=True,
        metavar="FIELD",
        help=_("Contact field shown as each lead's email."),
    )
    @click.pass_obj
    def serve(
        state: CliState,
        host: str,
        port: int,
        prefix: str,
        contact_url: str | None,
        timezone: str,
        process_limit: int,
        process_seconds: float,
        name_fields: str,
        email_field: str,
    ) -> None:
        try:
            from werkzeug.serving import run_simple
        except ImportError as error:
            raise click.ClickException(
                _("The web admin needs the web extra: pip install 'aspectfile-core[web]'")
            ) from error

        login = credentials(host, os.environ, _)
        app = build_admin(
            state.service,
            login=login,
            secret_key=os.environ.get(SECRET_VARIABLE) or None,
            prefix=prefix.rstrip("/"),
            contact_url=contact_url,
            timezone=timezone,
            process_limit=process_limit,
            process_seconds=process_seconds,
            default_locale=state.locale,
            name_fields=tuple(field.strip() for field in name_fields.split(",") if field.strip()),
            email_field=email_field,
        )
        state.service.list_batches(1, per_page=1)

        shown_host = f"[{host}]" if ":" in host else host
        click.echo(
            _("Web admin at http://{host}:{port}{prefix}/batches; Ctrl+C stops it.").format(
                host=shown_host, port=port, prefix=prefix.rstrip("/")
            )
        )
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
