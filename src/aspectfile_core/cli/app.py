"""The ``aspectfile-run`` command group, built by :func:`create_cli` in the operator's language."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import click

from aspectfile_core import schema as schemas
from aspectfile_core.adapters.sql.migrations import upgrade_database
from aspectfile_core.bootstrap import Config, build_service
from aspectfile_core.cli import output
from aspectfile_core.cli.contacts_file import DELIMITER_NAMES, RejectedRow, read_contacts
from aspectfile_core.cli.errors import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from aspectfile_core.cli.progress import ProgressDisplay
from aspectfile_core.domain.errors import AspectFileError
from aspectfile_core.domain.model import PAGE_SIZE, BatchSummary
from aspectfile_core.domain.status import BatchStatus, LeadStatus
from aspectfile_core.i18n import N_, batch_status_label, describe_failure, translation
from aspectfile_core.ports import BatchFilter
from aspectfile_core.services import BatchService, ProcessReport

Translate = Callable[[str], str]


class InputFile(click.File):
    """A file argument opened for reading, or ``-`` for standard input, whose
    "does not exist" error is in the operator's language instead of the OS's English."""

    def __init__(self, translate: Translate) -> None:
        super().__init__("rb")
        self.translate = translate

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value != "-" and not Path(value).exists():
            self.fail(
                self.translate(N_("{path!r} does not exist; check the path.")).format(path=value),
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


def translate_type_names(command: click.Command, translate: Translate) -> None:
    """Translate the type names that click puts in its messages ("integer range"), in place."""
    for param in command.params:
        if isinstance(param.type, click.IntRange | click.FloatRange):
            param.type.name = translate(param.type.name)
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            translate_type_names(subcommand, translate)


def contacts_file_options(_: Translate) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the options that describe how to read a contacts file: --id-column, --delimiter
    and --columns."""

    def split_columns(
        _context: click.Context, _param: click.Parameter, value: str | None
    ) -> list[str] | None:
        if value is None:
            return None
        names = [name.strip() for name in value.split(",")]
        if not all(names):
            raise click.BadParameter(
                _("{value!r} has an empty column name; separate names with single commas.").format(
                    value=value
                )
            )
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise click.BadParameter(
                _("{value!r} names {names} more than once; give each column its own name.").format(
                    value=value, names=", ".join(repeated)
                )
            )
        return names

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "--columns",
            metavar="NAMES",
            callback=split_columns,
            help=_(
                "Column names, separated by commas, of a CSV file without a header row; "
                "its first line is then a contact."
            ),
        )(command)
        command = click.option(
            "--id-column",
            default="id",
            show_default=True,
            metavar="COL",
            help=_("Column (or JSON key) that holds the lead id."),
        )(command)
        return click.option(
            "--delimiter",
            type=click.Choice(list(DELIMITER_NAMES)),
            callback=lambda _context, _param, value: DELIMITER_NAMES.get(value),
            metavar="[comma|semicolon|pipe|tab]",
            help=_("CSV delimiter. Default: detected from the first line."),
        )(command)

    return decorate


def write_toml(text: str, output: Path | None, name: str, force: bool, _: Translate) -> Path | None:
    """Write *text* to *output* (default ``NAME.toml``) and return the path; ``-`` prints it instead.

    An existing file is a usage error unless *force* is set.
    """
    if output is not None and str(output) == "-":
        click.echo(text, nl=False)
        return None
    target = output or Path(f"{name}.toml")
    if target.exists() and not force:
        raise click.UsageError(
            _("{path} already exists; choose another --output or add --force.").format(path=target)
        )
    target.write_text(text, encoding="utf-8")
    return target


def echo_rejected_rows(file_name: str, rejected: list[RejectedRow], _: Translate) -> None:
    """Print each row that was not read as a contact, with its line number, to standard error."""
    for row in rejected:
        click.echo(
            _("{file}: line {line} rejected: {reason}").format(
                file=file_name, line=row.line, reason=row.reason
            ),
            err=True,
        )


