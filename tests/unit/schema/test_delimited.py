"""Delimited records: quoting modes, escapes, null values, header rows and line breaks inside values."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from aspectfile_core.schema import Schema, read_records
from tests.unit.schema.support import delimited, render, render_lines

TRICKY_CONTACT = {"lastname": "Silva\nSantos", "company": 'ACME, "Intl"', "note": "a;b"}
"""A contact whose values contain a line break, a comma with quotes, and a semicolon."""


def tricky_schema(**lastname_options: Any) -> Schema:
    return delimited(
        {"name": "lastname", "source": "lastname", **lastname_options},
        {"name": "company", "source": "company"},
        {"name": "note", "source": "note"},
        quoting="minimal",
    )


def test_tricky_values_survive_minimal_quoting() -> None:
    """A line break kept with keep_newlines, 'ACME, "Intl"' and 'a;b' read back with csv as one record with the same values."""
    schema = tricky_schema(keep_newlines=True)

    content, _ = render(schema, [TRICKY_CONTACT])

    rows = list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))
    assert rows == [["Silva\nSantos", 'ACME, "Intl"', "a;b"]]
    assert content == b'"Silva\nSantos","ACME, ""Intl""",a;b\r\n'


def test_remove_newlines_gives_one_line() -> None:
    """With remove_newlines, the record is one physical line and the other values are unchanged."""
    schema = tricky_schema(keep_newlines=True, transforms=["remove_newlines"])

    content, _ = render(schema, [TRICKY_CONTACT])

    text = content.decode("utf-8")
    assert text.count("\n") == 1
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["Silva Santos", 'ACME, "Intl"', "a;b"]
    ]


def test_line_break_becomes_space_without_keep_newlines() -> None:
    """Without keep_newlines, a line break is a space even when quoting could carry it."""
    content, _ = render(tricky_schema(), [TRICKY_CONTACT])

    assert content.decode("utf-8").splitlines() == ['Silva Santos,"ACME, ""Intl""",a;b']


@pytest.mark.parametrize(
    ("quoting", "expected"),
    [
        ("minimal", 'LEAD,42,Ana,"a,b",1.50,,'),
        ("all", '"LEAD","42","Ana","a,b","1.50","",""'),
        ("nonnumeric", '"LEAD",42,"Ana","a,b",1.50,"",'),
    ],
    ids=["minimal", "all", "nonnumeric"],
)
def test_quoting_modes(quoting: str, expected: str) -> None:
    """minimal quotes only when needed, all quotes everything, nonnumeric leaves numbers bare."""
    schema = delimited(
        {"name": "kind", "value": "LEAD"},
        {"name": "id", "source": "id", "type": "integer"},
        {"name": "name", "source": "name"},
        {"name": "note", "source": "note"},
        {"name": "amount", "source": "amount", "type": "decimal"},
        {"name": "empty_text", "source": "nothing"},
        {"name": "empty_number", "source": "nothing", "type": "integer"},
        quoting=quoting,
    )

    lines = render_lines(schema, [{"id": 42, "name": "Ana", "note": "a,b", "amount": "1.5"}])

    assert lines == [expected]


def test_quoting_none_fails_on_delimiter() -> None:
    """With quoting = 'none', a value containing the delimiter fails with delimiter_in_value."""
    schema = delimited({"name": "a", "source": "a"}, quoting="none", delimiter="|")

    content, result = render(schema, [{"a": "x|y"}, {"a": "ok"}])

    failure = result.failures["1"]
    assert failure.code == "delimiter_in_value"
    assert failure.value == "x|y"
    assert (
        failure.message
        == 'a: "x|y" contains the delimiter, and the schema neither quotes nor escapes values'
    )
    assert content == b"ok\r\n"


def test_quoting_none_fails_on_quote() -> None:
    """With quoting = 'none', a value containing the quote character fails with quote_in_value."""
    schema = delimited({"name": "a", "source": "a"}, quoting="none")

    _, result = render(schema, [{"a": 'say "hi"'}])

    assert result.failures["1"].code == "quote_in_value"


def test_quoting_none_with_escape_char() -> None:
    """With an escape_char, delimiter, quote and the escape itself are escaped instead, and read back."""
    schema = delimited(
        {"name": "a", "source": "a"}, {"name": "b", "value": "z"}, quoting="none", escape_char="\\"
    )

    content, result = render(schema, [{"a": 'x,y "q" \\'}])

    assert result.failures == {}
    assert content == b'x\\,y \\"q\\" \\\\,z\r\n'
    assert list(read_records(schema, io.BytesIO(content))) == [{"a": 'x,y "q" \\', "b": "z"}]


