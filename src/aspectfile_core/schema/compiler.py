"""Compile a schema into per-field formatters and per-record writers, built once and reused for every lead.

The steps for one value run in this order, which is part of the schema contract:

1. take the value: a contact field (absent counts as empty), a template or a constant;
2. use ``default`` when the value is empty (None, or only whitespace);
3. turn control characters into spaces (CR and LF stay in delimited fields with ``keep_newlines``);
4. run the transforms in order;
5. fail with ``missing_required`` when a required value is now empty;
6. convert and format by type;
7. apply the ``unencodable`` policy;
8. fit the width: ``overflow`` against ``length`` (fixed) or ``max_length`` (delimited),
   then alignment and padding (fixed) or quoting (delimited).

Steps 1-8 up to the overflow check are :meth:`FieldProgram.evaluate`; padding
and quoting are :meth:`FieldProgram.write`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from aspectfile_core.domain.errors import SchemaError, SchemaProblem
from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.domain.model import LeadFailure, LeadWarning
from aspectfile_core.schema.codegen import DataRenderer, build_data_renderer
from aspectfile_core.schema.conversions import (
    ConversionError,
    Converter,
    convert_integer,
    convert_string,
    make_boolean_converter,
    make_date_converter,
    make_decimal_converter,
    make_phone_converter,
)
from aspectfile_core.schema.encoding import Codec, resolve_codec
from aspectfile_core.schema.model import (
    NUMERIC_TYPES,
    TOTAL_VARIABLES,
    FieldSpec,
    Schema,
)
from aspectfile_core.schema.reasons import REASON_CODES, make_failure, make_warning
from aspectfile_core.schema.templates import Template, TemplateValueError, parse_template
from aspectfile_core.schema.text import (
    as_text,
    describe_character,
    replace_control_characters,
    transform_functions,
    transliterate_character,
)

Writer = Callable[[str], Any]


class LeadProblem(Exception):
    """One field of one lead cannot be rendered; :attr:`code` is a key of ``REASON_CODES``."""

    def __init__(self, code: str, field: str, value: str | None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.value = value

    def to_failure(self) -> LeadFailure:
        """Return the :class:`LeadFailure` recorded on the lead."""
        return make_failure(self.code, self.field, self.value)


@attrs.frozen
class _Settings:
    """The schema settings every field program of one schema shares."""

    schema: Schema
    codec: Codec
    transforms: Mapping[str, Callable[[str], str]]


class FieldProgram:
    """One field's compiled pipeline: takes a value from a mapping and returns its text."""

    def __init__(self, spec: FieldSpec, settings: _Settings, single_field: bool) -> None:
        schema = settings.schema
        self.spec = spec
        self.name = spec.name
        self.required = spec.required
        self.has_default = spec.default is not None
        self.default = spec.default
        self.keep_newlines = spec.keep_newlines and schema.format == "delimited"
        self.transforms = tuple(settings.transforms[name] for name in spec.transforms)
        self.is_string = spec.type == "string"
        self.text_input = self.is_string or bool(self.transforms)
        self.is_numeric = spec.type in NUMERIC_TYPES
        self.source_key = spec.source
        self.codec = settings.codec
        self.ascii_compatible = settings.codec.ascii_compatible
        self.unencodable = schema.unencodable
        self.replacement = schema.replacement
        self.template: Template | None = None
        if spec.template is not None:
            self.template, _ = parse_template(spec.template)
        self.convert = _converter(spec)
        self.limit = spec.length if schema.format == "fixed" else spec.max_length
        self.measure_bytes = schema.format == "fixed" and schema.width_unit == "bytes"
        self.overflow = spec.overflow
        self.write: Writer = (
            _make_padder(spec, schema, settings.codec)
            if schema.format == "fixed"
            else _make_quoter(spec, schema, single_field)
        )
        self.minimal_quoting = _minimal_quoting(spec, schema, single_field)
        """(text of an empty value, characters that need quotes) under minimal quoting, else None."""
        self.encodable_cache: dict[str, str] = {}

    def take(self, source: Mapping[str, Any]) -> Any:
        """Step 1: the raw value from the source mapping, the template or the constant."""
        spec = self.spec
        if spec.source is not None:
            return source.get(spec.source)
        if self.template is not None:
            try:
                return self.template.render(source)
            except TemplateValueError as error:
                raise LeadProblem(
                    "invalid_template_value", self.name, as_text(error.value)
                ) from None
        return spec.value

    def evaluate(
        self, source: Mapping[str, Any], warnings: list[LeadWarning] | None
    ) -> tuple[str, Any]:
        """Run steps 1-8 up to the overflow check; return the fitted text and the typed value.

        The typed value is None for an empty value, an ``int`` or ``Decimal`` for
        numeric fields. Raises :class:`LeadProblem` when the lead must fail.
        A truncation is appended to *warnings* when it is not None.
        """
        key = self.source_key
        raw = source.get(key) if key is not None else self.take(source)
        if self.has_default and (
            raw is None or (isinstance(raw, str) and (not raw or raw.isspace()))
        ):
            raw = self.default

        if isinstance(raw, str):
            value: Any = (
                raw if raw.isprintable() else replace_control_characters(raw, self.keep_newlines)
            )
            for transform in self.transforms:
                value = transform(value)
        elif raw is not None and self.text_input:
            value = replace_control_characters(as_text(raw), self.keep_newlines)
            for transform in self.transforms:
                value = transform(value)
        else:
            value = raw

        if value is None or (isinstance(value, str) and (not value or value.isspace())):
            if self.required:
                raise LeadProblem("missing_required", self.name, None)
            return "", None

        if self.is_string:
            text = typed = value
        else:
            try:
                text, typed = self.convert(value)
            except ConversionError as error:
                raise LeadProblem(error.code, self.name, error.value) from None

        if not (self.ascii_compatible and text.isascii()):
            text = self.make_encodable(text)
        limit = self.limit
        if limit is not None and (self.measure_bytes or len(text) > limit):
            text = self.fit(text, warnings)
        return text, typed

    def make_encodable(self, text: str) -> str:
        """Step 7: apply the ``unencodable`` policy to characters the encoding cannot write."""
        try:
            text.encode(self.codec.name)
        except UnicodeEncodeError as error:
            if self.unencodable == "fail":
                raise LeadProblem(
                    "unencodable", self.name, describe_character(text[error.start])
                ) from None
        else:
            return text
        return "".join(self.encodable_spelling(character) for character in text)

    def encodable_spelling(self, character: str) -> str:
        cached = self.encodable_cache.get(character)
        if cached is not None:
            return cached

        if self.codec.can_encode(character):
            spelled = character
        elif self.unencodable == "transliterate":
            spelled = "".join(
                part if self.codec.can_encode(part) else self.replacement
                for part in transliterate_character(character)
            )
        else:
            spelled = self.replacement
        if len(self.encodable_cache) < 4096:
            self.encodable_cache[character] = spelled
        return spelled

    def fit(self, text: str, warnings: list[LeadWarning] | None) -> str:
        """Step 8: apply ``overflow`` when the text is longer than the field, measured in its unit."""
        limit = self.limit
        assert limit is not None
        if self.measure_bytes:
            if self.codec.ascii_compatible and text.isascii():
                size = len(text)
            else:
                size = self.codec.byte_length(text)
        else:
            size = len(text)
        if size <= limit:
            return text

        if self.overflow == "fail":
            raise LeadProblem("too_long", self.name, text)
        if warnings is not None:
            warnings.append(make_warning("truncated", self.name, text))
        if self.measure_bytes:
            return _cut_to_bytes(text, limit, self.codec)
        return text[:limit]


