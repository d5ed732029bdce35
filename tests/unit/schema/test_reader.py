"""Reading files back and verifying a written file before it is stored."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from aspectfile_core.domain.errors import AspectFileError
from aspectfile_core.schema import (
    FieldSpec,
    FileFormatError,
    iter_file,
    read_records,
    unpad,
    verify_file,
)
from tests.unit.schema.support import delimited, fixed, render

FIXED = fixed(
    {"name": "id", "source": "id", "type": "integer", "length": 6, "pad": "0"},
    {"name": "name", "source": "name", "length": 8},
    {"name": "amount", "source": "amount", "type": "decimal", "length": 8, "pad": "0"},
    header=[
        {
            "fields": [
                {"name": "kind", "value": "H", "length": 1},
                {"name": "count", "source": "record_count", "type": "integer", "length": 4},
            ]
        }
    ],
    trailer=[{"fields": [{"name": "kind", "value": "T", "length": 1}]}],
)
CONTACTS = [{"id": 1, "name": "Ana", "amount": "-1.5"}, {"id": 22, "name": "Bia Lima", "amount": 0}]


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "file.txt"
    path.write_bytes(content)
    return path


def test_fixed_round_trip_strips_padding() -> None:
    """Fixed-width values read back without padding; zero-filled numbers keep sign and one digit."""
    content, _ = render(FIXED, CONTACTS)

    records = list(read_records(FIXED, io.BytesIO(content)))

    assert records == [
        {"id": "1", "name": "Ana", "amount": "-1.50"},
        {"id": "22", "name": "Bia Lima", "amount": "0.00"},
    ]


def test_fixed_raw_values() -> None:
    """strip_padding=False returns each field's columns as written."""
    content, _ = render(FIXED, CONTACTS)

    records = list(read_records(FIXED, io.BytesIO(content), strip_padding=False))

    assert records[0] == {"id": "000001", "name": "Ana     ", "amount": "-0001.50"}


def test_iter_file_labels_every_record() -> None:
    """iter_file yields header, data and trailer records with their line numbers."""
    content, _ = render(FIXED, CONTACTS)

    records = list(iter_file(FIXED, io.BytesIO(content)))

    assert [(record.kind, record.number) for record in records] == [
        ("header", 1),
        ("data", 2),
        ("data", 3),
        ("trailer", 4),
    ]
    assert records[0].values == {"kind": "H", "count": "2"}


def test_delimited_titles_record() -> None:
    """The header row is labelled 'titles'."""
    schema = delimited({"name": "a", "title": "A", "source": "a"}, header_row=True)
    content, _ = render(schema, [{"a": "x"}])

    records = list(iter_file(schema, io.BytesIO(content)))

    assert [(record.kind, record.values) for record in records] == [
        ("titles", {"a": "A"}),
        ("data", {"a": "x"}),
    ]


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ({"align": "left"}, "ab   ", "ab"),
        ({"align": "right"}, "   ab", "ab"),
        ({"type": "integer", "pad": "0", "align": "right"}, "-0000012", "-12"),
        ({"type": "integer", "pad": "0", "align": "right"}, "00000000", "0"),
        ({"type": "decimal", "pad": "0", "align": "right"}, "00000.50", "0.50"),
        ({"type": "decimal", "pad": "0", "align": "right"}, "0000,50", "0,50"),
        ({"pad": "0", "align": "right"}, "000", ""),
    ],
    ids=["left", "right", "negative", "zero", "decimal", "comma", "string-zeros"],
)
def test_unpad(field: dict[str, Any], text: str, expected: str) -> None:
    """unpad strips the pad on the padding side, keeping numbers whole."""
    spec = FieldSpec(name="f", source="f", start=1, length=len(text), **field)

    assert unpad(spec, text) == expected


def test_verify_accepts_a_good_file(tmp_path: Path) -> None:
    """A file as rendered passes verification."""
    content, result = render(FIXED, CONTACTS)

    verify_file(FIXED, write(tmp_path, content), result.record_count)


def test_verify_counts_records(tmp_path: Path) -> None:
    """A record count other than the one written is an error."""
    content, _ = render(FIXED, CONTACTS)

    with pytest.raises(FileFormatError, match=r"file\.txt has 2 data records; 3 were written"):
        verify_file(FIXED, write(tmp_path, content), 3)


