"""The schema language and the flat-file generator.

A schema document (TOML or JSON) describes how contacts become the bytes of one
dialer file: fixed-width or delimited records, encoding, line endings, header
and trailer records and the file name. :func:`parse_schema` checks a document
and returns a :class:`Schema`; :func:`render_file` streams leads through it;
:func:`read_records` and :func:`verify_file` read a file back.
docs/schema-reference.md describes every key.
"""

from aspectfile_core.i18n import N_
from aspectfile_core.schema.errors import BatchPolicyError, FileFormatError, RecordRenderError
from aspectfile_core.schema.layout_import import import_layout
from aspectfile_core.schema.location import DEFAULT_FILE_NAME, render_location
from aspectfile_core.schema.model import BatchVariables, FieldSpec, RecordSpec, Schema
from aspectfile_core.schema.parser import load_schema_file, parse_schema, schema_from_document
from aspectfile_core.schema.preview import SchemaPreview, column_ruler, preview, sample_preview
from aspectfile_core.schema.reader import FileRecord, iter_file, read_records, unpad, verify_file
from aspectfile_core.schema.reasons import REASON_CODES, WARNING_CODES
from aspectfile_core.schema.writer import (
    FormattedLead,
    RenderResult,
    check_batch_policies,
    format_lead,
    render_file,
)

__all__ = [
    "DEFAULT_FILE_NAME",
    "N_",
    "REASON_CODES",
    "WARNING_CODES",
    "BatchPolicyError",
    "BatchVariables",
    "FieldSpec",
    "FileFormatError",
    "FileRecord",
    "FormattedLead",
    "RecordRenderError",
    "RecordSpec",
    "RenderResult",
    "Schema",
    "SchemaPreview",
    "check_batch_policies",
    "column_ruler",
    "format_lead",
    "import_layout",
    "iter_file",
    "load_schema_file",
    "parse_schema",
    "preview",
    "read_records",
    "render_file",
    "render_location",
    "sample_preview",
    "schema_from_document",
    "unpad",
    "verify_file",
]
