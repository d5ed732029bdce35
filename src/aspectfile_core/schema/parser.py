"""Read schema documents (TOML or JSON) and check every key.

Checking never stops at the first problem: it walks the whole document and
raises one :class:`~aspectfile_core.domain.errors.SchemaError` listing every
problem with the path of its key, such as ``fields[3].length: must be at
least 1``. List indexes in paths count from 0.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import json
import re
import tomllib
import zoneinfo
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import attrs
import phonenumbers

from aspectfile_core.domain.errors import SchemaError, SchemaProblem
from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.ports import delivery_problems
from aspectfile_core.schema.conversions import DEFAULT_DATE_FORMATS
from aspectfile_core.schema.encoding import Codec, EncodingProblem, resolve_codec
from aspectfile_core.schema.location import check_location_templates
from aspectfile_core.schema.model import (
    BATCH_VARIABLES,
    NUMERIC_TYPES,
    TOTAL_VARIABLES,
    FieldSpec,
    RecordSpec,
    Schema,
)
from aspectfile_core.schema.templates import parse_template
from aspectfile_core.schema.text import TRANSFORM_NAMES

DocumentFormat = Literal["toml", "json"]

SCHEMA_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
EXTENSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}\Z")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

FORMATS = ("fixed", "delimited")
FIELD_TYPES = ("string", "integer", "decimal", "date", "datetime", "boolean", "phone")

COMMON_KEYS = frozenset(
    {
        "name", "description", "published", "format", "encoding", "bom", "unencodable", "replacement",
        "line_ending", "final_newline", "fields", "header", "trailer", "file_name", "path_prefix",
        "extension", "timezone", "invalid_leads", "max_invalid_ratio", "empty_batch", "delivery",
    }
)  # fmt: skip
FIXED_KEYS = frozenset({"line_length", "width_unit", "filler"})
DELIMITED_KEYS = frozenset(
    {"delimiter", "quote_char", "quoting", "escape_char", "header_row", "null_value"}
)

COMMON_FIELD_KEYS = frozenset(
    {
        "name",
        "source",
        "template",
        "value",
        "default",
        "required",
        "type",
        "transforms",
        "title",
        "overflow",
    }
)
FIXED_FIELD_KEYS = frozenset({"start", "length", "align", "pad"})
DELIMITED_FIELD_KEYS = frozenset({"max_length", "keep_newlines"})
TYPE_FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "places": ("decimal",),
    "decimal_separator": ("decimal",),
    "implied_decimal": ("decimal",),
    "input_decimal_separator": ("decimal",),
    "format": ("date", "datetime"),
    "input_formats": ("date", "datetime"),
    "timezone": ("date", "datetime"),
    "true_value": ("boolean",),
    "false_value": ("boolean",),
    "phone_format": ("phone",),
    "default_region": ("phone",),
    "phone_check": ("phone",),
}
RECORD_KEYS = frozenset({"fields"})

_SCALAR_TYPES = (str, int, float, bool, dt.datetime, dt.date)


def parse_schema(text: str, document_format: DocumentFormat) -> Schema:
    """Parse a TOML or JSON schema document and check it.

    Raises :class:`SchemaError` listing every problem found, syntax errors included.
    """
    document = decode_document(text, document_format)
    return schema_from_document(document)


def load_schema_file(path: Path) -> tuple[Schema, str, DocumentFormat]:
    """Read a schema file; ``.json`` files are JSON, every other suffix is TOML.

    Returns the schema, the document text and its format. Raises
    :class:`SchemaError` for an invalid document and :class:`OSError` when the
    file cannot be read.
    """
    document_format: DocumentFormat = "json" if path.suffix.lower() == ".json" else "toml"
    text = path.read_text(encoding="utf-8-sig")
    return parse_schema(text, document_format), text, document_format


def decode_document(text: str, document_format: DocumentFormat) -> Any:
    """Return the data of a TOML or JSON document; raise :class:`SchemaError` on a syntax error."""
    if document_format == "toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            problem = SchemaProblem("", Message.of(N_("invalid TOML: {error}"), error=str(error)))
            raise SchemaError(None, [problem]) from error
    if document_format == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            problem = SchemaProblem("", Message.of(N_("invalid JSON: {error}"), error=str(error)))
            raise SchemaError(None, [problem]) from error
    raise SchemaError(
        None,
        [
            SchemaProblem(
                "",
                Message.of(
                    N_("unknown document format {format!r}; use 'toml' or 'json'"),
                    format=document_format,
                ),
            )
        ],
    )


def schema_from_document(document: Any) -> Schema:
    """Check decoded document data and build the :class:`Schema`, compiled and ready to render.

    Raises :class:`SchemaError` listing every problem. Constants and defaults
    are tried against their own fields only once the rest of the document is
    valid, so their problems appear after the others are fixed.
    """
    checker = _DocumentChecker()
    schema = checker.check(document)
    if schema is None or checker.problems:
        raise SchemaError(checker.schema_name, checker.problems)

    schema.compiled  # noqa: B018 - compiling checks constants and defaults; raises SchemaError
    return schema


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe_choices(choices: Collection[str]) -> str | Message:
    """Return "'a', 'b' or 'c'" for *choices*; the "or" is translated with the message."""
    quoted = [f"'{choice}'" for choice in choices]
    if len(quoted) <= 1:
        return "".join(quoted)
    return Message.of(N_("{first} or {last}"), first=", ".join(quoted[:-1]), last=quoted[-1])


def _describe_all(names: Sequence[str]) -> str | Message:
    """Return "a and b and c" for *names*; each "and" is translated with the message."""
    described: str | Message = names[0]
    for name in names[1:]:
        described = Message.of(N_("{first} and {second}"), first=described, second=name)
    return described


_ONLY_FIXED = Message(N_("only for format = 'fixed'"))
_ONLY_DELIMITED = Message(N_("only for format = 'delimited'"))
_CONTROL_CHARACTERS = Message(N_("must not contain line breaks or other control characters"))


class _DocumentChecker:
    """Walks one schema document, collecting problems and building the model."""

    def __init__(self) -> None:
        self.problems: list[SchemaProblem] = []
        self.schema_name: str | None = None

    def problem(self, path: str, message: str | Message) -> None:
        self.problems.append(SchemaProblem(path, message))

    # Typed getters: each records a problem and returns the default on a wrong type.

    def get(
        self,
        table: Mapping[str, Any],
        key: str,
        path: str,
        types: tuple[type, ...],
        what: Message,
        default: Any,
    ) -> Any:
        if key not in table:
            return default
        value = table[key]
        wrong_bool = isinstance(value, bool) and bool not in types
        if wrong_bool or not isinstance(value, types):
            self.problem(
                _join(path, key),
                Message.of(N_("must be {what}, not {value}"), what=what, value=repr(value)),
            )
            return default
        return value

    def text(self, table: Mapping[str, Any], key: str, path: str, default: Any = None) -> Any:
        return self.get(table, key, path, (str,), Message(N_("a string")), default)

    def flag(self, table: Mapping[str, Any], key: str, path: str, default: Any) -> Any:
        return self.get(table, key, path, (bool,), Message(N_("true or false")), default)

    def integer(
        self,
        table: Mapping[str, Any],
        key: str,
        path: str,
        minimum: int,
        default: Any = None,
        maximum: int | None = None,
    ) -> Any:
        value = self.get(table, key, path, (int,), Message(N_("a whole number")), default)
        if value is default:
            return default
        if value < minimum:
            self.problem(
                _join(path, key), Message.of(N_("must be at least {minimum}"), minimum=minimum)
            )
            return default
        if maximum is not None and value > maximum:
            self.problem(
                _join(path, key), Message.of(N_("must be at most {maximum}"), maximum=maximum)
            )
            return default
        return value

    def choice(
        self,
        table: Mapping[str, Any],
        key: str,
        path: str,
        choices: Sequence[str],
        default: Any,
        required: bool = False,
    ) -> Any:
        if key not in table:
            if required:
                self.problem(
                    _join(path, key),
                    Message.of(N_("missing; set {choices}"), choices=_describe_choices(choices)),
                )
            return default
        value = self.text(table, key, path, default=None)
        if value is None:
            return default
        if value not in choices:
            self.problem(
                _join(path, key),
                Message.of(
                    N_("must be {choices}, not {value!r}"),
                    choices=_describe_choices(choices),
                    value=value,
                ),
            )
            return default
        return value

    def character(
        self,
        table: Mapping[str, Any],
        key: str,
        path: str,
        default: Any,
        codec: Codec | None,
        one_byte: bool = False,
    ) -> Any:
        if key not in table:
            if default is not None:
                self.check_encodable(default, _join(path, key), codec, one_byte)
            return default
        value = self.text(table, key, path, default=None)
        if value is None:
            return default
        if len(value) != 1:
            self.problem(
                _join(path, key),
                Message.of(N_("must be exactly one character, not {value!r}"), value=value),
            )
            return default
        if _CONTROL.search(value) and value != "\t":
            self.problem(
                _join(path, key),
                Message.of(N_("must not be a control character, not {value!r}"), value=value),
            )
            return default
        self.check_encodable(value, _join(path, key), codec, one_byte)
        return value

    def check_encodable(
        self, value: str, path: str, codec: Codec | None, one_byte: bool = False
    ) -> None:
        if codec is None:
            return
        if not codec.can_encode(value):
            self.problem(
                path,
                Message.of(
                    N_("{value!r} cannot be written in encoding {encoding}"),
                    value=value,
                    encoding=codec.name,
                ),
            )
            return
        if one_byte and codec.byte_length(value) != 1:
            self.problem(
                path,
                Message.of(
                    N_(
                        "{value!r} takes {count} bytes in {encoding}; "
                        "with width_unit = 'bytes' it must take exactly one"
                    ),
                    value=value,
                    count=codec.byte_length(value),
                    encoding=codec.name,
                ),
            )

    def plain_text(
        self, table: Mapping[str, Any], key: str, path: str, default: Any, codec: Codec | None
    ) -> Any:
        value = self.text(table, key, path, default=None)
        if value is None:
            return default
        if _CONTROL.search(value):
            self.problem(_join(path, key), _CONTROL_CHARACTERS)
            return default
        self.check_encodable(value, _join(path, key), codec)
        return value

    def unknown_keys(
        self,
        table: Mapping[str, Any],
        path: str,
        known: Collection[str],
        elsewhere: Mapping[str, Message],
    ) -> None:
        """Report keys that are not in *known*; *elsewhere* explains keys that belong to another setting."""
        for key in table:
            if key in known:
                continue
            if key in elsewhere:
                self.problem(_join(path, key), elsewhere[key])
                continue
            hint = difflib.get_close_matches(key, [*known, *elsewhere], n=1)
            if hint:
                message = Message.of(N_("unknown key; did you mean '{hint}'?"), hint=hint[0])
            else:
                message = Message(N_("unknown key"))
            self.problem(_join(path, key), message)

    # The document.

    def check(self, document: Any) -> Schema | None:
        if not isinstance(document, Mapping):
            self.problem(
                "", Message(N_("the document must be a table of keys (TOML) or an object (JSON)"))
            )
            return None

        name = self.check_name(document)
        file_format = self.choice(document, "format", "", FORMATS, None, required=True)
        self.check_top_level_keys(document, file_format)
        settings = self.check_settings(document, file_format)
        codec = settings.pop("codec")

        context = _FieldContext(file_format, codec, settings)
        fields = self.check_record(
            document, "fields", "", context, allowed_names=None, required=True
        )
        numeric = [spec.name for spec in fields if spec.type in NUMERIC_TYPES]
        variables = {*BATCH_VARIABLES, *TOTAL_VARIABLES, *(f"sum_{field}" for field in numeric)}
        header = self.check_extra_records(document, "header", context, variables)
        trailer = self.check_extra_records(document, "trailer", context, variables)

        if file_format == "fixed":
            records = [("fields", fields), *header, *trailer]
            settings["line_length"] = self.check_positions(settings.get("line_length"), records)
            fields = records[0][1]
            header = records[1 : 1 + len(header)]
            trailer = records[1 + len(header) :]
        if file_format == "delimited":
            self.check_titles(fields, settings)

        for problem in check_location_templates(
            settings.get("file_name"), settings.get("path_prefix", ""), settings["extension"]
        ):
            self.problems.append(problem)

        if name is None or file_format is None or self.problems:
            return None
        return Schema(
            name=name,
            format=file_format,
            fields=fields,
            header=tuple(RecordSpec(fields=record) for _, record in header),
            trailer=tuple(RecordSpec(fields=record) for _, record in trailer),
            **settings,
        )

    def check_titles(self, fields: Sequence[FieldSpec], settings: Mapping[str, Any]) -> None:
        if settings.get("quoting") != "none" or settings.get("escape_char") is not None:
            return
        specials = {settings.get("delimiter"), settings.get("quote_char")}
        for index, spec in enumerate(fields):
            if spec.title is not None and any(
                special in spec.title for special in specials if special
            ):
                self.problem(
                    f"fields[{index}].title",
                    Message.of(
                        N_(
                            "{title!r} contains the delimiter or quote_char, "
                            "which quoting = 'none' cannot write"
                        ),
                        title=spec.title,
                    ),
                )

    def check_name(self, document: Mapping[str, Any]) -> str | None:
        if "name" not in document:
            self.problem(
                "name",
                Message(
                    N_("missing; give the schema a name of 1-64 letters, digits, '_', '.' or '-'")
                ),
            )
            return None
        name: str | None = self.text(document, "name", "")
        if name is None:
            return None
        if not SCHEMA_NAME.match(name) or name in (".", ".."):
            self.problem(
                "name",
                Message.of(
                    N_(
                        "{name!r} must be 1-64 of the characters A-Z a-z 0-9 _ . - "
                        "and not '.' or '..'"
                    ),
                    name=name,
                ),
            )
            return None
        self.schema_name = name
        return name

    def check_top_level_keys(self, document: Mapping[str, Any], file_format: str | None) -> None:
        elsewhere: dict[str, Message] = {}
        known = set(COMMON_KEYS)
        if file_format == "fixed":
            elsewhere = dict.fromkeys(DELIMITED_KEYS, _ONLY_DELIMITED)
            known |= FIXED_KEYS
        elif file_format == "delimited":
            elsewhere = dict.fromkeys(FIXED_KEYS, _ONLY_FIXED)
            known |= DELIMITED_KEYS
        else:
            known |= FIXED_KEYS | DELIMITED_KEYS
        self.unknown_keys(document, "", known, elsewhere)

    def check_settings(
        self, document: Mapping[str, Any], file_format: str | None
    ) -> dict[str, Any]:
        settings: dict[str, Any] = {}
        settings["description"] = self.text(document, "description", "", default="")
        settings["published"] = self.flag(document, "published", "", default=True)

        encoding = self.text(document, "encoding", "", default="utf-8")
        bom = self.flag(document, "bom", "", default=None)
        codec: Codec | None = None
        try:
            codec = resolve_codec(encoding, bom)
        except EncodingProblem as error:
            self.problem(error.key, error.detail)
        settings["encoding"] = encoding
        settings["bom"] = bool(codec.bom) if codec else bool(bom)
        settings["codec"] = codec

        settings["unencodable"] = self.choice(
            document, "unencodable", "", ("fail", "replace", "transliterate"), "fail"
        )
        settings["replacement"] = self.plain_text(document, "replacement", "", "?", codec)
        settings["line_ending"] = self.choice(
            document, "line_ending", "", ("lf", "crlf", "cr"), "crlf"
        )
        settings["final_newline"] = self.flag(document, "final_newline", "", default=True)

        if file_format == "fixed":
            settings.update(self.check_fixed_settings(document, codec))
        if file_format == "delimited":
            settings.update(self.check_delimited_settings(document, codec))

        settings["file_name"] = self.text(document, "file_name", "", default=None)
        settings["path_prefix"] = self.text(document, "path_prefix", "", default="")
        default_extension = "csv" if file_format == "delimited" else "txt"
        extension = self.text(document, "extension", "", default=default_extension)
        if not EXTENSION.match(extension):
            self.problem(
                "extension",
                Message.of(
                    N_(
                        "{extension!r} must be 1-16 of A-Z a-z 0-9 . _ - "
                        "starting with a letter or digit"
                    ),
                    extension=extension,
                ),
            )
            extension = default_extension
        settings["extension"] = extension
        settings["timezone"] = self.check_timezone(document, "")

        settings["invalid_leads"] = self.choice(
            document, "invalid_leads", "", ("skip", "fail_batch"), "skip"
        )
        ratio = self.get(
            document,
            "max_invalid_ratio",
            "",
            (int, float),
            Message(N_("a number from 0 to 1")),
            None,
        )
        if ratio is not None and not 0 <= ratio <= 1:
            self.problem(
                "max_invalid_ratio",
                Message.of(N_("must be from 0 to 1, not {ratio!r}"), ratio=ratio),
            )
            ratio = None
        settings["max_invalid_ratio"] = None if ratio is None else float(ratio)
        settings["empty_batch"] = self.choice(
            document, "empty_batch", "", ("fail", "write"), "fail"
        )
        settings["delivery"] = self.check_delivery(document)
        return settings

    def check_delivery(self, document: Mapping[str, Any]) -> Mapping[str, str]:
        """Return the schema's ``[delivery]`` overrides of the destination's delivery options."""
        table = document.get("delivery", {})
        if not isinstance(table, Mapping):
            self.problem(
                "delivery",
                Message(N_('must be a table, such as [delivery] with completion_marker = "done"')),
            )
            return {}
        problems = delivery_problems(table)
        for key, message in problems:
            self.problem(f"delivery.{key}", message)
        if problems:
            return {}
        return {str(key): str(value) for key, value in table.items()}

    def check_fixed_settings(
        self, document: Mapping[str, Any], codec: Codec | None
    ) -> dict[str, Any]:
        width_unit = self.choice(document, "width_unit", "", ("characters", "bytes"), "characters")
        return {
            "line_length": self.integer(document, "line_length", "", minimum=1),
            "width_unit": width_unit,
            "filler": self.character(
                document, "filler", "", " ", codec, one_byte=width_unit == "bytes"
            ),
        }

    def check_delimited_settings(
        self, document: Mapping[str, Any], codec: Codec | None
    ) -> dict[str, Any]:
        delimiter = self.character(document, "delimiter", "", ",", codec)
        quote_char = self.character(document, "quote_char", "", '"', codec)
        escape_char = self.character(document, "escape_char", "", None, codec)
        quoting = self.choice(
            document, "quoting", "", ("minimal", "all", "nonnumeric", "none"), "minimal"
        )
        null_value = self.plain_text(document, "null_value", "", "", codec)

        if delimiter in ("\r", "\n", quote_char, escape_char):
            self.problem(
                "delimiter",
                Message.of(
                    N_("{delimiter!r} must differ from quote_char, escape_char and line breaks"),
                    delimiter=delimiter,
                ),
            )
        if quote_char == escape_char:
            self.problem(
                "escape_char",
                Message.of(
                    N_("{escape_char!r} must differ from quote_char"), escape_char=escape_char
                ),
            )
        if quote_char == "\t":
            self.problem("quote_char", Message(N_("must not be a tab")))
        for special in {delimiter, quote_char, escape_char} - {None}:
            if special in null_value:
                self.problem(
                    "null_value",
                    Message.of(
                        N_(
                            "{null_value!r} must not contain the delimiter, "
                            "quote_char or escape_char"
                        ),
                        null_value=null_value,
                    ),
                )
                break

        return {
            "delimiter": delimiter,
            "quote_char": quote_char,
            "quoting": quoting,
            "escape_char": escape_char,
            "header_row": self.flag(document, "header_row", "", default=False),
            "null_value": null_value,
        }

    def check_timezone(self, table: Mapping[str, Any], path: str) -> str | None:
        zone: str | None = self.text(table, "timezone", path, default=None)
        if zone is None:
            return None
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.problem(
                _join(path, "timezone"),
                Message.of(
                    N_(
                        "unknown time zone {zone!r}; "
                        "use an IANA name such as America/Sao_Paulo or UTC"
                    ),
                    zone=zone,
                ),
            )
            return None
        return zone

    # Records and fields.

    def check_record(
        self,
        table: Mapping[str, Any],
        key: str,
        path: str,
        context: _FieldContext,
        allowed_names: Collection[str] | None,
        required: bool = False,
    ) -> tuple[FieldSpec, ...]:
        record_path = _join(path, key)
        if key not in table:
            if required:
                self.problem(record_path, Message(N_("missing; list at least one field")))
            return ()
        entries = table[key]
        if not isinstance(entries, list) or not entries:
            self.problem(record_path, Message(N_("must be a non-empty list of field tables")))
            return ()

        specs: list[FieldSpec] = []
        seen: dict[str, int] = {}
        for index, entry in enumerate(entries):
            field_path = f"{record_path}[{index}]"
            spec = self.check_field(entry, field_path, context, allowed_names)
            if spec is None:
                continue
            if spec.name in seen:
                self.problem(
                    _join(field_path, "name"),
                    Message.of(
                        N_("{name!r} is already the name of {other}"),
                        name=spec.name,
                        other=f"{record_path}[{seen[spec.name]}]",
                    ),
                )
            seen.setdefault(spec.name, index)
            specs.append(spec)
        return tuple(specs)

    def check_extra_records(
        self,
        document: Mapping[str, Any],
        key: str,
        context: _FieldContext,
        variables: Collection[str],
    ) -> list[tuple[str, tuple[FieldSpec, ...]]]:
        if key not in document:
            return []
        entries = document[key]
        if not isinstance(entries, list):
            self.problem(
                key,
                Message.of(
                    N_("must be a list of [[{key}]] tables, each with a 'fields' list"), key=key
                ),
            )
            return []

        records: list[tuple[str, tuple[FieldSpec, ...]]] = []
        for index, entry in enumerate(entries):
            record_path = f"{key}[{index}]"
            if not isinstance(entry, Mapping):
                self.problem(record_path, Message(N_("must be a table with a 'fields' list")))
                continue
            self.unknown_keys(entry, record_path, RECORD_KEYS, {})
            fields = self.check_record(
                entry, "fields", record_path, context, allowed_names=variables, required=True
            )
            records.append((_join(record_path, "fields"), fields))
        return records

    def check_field(
        self, entry: Any, path: str, context: _FieldContext, allowed_names: Collection[str] | None
    ) -> FieldSpec | None:
        if not isinstance(entry, Mapping):
            self.problem(path, Message(N_("must be a table of field keys")))
            return None
        before = len(self.problems)
        self.check_field_keys(entry, path, context.file_format)

        name = self.text(entry, "name", path, default=None)
        if name is None and "name" not in entry:
            self.problem(_join(path, "name"), Message(N_("missing; every field needs a name")))
        if name is not None and not FIELD_NAME.match(name):
            self.problem(
                _join(path, "name"),
                Message.of(
                    N_(
                        "{name!r} must start with a letter or '_' "
                        "and contain only A-Z a-z 0-9 _ (at most 64)"
                    ),
                    name=name,
                ),
            )

        field_type = self.choice(entry, "type", path, FIELD_TYPES, "string")
        spec: dict[str, Any] = {"name": name or "_", "type": field_type}
        spec.update(self.check_value_origin(entry, path, context, allowed_names))
        spec["required"] = self.flag(entry, "required", path, default=False)
        spec["transforms"] = self.check_transforms(entry, path)
        spec["title"] = self.plain_text(entry, "title", path, None, context.codec)
        default_overflow = "truncate" if field_type == "string" else "fail"
        spec["overflow"] = self.choice(
            entry, "overflow", path, ("fail", "truncate"), default_overflow
        )
        spec.update(self.check_type_options(entry, path, field_type, context))
        spec.update(self.check_layout(entry, path, field_type, context))

        if len(self.problems) > before or name is None:
            return None
        return FieldSpec(**spec)

    def check_field_keys(
        self, entry: Mapping[str, Any], path: str, file_format: str | None
    ) -> None:
        field_type = entry.get("type", "string")
        known = set(COMMON_FIELD_KEYS)
        elsewhere: dict[str, Message] = {}
        if file_format != "delimited":
            known |= FIXED_FIELD_KEYS
        else:
            elsewhere.update(dict.fromkeys(FIXED_FIELD_KEYS, _ONLY_FIXED))
        if file_format != "fixed":
            known |= DELIMITED_FIELD_KEYS
        else:
            elsewhere.update(dict.fromkeys(DELIMITED_FIELD_KEYS, _ONLY_DELIMITED))
        for key, types in TYPE_FIELD_KEYS.items():
            if field_type in types or field_type not in FIELD_TYPES:
                known.add(key)
            else:
                elsewhere[key] = Message.of(
                    N_("only for type = {types}"), types=_describe_choices(types)
                )
        self.unknown_keys(entry, path, known, elsewhere)

    def check_value_origin(
        self,
        entry: Mapping[str, Any],
        path: str,
        context: _FieldContext,
        allowed_names: Collection[str] | None,
    ) -> dict[str, Any]:
        origins = [key for key in ("source", "template", "value") if key in entry]
        if not origins:
            self.problem(
                path,
                Message(
                    N_(
                        "needs one of 'source', 'template' or 'value' "
                        "to say where its value comes from"
                    )
                ),
            )
        if len(origins) > 1:
            self.problem(
                path,
                Message.of(
                    N_("set only one of 'source', 'template' or 'value', not {keys}"),
                    keys=_describe_all(origins),
                ),
            )

        origin: dict[str, Any] = {}
        source = self.text(entry, "source", path, default=None)
        if source is not None:
            if not source:
                self.problem(
                    _join(path, "source"), Message(N_("must name a contact field, not be empty"))
                )
            elif allowed_names is not None and source not in allowed_names:
                known = ", ".join(sorted(allowed_names))
                self.problem(
                    _join(path, "source"),
                    Message.of(
                        N_("unknown batch variable {source!r}; known names: {known}"),
                        source=source,
                        known=known,
                    ),
                )
            origin["source"] = source

        template_text = self.text(entry, "template", path, default=None)
        if template_text is not None:
            _, problems = parse_template(template_text, allowed_names)
            for message in problems:
                self.problem(_join(path, "template"), message)
            origin["template"] = template_text

        for key in ("value", "default"):
            if key not in entry:
                continue
            scalar = entry[key]
            if isinstance(scalar, (list, dict)) or not isinstance(scalar, _SCALAR_TYPES):
                self.problem(
                    _join(path, key),
                    Message.of(
                        N_("must be a string, number, boolean, date or datetime, not {value}"),
                        value=repr(scalar),
                    ),
                )
                continue
            origin[key] = scalar
        return origin

    def check_transforms(self, entry: Mapping[str, Any], path: str) -> tuple[str, ...]:
        names = self.get(
            entry, "transforms", path, (list,), Message(N_("a list of transform names")), []
        )
        valid: list[str] = []
        for index, name in enumerate(names):
            item_path = f"{_join(path, 'transforms')}[{index}]"
            if name not in TRANSFORM_NAMES:
                self.problem(
                    item_path,
                    Message.of(
                        N_("unknown transform {name}; use {choices}"),
                        name=repr(name),
                        choices=_describe_choices(TRANSFORM_NAMES),
                    ),
                )
                continue
            valid.append(name)
        return tuple(valid)

    def check_type_options(
        self, entry: Mapping[str, Any], path: str, field_type: str, context: _FieldContext
    ) -> dict[str, Any]:
        if field_type == "decimal":
            return self.check_decimal_options(entry, path, context)
        if field_type in ("date", "datetime"):
            return self.check_date_options(entry, path, field_type)
        if field_type == "boolean":
            true_value = self.plain_text(entry, "true_value", path, "1", context.codec)
            false_value = self.plain_text(entry, "false_value", path, "0", context.codec)
            if true_value == false_value:
                self.problem(
                    _join(path, "false_value"),
                    Message.of(
                        N_("must differ from true_value {true_value!r}"), true_value=true_value
                    ),
                )
            return {"true_value": true_value, "false_value": false_value}
        if field_type == "phone":
            return self.check_phone_options(entry, path)
        return {}

    def check_decimal_options(
        self, entry: Mapping[str, Any], path: str, context: _FieldContext
    ) -> dict[str, Any]:
        separator = self.choice(entry, "decimal_separator", path, (".", ","), ".")
        options = {
            "places": self.integer(entry, "places", path, minimum=0, maximum=20, default=2),
            "decimal_separator": separator,
            "implied_decimal": self.flag(entry, "implied_decimal", path, default=False),
            "input_decimal_separator": self.choice(
                entry, "input_decimal_separator", path, (".", ","), "."
            ),
        }
        bare_numbers = context.settings.get("quoting") in ("nonnumeric", "none")
        if (
            context.file_format == "delimited"
            and bare_numbers
            and separator == context.settings.get("delimiter")
        ):
            self.problem(
                _join(path, "decimal_separator"),
                Message.of(
                    N_(
                        "{separator!r} is also the delimiter, "
                        "and quoting = '{quoting}' leaves numbers unquoted"
                    ),
                    separator=separator,
                    quoting=context.settings["quoting"],
                ),
            )
        return options

    def check_date_options(
        self, entry: Mapping[str, Any], path: str, field_type: str
    ) -> dict[str, Any]:
        output_format = self.text(entry, "format", path, default=DEFAULT_DATE_FORMATS[field_type])
        if _CONTROL.search(output_format):
            self.problem(_join(path, "format"), _CONTROL_CHARACTERS)
        else:
            try:
                dt.datetime(2026, 1, 31, 23, 59, 58).strftime(output_format)
            except ValueError as error:
                self.problem(
                    _join(path, "format"),
                    Message.of(
                        N_("invalid strftime format {format!r}: {error}"),
                        format=output_format,
                        error=str(error),
                    ),
                )

        input_formats = self.get(
            entry, "input_formats", path, (list,), Message(N_("a list of strptime formats")), []
        )
        for index, item in enumerate(input_formats):
            if not isinstance(item, str) or not item:
                self.problem(
                    f"{_join(path, 'input_formats')}[{index}]",
                    Message.of(
                        N_("must be a strptime format such as '%d/%m/%Y', not {value}"),
                        value=repr(item),
                    ),
                )
        return {
            "format": output_format,
            "input_formats": tuple(item for item in input_formats if isinstance(item, str)),
            "timezone": self.check_timezone(entry, path),
        }

    def check_phone_options(self, entry: Mapping[str, Any], path: str) -> dict[str, Any]:
        region = self.text(entry, "default_region", path, default=None)
        if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
            self.problem(
                _join(path, "default_region"),
                Message.of(
                    N_(
                        "unknown region {region!r}; "
                        "use a two-letter country code in capitals, such as 'BR'"
                    ),
                    region=region,
                ),
            )
            region = None
        return {
            "phone_format": self.choice(
                entry, "phone_format", path, ("e164", "national", "digits", "country_code"), "e164"
            ),
            "default_region": region,
            "phone_check": self.choice(entry, "phone_check", path, ("valid", "possible"), "valid"),
        }

    def check_layout(
        self, entry: Mapping[str, Any], path: str, field_type: str, context: _FieldContext
    ) -> dict[str, Any]:
        if context.file_format == "delimited":
            keep_newlines = self.flag(entry, "keep_newlines", path, default=False)
            if keep_newlines and context.settings.get("quoting") == "none":
                self.problem(
                    _join(path, "keep_newlines"),
                    Message(
                        N_(
                            "needs quoting = 'minimal', 'all' or 'nonnumeric'; "
                            "with 'none' a line break would end the record"
                        )
                    ),
                )
                keep_newlines = False
            return {
                "keep_newlines": keep_newlines,
                "max_length": self.integer(entry, "max_length", path, minimum=1),
            }

        one_byte = context.settings.get("width_unit") == "bytes"
        if "length" not in entry and context.file_format == "fixed":
            self.problem(
                _join(path, "length"),
                Message(N_("missing; every fixed-width field needs a length")),
            )
        numeric = field_type in NUMERIC_TYPES
        return {
            "start": self.integer(entry, "start", path, minimum=1),
            "length": self.integer(entry, "length", path, minimum=1),
            "align": self.choice(
                entry, "align", path, ("left", "right"), "right" if numeric else "left"
            ),
            "pad": self.character(entry, "pad", path, " ", context.codec, one_byte=one_byte),
        }

    def check_positions(
        self, line_length: int | None, records: list[tuple[str, tuple[FieldSpec, ...]]]
    ) -> int | None:
        """Place fields given by length alone after the previous field; check overlaps and the line length.

        Returns the line length: the configured one, or the end of the last field of any record.
        """
        placed_records: list[tuple[str, list[tuple[int, FieldSpec]]]] = []
        for record_path, fields in records:
            placed: list[tuple[int, FieldSpec]] = []
            cursor = 1
            for index, spec in enumerate(fields):
                if spec.length is None:
                    continue
                start = spec.start if spec.start is not None else cursor
                positioned = _evolve(spec, start=start)
                placed.append((index, positioned))
                cursor = positioned.end + 1
            placed_records.append((record_path, placed))

        widest = max((spec.end for _, placed in placed_records for _, spec in placed), default=1)
        length = line_length if line_length is not None else widest

        for record_path, placed in placed_records:
            self.check_overlaps(record_path, placed, length, line_length is not None)
        self.replace_positions(records, placed_records)
        return length

    def check_overlaps(
        self, record_path: str, placed: list[tuple[int, FieldSpec]], length: int, explicit: bool
    ) -> None:
        by_start = sorted(placed, key=lambda item: (item[1].start or 0, item[0]))
        for (index_a, spec_a), (index_b, spec_b) in itertools.pairwise(by_start):
            if spec_b.start is not None and spec_b.start <= spec_a.end:
                self.problem(
                    f"{record_path}[{index_b}]",
                    Message.of(
                        N_(
                            "{name!r} (columns {start}-{end}) overlaps "
                            "{other} {other_name!r} (columns {other_start}-{other_end})"
                        ),
                        name=spec_b.name,
                        start=spec_b.start,
                        end=spec_b.end,
                        other=f"{record_path}[{index_a}]",
                        other_name=spec_a.name,
                        other_start=spec_a.start,
                        other_end=spec_a.end,
                    ),
                )
        if not explicit:
            return
        for index, spec in placed:
            if spec.end > length:
                self.problem(
                    f"{record_path}[{index}]",
                    Message.of(
                        N_("{name!r} (columns {start}-{end}) ends past line_length {length}"),
                        name=spec.name,
                        start=spec.start,
                        end=spec.end,
                        length=length,
                    ),
                )

    def replace_positions(
        self,
        records: list[tuple[str, tuple[FieldSpec, ...]]],
        placed_records: list[tuple[str, list[tuple[int, FieldSpec]]]],
    ) -> None:
        """Store the resolved start of every field in *records*, in place."""
        for position, (_, placed) in enumerate(placed_records):
            record_path, fields = records[position]
            updated = list(fields)
            for index, spec in placed:
                updated[index] = spec
            records[position] = (record_path, tuple(updated))


class _FieldContext:
    """The document settings a field's checks depend on."""

    def __init__(
        self, file_format: str | None, codec: Codec | None, settings: Mapping[str, Any]
    ) -> None:
        self.file_format = file_format
        self.codec = codec
        self.settings = settings


def _evolve(spec: FieldSpec, **changes: Any) -> FieldSpec:
    return attrs.evolve(spec, **changes)
