"""Schema pages and actions: list, detail with preview, create, edit, upload, layout import, delete."""

from __future__ import annotations

import logging
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any

from openpyxl.utils.exceptions import InvalidFileException
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from aspectfile_core import schema as schemas
from aspectfile_core.domain.errors import SchemaError, SchemaNotFound, SchemaProblem
from aspectfile_core.domain.model import StoredSchema
from aspectfile_core.ports import BatchFilter
from aspectfile_core.web.context import InvalidRequest, RequestContext
from aspectfile_core.web.params import (
    parse_batch_id,
    parse_schema_name,
    parse_version,
)
from aspectfile_core.web.preview import build_preview, sample_contacts

logger = logging.getLogger(__name__)

DOCUMENT_FORMATS = ("toml", "json")
LAYOUT_SUFFIXES = (".xlsx", ".xlsm", ".csv")
PREVIEW_LEADS_READ = 50
"""Leads of a batch read for a preview; the preview stops after its first ten records."""

UNREADABLE_SPREADSHEET_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    ValueError,
    KeyError,
    zipfile.BadZipFile,
    InvalidFileException,
)
"""What reading a damaged or mislabelled spreadsheet raises.

NOTE: import_layout passes openpyxl's and zipfile's errors through as they are;
this list covers the ones seen with damaged files, so another kind of damage may still return 500.
"""

NEW_SCHEMA_DOCUMENT = """\
name = "my-dialer"
description = ""
format = "delimited"
delimiter = ";"
encoding = "utf-8"
line_ending = "crlf"
header_row = true

[[fields]]
name = "id"
source = "id"
required = true

[[fields]]
name = "name"
template = "{firstname} {lastname}"
transforms = ["strip", "collapse_spaces"]

[[fields]]
name = "phone"
source = "mobile"
type = "phone"
default_region = "BR"
required = true
"""
"""Starting text of the "New schema" form: a small delimited schema to adapt."""


def schema_list(ctx: RequestContext) -> Response:
    return _render_list(ctx)


def _render_list(
    ctx: RequestContext, status: int = 200, import_problems: Sequence[SchemaProblem] = ()
) -> Response:
    return ctx.render(
        "schemas.html",
        status=status,
        stored=ctx.app.service.list_schemas(),
        import_problems=import_problems,
        max_upload=ctx.format.size(ctx.app.settings.max_upload_bytes),
    )


def schema_detail(ctx: RequestContext, name: str) -> Response:
    _ = ctx._
    service = ctx.app.service
    name = parse_schema_name(name, _)
    version = parse_version(ctx.request.args.get("version"), _)
    batch_text = ctx.request.args.get("batch", "")
    batch_id = parse_batch_id(batch_text, _) if batch_text else None

    latest = service.get_schema(name)
    stored = latest if version is None else service.get_schema(name, version)
    parsed, problems = _parse(stored.document, stored.document_format)

    preview = None
    if parsed is not None:
        contacts = sample_contacts() if batch_id is None else _batch_contacts(ctx, batch_id)
        preview = build_preview(parsed, contacts)

    return ctx.render(
        "schema.html",
        stored=stored,
        latest=latest,
        schema=parsed,
        problems=problems,
        preview=preview,
        preview_batch=batch_id,
        used_by=service.list_batches(1, per_page=1, filters=BatchFilter(schema_name=name)).total,
    )


def _batch_contacts(ctx: RequestContext, batch_id: int) -> list[tuple[str, Any]]:
    leads = ctx.app.service.list_leads(batch_id, 1, per_page=PREVIEW_LEADS_READ)
    return [(lead.lead_id, lead.fields) for lead in leads.items]


def _parse(
    document: str, document_format: str
) -> tuple[schemas.Schema | None, tuple[SchemaProblem, ...]]:
    try:
        return schemas.parse_schema(document, document_format), ()  # type: ignore[arg-type]  # parse_schema rejects other format names itself
    except SchemaError as error:
        return None, error.problems


def new_form(ctx: RequestContext) -> Response:
    return _render_form(ctx, mode="create", document=NEW_SCHEMA_DOCUMENT, document_format="toml")


