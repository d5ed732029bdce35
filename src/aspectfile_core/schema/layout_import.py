"""Turn a vendor's positional layout table (xlsx or CSV) into a TOML schema skeleton.

Dialer vendors publish record layouts as tables with the columns No., Name,
Data Type (STRING, NUMBER or DATE), Access Type, Offset (1-based) and Length.
The skeleton places every field and sets its type. Each field's ``source``
repeats the field name and carries a TODO comment, because only the user can
tell which contact field feeds it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from aspectfile_core.domain.errors import SchemaError, SchemaProblem
from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.schema.parser import SCHEMA_NAME, parse_schema

COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "number": ("no.", "no", "#", "nº", "seq", "sequence"),
    "name": ("name", "field name", "field"),
    "data_type": ("data type", "type", "datatype"),
    "access_type": ("access type", "access"),
    "offset": ("offset", "start", "position", "start position"),
    "length": ("length", "size", "width"),
}
"""Accepted header spellings of each layout column, compared case-insensitively."""

REQUIRED_COLUMNS = ("name", "offset", "length")
HEADER_SEARCH_ROWS = 30
"""Rows scanned for the header row; vendors often put a title and notes above the table."""

DATE_FORMATS_BY_LENGTH = {
    6: ("date", "%y%m%d"),
    8: ("date", "%Y%m%d"),
    10: ("date", "%Y-%m-%d"),
    12: ("datetime", "%Y%m%d%H%M"),
    14: ("datetime", "%Y%m%d%H%M%S"),
    19: ("datetime", "%Y-%m-%d %H:%M:%S"),
}
"""Guessed output formats of DATE fields by their length; the skeleton marks each guess with a TODO."""


@attrs.frozen
class LayoutRow:
    """One field of a layout table."""

    row: int
    number: str
    name: str
    data_type: str
    access_type: str
    offset: int
    length: int


def import_layout(path: Path, name: str) -> str:
    """Read a layout table from an ``.xlsx`` or ``.csv`` file and return a TOML schema skeleton.

    Raises :class:`SchemaError` listing every invalid row (paths such as
    ``row 7.Offset``) or when the table has no header row with Name, Offset and
    Length columns. The skeleton is checked with :func:`parse_schema` before it
    is returned, so overlapping fields are reported too.
    """
    if not SCHEMA_NAME.match(name) or name in (".", ".."):
        raise SchemaError(
            name,
            [
                SchemaProblem(
                    "name",
                    Message.of(
                        N_("{name!r} must be 1-64 of the characters A-Z a-z 0-9 _ . -"), name=name
                    ),
                )
            ],
        )

    table = _read_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _read_csv(path)
    layout = _parse_table(table, name)
    text = _skeleton(layout, name, path.name)
    parse_schema(text, "toml")
    return text


def _read_xlsx(path: Path) -> list[list[Any]]:
    import openpyxl  # imported here: only this importer needs it

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            if _find_header(rows) is not None:
                return rows
        first = workbook.worksheets[0]
        return [list(row) for row in first.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _read_csv(path: Path) -> list[list[Any]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t|"
        )
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(text.splitlines(), dialect)]


def _normalize(cell: Any) -> str:
    return re.sub(r"\s+", " ", str(cell if cell is not None else "")).strip().casefold()


def _find_header(rows: Sequence[Sequence[Any]]) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for position, cell in enumerate(row):
            label = _normalize(cell)
            for column, spellings in COLUMN_NAMES.items():
                if label in spellings and column not in columns:
                    columns[column] = position
        if all(column in columns for column in REQUIRED_COLUMNS):
            return index, columns
    return None


def _parse_table(rows: Sequence[Sequence[Any]], name: str) -> list[LayoutRow]:
    found = _find_header(rows)
    if found is None:
        raise SchemaError(
            name,
            [
                SchemaProblem(
                    "",
                    Message.of(
                        N_(
                            "no header row with the columns Name, Offset and Length "
                            "in the first {rows} rows"
                        ),
                        rows=HEADER_SEARCH_ROWS,
                    ),
                )
            ],
        )
    header_index, columns = found

    problems: list[SchemaProblem] = []
    layout: list[LayoutRow] = []
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        cells = {
            column: row[position] if position < len(row) else None
            for column, position in columns.items()
        }
        if all(_normalize(value) == "" for value in cells.values()):
            continue
        parsed = _parse_row(index + 1, cells, problems)
        if parsed is not None:
            layout.append(parsed)

    if not layout and not problems:
        problems.append(
            SchemaProblem("", Message(N_("the layout table has a header row but no fields")))
        )
    if problems:
        raise SchemaError(name, problems)
    return layout


def _parse_row(row: int, cells: dict[str, Any], problems: list[SchemaProblem]) -> LayoutRow | None:
    before = len(problems)
    field_name = str(cells.get("name") or "").strip()
    if not field_name:
        problems.append(SchemaProblem(f"row {row}.Name", Message(N_("missing"))))
    offset = _whole_number(cells.get("offset"), f"row {row}.Offset", problems)
    length = _whole_number(cells.get("length"), f"row {row}.Length", problems)
    data_type = _normalize(cells.get("data_type")).upper() or "STRING"
    if data_type not in ("STRING", "NUMBER", "DATE"):
        problems.append(
            SchemaProblem(
                f"row {row}.Data Type",
                Message.of(N_("{data_type!r} must be STRING, NUMBER or DATE"), data_type=data_type),
            )
        )
    if len(problems) > before or offset is None or length is None:
        return None
    return LayoutRow(
        row=row,
        number=str(cells.get("number") or "").strip(),
        name=field_name,
        data_type=data_type,
        access_type=str(cells.get("access_type") or "").strip(),
        offset=offset,
        length=length,
    )


def _whole_number(cell: Any, path: str, problems: list[SchemaProblem]) -> int | None:
    if isinstance(cell, bool):
        cell = None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, str) and cell.strip().isdigit():
        cell = int(cell.strip())
    if not isinstance(cell, int):
        problems.append(
            SchemaProblem(path, Message.of(N_("{value} is not a whole number"), value=repr(cell)))
        )
        return None
    if cell < 1:
        problems.append(
            SchemaProblem(
                path,
                Message.of(
                    N_("must be at least 1 (columns count from 1), not {value}"), value=cell
                ),
            )
        )
        return None
    return cell


def field_name_for(label: str, taken: set[str]) -> str:
    """Return a schema field name for a layout label: lower case, ``_`` between words, unique among *taken*."""
    ascii_label = label.encode("ascii", "ignore").decode("ascii") if not label.isascii() else label
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_label.lower()).strip("_") or "field"
    if slug[0].isdigit():
        slug = f"f_{slug}"
    slug = slug[:60]
    candidate = slug
    suffix = 2
    while candidate in taken:
        candidate = f"{slug}_{suffix}"
        suffix += 1
    taken.add(candidate)
    return candidate


def _toml(value: str) -> str:
    # A JSON string literal is also a valid TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def _skeleton(layout: Iterable[LayoutRow], name: str, source_name: str) -> str:
    rows = list(layout)
    line_length = max(row.offset + row.length - 1 for row in rows)
    lines = [
        f"# Imported from {source_name}. Map each field to a contact field where it says TODO,",
        "# then check the result with: aspectfile-run schema check FILE --sample CONTACTS.csv",
        f"name = {_toml(name)}",
        f"description = {_toml(f'Imported from {source_name}')}",
        'format = "fixed"',
        'encoding = "latin-1"',
        'unencodable = "transliterate"',
        'line_ending = "crlf"',
        f"line_length = {line_length}",
    ]
    taken: set[str] = set()
    for row in rows:
        lines.extend(["", *_field_lines(row, field_name_for(row.name, taken))])
    return "\n".join(lines) + "\n"


def _field_lines(row: LayoutRow, field_name: str) -> list[str]:
    described = f"No. {row.number} " if row.number else ""
    access = f", access {row.access_type}" if row.access_type else ""
    lines = [
        "[[fields]]",
        f"# {described}{_toml(row.name)}: {row.data_type}{access}, offset {row.offset}, length {row.length} (layout row {row.row})",
        f"name = {_toml(field_name)}",
        f"source = {_toml(field_name)}  # TODO: the contact field for {_toml(row.name)}",
    ]
    if row.data_type == "NUMBER":
        lines += ['type = "integer"', 'pad = "0"']
    if row.data_type == "DATE":
        kind, output_format = DATE_FORMATS_BY_LENGTH.get(row.length, ("date", "%Y%m%d"))
        lines += [
            f'type = "{kind}"',
            f"format = {_toml(output_format)}  # TODO: check against the layout",
        ]
    lines += [f"start = {row.offset}", f"length = {row.length}"]
    return lines
