"""Fixed-width records: positions, gaps, alignment, padding, overflow, byte widths, line endings."""

from __future__ import annotations

import io
from typing import Any

import pytest

from aspectfile_core.schema import read_records
from tests.unit.schema.support import fixed, render, render_lines


def test_positions_gaps_and_filler() -> None:
    """Fields sit at their columns; gaps and the end of the line are filled with the filler."""
    schema = fixed(
        {"name": "a", "value": "A", "start": 1, "length": 1},
        {"name": "b", "source": "b", "start": 4, "length": 3},
        line_length=10,
        filler=".",
    )

    assert render_lines(schema, [{"b": "xy"}]) == ["A..xy ...."]


def test_fields_listed_out_of_column_order() -> None:
    """Fields may be listed in any order; each is written at its own start."""
    schema = fixed(
        {"name": "second", "value": "2", "start": 3, "length": 1},
        {"name": "first", "value": "1", "start": 1, "length": 1},
        line_length=4,
    )

    assert render_lines(schema, [{}]) == ["1 2 "]


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ({}, "ab", "ab   "),
        ({"align": "right"}, "ab", "   ab"),
        ({"align": "right", "pad": "*"}, "ab", "***ab"),
        ({"type": "integer"}, 12, "   12"),
        ({"type": "integer", "pad": "0"}, 12, "00012"),
        ({"type": "integer", "pad": "0"}, -12, "-0012"),
        ({"type": "integer", "pad": "0"}, "+12", "00012"),
        ({"type": "decimal", "pad": "0"}, "-1.5", "-1.50"),
        ({"type": "decimal", "pad": "0", "places": 1}, "-1.5", "-01.5"),
        ({"type": "integer", "pad": "0", "align": "left"}, 12, "12000"),
        ({"pad": "0", "align": "right"}, "-12", "00-12"),
    ],
    ids=[
        "string-left",
        "string-right",
        "custom-pad",
        "integer-right",
        "zero-fill",
        "sign-before-zeros",
        "plus-dropped",
        "decimal-sign",
        "decimal-zero-fill",
        "left-zero-fill",
        "string-keeps-sign-in-place",
    ],
)
def test_alignment_and_padding(field: dict[str, Any], raw: Any, expected: str) -> None:
    """Alignment and pad follow the field; a minus sign stays in front of zero fill for numbers."""
    schema = fixed({"name": "a", "source": "a", "length": 5, **field})

    assert render_lines(schema, [{"a": raw}]) == [expected]


def test_zero_fill_keeps_sign_at_full_width() -> None:
    """-12 in 8 zero-filled columns is -0000012."""
    schema = fixed({"name": "a", "source": "a", "type": "integer", "length": 8, "pad": "0"})

    assert render_lines(schema, [{"a": -12}]) == ["-0000012"]


def test_string_overflow_truncates_with_warning() -> None:
    """Strings are cut to the field by default, and the cut is a warning on the lead."""
    schema = fixed({"name": "name", "source": "name", "length": 5})

    content, result = render(schema, [{"name": "Maria Aparecida"}])

    assert content == b"Maria\r\n"
    (warning,) = result.warnings["1"]
    assert warning.code == "truncated"
    assert warning.field == "name"
    assert warning.message == 'name: "Maria Aparecida" was cut to fit the field'


def test_number_overflow_fails() -> None:
    """Numbers that do not fit fail the lead with too_long by default."""
    schema = fixed({"name": "n", "source": "n", "type": "integer", "length": 3})

    _, result = render(schema, [{"n": 12345}])

    failure = result.failures["1"]
    assert failure.code == "too_long"
    assert failure.value == "12345"
    assert failure.message == 'n: "12345" is longer than the field allows'


def test_string_overflow_fail_policy() -> None:
    """overflow = 'fail' on a string fails the lead instead of cutting."""
    schema = fixed({"name": "a", "source": "a", "length": 3, "overflow": "fail"})

    _, result = render(schema, [{"a": "abcd"}])

    assert result.failures["1"].code == "too_long"