def test_minimal_quoting_with_escape_char() -> None:
    """With an escape_char and quoting, quotes inside a quoted value are escaped instead of doubled."""
    schema = delimited({"name": "a", "source": "a"}, escape_char="\\")

    content, _ = render(schema, [{"a": 'x "q", \\'}])

    assert content == b'"x \\"q\\", \\\\"\r\n'
    assert list(read_records(schema, io.BytesIO(content))) == [{"a": 'x "q", \\'}]


def test_null_value_for_empty_fields() -> None:
    """Empty values are written as the null_value, unquoted, and read back as empty."""
    schema = delimited(
        {"name": "a", "source": "a"},
        {"name": "b", "source": "b", "type": "integer"},
        quoting="all",
        null_value="NULL",
    )

    content, _ = render(schema, [{"a": "", "b": None}, {"a": "x", "b": 1}])

    assert content == b'NULL,NULL\r\n"x","1"\r\n'
    assert list(read_records(schema, io.BytesIO(content))) == [
        {"a": "", "b": ""},
        {"a": "x", "b": "1"},
    ]


def test_single_empty_field_is_quoted() -> None:
    """The only field of a record, when empty, is written as "" so the line is not blank."""
    schema = delimited({"name": "a", "source": "a"})

    content, _ = render(schema, [{"a": ""}, {"a": "x"}])

    assert content == b'""\r\nx\r\n'
    assert list(read_records(schema, io.BytesIO(content))) == [{"a": ""}, {"a": "x"}]


def test_header_row_uses_titles_or_names() -> None:
    """header_row writes each field's title, or its name when it has none."""
    schema = delimited(
        {"name": "first_name", "title": "First Name", "source": "a"},
        {"name": "phone", "source": "b"},
        {"name": "note", "title": "Note, free text", "source": "c"},
        header_row=True,
    )

    lines = render_lines(schema, [{"a": "Ana", "b": "1", "c": "x"}])

    assert lines == ['First Name,phone,"Note, free text"', "Ana,1,x"]


def test_header_row_quoted_as_text() -> None:
    """Titles are text, so nonnumeric quotes them even over numeric columns."""
    schema = delimited(
        {"name": "n", "source": "n", "type": "integer"}, header_row=True, quoting="nonnumeric"
    )

    assert render_lines(schema, [{"n": 5}]) == ['"n"', "5"]


def test_header_row_written_for_empty_batch() -> None:
    """An empty batch still gets its header row."""
    schema = delimited({"name": "a", "source": "a"}, header_row=True)

    assert render_lines(schema, []) == ["a"]


def test_max_length_truncates_strings() -> None:
    """max_length cuts strings, in characters, with a warning."""
    schema = delimited({"name": "a", "source": "a", "max_length": 3})

    content, result = render(schema, [{"a": "ÉÉÉÉ"}])

    assert content == "ÉÉÉ\r\n".encode()
    assert result.warnings["1"][0].code == "truncated"


def test_max_length_fails_numbers() -> None:
    """max_length fails numbers that do not fit, by default."""
    schema = delimited({"name": "a", "source": "a", "type": "integer", "max_length": 3})

    _, result = render(schema, [{"a": 1234}])

    assert result.failures["1"].code == "too_long"


@pytest.mark.parametrize(
    ("delimiter", "raw", "expected"),
    [("|", "x|y", "x|y"), (";", "x;y", "x;y"), ("\t", "x\ty", "x y")],
    ids=["pipe", "semicolon", "tab-is-a-control-character"],
)
def test_other_delimiters_round_trip(delimiter: str, raw: str, expected: str) -> None:
    """Pipe and semicolon values read back unchanged; a tab inside a value becomes a space like any control character."""
    schema = delimited(
        {"name": "a", "source": "a"}, {"name": "b", "source": "b"}, delimiter=delimiter
    )

    content, _ = render(schema, [{"a": raw, "b": "plain"}])

    assert list(read_records(schema, io.BytesIO(content))) == [{"a": expected, "b": "plain"}]


def test_custom_quote_char() -> None:
    """quote_char sets the quoting character."""
    schema = delimited({"name": "a", "source": "a"}, quote_char="'")

    content, _ = render(schema, [{"a": "it's, ok"}])

    assert content == b"'it''s, ok'\r\n"
    assert list(read_records(schema, io.BytesIO(content))) == [{"a": "it's, ok"}]