def _cut_to_bytes(text: str, limit: int, codec: Codec) -> str:
    """Return the longest start of *text* that encodes to at most *limit* bytes, never splitting a character."""
    used = 0
    for index, character in enumerate(text):
        used += codec.byte_length(character)
        if used > limit:
            return text[:index]
    return text


def _converter(spec: FieldSpec) -> Converter:
    if spec.type == "integer":
        return convert_integer
    if spec.type == "decimal":
        return make_decimal_converter(
            spec.places, spec.decimal_separator, spec.implied_decimal, spec.input_decimal_separator
        )
    if spec.type in ("date", "datetime"):
        assert spec.format is not None
        return make_date_converter(spec.type, spec.format, spec.input_formats, spec.timezone)
    if spec.type == "boolean":
        return make_boolean_converter(spec.true_value, spec.false_value)
    if spec.type == "phone":
        return make_phone_converter(spec.phone_format, spec.default_region, spec.phone_check)
    return convert_string


def _make_padder(spec: FieldSpec, schema: Schema, codec: Codec) -> Writer:
    """Return the alignment and padding step of a fixed-width field.

    With ``pad = "0"``, right alignment and a numeric type, a leading sign stays
    in front of the zeros: ``-12`` in 8 columns is ``-0000012``.
    """
    length = spec.length
    assert length is not None
    pad = spec.pad
    keeps_sign = pad == "0" and spec.align == "right" and spec.type in NUMERIC_TYPES
    right = spec.align == "right"

    if schema.width_unit == "characters":
        if not right:
            return lambda text: text.ljust(length, pad)
        if not keeps_sign:
            return lambda text: text.rjust(length, pad)
        return lambda text: (
            text[0] + text[1:].rjust(length - 1, pad)
            if text[:1] in ("-", "+")
            else text.rjust(length, pad)
        )

    pad_byte = pad.encode(codec.name)
    encoding = codec.name

    def pad_bytes(text: str) -> bytes:
        encoded = text.encode(encoding)
        fill = pad_byte * (length - len(encoded))
        if not right:
            return encoded + fill
        if keeps_sign and encoded[:1] in (b"-", b"+"):
            return encoded[:1] + fill + encoded[1:]
        return fill + encoded

    return pad_bytes