def test_number_overflow_truncate_policy() -> None:
    """overflow = 'truncate' on a number keeps its first characters and warns."""
    schema = fixed(
        {"name": "a", "source": "a", "type": "integer", "length": 3, "overflow": "truncate"}
    )

    content, result = render(schema, [{"a": 12345}])

    assert content == b"123\r\n"
    assert result.warnings["1"][0].code == "truncated"


def test_utf8_byte_width_cuts_on_character_boundary() -> None:
    """In bytes, ÉÉÉÉÉÉ (12 bytes) in 10 bytes keeps ÉÉÉÉÉ; every line has the same byte length and decodes."""
    schema = fixed(
        {"name": "name", "source": "name", "length": 10},
        {"name": "tail", "value": "|", "length": 1},
        encoding="utf-8",
        width_unit="bytes",
    )
    contacts = [{"name": "ÉÉÉÉÉÉ"}, {"name": "Müller-Lüdenscheidt"}, {"name": "ab"}]

    content, result = render(schema, contacts)

    lines = content.split(b"\r\n")[:-1]
    assert [len(line) for line in lines] == [11, 11, 11]
    assert [line.decode("utf-8") for line in lines] == ["ÉÉÉÉÉ|", "Müller-L |", "ab        |"]
    assert [record["name"] for record in read_records(schema, io.BytesIO(content))] == [
        "ÉÉÉÉÉ",
        "Müller-L",
        "ab",
    ]
    assert sorted(result.warnings) == ["1", "2"]


def test_byte_width_overflow_fail_counts_bytes() -> None:
    """overflow = 'fail' measures bytes when width_unit = 'bytes'."""
    schema = fixed(
        {"name": "a", "source": "a", "length": 4, "overflow": "fail"}, width_unit="bytes"
    )

    _, result = render(schema, [{"a": "ÉÉÉ"}, {"a": "ÉÉ"}])

    assert list(result.failures) == ["1"]


def test_character_width_counts_characters() -> None:
    """With width_unit = 'characters', ÉÉÉ fills three columns, whatever its bytes."""
    schema = fixed({"name": "a", "source": "a", "length": 3}, encoding="utf-8")

    content, result = render(schema, [{"a": "ÉÉÉ"}])

    assert content == "ÉÉÉ\r\n".encode()
    assert result.warnings == {}


@pytest.mark.parametrize(
    ("line_ending", "final_newline", "expected"),
    [
        ("lf", True, b"a\nb\n"),
        ("crlf", True, b"a\r\nb\r\n"),
        ("cr", True, b"a\rb\r"),
        ("lf", False, b"a\nb"),
        ("crlf", False, b"a\r\nb"),
    ],
    ids=["lf", "crlf", "cr", "lf-no-final", "crlf-no-final"],
)
def test_line_endings(line_ending: str, final_newline: bool, expected: bytes) -> None:
    """line_ending sets the separator; final_newline decides whether the last line has one."""
    schema = fixed(
        {"name": "a", "source": "a", "length": 1},
        line_ending=line_ending,
        final_newline=final_newline,
    )

    content, _ = render(schema, [{"a": "a"}, {"a": "b"}])

    assert content == expected


def test_header_and_trailer_padded_to_line_length() -> None:
    """Header and trailer lines are as long as data lines."""
    schema = fixed(
        {"name": "a", "source": "a", "length": 8},
        header=[{"fields": [{"name": "h", "value": "H", "length": 1}]}],
        trailer=[{"fields": [{"name": "t", "value": "T", "length": 1}]}],
    )

    assert render_lines(schema, [{"a": "x"}]) == ["H       ", "x       ", "T       "]


def test_value_never_breaks_a_line() -> None:
    """Line breaks inside values become spaces, so each record stays one line."""
    schema = fixed({"name": "a", "source": "a", "length": 7}, line_ending="lf")

    content, _ = render(schema, [{"a": "a\nb\rc\r\nd"}])

    assert content == b"a b c d\n"
