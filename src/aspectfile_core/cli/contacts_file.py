"""Read contacts for ``enqueue`` from CSV or JSON Lines, keeping every rejected row's reason."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

import attrs

from aspectfile_core.domain.errors import InvalidContact
from aspectfile_core.domain.model import MAX_LEAD_ID_LENGTH, Contact

Translate = Callable[[str], str]


@attrs.frozen
class RejectedRow:
    """A row that was not added, with its line number in the file and the reason, already translated."""

    line: int
    reason: str


@attrs.define
class ContactsFile:
    """The contacts read from one file and the rows rejected on the way."""

    contacts: list[Contact] = attrs.Factory(list)
    rejected: list[RejectedRow] = attrs.Factory(list)


def detect_format(name: str, head: bytes) -> str:
    """Return ``jsonl`` or ``csv`` from the file name, or from the first byte for standard input."""
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


def read_contacts(
    stream: IO[bytes],
    *,
    name: str,
    id_column: str,
    _: Translate,
    delimiter: str | None = None,
    columns: Sequence[str] | None = None,
) -> ContactsFile:
    """Read every row of *stream*; rows without a usable id go to :attr:`ContactsFile.rejected`.

    *columns* names the columns of a CSV file without a header row, whose
    first line is then a contact.
    """
    data = stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InvalidContact(
            _("{name} is not UTF-8 (line {line}); save it as UTF-8 and try again").format(
                name=name, line=line
            )
        ) from error

    result = ContactsFile()
    rows = (
        _jsonl_rows(text, _)
        if detect_format(name, data[:64]) == "jsonl"
        else _csv_rows(text, id_column, _, delimiter, columns)
    )
    for line, fields, problem in rows:
        if problem is not None:
            result.rejected.append(RejectedRow(line, problem))
            continue
        assert fields is not None
        raw_id = fields.get(id_column)
        if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
            result.rejected.append(
                RejectedRow(
                    line, _("no value in the id column {column!r}").format(column=id_column)
                )
            )
            continue
        try:
            result.contacts.append(Contact(raw_id, fields))
        except InvalidContact:
            result.rejected.append(
                RejectedRow(
                    line,
                    _(
                        "the id {value!r} is not a usable lead id: use at most {maximum} characters"
                    ).format(value=str(raw_id)[:40], maximum=MAX_LEAD_ID_LENGTH),
                )
            )
    return result


Row = tuple[int, dict[str, Any] | None, str | None]


CSV_DELIMITERS = ",;|\t"
"""Delimiters recognised in a CSV header when none is given: comma, semicolon, pipe and tab."""

DETECTION_LINES = 20
"""Lines of a file without a header row that the delimiter is chosen on."""

DELIMITER_NAMES = {
    "comma": ",",
    "semicolon": ";",
    "pipe": "|",
    "tab": "\t",
    ",": ",",
    ";": ";",
    "|": "|",
}
"""Values of ``--delimiter``: a name, or the character itself where a shell allows it."""


def detect_delimiter(text: str, columns: int | None = None) -> str:
    """Return the delimiter of the first line of *text*, or a comma when it cannot be detected.

    With *columns*, the number of values each line of a file without a header
    row must have, the delimiter that splits the most of the first
    :data:`DETECTION_LINES` lines into that many values wins.
    """
    header = text.split("\n", 1)[0]
    if columns is not None:
        lines = [line for line in text.splitlines()[:DETECTION_LINES] if line.strip()]

        def matching_lines(candidate: str) -> int:
            return sum(1 for row in csv.reader(lines, delimiter=candidate) if len(row) == columns)

        best = max(CSV_DELIMITERS, key=matching_lines)
        if matching_lines(best):
            return best
    try:
        return csv.Sniffer().sniff(header, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _csv_rows(
    text: str,
    id_column: str,
    _: Translate,
    delimiter: str | None,
    columns: Sequence[str] | None,
) -> Iterator[Row]:
    expected = len(columns) if columns is not None else None
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter or detect_delimiter(text, expected)
    )
    if columns is not None:
        header = [column.strip() for column in columns]
        if id_column not in header:
            raise InvalidContact(
                _(
                    "the id column {column!r} is not in --columns ({columns}); "
                    "name it there or choose another with --id-column"
                ).format(column=id_column, columns=", ".join(header))
            )
    else:
        try:
            header = [column.strip() for column in next(reader)]
        except StopIteration:
            return
        except csv.Error as error:
            raise InvalidContact(
                _("the CSV header cannot be read: {error}").format(error=error)
            ) from error

    if id_column not in header:
        raise InvalidContact(
            _(
                "the id column {column!r} is not in the header; columns are: {columns}. "
                "Choose one with --id-column, or name the columns of a file without a "
                "header row with --columns"
            ).format(column=id_column, columns=", ".join(header))
        )

    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield (
                reader.line_num,
                None,
                _("the row cannot be read as CSV: {error}").format(error=error),
            )
            continue
        line = reader.line_num
        if not values or all(not value.strip() for value in values):
            continue
        if len(values) != len(header):
            yield (
                line,
                None,
                _("the row does not match the header: values {count}, columns {expected}").format(
                    count=len(values), expected=len(header)
                )
                if columns is None
                else _(
                    "the row does not match --columns: values {count}, names {expected}; "
                    "check --delimiter"
                ).format(count=len(values), expected=len(header)),
            )
            continue
        yield line, dict(zip(header, values, strict=True)), None


def _jsonl_rows(text: str, _: Translate) -> Iterator[Row]:
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as error:
            yield line, None, _("the line is not valid JSON: {error}").format(error=error.msg)
            continue
        if not isinstance(value, dict):
            yield line, None, _("the line is not a JSON object")
            continue
        yield line, value, None
