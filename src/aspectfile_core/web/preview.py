"""Preview of a schema's first records for the schema page: the text lines plus failed contacts."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import attrs

from aspectfile_core.domain.errors import AspectFileError, LeadDataError
from aspectfile_core.domain.model import LeadFailure, LeadWarning
from aspectfile_core.schema import Schema, column_ruler, format_lead, render_file, render_location
from aspectfile_core.schema.location import EXAMPLE_VARIABLES
from aspectfile_core.schema.reasons import shorten_value
from aspectfile_core.schema.writer import with_lead_id

PREVIEW_RECORDS = 10
"""Data records shown in a preview."""
MAX_CONTACTS_READ = 200
"""Contacts tried at most while looking for records that render, so a bad schema stays quick."""


@attrs.frozen
class SchemaPreview:
    """What a schema makes of a few contacts, with example batch values in the header and trailer."""

    path_prefix: str
    file_name: str
    lines: tuple[str, ...]
    ruler: str | None
    """Column numbers above fixed-width lines, in characters."""
    read: int
    """Contacts tried."""
    shown: int
    """Data records in :attr:`lines`."""
    failures: tuple[tuple[str, LeadFailure], ...]
    warnings: tuple[tuple[str, LeadWarning], ...]
    error: AspectFileError | None = None
    """The error that stops the file from rendering; templates show ``error.translated(_)``."""
    """Why the file could not be rendered (a header or trailer problem), in English."""


def sample_contacts() -> list[tuple[str, Mapping[str, Any]]]:
    """Return the bundled sample contacts as (lead id, fields) pairs."""
    data = resources.files("aspectfile_core") / "data" / "sample_contacts.csv"
    text = data.read_text(encoding="utf-8-sig")
    return [
        (row.get("id") or str(index), row)
        for index, row in enumerate(csv.DictReader(io.StringIO(text)), 1)
    ]


def build_preview(
    schema: Schema,
    contacts: Iterable[tuple[str, Mapping[str, Any]]],
    records: int = PREVIEW_RECORDS,
) -> SchemaPreview:
    """Render up to *records* contacts through *schema*, as its generator would for a batch."""
    accepted: list[tuple[str, Mapping[str, Any]]] = []
    failures: list[tuple[str, LeadFailure]] = []
    warnings: list[tuple[str, LeadWarning]] = []
    read = 0
    for lead_id, fields in contacts:
        if len(accepted) >= records or read >= MAX_CONTACTS_READ:
            break
        read += 1
        fields = with_lead_id(fields, lead_id)
        try:
            formatted = format_lead(schema, fields)
        except LeadDataError as problem:
            value = None if problem.value is None else shorten_value(str(problem.value))
            failures.append(
                (lead_id, LeadFailure(problem.code, str(problem), problem.field, value))
            )
            continue
        accepted.append((lead_id, fields))
        warnings.extend((lead_id, warning) for warning in formatted.warnings)

    variables = attrs.evolve(EXAMPLE_VARIABLES, schema=schema.name)
    ruler = (
        column_ruler(schema.line_length)
        if schema.format == "fixed" and schema.line_length
        else None
    )
    try:
        path_prefix, file_name = render_location(schema, variables)
        buffer = io.BytesIO()
        render_file(schema, [accepted], buffer, variables)
    except AspectFileError as error:
        return SchemaPreview("", "", (), ruler, read, 0, tuple(failures), tuple(warnings), error)

    return SchemaPreview(
        path_prefix=path_prefix,
        file_name=file_name,
        lines=_lines(schema, buffer.getvalue()),
        ruler=ruler,
        read=read,
        shown=len(accepted),
        failures=tuple(failures),
        warnings=tuple(warnings),
    )


def _lines(schema: Schema, content: bytes) -> tuple[str, ...]:
    codec = schema.compiled.codec
    text = content[len(codec.bom) :].decode(codec.name, errors="replace")
    separator = schema.line_separator
    if text.endswith(separator):
        text = text[: -len(separator)]
    return tuple(text.split(separator)) if text else ()