SCHEMA_FORMATS = {"fixed": N_("fixed width"), "delimited": N_("delimited")}
"""The names of a schema's ``format`` values in messages."""

DEMO_SCHEMA = "sample-fixed"
DEMO_CAMPAIGN = 1
DEMO_EVENT = 1


@attrs.define
class CliState:
    """The state every command needs: the configuration, the language and a lazily built service."""

    config: Config
    locale: str
    _service: BatchService | None = None

    @property
    def service(self) -> BatchService:
        if self._service is None:
            self._service = build_service(self.config)
        return self._service


LONG_RUNNING_COMMANDS = frozenset({"worker", "serve"})
"""Commands whose log is their record, so they log warnings and errors without -v."""


def configure_logging(verbosity: int, command: str | None = None) -> None:
    """Send library logs to standard error, more with each -v.

    Without -v, one-shot commands log nothing: they print each outcome, failures
    included, in the operator's language. Long-running commands log warnings
    and errors, in English like every log line.
    """
    quiet = logging.CRITICAL + 1 if command not in LONG_RUNNING_COMMANDS else logging.WARNING
    level = {0: quiet, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    package_logger = logging.getLogger("aspectfile_core")
    package_logger.handlers[:] = [handler]
    package_logger.setLevel(level)
    if verbosity >= 3:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
        logging.getLogger("sqlalchemy.engine").addHandler(handler)


def create_cli(_: Translate, locale: str) -> click.Group:
    """Build the command group with help and messages in the language of *_*."""
    ngettext = translation(locale).ngettext

    @click.group(
        help=_(
            "Generate dialer files from campaign contacts and deliver them to a folder, "
            "S3 or any fsspec store."
        ),
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    )
    @click.option(
        "--database",
        "database_url",
        envvar="ASPECTFILE_DATABASE_URL",
        metavar="URL",
        help=_(
            "Database URL (SQLAlchemy form). Default: sqlite:///aspectfile.db in the current folder."
        ),
    )
    @click.option(
        "--store",
        "store_url",
        envvar="ASPECTFILE_STORE_URL",
        metavar="URL",
        help=_("Folder or fsspec URL where files are stored. Default: ./aspectfile-files."),
    )
    @click.option(
        "-v",
        "--verbose",
        count=True,
        help=_("Log more: -v for progress, -vv for debugging, -vvv adds every SQL statement."),
    )
    @click.option(
        "--locale",
        "locale_option",
        metavar="LOCALE",
        help=_("Language of messages: en_US or pt_BR. Default: from LC_ALL, LC_MESSAGES or LANG."),
    )
    @click.version_option(package_name="aspectfile-core", message="%(prog)s %(version)s")
    @click.pass_context
    def cli(
        context: click.Context,
        database_url: str | None,
        store_url: str | None,
        verbose: int,
        locale_option: str | None,
    ) -> None:
        configure_logging(verbose, context.invoked_subcommand)
        config = Config.from_environment(database_url=database_url, store_url=store_url)
        context.obj = CliState(config=config, locale=locale)

    @cli.group(help=_("Manage the database."))
    def db() -> None:
        pass

    @db.command("upgrade", help=_("Create or update the database tables."))
    @click.pass_obj
    def db_upgrade(state: CliState) -> None:
        upgrade_database(state.config.database_url, state.config.table_prefix)
        click.echo(_("Database tables created or updated: they are at the newest version."))

    @cli.group(help=_("Register and inspect schemas."))
    def schema() -> None:
        pass

    @schema.command(
        "add", help=_("Register the schema in FILE (TOML or JSON), or store a new version of it.")
    )
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.pass_obj
    def schema_add(state: CliState, file: Path) -> None:
        stored = state.service.register_schema_file(file)
        click.echo(
            _("Schema {name!r} registered, version {version}.").format(
                name=stored.name, version=stored.version
            )
        )

    @schema.command("list", help=_("List the registered schemas."))
    @click.pass_obj
    def schema_list(state: CliState) -> None:
        stored = state.service.list_schemas()
        if not stored:
            click.echo(_("No schema registered. Add one with 'aspectfile-run schema add FILE'."))
            return
        rows = [
            [
                item.name,
                str(item.version),
                item.document_format,
                output.when(item.updated_at, state.locale),
                item.description,
            ]
            for item in stored
        ]
        click.echo(
            output.table(
                [_("NAME"), _("VERSION"), _("FORMAT"), _("UPDATED"), _("DESCRIPTION")], rows
            )
        )

    @schema.command("show", help=_("Print the document of schema NAME."))
    @click.argument("name")
    @click.option(
        "--version", "version", type=click.IntRange(min=1), help=_("An earlier version to show.")
    )
    @click.pass_obj
    def schema_show(state: CliState, name: str, version: int | None) -> None:
        stored = state.service.get_schema(name, version)
        click.echo(
            _("# schema {name}, version {version} ({format})").format(
                name=stored.name, version=stored.version, format=stored.document_format
            )
        )
        click.echo(stored.document.rstrip("\n"))

    @schema.command(
        "check",
        help=_(
            "Validate the schema in FILE without registering it and preview its first records "
            "(with a column ruler for fixed-width files)."
        ),
    )
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--sample",
        type=InputFile(_),
        metavar="CONTACTS",
        help=_(
            "Contacts to preview (CSV with a header row, or JSON Lines). Default: the bundled sample contacts."
        ),
    )
    @click.option(
        "--lines",
        type=click.IntRange(min=0),
        default=10,
        show_default=True,
        metavar="N",
        help=_("Data records to preview."),
    )
    @contacts_file_options(_)
    def schema_check(
        file: Path,
        sample: Any,
        id_column: str,
        lines: int,
        delimiter: str | None,
        columns: list[str] | None,
    ) -> None:
        parsed, _text, _format = schemas.load_schema_file(file)
        if sample is None:
            data = resources.files("aspectfile_core") / "data" / "sample_contacts.csv"
            with data.open("rb") as handle:
                contacts = read_contacts(handle, name="sample_contacts.csv", id_column="id", _=_)
        else:
            sample_name = str(getattr(sample, "name", "-"))
            contacts = read_contacts(
                sample,
                name=sample_name,
                id_column=id_column,
                _=_,
                delimiter=delimiter,
                columns=columns,
            )
            echo_rejected_rows(sample_name, contacts.rejected, _)
        click.echo(
            _("Schema {name!r} is valid ({format}, {count} fields).").format(
                name=parsed.name, format=_(SCHEMA_FORMATS[parsed.format]), count=len(parsed.fields)
            )
        )
        sample_columns = {key for contact in contacts.contacts for key in contact.fields}
        missing = sorted(
            {spec.source for spec in parsed.fields if spec.source} - sample_columns - {"lead_id"}
        )
        if contacts.contacts and missing:
            click.echo(
                _(
                    "Columns missing from the sample: {missing}. Its columns are: {columns}. "
                    "Rename the columns or change the fields' source."
                ).format(missing=", ".join(missing), columns=", ".join(sorted(sample_columns))),
                err=True,
            )
        if not lines:
            return
        result = schemas.sample_preview(
            parsed,
            [contact.fields for contact in contacts.contacts],
            lines,
            id_field=id_column if sample is not None else "id",
            translate=_,
        )
        click.echo()
        click.echo(result.render(_))
        try:
            schemas.check_batch_policies(parsed, result.render_result())
        except schemas.BatchPolicyError as error:
            click.echo(
                _(
                    "A batch of these sample contacts would fail: {reason}. Fix the fields' "
                    "sources or the sample, then check again."
                ).format(reason=error.translated(_)),
                err=True,
            )
            raise SystemExit(EXIT_INCOMPLETE) from error
        if not result.shown:
            click.echo(
                _(
                    "No sample contact could be rendered (read: {count}). Fix the fields' "
                    "sources or the sample, then check again."
                ).format(count=result.read),
                err=True,
            )
            raise SystemExit(EXIT_INCOMPLETE)
        if sample is not None and contacts.rejected:
            raise SystemExit(EXIT_INCOMPLETE)  # like enqueue: a rejected row is a partial failure

    @schema.command(
        "example",
        help=_(
            "Without NAME, list the example schemas shipped with the package. With NAME, write "
            "that example to NAME.toml to copy and adapt."
        ),
    )
    @click.argument("name", required=False)
    @click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
        help=_("Where to write the TOML; - prints it. Default: NAME.toml in the current folder."),
    )
    @click.option("--force", is_flag=True, help=_("Overwrite the output file if it exists."))
    def schema_example(name: str | None, output: Path | None, force: bool) -> None:
        folder = resources.files("aspectfile_core") / "data" / "schemas"
        examples = {
            entry.name.removesuffix(".toml"): entry
            for entry in folder.iterdir()
            if entry.name.endswith(".toml")
        }
        if name is None:
            width = max(len(example_name) for example_name in examples)
            for example_name in sorted(examples):
                parsed = schemas.parse_schema(examples[example_name].read_text("utf-8"), "toml")
                click.echo(f"{example_name:<{width}}  {parsed.description}")
            return
        if name not in examples:
            raise click.UsageError(
                _("{name!r} is not an example schema; the examples are: {names}.").format(
                    name=name, names=", ".join(sorted(examples))
                )
            )
        target = write_toml(examples[name].read_text("utf-8"), output, name, force, _)
        if target is None:
            return
        click.echo(
            _(
                "Wrote {path}. Change its name and map each field's source to a column of your "
                "contacts, then check it with 'aspectfile-run schema check {path} --sample FILE'."
            ).format(path=target)
        )

    @schema.command(
        "import",
        help=_(
            "Turn a record layout table (xlsx or csv with the columns No., Name, Data Type, "
            "Access Type, Offset, Length) into a TOML schema skeleton whose sources you then map."
        ),
    )
    @click.argument("layout", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--name", "name", required=True, help=_("Name of the new schema."))
    @click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
        help=_("Where to write the TOML; - prints it. Default: NAME.toml in the current folder."),
    )
    @click.option("--force", is_flag=True, help=_("Overwrite the output file if it exists."))
    def schema_import(layout: Path, name: str, output: Path | None, force: bool) -> None:
        target = write_toml(schemas.import_layout(layout, name), output, name, force, _)
        if target is None:
            return
        click.echo(
            _(
                "Wrote {path}. Map each field's source to a contact column, then check it with 'aspectfile-run schema check {path}'."
            ).format(path=target)
        )

    @cli.command(
        help=_(
            "Add the contacts in FILE (CSV with a header row, or JSON Lines; - reads standard input) to the open batch of a campaign event."
        )
    )
    @click.option(
        "--schema",
        "schema_name",
        required=True,
        metavar="NAME",
        help=_("Schema that renders the batch."),
    )
    @click.option(
        "--campaign",
        "campaign_id",
        required=True,
        type=click.IntRange(min=1),
        metavar="ID",
        help=_("Campaign id."),
    )
    @click.option(
        "--event",
        "event_id",
        required=True,
        type=click.IntRange(min=1),
        metavar="ID",
        help=_("Campaign event id."),
    )
    @click.option(
        "--bucket",
        default=None,
        metavar="NAME",
        help=_("Bucket or top folder in the store. Default: none."),
    )
    @contacts_file_options(_)
    @click.argument("file", type=InputFile(_))
    @click.pass_obj
    def enqueue(
        state: CliState,
        schema_name: str,
        campaign_id: int,
        event_id: int,
        bucket: str | None,
        id_column: str,
        delimiter: str | None,
        columns: list[str] | None,
        file: Any,
    ) -> None:
        state.service.get_schema(schema_name)  # an unknown schema is reported before the file
        name = "-" if file is sys.stdin.buffer else getattr(file, "name", "-")
        contacts = read_contacts(
            file,
            name=str(name),
            id_column=id_column,
            _=_,
            delimiter=delimiter,
            columns=columns,
        )
        if not contacts.contacts and not contacts.rejected:
            click.echo(
                _("{file} has no contact rows; nothing was added.").format(file=name), err=True
            )
            raise SystemExit(EXIT_INCOMPLETE)
        echo_rejected_rows(str(name), contacts.rejected, _)

        result = state.service.add_contacts(
            campaign_id=campaign_id,
            event_id=event_id,
            schema_name=schema_name,
            contacts=contacts.contacts,
            bucket=bucket,
        )
        batches = ", ".join(str(batch_id) for batch_id in result.batch_ids)
        added = (
            ngettext(
                "Added {added} lead to batch {batches}.",
                "Added {added} leads to batch {batches}.",
                result.added,
            ).format(added=result.added, batches=batches)
            if result.added
            else _("No lead added.")
        )
        click.echo(
            added
            + " "
            + _(
                "Already in the batch or repeated in the file: {duplicates}. "
                "Rows rejected: {rejected}."
            ).format(duplicates=result.duplicates, rejected=len(contacts.rejected))
        )
        if contacts.rejected:
            raise SystemExit(EXIT_INCOMPLETE)

    @cli.command(help=_("Claim pending batches, generate their files and store them."))
    @click.option(
        "--limit",
        type=click.IntRange(min=1),
        metavar="N",
        help=_("Process at most N batches. Default: all that are due."),
    )
    @click.option(
        "--quiet",
        is_flag=True,
        help=_(
            "Show no progress. By default a progress bar per batch goes to standard error on a terminal, and otherwise a line every 10 seconds."
        ),
    )
    @click.pass_obj
    def process(state: CliState, limit: int | None, quiet: bool) -> None:
        if quiet:
            report = state.service.process(limit)
        else:
            display = ProgressDisplay(_, sys.stderr)
            try:
                report = state.service.process(limit, progress=display)
            finally:
                display.close()
        echo_report(report, state.service, _)
        if not report.all_uploaded:
            raise SystemExit(EXIT_INCOMPLETE)

    @cli.command(help=_("Send batches whose worker stopped (lease expired) back to PENDING."))
    @click.pass_obj
    def recover(state: CliState) -> None:
        rescued = state.service.recover()
        click.echo(_("Batches recovered: {count}.").format(count=len(rescued)))

    @cli.command("list", help=_("List batches, newest first, 20 per page."))
    @click.option(
        "--status",
        type=click.Choice([status.value for status in BatchStatus], case_sensitive=False),
        help=_("Only batches in this state.") + " " + output.status_legend(_),
    )
    @click.option(
        "--page", type=click.IntRange(min=1), default=1, show_default=True, help=_("Page number.")
    )
    @click.option("--json", "as_json", is_flag=True, help=_("Print JSON instead of a table."))
    @click.pass_obj
    def list_command(state: CliState, status: str | None, page: int, as_json: bool) -> None:
        filters = BatchFilter(status=BatchStatus(status.upper()) if status else None)
        result = state.service.list_batches(page, per_page=PAGE_SIZE, filters=filters)
        if as_json:
            click.echo(json.dumps(output.page_json(result), ensure_ascii=False, indent=2))
            return
        if not result.items:
            if result.total:
                click.echo(
                    _("Page {page} is past the last page ({pages}).").format(
                        page=page, pages=result.pages
                    )
                )
            else:
                click.echo(_("No batches yet. Add contacts with 'aspectfile-run enqueue'."))
            return
        headers = [
            _("ID"),
            _("STATUS"),
            _("SCHEMA"),
            _("CAMPAIGN/EVENT"),
            _("PENDING/GENERATED/FAILED"),
            _("FILE"),
            _("SIZE"),
            _("CREATED"),
        ]
        click.echo(output.table(headers, output.batch_rows(result, state.locale, _)))
        click.echo(
            _("Page {page} of {pages}. Batches: {total}.").format(
                page=result.page, pages=result.pages, total=result.total
            )
        )

    @cli.command(help=_("Show every field of batch ID, its lead counts and its leads."))
    @click.argument("batch_id", type=click.IntRange(min=1), metavar="ID")
    @click.option("--json", "as_json", is_flag=True, help=_("Print JSON instead of text."))
    @click.pass_obj
    def show(state: CliState, batch_id: int, as_json: bool) -> None:
        summary = state.service.get_batch(batch_id)
        if as_json:
            document = output.batch_json(summary)
            document["leads"] = [
                output.lead_json(lead) for lead in iter_leads(state.service, batch_id)
            ]
            click.echo(json.dumps(document, ensure_ascii=False, indent=2))
            return
        echo_batch(state, summary, _)

    @cli.command(help=_("Send a FAILED batch back to PENDING with all its leads, for another try."))
    @click.argument("batch_id", type=click.IntRange(min=1), metavar="ID")
    @click.option(
        "--force",
        is_flag=True,
        help=_("Also reprocess an UPLOADED batch, which delivers its file again."),
    )
    @click.pass_obj
    def reprocess(state: CliState, batch_id: int, force: bool) -> None:
        state.service.reprocess(batch_id, force=force)
        click.echo(
            _("Batch {id} is pending again; the next 'process' run generates it.").format(
                id=batch_id
            )
        )

    @cli.command(help=_("Delete batch ID and its leads. Its stored file stays in the store."))
    @click.argument("batch_id", type=click.IntRange(min=1), metavar="ID")
    @click.option("--yes", is_flag=True, help=_("Do not ask for confirmation."))
    @click.pass_obj
    def delete(state: CliState, batch_id: int, yes: bool) -> None:
        summary = state.service.get_batch(batch_id)
        if not yes:
            question = ngettext(
                "Delete batch {id} ({status}) and its {count} lead?",
                "Delete batch {id} ({status}) and its {count} leads?",
                summary.counts.total,
            ).format(
                id=batch_id,
                status=batch_status_label(summary.batch.status, _),
                count=summary.counts.total,
            )
            if not output.confirm(question, _):
                click.echo(_("Nothing deleted."))
                raise SystemExit(EXIT_INCOMPLETE)
        state.service.delete(batch_id)
        click.echo(_("Batch {id} deleted.").format(id=batch_id))

    @cli.command(
        help=_(
            "Run the whole job on bundled sample data: create the database, register a sample schema, add sample contacts, process them and print the result."
        )
    )
    @click.pass_obj
    def demo(state: CliState) -> None:
        service = state.service
        upgrade_database(state.config.database_url, state.config.table_prefix)
        data = resources.files("aspectfile_core") / "data"
        stored = service.register_schema(
            (data / "schemas" / f"{DEMO_SCHEMA}.toml").read_text(encoding="utf-8"), "toml"
        )
        with (data / "sample_contacts.csv").open("rb") as handle:
            contacts = read_contacts(handle, name="sample_contacts.csv", id_column="id", _=_)
        added = service.add_contacts(
            campaign_id=DEMO_CAMPAIGN,
            event_id=DEMO_EVENT,
            schema_name=stored.name,
            contacts=contacts.contacts,
        )
        click.echo(
            _(
                "Registered schema {name!r} (version {version}) and added {count} sample contacts to campaign {campaign}, event {event}."
            ).format(
                name=stored.name,
                version=stored.version,
                count=added.added,
                campaign=DEMO_CAMPAIGN,
                event=DEMO_EVENT,
            )
        )

        report = service.process()
        echo_report(report, state.service, _)
        for batch_id in added.batch_ids:
            click.echo()
            echo_batch(state, service.get_batch(batch_id), _)
        if not report.all_uploaded:
            raise SystemExit(EXIT_INCOMPLETE)

    for register in command_modules():
        register(cli, _)
    translate_type_names(cli, _)
    return cli


