"""Read files written for a schema back into field values, and verify a written file."""

from __future__ import annotations

import collections
import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Literal

import attrs

from aspectfile_core.schema.encoding import Codec
from aspectfile_core.schema.errors import FileFormatError
from aspectfile_core.schema.model import NUMERIC_TYPES, FieldSpec, Schema

RecordKind = Literal["header", "titles", "data", "trailer"]

_ZERO_PADDED_NUMBER = re.compile(r"([+-]?)0*(?=[0-9])")
_LINE_ENDING_NAMES = {"\r\n": "CRLF", "\n": "LF", "\r": "CR"}


@attrs.frozen
class FileRecord:
    """One record read from a file."""

    kind: RecordKind
    number: int
    """1-based record number in the file: the line number for fixed-width files."""
    values: dict[str, str]


def read_records(
    schema: Schema, data: IO[bytes], *, strip_padding: bool = True
) -> Iterator[dict[str, str]]:
    """Yield the field values of each data record of a file written for *schema*.

    Fixed-width values lose their padding on the padding side (see
    :func:`unpad`) unless *strip_padding* is false. In delimited files, quoting
    is undone and a value equal to a non-empty ``null_value`` reads as empty.
    Raises :class:`FileFormatError` when the file does not match the schema.
    """
    for record in iter_file(schema, data, strip_padding=strip_padding):
        if record.kind == "data":
            yield record.values


def iter_file(
    schema: Schema, data: IO[bytes], *, strip_padding: bool = True, strict: bool = False
) -> Iterator[FileRecord]:
    """Yield every record of a file, header and trailer records included, in file order.

    With *strict*, also check each fixed-width line's length and line ending,
    and raise :class:`FileFormatError` on the first mismatch. A schema with
    ``bom = true`` always needs the byte order mark.
    """
    cut: Callable[[Sequence[FieldSpec], Any, int], list[str]]
    if schema.format == "fixed":
        cut = _fixed_cutter(schema, schema.compiled.codec, strip_padding)
    else:
        cut = _delimited_cutter(schema)

    for kind, number, fields, raw in _raw_records(schema, data, strict):
        values = dict(zip((spec.name for spec in fields), cut(fields, raw, number), strict=True))
        yield FileRecord(kind=kind, number=number, values=values)


def verify_file(schema: Schema, path: Path, expected_records: int) -> None:
    """Re-read a written file and check it before it is stored.

    Checks the byte order mark, that every record parses, the number of data
    records, the final line ending and the number of fields of each delimited
    record, and for fixed-width files every line's length and line ending.
    Raises :class:`FileFormatError` on the first mismatch.
    """
    check_fields = _delimited_cutter(schema) if schema.format == "delimited" else None
    data_records = 0
    with path.open("rb") as handle:
        for kind, number, fields, raw in _raw_records(schema, handle, strict=True):
            # check_fields only raises, and only for a row whose length differs.
            if check_fields is not None and len(raw) != len(fields):
                check_fields(fields, raw, number)
            if kind == "data":
                data_records += 1

    if data_records != expected_records:
        raise FileFormatError(
            f"{path.name} has {data_records} data records; {expected_records} were written"
        )
    if schema.format == "delimited":
        _check_final_newline(schema, path)


def _raw_records(
    schema: Schema, data: IO[bytes], strict: bool
) -> Iterator[tuple[RecordKind, int, Sequence[FieldSpec], Any]]:
    """Yield each record's kind, number, fields and undivided content: a line (fixed) or a parsed row (delimited)."""
    codec = schema.compiled.codec
    _skip_bom(data, codec)
    stream = io.TextIOWrapper(data, encoding=codec.name, newline="")
    rows: Iterator[tuple[int, Any]]
    if schema.format == "fixed":
        rows = _fixed_lines(schema, stream, strict)
    else:
        rows = _delimited_rows(schema, stream)

    try:
        yield from _classify(schema, rows)
    except UnicodeDecodeError as error:
        raise FileFormatError(f"the file is not valid {codec.name}: {error.reason}") from error
    except csv.Error as error:
        raise FileFormatError(f"the file is not valid delimited text: {error}") from error
    finally:
        stream.detach()


def unpad(spec: FieldSpec, text: str) -> str:
    """Remove a fixed-width field's padding from the side it was added on.

    Zero-padded numbers keep their sign and at least one digit: ``-0000012``
    reads as ``-12`` and ``00000000`` as ``0``.
    """
    if spec.align == "left":
        return text.rstrip(spec.pad)
    if spec.pad == "0" and spec.type in NUMERIC_TYPES:
        return _ZERO_PADDED_NUMBER.sub(r"\1", text, count=1)
    return text.lstrip(spec.pad)


def _skip_bom(data: IO[bytes], codec: Codec) -> None:
    if not codec.bom:
        return
    start = data.read(len(codec.bom))
    if start != codec.bom:
        raise FileFormatError(
            f"the file does not start with the {codec.name} byte order mark", line=1
        )


