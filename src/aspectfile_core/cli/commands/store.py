"""The ``store check`` command: test the store settings and credentials with a probe file."""

from __future__ import annotations

from collections.abc import Callable

import click

from aspectfile_core.adapters.fsspec_store import FsspecObjectStore
from aspectfile_core.adapters.store_errors import StoreError
from aspectfile_core.cli import output
from aspectfile_core.cli.app import CliState
from aspectfile_core.cli.errors import EXIT_INCOMPLETE, EXIT_USAGE
from aspectfile_core.domain.errors import ConfigurationError

Translate = Callable[[str], str]


def register(cli: click.Group, _: Translate) -> None:
    """Add the ``store`` group and its ``check`` command to *cli*."""

    @cli.group(help=_("Inspect and test the store that files are delivered to."))
    def store() -> None:
        pass

    @store.command(
        "check",
        help=_(
            "Print the store settings, then write, verify and delete a small probe file in the bucket. Exit code 1 when the store is unreachable, 2 when a setting or the credentials are wrong."
        ),
    )
    @click.option(
        "--bucket",
        default="",
        metavar="NAME",
        help=_("Bucket or top folder to test. Default: none, the store URL itself."),
    )
    @click.pass_obj
    def check(state: CliState, bucket: str) -> None:
        config = state.config
        try:
            target = FsspecObjectStore(
                config.store_url, config.storage_options, settings=config.store
            )
        except StoreError as error:
            click.echo(error.translated(_), err=True)
            raise SystemExit(EXIT_USAGE) from None

        echo_settings(target, state.locale, _)
        try:
            where = target.check(bucket=bucket)
        except StoreError as error:
            click.echo(error.translated(_), err=True)
            code = EXIT_USAGE if isinstance(error, ConfigurationError) else EXIT_INCOMPLETE
            raise SystemExit(code) from None
        click.echo(
            _("Wrote, verified and deleted {location}; the store works.").format(location=where)
        )


def echo_settings(target: FsspecObjectStore, locale: str, _: Translate) -> None:
    """Print the store's URL, its S3 settings when it is S3, and its delivery options."""
    settings = target.settings
    lines = [(_("Store"), target.describe())]
    if target.is_s3:
        lines += [
            (_("Endpoint"), settings.endpoint_url or _("AWS S3 (no endpoint URL)")),
            (_("Region"), settings.region or _("from the AWS configuration")),
            (_("Addressing style"), settings.resolved_addressing_style),
            (_("Part size"), output.human_size(settings.part_size, locale)),
            (_("Checksum"), settings.checksum),
            (_("Tries per request"), str(settings.max_attempts)),
        ]
    delivery = settings.delivery
    lines += [
        (_("If the file exists"), delivery.if_exists.value),
        (_("Completion marker"), delivery.completion_marker.value),
        (_("Compression"), delivery.compression.value),
    ]
    width = max(len(label) for label, _value in lines)
    for label, value in lines:
        click.echo(f"{label.ljust(width)}  {value}")
