"""Importing a vendor's positional layout table into a TOML schema skeleton."""

from __future__ import annotations

import tomllib
from pathlib import Path

import openpyxl
import pytest

from aspectfile_core.domain.errors import SchemaError
from aspectfile_core.schema import import_layout, parse_schema

LAYOUT_ROWS = [
    ["No.", "Name", "Data Type", "Access Type", "Offset", "Length"],
    [1, "Record Type", "STRING", "Read Only", 1, 1],
    [2, "Account Number", "NUMBER", "Read/Write", 2, 10],
    [3, "Phone Number 1", "NUMBER", "Read/Write", 12, 11],
    [4, "Customer Name", "STRING", "Read/Write", 23, 40],
    [5, "Date of Birth", "DATE", "Read/Write", 63, 8],
    [6, "Last Call", "DATE", "Read Only", 71, 14],
    [7, "Customer Name", "STRING", "Read/Write", 90, 5],
]


def write_csv(path: Path, rows: list[list[object]], delimiter: str = ",") -> Path:
    path.write_text(
        "\n".join(delimiter.join(str(cell) for cell in row) for row in rows) + "\n",
        encoding="utf-8",
    )
    return path


def write_xlsx(path: Path, rows: list[list[object]], title_rows: int = 0) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for index in range(title_rows):
        sheet.append([f"Vendor layout, note {index}"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_csv_layout_becomes_schema(tmp_path: Path, delimiter: str) -> None:
    """A CSV layout becomes a TOML skeleton that loads, with every field at its offset and length."""
    path = write_csv(tmp_path / "layout.csv", LAYOUT_ROWS, delimiter)

    text = import_layout(path, "vendor-list")

    schema = parse_schema(text, "toml")
    assert schema.name == "vendor-list"
    assert schema.format == "fixed"
    assert schema.line_length == 94
    assert [(spec.name, spec.start, spec.length, spec.type) for spec in schema.fields] == [
        ("record_type", 1, 1, "string"),
        ("account_number", 2, 10, "integer"),
        ("phone_number_1", 12, 11, "integer"),
        ("customer_name", 23, 40, "string"),
        ("date_of_birth", 63, 8, "date"),
        ("last_call", 71, 14, "datetime"),
        ("customer_name_2", 90, 5, "string"),
    ]
    assert schema.fields[1].pad == "0"
    assert schema.fields[4].format == "%Y%m%d"
    assert schema.fields[5].format == "%Y%m%d%H%M%S"


def test_skeleton_marks_sources_to_map(tmp_path: Path) -> None:
    """Each field's source repeats its name with a TODO naming the layout's field, and comments keep the layout row."""
    text = import_layout(write_csv(tmp_path / "layout.csv", LAYOUT_ROWS), "vendor-list")

    assert 'source = "account_number"  # TODO: the contact field for "Account Number"' in text
    assert (
        '# No. 2 "Account Number": NUMBER, access Read/Write, offset 2, length 10 (layout row 3)'
        in text
    )
    assert tomllib.loads(text)["fields"][0]["source"] == "record_type"


def test_xlsx_layout_below_title_rows(tmp_path: Path) -> None:
    """An xlsx layout is found below title rows and reads like the CSV one."""
    path = write_xlsx(tmp_path / "layout.xlsx", LAYOUT_ROWS, title_rows=3)

    schema = parse_schema(import_layout(path, "vendor-list"), "toml")

    assert [spec.name for spec in schema.fields][:3] == [
        "record_type",
        "account_number",
        "phone_number_1",
    ]


def test_xlsx_float_cells(tmp_path: Path) -> None:
    """Offsets and lengths stored as floats such as 2.0 are whole numbers."""
    rows = [LAYOUT_ROWS[0], [1, "Code", "STRING", "", 1.0, 3.0]]

    schema = parse_schema(import_layout(write_xlsx(tmp_path / "layout.xlsx", rows), "x"), "toml")

    assert (schema.fields[0].start, schema.fields[0].length) == (1, 3)


def test_invalid_rows_listed_together(tmp_path: Path) -> None:
    """Every invalid row is reported with its row number and column."""
    rows = [
        LAYOUT_ROWS[0],
        [1, "", "STRING", "", 1, 1],
        [2, "Amount", "MONEY", "", "two", 0],
    ]

    with pytest.raises(SchemaError, match=r"row 2\.Name: missing") as caught:
        import_layout(write_csv(tmp_path / "layout.csv", rows), "x")

    problems = [str(problem) for problem in caught.value.problems]
    assert "row 3.Offset: 'two' is not a whole number" in problems
    assert "row 3.Length: must be at least 1 (columns count from 1), not 0" in problems
    assert "row 3.Data Type: 'MONEY' must be STRING, NUMBER or DATE" in problems


def test_missing_header_row(tmp_path: Path) -> None:
    """A table without Name, Offset and Length columns is rejected."""
    with pytest.raises(SchemaError, match="no header row with the columns Name, Offset and Length"):
        import_layout(write_csv(tmp_path / "layout.csv", [["a", "b"], [1, 2]]), "x")


def test_overlapping_layout_rejected(tmp_path: Path) -> None:
    """Overlapping fields in the layout are reported by the schema check."""
    rows = [LAYOUT_ROWS[0], [1, "A", "STRING", "", 1, 5], [2, "B", "STRING", "", 3, 5]]

    with pytest.raises(SchemaError, match="overlaps"):
        import_layout(write_csv(tmp_path / "layout.csv", rows), "x")


def test_invalid_schema_name(tmp_path: Path) -> None:
    """The name given for the skeleton must be a valid schema name."""
    with pytest.raises(SchemaError, match="must be 1-64"):
        import_layout(write_csv(tmp_path / "layout.csv", LAYOUT_ROWS), "bad name")
