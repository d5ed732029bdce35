"""The ``aspectfile-run`` command."""

from __future__ import annotations

import gettext
import logging
import os
import sys
from collections.abc import Sequence
from importlib import resources

import click

from aspectfile_core.cli.app import create_cli
from aspectfile_core.cli.errors import EXIT_INCOMPLETE, EXIT_USAGE, describe
from aspectfile_core.domain.errors import AspectFileError
from aspectfile_core.i18n import (
    DOMAIN,
    SUPPORTED_LOCALES,
    is_supported_locale,
    locale_from_environment,
    negotiate_locale,
    translation,
)
from aspectfile_core.redaction import redact

logger = logging.getLogger(__name__)


def explicit_locale(argv: Sequence[str]) -> str | None:
    """Return the value of ``--locale`` in *argv*, or None when it is not given."""
    for index, argument in enumerate(argv):
        if argument == "--locale" and index + 1 < len(argv):
            return argv[index + 1]
        if argument.startswith("--locale="):
            return argument.partition("=")[2]
    return None


def requested_locale(argv: Sequence[str]) -> str:
    """Return the locale from ``--locale`` in *argv*, or from the environment."""
    explicit = explicit_locale(argv)
    if explicit is not None and is_supported_locale(explicit):
        return negotiate_locale(explicit)
    # Unsupported or absent: the environment's language, which the rejection of --locale uses too.
    return locale_from_environment()


def _translate_click(locale: str) -> None:
    # click's own texts ("Usage:", "Missing option") come from gettext's global
    # domain; point it at our catalog for this process only.
    with resources.as_file(resources.files("aspectfile_core") / "locale") as folder:
        gettext.bindtextdomain(DOMAIN, str(folder))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = locale


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``aspectfile-run`` with *argv* (default: the process arguments) and exit."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    locale = requested_locale(arguments)
    _translate_click(locale)
    _ = translation(locale).gettext
    explicit = explicit_locale(arguments)
    if explicit is not None and not is_supported_locale(explicit):
        click.echo(
            _("Locale {value!r} is not supported; use one of: {choices}.").format(
                value=explicit, choices=", ".join(SUPPORTED_LOCALES)
            ),
            err=True,
        )
        sys.exit(EXIT_USAGE)
    cli = create_cli(_, locale)

    try:
        returned = cli.main(args=arguments, prog_name="aspectfile-run", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo(_("Aborted."), err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as error:
        error.show()
        sys.exit(EXIT_USAGE if error.exit_code == 2 else error.exit_code)
    except AspectFileError as error:
        message, code = describe(error, _)
        click.echo(message, err=True)
        sys.exit(code)
    except ValueError as error:
        click.echo(_("Invalid input: {detail}").format(detail=redact(str(error))), err=True)
        sys.exit(EXIT_USAGE)
    except Exception as error:  # the last resort: a message instead of a traceback
        logger.debug("aspectfile-run failed", exc_info=True)
        click.echo(
            _(
                "Unexpected error ({kind}): {detail}. Run again with -vv to see the traceback."
            ).format(kind=type(error).__name__, detail=redact(str(error))),
            err=True,
        )
        sys.exit(EXIT_INCOMPLETE)
    sys.exit(returned if isinstance(returned, int) else 0)


__all__ = ["create_cli", "main"]