def edit_form(ctx: RequestContext, name: str) -> Response:
    name = parse_schema_name(name, ctx._)
    stored = ctx.app.service.get_schema(name)
    return _render_form(
        ctx,
        mode="update",
        document=stored.document,
        document_format=stored.document_format,
        stored=stored,
    )


def _render_form(
    ctx: RequestContext,
    *,
    mode: str,
    document: str,
    document_format: str,
    status: int = 200,
    problems: Sequence[SchemaProblem] = (),
    stored: StoredSchema | None = None,
    notice: str | None = None,
) -> Response:
    return ctx.render(
        "schema_form.html",
        status=status,
        mode=mode,
        document=document,
        document_format=document_format,
        problems=problems,
        stored=stored,
        notice=notice,
        formats=DOCUMENT_FORMATS,
    )


def _document_fields(ctx: RequestContext) -> tuple[str, str]:
    document = ctx.request.form.get("document", "")
    document_format = ctx.request.form.get("format", "toml")
    if document_format not in DOCUMENT_FORMATS:
        raise InvalidRequest(
            ctx._("{value} is not a schema format. Use toml or json.").format(
                value=document_format[:20]
            )
        )
    return document.replace("\r\n", "\n"), document_format


def create(ctx: RequestContext) -> Response:
    _ = ctx._
    service = ctx.app.service
    document, document_format = _document_fields(ctx)

    parsed, problems = _parse(document, document_format)
    if parsed is not None and _exists(ctx, parsed.name):
        problems = (
            SchemaProblem(
                "name",
                _(
                    "a schema named {name} already exists; open it and edit it to store a new version"
                ).format(name=parsed.name),
            ),
        )
    if parsed is None or problems:
        return _render_form(
            ctx,
            mode="create",
            document=document,
            document_format=document_format,
            status=400,
            problems=problems,
        )

    stored = service.register_schema(document, document_format)
    _log_saved(stored)
    ctx.flash(
        "success",
        _("Schema {name} registered, version {version}.").format(
            name=stored.name, version=stored.version
        ),
    )
    return ctx.redirect(ctx.url("schema_detail", name=stored.name))


def _exists(ctx: RequestContext, name: str) -> bool:
    try:
        ctx.app.service.get_schema(name)
    except SchemaNotFound:
        return False
    return True


def update(ctx: RequestContext, name: str) -> Response:
    _ = ctx._
    service = ctx.app.service
    name = parse_schema_name(name, _)
    before = service.get_schema(name)
    document, document_format = _document_fields(ctx)

    parsed, problems = _parse(document, document_format)
    if parsed is not None and parsed.name != name:
        problems = (
            SchemaProblem(
                "name",
                _(
                    "the document names schema {document_name}, but this page edits {name}; "
                    "use New schema to create another one"
                ).format(document_name=parsed.name, name=name),
            ),
        )
    if parsed is None or problems:
        return _render_form(
            ctx,
            mode="update",
            document=document,
            document_format=document_format,
            status=400,
            problems=problems,
            stored=before,
        )

    stored = service.register_schema(document, document_format)
    _flash_saved(ctx, before, stored)
    return ctx.redirect(ctx.url("schema_detail", name=name))


def _flash_saved(ctx: RequestContext, before: StoredSchema | None, stored: StoredSchema) -> None:
    _ = ctx._
    if before is not None and before.version == stored.version:
        ctx.flash(
            "info",
            _("Schema {name} is unchanged: the document is the same as version {version}.").format(
                name=stored.name, version=stored.version
            ),
        )
        return
    _log_saved(stored)
    ctx.flash(
        "success",
        _("Schema {name} saved as version {version}.").format(
            name=stored.name, version=stored.version
        ),
    )


def _log_saved(stored: StoredSchema) -> None:
    logger.info(
        "AspectFile: Web admin saved schema %s version %s",
        stored.name,
        stored.version,
        extra={"schema": stored.name, "action": "web_schema_saved"},
    )


def _uploaded_file(ctx: RequestContext, field: str) -> FileStorage | None:
    upload = ctx.request.files.get(field)
    if upload is None or not upload.filename:
        return None
    return upload