def _classify(
    schema: Schema, rows: Iterator[tuple[int, Any]]
) -> Iterator[tuple[RecordKind, int, Sequence[FieldSpec], Any]]:
    """Label rows as header, titles, data or trailer records, holding back as many rows as there are trailers."""
    leading: list[tuple[RecordKind, Sequence[FieldSpec]]] = [
        ("header", record.fields) for record in schema.header
    ]
    if schema.format == "delimited" and schema.header_row:
        leading.append(("titles", schema.fields))
    leading.reverse()
    trailer_count = len(schema.trailer)
    held: collections.deque[tuple[int, Any]] = collections.deque()

    data_fields = schema.fields
    for number, raw in rows:
        if leading:
            kind, fields = leading.pop()
            yield kind, number, fields, raw
            continue
        if not trailer_count:
            yield "data", number, data_fields, raw
            continue
        held.append((number, raw))
        if len(held) > trailer_count:
            data_number, data_raw = held.popleft()
            yield "data", data_number, data_fields, data_raw

    if leading or len(held) < trailer_count:
        expected = len(schema.header) + (
            1 if schema.header_row and schema.format == "delimited" else 0
        )
        raise FileFormatError(
            f"the file ends before its header and trailer records; the schema has {expected} before "
            f"the data and {trailer_count} after it"
        )
    for index, (number, raw) in enumerate(held):
        yield "trailer", number, schema.trailer[index].fields, raw


def _fixed_lines(
    schema: Schema, stream: io.TextIOWrapper, strict: bool
) -> Iterator[tuple[int, str]]:
    """Yield each line of a fixed-width file without its line ending.

    In *strict* mode, check every line ending and length, and that only the
    last line lacks a line ending, and only with ``final_newline = false``.
    """
    separator = schema.line_separator
    codec = schema.compiled.codec
    in_bytes = schema.width_unit == "bytes"
    line_length = schema.line_length
    last: tuple[int, str, str] | None = None
    for number, line in enumerate(stream, start=1):
        content = line.rstrip("\r\n")
        ending = line[len(content) :]
        if strict and ending and ending != separator:
            raise FileFormatError(
                f"line ends with {_LINE_ENDING_NAMES.get(ending, repr(ending))}; "
                f"the schema's line_ending is {_LINE_ENDING_NAMES[separator]}",
                line=number,
            )
        if strict and (in_bytes or len(content) != line_length):
            _check_line_length(schema, codec, content, number)
        if last is not None:
            yield last[0], last[1]
        last = (number, content, ending)

    if last is None:
        return
    if strict and schema.final_newline and not last[2]:
        raise FileFormatError(
            "the last line has no line ending, but final_newline = true", line=last[0]
        )
    if strict and not schema.final_newline and last[2]:
        raise FileFormatError(
            "the last line ends with a line ending, but final_newline = false", line=last[0]
        )
    yield last[0], last[1]


def _check_line_length(schema: Schema, codec: Codec, content: str, number: int) -> None:
    length = codec.byte_length(content) if schema.width_unit == "bytes" else len(content)
    if length != schema.line_length:
        raise FileFormatError(
            f"line is {length} {schema.width_unit} long; line_length is {schema.line_length}",
            line=number,
        )


def _fixed_cutter(
    schema: Schema, codec: Codec, strip_padding: bool
) -> Callable[[Sequence[FieldSpec], Any, int], list[str]]:
    """Return a function that cuts one fixed-width line into the values of the given fields."""
    in_bytes = schema.width_unit == "bytes"

    def cut(fields: Sequence[FieldSpec], line: str, number: int) -> list[str]:
        if in_bytes:
            encoded = line.encode(codec.name)
            pieces = [_decode_slice(encoded, spec, codec, number) for spec in fields]
        else:
            pieces = [line[_first(spec) : spec.end] for spec in fields]
        if strip_padding:
            return [unpad(spec, piece) for spec, piece in zip(fields, pieces, strict=True)]
        return pieces

    return cut


def _first(spec: FieldSpec) -> int:
    return (spec.start or 1) - 1


def _decode_slice(encoded: bytes, spec: FieldSpec, codec: Codec, number: int) -> str:
    try:
        return encoded[_first(spec) : spec.end].decode(codec.name)
    except UnicodeDecodeError:
        raise FileFormatError(
            f"field {spec.name!r} (bytes {spec.start}-{spec.end}) splits a character", line=number
        ) from None


def _delimited_rows(schema: Schema, stream: io.TextIOWrapper) -> Iterator[tuple[int, list[str]]]:
    quoting: Literal[0, 3] = csv.QUOTE_NONE if schema.quoting == "none" else csv.QUOTE_MINIMAL
    reader = csv.reader(
        stream,
        delimiter=schema.delimiter,
        quotechar=schema.quote_char,
        escapechar=schema.escape_char,
        doublequote=schema.escape_char is None,
        quoting=quoting,
        strict=True,
    )
    yield from enumerate(reader, start=1)


def _delimited_cutter(schema: Schema) -> Callable[[Sequence[FieldSpec], Any, int], list[str]]:
    """Return a function that checks a parsed row's length and maps a non-empty ``null_value`` to empty.

    A blank line reads as one empty value when the record has one field.
    """
    null = schema.null_value

    def cut(fields: Sequence[FieldSpec], row: list[str], number: int) -> list[str]:
        if not row and len(fields) == 1:
            # A one-field record whose empty value was written unquoted is a blank line.
            row = [""]
        if len(row) != len(fields):
            raise FileFormatError(
                f"record has {len(row)} fields; the schema has {len(fields)}", line=number
            )
        if null:
            return ["" if cell == null else cell for cell in row]
        return row

    return cut


def _check_final_newline(schema: Schema, path: Path) -> None:
    separator = schema.compiled.line_separator
    with path.open("rb") as handle:
        size = handle.seek(0, io.SEEK_END)
        if size <= len(schema.compiled.codec.bom):
            return
        handle.seek(max(0, size - len(separator)))
        ends_with_separator = handle.read() == separator
    if schema.final_newline and not ends_with_separator:
        raise FileFormatError(
            f"{path.name} does not end with a line ending, but final_newline = true"
        )
    if not schema.final_newline and ends_with_separator:
        raise FileFormatError(f"{path.name} ends with a line ending, but final_newline = false")