def command_modules() -> list[Callable[[click.Group, Translate], None]]:
    """Return the ``register(cli, _)`` functions of the command modules in :mod:`aspectfile_core.cli.commands`."""
    from aspectfile_core.cli import commands

    return [module.register for module in commands.MODULES]


def iter_leads(service: BatchService, batch_id: int, per_page: int = 1000) -> Iterator[Any]:
    page = 1
    while True:
        result = service.list_leads(batch_id, page, per_page=per_page)
        yield from result.items
        if not result.has_next:
            return
        page += 1


REPORTED_ERRORS = 20
"""Failed or retried batches whose error a process report prints; the rest are counted."""


def echo_report(report: ProcessReport, service: BatchService, _: Translate) -> None:
    if report.rescued:
        click.echo(
            _("Batches recovered from stopped workers: {count}.").format(count=len(report.rescued))
        )
    if not (report.uploaded or report.retried or report.failed or report.lost):
        click.echo(_("No batch is due."))
        return
    click.echo(
        _(
            "Uploaded: {uploaded}. To retry: {retried}. Failed: {failed}. "
            "Taken over by another worker: {lost}."
        ).format(
            uploaded=len(report.uploaded),
            retried=len(report.retried),
            failed=len(report.failed),
            lost=len(report.lost),
        )
    )
    outcomes = (
        (report.failed, _("Batch {id} failed: {error}"), "FAILED"),
        (report.retried, _("Batch {id} will be retried: {error}"), "PENDING"),
    )
    for batch_ids, line, status in outcomes:
        for batch_id in batch_ids[:REPORTED_ERRORS]:
            error = _batch_error(service, batch_id, _)
            click.echo(line.format(id=batch_id, error=error or "-"))
        if len(batch_ids) > REPORTED_ERRORS:
            click.echo(
                _(
                    "... and {count} more; 'aspectfile-run list --status {status}' lists them."
                ).format(count=len(batch_ids) - REPORTED_ERRORS, status=status)
            )