def _make_quoter(spec: FieldSpec, schema: Schema, single_field: bool) -> Writer:
    """Return the quoting step of a delimited field.

    An empty value is written as ``null_value``, unquoted. With an empty
    ``null_value``, a field that the quoting mode always quotes writes ``""``:
    every field with ``all``, text fields with ``nonnumeric``. So does the only
    field of a one-field record with ``minimal``, so that the line is not blank.
    """
    delimiter = schema.delimiter
    quote = schema.quote_char
    escape = schema.escape_char
    null = schema.null_value
    name = spec.name

    def quoted(text: str) -> str:
        if escape:
            inner = text.replace(escape, escape + escape).replace(quote, escape + quote)
        else:
            inner = text.replace(quote, quote + quote)
        return quote + inner + quote

    if schema.quoting == "none":
        return _make_unquoted_writer(name, delimiter, quote, escape, null)

    always = schema.quoting == "all" or (
        schema.quoting == "nonnumeric" and spec.type not in NUMERIC_TYPES
    )
    if always:
        empty = null if null else quote + quote
        return lambda text: quoted(text) if text else empty
    if schema.quoting == "nonnumeric":
        return lambda text: text if text else null

    minimal = _minimal_quoting(spec, schema, single_field)
    assert minimal is not None
    empty, specials = minimal

    def write_minimal(text: str) -> str:
        if not text:
            return empty
        for character in specials:
            if character in text:
                return quoted(text)
        return text

    return write_minimal


def _minimal_quoting(
    spec: FieldSpec, schema: Schema, single_field: bool
) -> tuple[str, tuple[str, ...]] | None:
    """Return what minimal quoting writes for an empty value and the characters that force quotes."""
    if schema.format != "delimited" or schema.quoting != "minimal":
        return None
    quote = schema.quote_char
    specials = tuple(
        character
        for character in (schema.delimiter, quote, "\r", "\n", schema.escape_char)
        if character
    )
    null = schema.null_value
    return (null if null or not single_field else quote + quote), specials