def upload(ctx: RequestContext) -> Response:
    _ = ctx._
    service = ctx.app.service
    upload = _uploaded_file(ctx, "file")
    if upload is None:
        ctx.flash("error", _("Choose a TOML or JSON schema file to upload."))
        return ctx.redirect(ctx.url("schema_list"))

    document_format = (
        "json" if PurePath(upload.filename or "").suffix.lower() == ".json" else "toml"
    )
    try:
        document = upload.read().decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        ctx.flash(
            "error",
            _("The file {file} is not UTF-8 text. Save it as UTF-8 and upload it again.").format(
                file=upload.filename
            ),
        )
        return ctx.redirect(ctx.url("schema_list"))

    parsed, problems = _parse(document, document_format)
    if parsed is None:
        return _render_form(
            ctx,
            mode="create",
            document=document,
            document_format=document_format,
            status=400,
            problems=problems,
            notice=_(
                "The uploaded file {file} is not a valid schema. Fix it here and save."
            ).format(file=upload.filename),
        )

    before = service.get_schema(parsed.name) if _exists(ctx, parsed.name) else None
    stored = service.register_schema(document, document_format)
    _flash_saved(ctx, before, stored)
    return ctx.redirect(ctx.url("schema_detail", name=stored.name))


def import_layout(ctx: RequestContext) -> Response:
    _ = ctx._
    upload = _uploaded_file(ctx, "file")
    name = ctx.request.form.get("name", "").strip()
    if upload is None:
        ctx.flash("error", _("Choose a layout spreadsheet (.xlsx or .csv) to import."))
        return ctx.redirect(ctx.url("schema_list"))
    name = parse_schema_name(name, _)
    suffix = PurePath(upload.filename or "").suffix.lower()
    if suffix not in LAYOUT_SUFFIXES:
        ctx.flash(
            "error",
            _("The file {file} is not a layout spreadsheet. Upload an .xlsx or .csv file.").format(
                file=upload.filename
            ),
        )
        return ctx.redirect(ctx.url("schema_list"))

    with tempfile.TemporaryDirectory(prefix="aspectfile-layout-") as folder:
        path = Path(folder) / f"layout{suffix}"
        upload.save(path)
        try:
            document = schemas.import_layout(path, name)
        except SchemaError as error:
            return _render_list(ctx, status=400, import_problems=error.problems)
        except UNREADABLE_SPREADSHEET_ERRORS as error:
            logger.warning(
                "AspectFile: Web admin layout import failed: %s",
                type(error).__name__,
                extra={"action": "web_layout_import_failed"},
            )
            problem = SchemaProblem("", _("the file cannot be read as a spreadsheet"))
            return _render_list(ctx, status=400, import_problems=[problem])

    return _render_form(
        ctx,
        mode="create",
        document=document,
        document_format="toml",
        notice=_(
            "Imported from {file}. Map each field to a contact field where the document says "
            "TODO, then save."
        ).format(file=upload.filename),
    )


def delete(ctx: RequestContext, name: str) -> Response:
    _ = ctx._
    service = ctx.app.service
    name = parse_schema_name(name, _)
    stored = service.get_schema(name)

    if ctx.request.form.get("confirmed") != "yes":
        used_by = service.list_batches(1, per_page=1, filters=BatchFilter(schema_name=name)).total
        return ctx.render(
            "confirm.html",
            title=_("Delete schema {name}?").format(name=name),
            question=_(
                "Schema {name} and all its versions ({versions}) will be deleted. "
                "Batches that use it: {count}. Those not yet uploaded will fail until a schema "
                "with this name is registered again."
            ).format(
                name=name,
                versions=ctx.format.number(stored.version),
                count=ctx.format.number(used_by),
            ),
            action=ctx.url("schema_delete", name=name),
            fields={},
            confirm_label=_("Delete"),
            cancel_url=ctx.url("schema_detail", name=name),
            danger=True,
        )

    service.delete_schema(name)
    logger.info(
        "AspectFile: Web admin deleted schema %s",
        name,
        extra={"schema": name, "action": "web_schema_deleted"},
    )
    ctx.flash("success", _("Schema {name} was deleted.").format(name=name))
    return ctx.redirect(ctx.url("schema_list"))