def _batch_error(service: BatchService, batch_id: int, _: Translate) -> str | None:
    try:
        return service.get_batch(batch_id).batch.error_text(_)
    except AspectFileError:
        return None  # deleted meanwhile, or the database is gone; the counts above still hold


def echo_batch(state: CliState, summary: BatchSummary, _: Translate) -> None:
    batch = summary.batch
    counts = summary.counts
    locale = state.locale
    version = str(batch.schema_version) if batch.schema_version is not None else "-"
    lines = [
        (_("Batch"), str(batch.id)),
        (_("Status"), batch_status_label(batch.status, _)),
        (_("Schema"), f"{batch.schema_name} (v{version})"),
        (_("Campaign / event"), f"{batch.campaign_id} / {batch.event_id}"),
        (_("Bucket"), batch.bucket or "-"),
        (_("File name"), batch.file_name or "-"),
        (_("File path"), batch.file_path or "-"),
        (_("Stored at"), batch.file_url or "-"),
        (_("File size"), output.human_size(batch.file_size, locale)),
        (_("Records"), str(batch.record_count) if batch.record_count is not None else "-"),
        (_("Created"), output.when(batch.created_at, locale)),
        (_("Generated"), output.when(batch.generated_at, locale)),
        (_("Uploaded"), output.when(batch.uploaded_at, locale)),
        (_("Attempts"), str(batch.attempts)),
        (_("Error"), batch.error_text(_) or "-"),
        (
            _("Leads"),
            _("{total} total: {pending} pending, {generated} generated, {failed} failed").format(
                total=counts.total,
                pending=counts.pending,
                generated=counts.generated,
                failed=counts.failed,
            ),
        ),
    ]
    width = max(len(label) for label, _value in lines)
    for label, value in lines:
        click.echo(f"{label.ljust(width)}  {value}")

    if counts.failed:
        click.echo()
        click.echo(_("Failed leads:"))
        page = state.service.list_leads(batch.id, 1, per_page=50, status=LeadStatus.FAILED)
        for lead in page.items:
            failure = lead.failure
            reason = (
                describe_failure(failure.code, failure.field, failure.value, _, failure.message)
                if failure
                else ""
            )
            click.echo(f"  {lead.lead_id}: {reason}")
        if page.total > len(page.items):
            click.echo(
                _("  ... and {count} more ('show --json' lists all).").format(
                    count=page.total - len(page.items)
                )
            )


__all__ = ["EXIT_OK", "EXIT_USAGE", "create_cli"]