def _make_unquoted_writer(
    name: str, delimiter: str, quote: str, escape: str | None, null: str
) -> Writer:
    if escape:
        return lambda text: (
            text.replace(escape, escape + escape)
            .replace(delimiter, escape + delimiter)
            .replace(quote, escape + quote)
            if text
            else null
        )

    def write_bare(text: str) -> str:
        if not text:
            return null
        if delimiter in text:
            raise LeadProblem("delimiter_in_value", name, text)
        if quote in text:
            raise LeadProblem("quote_in_value", name, text)
        return text

    return write_bare


class RecordProgram:
    """One record's compiled fields and the layout that joins them into one encoded line."""

    def __init__(self, record: Sequence[FieldSpec], settings: _Settings) -> None:
        schema = settings.schema
        self.programs = tuple(FieldProgram(spec, settings, len(record) == 1) for spec in record)
        self.names = tuple(spec.name for spec in record)
        self.numeric = tuple(
            (index, program.name)
            for index, program in enumerate(self.programs)
            if program.is_numeric
        )
        self.encoding = settings.codec.name
        self.delimiter = schema.delimiter
        self.fixed = schema.format == "fixed"
        self.in_bytes = self.fixed and schema.width_unit == "bytes"
        self.layout: tuple[tuple[Any, int], ...] = ()
        self.tail: Any = ""
        if self.fixed:
            self.layout, self.tail = _fixed_layout(record, schema, settings.codec)

    def evaluate(
        self, source: Mapping[str, Any], warnings: list[LeadWarning] | None
    ) -> list[tuple[str, Any]]:
        """Evaluate every field in declaration order; raise :class:`LeadProblem` at the first that fails."""
        return [program.evaluate(source, warnings) for program in self.programs]

    def encode(self, texts: Sequence[str]) -> bytes:
        """Pad or quote each field's fitted text and return the encoded line, without a line ending."""
        programs = self.programs
        if not self.fixed:
            line = self.delimiter.join(
                [programs[index].write(text) for index, text in enumerate(texts)]
            )
            return line.encode(self.encoding)

        parts: list[Any] = []
        for gap, index in self.layout:
            if gap:
                parts.append(gap)
            parts.append(programs[index].write(texts[index]))
        if self.tail:
            parts.append(self.tail)
        if self.in_bytes:
            return b"".join(parts)
        return "".join(parts).encode(self.encoding)

    @functools.cached_property
    def render_data(self) -> DataRenderer:
        """The generated function that renders one lead of this record, built on first use.

        It returns the line :meth:`render` returns and the typed values of the
        fields in :attr:`numeric`, and raises and warns as :meth:`render` does.
        """
        return build_data_renderer(self, LeadProblem)

    def render(
        self, source: Mapping[str, Any], warnings: list[LeadWarning] | None
    ) -> tuple[bytes, list[tuple[str, Any]]]:
        """Evaluate and encode one record; return the line and each field's ``(text, typed)`` pair."""
        values = self.evaluate(source, warnings)
        return self.encode([text for text, _ in values]), values


def _fixed_layout(
    record: Sequence[FieldSpec], schema: Schema, codec: Codec
) -> tuple[tuple[tuple[Any, int], ...], Any]:
    """Return ``(filler before the field, field index)`` pairs in column order and the filler after the last field."""
    filler: Any = (
        schema.filler.encode(codec.name) if schema.width_unit == "bytes" else schema.filler
    )
    order = sorted(range(len(record)), key=lambda index: record[index].start or 0)
    layout: list[tuple[Any, int]] = []
    cursor = 1
    for index in order:
        spec = record[index]
        start = spec.start or cursor
        layout.append((filler * (start - cursor), index))
        cursor = start + (spec.length or 0)
    line_length = schema.line_length or cursor - 1
    return tuple(layout), filler * (line_length + 1 - cursor)


