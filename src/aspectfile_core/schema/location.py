"""File names and path prefixes: template checks at load time and rendering at claim time.

A rendered location contains only ``A-Z a-z 0-9 . _ -`` in each segment and
``/`` between the segments of the prefix. Characters outside that set which
come from variable values become ``_``; the template's literal text must not
contain them at all. No segment may be empty, ``.`` or ``..`` or longer than
255 characters, and the prefix may not start with ``/``.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import TYPE_CHECKING, Any

from aspectfile_core.domain.errors import SchemaError, SchemaProblem
from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.schema.model import BATCH_VARIABLES, BatchVariables
from aspectfile_core.schema.templates import Template, TemplateValueError, parse_template

if TYPE_CHECKING:
    from aspectfile_core.schema.model import Schema

DEFAULT_FILE_NAME = "{schema}_{campaign_id}_{event_id}_{batch_id}.{extension}"
"""File name template of a schema that sets no ``file_name``."""

MAX_SEGMENT_LENGTH = 255
"""Maximum length of a file name or prefix segment, in characters: the file name limit of common filesystems such as ext4 and NTFS."""

_UNSAFE_CHARACTER = re.compile(r"[^A-Za-z0-9._-]")
_UNSAFE_LITERAL = {
    "file_name": re.compile(r"[^A-Za-z0-9._-]"),
    "path_prefix": re.compile(r"[^A-Za-z0-9._/-]"),
}

EXAMPLE_VARIABLES = BatchVariables(
    batch_id=123456789,
    campaign_id=123456789,
    event_id=123456789,
    schema="example",
    schema_version=1,
    created_at=dt.datetime(2026, 1, 31, 23, 59, 58, tzinfo=dt.UTC),
    generated_at=dt.datetime(2026, 1, 31, 23, 59, 58, tzinfo=dt.UTC),
    file_sequence=1,
)
"""Variables used to try templates when a schema is loaded."""


def batch_values(variables: BatchVariables, extension: str, timezone: str | None) -> dict[str, Any]:
    """Return the batch variables as a mapping for templates, with times converted to *timezone*."""
    zone = zoneinfo.ZoneInfo(timezone) if timezone else None

    def local(moment: dt.datetime) -> dt.datetime:
        if zone is None or moment.tzinfo is None:
            return moment
        return moment.astimezone(zone)

    return {
        "batch_id": variables.batch_id,
        "campaign_id": variables.campaign_id,
        "event_id": variables.event_id,
        "schema": variables.schema,
        "schema_version": variables.schema_version,
        "created_at": local(variables.created_at),
        "generated_at": local(variables.generated_at),
        "file_sequence": variables.file_sequence,
        "extension": extension,
    }


def check_location_templates(
    file_name: str | None, path_prefix: str, extension: str
) -> list[SchemaProblem]:
    """Return the problems of the ``file_name`` and ``path_prefix`` templates of a schema document."""
    problems: list[SchemaProblem] = []
    values = batch_values(EXAMPLE_VARIABLES, extension, None)
    for key, text in (
        ("file_name", file_name if file_name is not None else DEFAULT_FILE_NAME),
        ("path_prefix", path_prefix),
    ):
        template, messages = parse_template(text, BATCH_VARIABLES)
        problems.extend(SchemaProblem(key, message) for message in messages)
        if template is None or messages:
            continue

        bad = sorted(set(_UNSAFE_LITERAL[key].findall(template.literal_text)))
        if bad:
            if key == "path_prefix":
                template_text = N_(
                    "contains {characters!r}; literal text may use only A-Z a-z 0-9 . _ - and /"
                )
            else:
                template_text = N_(
                    "contains {characters!r}; literal text may use only A-Z a-z 0-9 . _ -"
                )
            problems.append(SchemaProblem(key, Message.of(template_text, characters="".join(bad))))
            continue

        try:
            rendered = template.render(values, _clean_value)
        except TemplateValueError as error:
            problems.append(SchemaProblem(key, _spec_mismatch(error)))
            continue
        message = _check_path(
            rendered, allow_slash=key == "path_prefix", required=key == "file_name"
        )
        if message:
            problems.append(SchemaProblem(key, message))
    return problems


def render_location(schema: Schema, variables: BatchVariables) -> tuple[str, str]:
    """Render the path prefix (possibly empty) and the file name of one batch's file.

    Raises :class:`SchemaError` when the result is not a safe relative path,
    for example when a variable value makes a segment ``..``.
    """
    values = batch_values(variables, schema.extension, schema.timezone)
    file_name = _render(schema, "file_name", schema.file_name or DEFAULT_FILE_NAME, values)
    prefix = _render(schema, "path_prefix", schema.path_prefix, values).rstrip("/")

    file_problem = _check_path(file_name, allow_slash=False, required=True)
    prefix_problem = _check_path(prefix, allow_slash=True, required=False)
    problems = [
        SchemaProblem(
            key, Message.of(N_("renders to {text!r}: {problem}"), text=text, problem=message)
        )
        for key, text, message in (
            ("file_name", file_name, file_problem),
            ("path_prefix", prefix, prefix_problem),
        )
        if message
    ]
    if problems:
        raise SchemaError(schema.name, problems)
    return prefix, file_name


def _render(schema: Schema, key: str, text: str, values: dict[str, Any]) -> str:
    template, messages = parse_template(text, BATCH_VARIABLES)
    if template is None or messages:
        raise SchemaError(schema.name, [SchemaProblem(key, message) for message in messages])
    return _render_template(schema, key, template, values)


def _render_template(schema: Schema, key: str, template: Template, values: dict[str, Any]) -> str:
    try:
        return template.render(values, _clean_value)
    except TemplateValueError as error:
        raise SchemaError(schema.name, [SchemaProblem(key, _spec_mismatch(error))]) from error


def _spec_mismatch(error: TemplateValueError) -> Message:
    return Message.of(
        N_("format spec {spec!r} does not apply to {name}"), spec=error.spec, name=error.name
    )


def _clean_value(text: str) -> str:
    return _UNSAFE_CHARACTER.sub("_", text)


def _check_path(text: str, *, allow_slash: bool, required: bool) -> Message | None:
    """Return why *text* is not a safe relative path, or None; a prefix may end in one or more '/'."""
    if text.startswith("/"):
        return Message(N_("must be a relative path, not start with '/'"))
    if allow_slash:
        text = text.rstrip("/")
    if not text:
        return Message(N_("must not be empty")) if required else None
    segments = text.split("/") if allow_slash else [text]
    for segment in segments:
        if segment in ("", ".", ".."):
            return Message.of(
                N_(
                    "segment {segment!r} is not allowed; "
                    "segments must be names, not empty, '.' or '..'"
                ),
                segment=segment,
            )
        if len(segment) > MAX_SEGMENT_LENGTH:
            return Message.of(
                N_("segment of {length} characters is longer than {maximum}"),
                length=len(segment),
                maximum=MAX_SEGMENT_LENGTH,
            )
    return None
