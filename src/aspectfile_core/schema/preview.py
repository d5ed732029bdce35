"""A text preview of a schema's first records, for ``aspectfile-run schema check``."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from aspectfile_core.domain.model import LeadFailure, LeadWarning
from aspectfile_core.schema.compiler import LeadProblem
from aspectfile_core.schema.location import EXAMPLE_VARIABLES
from aspectfile_core.schema.model import BatchVariables, Schema
from aspectfile_core.schema.writer import render_file, with_lead_id


def column_ruler(width: int) -> str:
    """Return two lines numbering columns 1 to *width*: the tens digit every ten columns, then every units digit."""
    tens = "".join(
        str(column // 10 % 10) if column % 10 == 0 else " " for column in range(1, width + 1)
    )
    units = "".join(str(column % 10) for column in range(1, width + 1))
    return f"{tens.rstrip()}\n{units}"


def preview(
    schema: Schema,
    contacts: Iterable[Mapping[str, Any]],
    lines: int = 10,
    *,
    variables: BatchVariables | None = None,
    id_field: str = "id",
) -> str:
    """Render the first *lines* data records of *contacts* with the header and trailer records, as text.

    Fixed-width previews start with a column ruler. Contacts that would fail are
    listed after the records with their reason code and message, and so are
    warnings. Reading stops once *lines* records succeed. A contact's lead id is
    its *id_field* value, or its 1-based position when that is empty.
    Header and trailer records use *variables*, by default example values.
    """
    accepted, failures, warnings, read = _sample(schema, contacts, lines, id_field)
    batch = variables or attrs.evolve(EXAMPLE_VARIABLES, schema=schema.name)
    buffer = io.BytesIO()
    render_file(schema, [accepted], buffer, batch)

    sections = [
        _summary(schema, len(accepted), read, len(failures)),
        _records_text(schema, buffer.getvalue()),
    ]
    if failures:
        sections.append(
            "Failed contacts:\n"
            + "\n".join(
                f"  {lead_id}: {failure.code}: {failure.message}" for lead_id, failure in failures
            )
        )
    if warnings:
        sections.append(
            "Warnings:\n"
            + "\n".join(
                f"  {lead_id}: {warning.code}: {warning.message}" for lead_id, warning in warnings
            )
        )
    return "\n\n".join(sections) + "\n"


def _sample(
    schema: Schema, contacts: Iterable[Mapping[str, Any]], lines: int, id_field: str
) -> tuple[
    list[tuple[str, Mapping[str, Any]]],
    list[tuple[str, LeadFailure]],
    list[tuple[str, LeadWarning]],
    int,
]:
    """Take contacts until *lines* of them render; return them, the failures, the warnings and the count read."""
    program = schema.compiled.data
    accepted: list[tuple[str, Mapping[str, Any]]] = []
    failures: list[tuple[str, LeadFailure]] = []
    warnings: list[tuple[str, LeadWarning]] = []
    read = 0
    if lines <= 0:
        return accepted, failures, warnings, read
    for position, contact in enumerate(contacts, start=1):
        read += 1
        lead_id = str(contact.get(id_field) or position)
        contact = with_lead_id(contact, lead_id)
        lead_warnings: list[LeadWarning] = []
        try:
            program.render(contact, lead_warnings)
        except LeadProblem as problem:
            failures.append((lead_id, problem.to_failure()))
            continue
        accepted.append((lead_id, contact))
        warnings.extend((lead_id, warning) for warning in lead_warnings)
        if len(accepted) >= lines:
            break
    return accepted, failures, warnings, read


def _summary(schema: Schema, shown: int, read: int, failed: int) -> str:
    if schema.format == "fixed":
        layout = f"fixed width, {schema.line_length} {schema.width_unit} per line"
    else:
        layout = f"delimited by {schema.delimiter!r}, quoting {schema.quoting}"
    return (
        f"Schema {schema.name}: {layout}, {schema.encoding}, {schema.line_ending.upper()} line endings\n"
        f"{shown} data records from {read} contacts read, {failed} failed"
    )


def _records_text(schema: Schema, content: bytes) -> str:
    codec = schema.compiled.codec
    text = content[len(codec.bom) :].decode(codec.name)
    separator = schema.line_separator
    if text.endswith(separator):
        text = text[: -len(separator)]
    body = text.replace(separator, "\n")
    if schema.format != "fixed" or schema.line_length is None:
        return body
    ruler = column_ruler(schema.line_length)
    if schema.width_unit == "bytes":
        ruler = "(the ruler counts characters; this schema measures bytes)\n" + ruler
    return f"{ruler}\n{body}"