@attrs.frozen
class CompiledSchema:
    """A schema's compiled records, codec and line separator."""

    codec: Codec
    line_separator: bytes
    data: RecordProgram
    header: tuple[RecordProgram, ...]
    trailer: tuple[RecordProgram, ...]
    column_titles: bytes | None
    """The encoded header row of a delimited schema with ``header_row = true``."""
    header_uses_totals: bool
    """True when a header record uses ``record_count`` or a sum, so data must be written before the header."""

    @property
    def lines_before_data(self) -> int:
        return len(self.header) + (1 if self.column_titles is not None else 0)


def compile_schema(schema: Schema) -> CompiledSchema:
    """Compile *schema*; raise :class:`SchemaError` when a constant or default fails its own field."""
    codec = resolve_codec(schema.encoding, schema.bom)
    settings = _Settings(
        schema=schema, codec=codec, transforms=transform_functions(schema.replacement)
    )
    problems = _check_constants(schema, settings)
    if problems:
        raise SchemaError(schema.name, problems)

    titles = None
    if schema.format == "delimited" and schema.header_row:
        title_specs = [
            attrs.evolve(
                spec,
                type="string",
                value=spec.title or spec.name,
                transforms=(),
                max_length=None,
                default=None,
            )
            for spec in schema.fields
        ]
        title_record = RecordProgram(title_specs, settings)
        titles = title_record.encode([spec.value for spec in title_specs])

    return CompiledSchema(
        codec=codec,
        line_separator=schema.line_separator.encode(codec.name),
        data=RecordProgram(schema.fields, settings),
        header=tuple(RecordProgram(record.fields, settings) for record in schema.header),
        trailer=tuple(RecordProgram(record.fields, settings) for record in schema.trailer),
        column_titles=titles,
        header_uses_totals=any(
            _uses_totals(spec) for record in schema.header for spec in record.fields
        ),
    )


def _uses_totals(spec: FieldSpec) -> bool:
    names: set[str] = set()
    if spec.source is not None:
        names.add(spec.source)
    if spec.template is not None:
        template, _ = parse_template(spec.template)
        if template is not None:
            names |= template.names
    return any(name in TOTAL_VARIABLES or name.startswith("sum_") for name in names)


def _check_constants(schema: Schema, settings: _Settings) -> list[SchemaProblem]:
    """Try every constant ``value`` and ``default`` against its own field's pipeline."""
    records: list[tuple[str, Sequence[FieldSpec]]] = [("fields", schema.fields)]
    records += [
        (f"header[{index}].fields", record.fields) for index, record in enumerate(schema.header)
    ]
    records += [
        (f"trailer[{index}].fields", record.fields) for index, record in enumerate(schema.trailer)
    ]

    problems: list[SchemaProblem] = []
    for record_path, specs in records:
        for index, spec in enumerate(specs):
            for key in ("value", "default"):
                constant = getattr(spec, key)
                if constant is None:
                    continue
                message = _try_constant(spec, constant, settings)
                if message:
                    problems.append(SchemaProblem(f"{record_path}[{index}].{key}", message))
    return problems


def _try_constant(spec: FieldSpec, constant: Any, settings: _Settings) -> Message | None:
    probe = attrs.evolve(
        spec, source=None, template=None, value=constant, default=None, required=False
    )
    program = FieldProgram(probe, settings, single_field=False)
    warnings: list[LeadWarning] = []
    try:
        text, _ = program.evaluate({}, warnings)
        program.write(text)
    except LeadProblem as problem:
        # The reason templates are marked for translation in reasons.py.
        reason = Message.of(REASON_CODES[problem.code], field=spec.name, value=problem.value or "")
        return Message.of(
            N_("{constant} cannot be written: {reason}"), constant=repr(constant), reason=reason
        )
    if warnings:
        return Message.of(N_("{constant} is longer than the field allows"), constant=repr(constant))
    return None


def record_problem_message(record_path: str, problem: LeadProblem) -> str:
    """Return the message of a header or trailer field that cannot be rendered."""
    reason = REASON_CODES[problem.code].format(field=problem.field, value=problem.value or "")
    return f"{record_path}: {reason}"
