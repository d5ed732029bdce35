"""Builders shared by the schema tests: schemas from dicts, renders to bytes, decoded lines."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from aspectfile_core.domain.errors import SchemaError
from aspectfile_core.schema import (
    BatchVariables,
    RenderResult,
    Schema,
    render_file,
    schema_from_document,
)

VARIABLES = BatchVariables(
    batch_id=42,
    campaign_id=7,
    event_id=3,
    schema="test",
    schema_version=2,
    created_at=dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC),
    generated_at=dt.datetime(2026, 3, 2, 14, 30, 15, tzinfo=dt.UTC),
    file_sequence=17,
)


def fixed(*fields: Mapping[str, Any], **settings: Any) -> Schema:
    """Build a fixed-width schema named ``test`` from field tables and top-level settings."""
    return schema_from_document(
        {"name": "test", "format": "fixed", "fields": list(fields), **settings}
    )


def delimited(*fields: Mapping[str, Any], **settings: Any) -> Schema:
    """Build a delimited schema named ``test`` from field tables and top-level settings."""
    return schema_from_document(
        {"name": "test", "format": "delimited", "fields": list(fields), **settings}
    )


def render(
    schema: Schema, contacts: Iterable[Mapping[str, Any]], variables: BatchVariables = VARIABLES
) -> tuple[bytes, RenderResult]:
    """Render contacts as one chunk; lead ids are the 1-based positions as text."""
    out = io.BytesIO()
    leads = [(str(position), contact) for position, contact in enumerate(contacts, start=1)]
    result = render_file(schema, [leads], out, variables)
    return out.getvalue(), result


def render_lines(schema: Schema, contacts: Iterable[Mapping[str, Any]]) -> list[str]:
    """Render contacts and return the decoded lines without line endings."""
    content, _ = render(schema, contacts)
    codec = schema.compiled.codec
    text = content[len(codec.bom) :].decode(codec.name)
    separator = schema.line_separator
    if schema.final_newline and text.endswith(separator):
        text = text[: -len(separator)]
    return text.split(separator) if text else []


def problems_of(document: Mapping[str, Any]) -> list[str]:
    """Return the problems of an invalid document as ``path: message`` strings."""
    with pytest.raises(SchemaError, match="is invalid") as caught:
        schema_from_document(document)
    return [str(problem) for problem in caught.value.problems]


def fixed_document(*fields: Mapping[str, Any], **settings: Any) -> dict[str, Any]:
    """Return a fixed-width schema document as a dict."""
    return {"name": "test", "format": "fixed", "fields": list(fields), **settings}


def delimited_document(*fields: Mapping[str, Any], **settings: Any) -> dict[str, Any]:
    """Return a delimited schema document as a dict."""
    return {"name": "test", "format": "delimited", "fields": list(fields), **settings}