def test_verify_errors_are_aspectfile_errors() -> None:
    """Verification errors belong to the package's error tree."""
    assert issubclass(FileFormatError, AspectFileError)


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (
            lambda content: content.replace(b"Ana     ", b"Ana    "),
            r"line 2: line is 21 characters long; line_length is 22",
        ),
        (
            lambda content: content.replace(b"\r\n", b"\n", 1),
            r"line 1: line ends with LF; the schema's line_ending is CRLF",
        ),
        (
            lambda content: content[:-2],
            r"line 4: the last line has no line ending, but final_newline = true",
        ),
        (lambda content: content + b"\r\n", r"line 5: line is 0 characters long"),
        (
            lambda content: content.split(b"\r\n", 1)[1],
            r"file.txt has 1 data records; 2 were written",
        ),
        (lambda content: b"", r"the file ends before its header and trailer records"),
    ],
    ids=["short-line", "wrong-ending", "no-final-newline", "blank-line", "missing-header", "empty"],
)
def test_verify_rejects_fixed_damage(tmp_path: Path, corrupt: Any, message: str) -> None:
    """Short lines, wrong line endings, a missing final newline and missing records are errors with their line."""
    content, result = render(FIXED, CONTACTS)

    with pytest.raises(FileFormatError, match=message):
        verify_file(FIXED, write(tmp_path, corrupt(content)), result.record_count)


def test_verify_rejects_final_newline_when_not_wanted(tmp_path: Path) -> None:
    """With final_newline = false, a line ending after the last line is an error."""
    schema = fixed({"name": "a", "source": "a", "length": 2}, final_newline=False)
    content, _ = render(schema, [{"a": "x"}])

    with pytest.raises(FileFormatError, match="final_newline = false"):
        verify_file(schema, write(tmp_path, content + b"\r\n"), 1)


def test_verify_checks_byte_widths(tmp_path: Path) -> None:
    """With width_unit = 'bytes', line lengths are counted in bytes."""
    schema = fixed({"name": "a", "source": "a", "length": 4}, width_unit="bytes")
    content, _ = render(schema, [{"a": "ÉÉ"}])

    verify_file(schema, write(tmp_path, content), 1)
    with pytest.raises(FileFormatError, match="line is 5 bytes long; line_length is 4"):
        verify_file(schema, write(tmp_path, "ÉÉa\r\n".encode()), 1)


def test_verify_rejects_undecodable_bytes(tmp_path: Path) -> None:
    """Bytes the encoding cannot decode are an error naming the encoding."""
    schema = fixed({"name": "a", "source": "a", "length": 2})

    with pytest.raises(FileFormatError, match="not valid utf-8"):
        verify_file(schema, write(tmp_path, b"\xff\xfe\r\n"), 1)


def test_verify_needs_the_bom(tmp_path: Path) -> None:
    """A schema with bom = true needs the byte order mark at the start."""
    schema = delimited({"name": "a", "source": "a"}, bom=True)

    with pytest.raises(FileFormatError, match="does not start with the utf-8 byte order mark"):
        verify_file(schema, write(tmp_path, b"x\r\n"), 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"x,y\r\nz\r\n", "line 2: record has 1 fields; the schema has 2"),
        (b"x,y\r\nz,w", "does not end with a line ending, but final_newline = true"),
        (b'"x,y\r\n', "not valid delimited text"),
    ],
    ids=["short-row", "no-final-newline", "unclosed-quote"],
)
def test_verify_rejects_delimited_damage(tmp_path: Path, content: bytes, message: str) -> None:
    """Rows with the wrong number of fields, a missing final newline and broken quoting are errors."""
    schema = delimited({"name": "a", "source": "a"}, {"name": "b", "source": "b"})

    with pytest.raises(FileFormatError, match=message):
        verify_file(schema, write(tmp_path, content), 2)


def test_verify_accepts_values_with_kept_newlines(tmp_path: Path) -> None:
    """A delimited record holding a quoted line break still counts as one record."""
    schema = delimited({"name": "a", "source": "a", "keep_newlines": True})
    content, _ = render(schema, [{"a": "x\ny"}, {"a": "z"}])

    verify_file(schema, write(tmp_path, content), 2)
