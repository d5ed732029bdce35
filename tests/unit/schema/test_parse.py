"""Loading schema documents: defaults, TOML and JSON, and every problem reported with its path."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from aspectfile_core.domain.errors import ConfigurationError, SchemaError
from aspectfile_core.schema import load_schema_file, parse_schema, schema_from_document
from tests.unit.schema.support import delimited_document, fixed, fixed_document, problems_of

TOML_DOCUMENT = textwrap.dedent(
    """
    name = "dialer-fixed"
    format = "fixed"
    encoding = "latin-1"
    line_length = 20

    [[header]]
    fields = [{ name = "record_type", value = "H", start = 1, length = 1 }]

    [[fields]]
    name = "lead_id"
    source = "id"
    type = "integer"
    length = 10
    pad = "0"

    [[trailer]]
    fields = [{ name = "count", source = "record_count", type = "integer", length = 5 }]
    """
)

JSON_DOCUMENT = {
    "name": "dialer-fixed",
    "format": "fixed",
    "encoding": "latin-1",
    "line_length": 20,
    "header": [{"fields": [{"name": "record_type", "value": "H", "start": 1, "length": 1}]}],
    "fields": [{"name": "lead_id", "source": "id", "type": "integer", "length": 10, "pad": "0"}],
    "trailer": [
        {"fields": [{"name": "count", "source": "record_count", "type": "integer", "length": 5}]}
    ],
}


def test_fixed_defaults() -> None:
    """A minimal fixed-width document gets the documented defaults."""
    schema = fixed({"name": "a", "source": "a", "length": 3})

    assert schema.description == ""
    assert schema.published is True
    assert schema.encoding == "utf-8"
    assert schema.bom is False
    assert schema.unencodable == "fail"
    assert schema.replacement == "?"
    assert schema.line_ending == "crlf"
    assert schema.final_newline is True
    assert schema.width_unit == "characters"
    assert schema.filler == " "
    assert schema.line_length == 3
    assert schema.extension == "txt"
    assert schema.file_name is None
    assert schema.path_prefix == ""
    assert schema.timezone is None
    assert schema.invalid_leads == "skip"
    assert schema.max_invalid_ratio is None
    assert schema.empty_batch == "fail"


def test_delimited_defaults() -> None:
    """A minimal delimited document gets the documented defaults."""
    schema = schema_from_document(delimited_document({"name": "a", "source": "a"}))

    assert schema.delimiter == ","
    assert schema.quote_char == '"'
    assert schema.quoting == "minimal"
    assert schema.escape_char is None
    assert schema.header_row is False
    assert schema.null_value == ""
    assert schema.extension == "csv"
    assert schema.line_length is None


def test_field_defaults_by_type() -> None:
    """Numbers align right and fail on overflow; strings align left and truncate."""
    schema = fixed(
        {"name": "text", "source": "a", "length": 3},
        {"name": "number", "source": "b", "type": "integer", "length": 3},
        {"name": "amount", "source": "c", "type": "decimal", "length": 6},
        {"name": "day", "source": "d", "type": "date", "length": 10},
        {"name": "moment", "source": "e", "type": "datetime", "length": 19},
    )
    text, number, amount, day, moment = schema.fields

    assert (text.align, text.overflow, text.pad) == ("left", "truncate", " ")
    assert (number.align, number.overflow) == ("right", "fail")
    assert (amount.places, amount.decimal_separator, amount.implied_decimal) == (2, ".", False)
    assert day.format == "%Y-%m-%d"
    assert moment.format == "%Y-%m-%d %H:%M:%S"


def test_positions_follow_previous_field() -> None:
    """A field with a length alone starts right after the previous field; line_length defaults to the last end."""
    schema = fixed(
        {"name": "a", "value": "A", "length": 1},
        {"name": "b", "value": "B", "start": 5, "length": 2},
        {"name": "c", "value": "C", "length": 3},
    )

    assert [(spec.start, spec.end) for spec in schema.fields] == [(1, 1), (5, 6), (7, 9)]
    assert schema.line_length == 9


def test_line_length_covers_header_and_trailer() -> None:
    """Without line_length, the widest record of data, header or trailer sets it."""
    document = fixed_document(
        {"name": "a", "value": "A", "length": 2},
        trailer=[
            {
                "fields": [
                    {"name": "count", "source": "record_count", "type": "integer", "length": 12}
                ]
            }
        ],
    )

    assert schema_from_document(document).line_length == 12


def test_toml_and_json_are_one_model() -> None:
    """The same document in TOML and in JSON gives equal schemas."""
    from_toml = parse_schema(TOML_DOCUMENT, "toml")
    from_json = parse_schema(json.dumps(JSON_DOCUMENT), "json")

    assert from_toml == from_json
    assert from_toml.header[0].fields[0].value == "H"
    assert from_toml.trailer[0].fields[0].source == "record_count"


@pytest.mark.parametrize(
    ("suffix", "text", "expected_format"),
    [
        (".toml", TOML_DOCUMENT, "toml"),
        (".json", json.dumps(JSON_DOCUMENT), "json"),
        (".JSON", json.dumps(JSON_DOCUMENT), "json"),
    ],
    ids=["toml", "json", "json-upper-case"],
)
def test_load_schema_file_by_suffix(
    tmp_path: Path, suffix: str, text: str, expected_format: str
) -> None:
    """load_schema_file reads JSON for a .json suffix and TOML otherwise, and returns the text."""
    path = tmp_path / f"schema{suffix}"
    path.write_text(text, encoding="utf-8")

    schema, loaded_text, document_format = load_schema_file(path)

    assert schema.name == "dialer-fixed"
    assert loaded_text == text
    assert document_format == expected_format


@pytest.mark.parametrize(
    ("text", "document_format", "message"),
    [
        ("name = ", "toml", "invalid TOML"),
        ("{", "json", "invalid JSON"),
        ("[1, 2]", "json", "must be a table of keys"),
    ],
    ids=["toml-syntax", "json-syntax", "not-a-table"],
)
def test_unreadable_documents(text: str, document_format: Any, message: str) -> None:
    """Syntax errors and non-table documents raise SchemaError, never a parser traceback."""
    with pytest.raises(SchemaError, match=message):
        parse_schema(text, document_format)


def test_schema_error_is_configuration_error() -> None:
    """Schema errors need a person, so they are configuration errors."""
    with pytest.raises(ConfigurationError, match="missing"):
        parse_schema('format = "fixed"', "toml")


def test_every_problem_reported_at_once() -> None:
    """One load lists every problem with its path, in document order."""
    document = fixed_document(
        {"name": "a", "source": "a", "length": 1},
        {"name": "b", "source": "b", "length": 1},
        {"name": "c", "source": "c", "length": 1},
        {"name": "d", "source": "d", "length": 0},
        {"name": "e", "length": 2, "type": "text"},
        encoding="no-such-codec",
        line_ending="windows",
    )

    problems = problems_of(document)

    assert "fields[3].length: must be at least 1" in problems
    assert (
        "fields[4].type: must be 'string', 'integer', 'decimal', 'date', 'datetime', 'boolean' or 'phone', not 'text'"
        in problems
    )
    assert (
        "fields[4]: needs one of 'source', 'template' or 'value' to say where its value comes from"
        in problems
    )
    assert any(
        problem.startswith("encoding: unknown encoding 'no-such-codec'") for problem in problems
    )
    assert "line_ending: must be 'lf', 'crlf' or 'cr', not 'windows'" in problems


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            {"format": "fixed", "fields": [{"name": "a", "value": "x", "length": 1}]},
            "name: missing",
        ),
        (
            {"name": "t", "fields": [{"name": "a", "value": "x", "length": 1}]},
            "format: missing; set 'fixed' or 'delimited'",
        ),
        ({"name": "t", "format": "fixed"}, "fields: missing; list at least one field"),
        (
            {"name": "t", "format": "fixed", "fields": []},
            "fields: must be a non-empty list of field tables",
        ),
        (fixed_document("a"), "fields[0]: must be a table of field keys"),
        (
            fixed_document({"source": "a", "length": 1}),
            "fields[0].name: missing; every field needs a name",
        ),
        (
            fixed_document({"name": "a", "source": "a"}),
            "fields[0].length: missing; every fixed-width field needs a length",
        ),
    ],
    ids=[
        "no-name",
        "no-format",
        "no-fields",
        "empty-fields",
        "field-not-table",
        "field-without-name",
        "fixed-without-length",
    ],
)
def test_missing_keys(document: dict[str, Any], expected: str) -> None:
    """Missing required keys are named with what to set."""
    problems = problems_of(document)

    assert any(problem.startswith(expected) for problem in problems), problems


@pytest.mark.parametrize(
    "name",
    ["", "has space", "x" * 65, "..", ".", "ação", "a/b"],
    ids=["empty", "space", "65-chars", "dot-dot", "dot", "accents", "slash"],
)
def test_invalid_schema_names(name: str) -> None:
    """Schema names are 1-64 of A-Z a-z 0-9 _ . - and not '.' or '..'."""
    problems = problems_of(
        {**fixed_document({"name": "a", "value": "x", "length": 1}), "name": name}
    )

    assert any(problem.startswith("name:") for problem in problems), problems


@pytest.mark.parametrize(
    "name", ["a", "x" * 64, "dialer.v2-final_1"], ids=["one-char", "64-chars", "mixed"]
)
def test_valid_schema_names(name: str) -> None:
    """Names within the rule load."""
    schema = schema_from_document(
        {**fixed_document({"name": "a", "value": "x", "length": 1}), "name": name}
    )

    assert schema.name == name


@pytest.mark.parametrize(
    "name",
    ["1abc", "first-name", "a b", "x" * 65],
    ids=["digit-first", "hyphen", "space", "65-chars"],
)
def test_invalid_field_names(name: str) -> None:
    """Field names start with a letter or '_' and use only letters, digits and '_'."""
    problems = problems_of(fixed_document({"name": name, "value": "x", "length": 1}))

    assert any(problem.startswith("fields[0].name:") for problem in problems), problems


def test_duplicate_field_names() -> None:
    """Two fields of one record may not share a name; the message points at the first."""
    problems = problems_of(
        fixed_document(
            {"name": "a", "value": "x", "length": 1}, {"name": "a", "value": "y", "length": 1}
        )
    )

    assert "fields[1].name: 'a' is already the name of fields[0]" in problems


def test_unknown_key_suggests_spelling() -> None:
    """A misspelt key is reported with the closest known key."""
    problems = problems_of(
        fixed_document({"name": "a", "value": "x", "lenght": 1, "length": 1}, delimeter=";")
    )

    assert "fields[0].lenght: unknown key; did you mean 'length'?" in problems
    assert "delimeter: unknown key; did you mean 'delimiter'?" in problems


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            fixed_document({"name": "a", "value": "x", "length": 1}, delimiter=";"),
            "delimiter: only for format = 'delimited'",
        ),
        (
            fixed_document({"name": "a", "value": "x", "length": 1}, header_row=True),
            "header_row: only for format = 'delimited'",
        ),
        (
            delimited_document({"name": "a", "value": "x"}, line_length=10),
            "line_length: only for format = 'fixed'",
        ),
        (
            delimited_document({"name": "a", "value": "x"}, width_unit="bytes"),
            "width_unit: only for format = 'fixed'",
        ),
        (
            delimited_document({"name": "a", "value": "x", "start": 1}),
            "fields[0].start: only for format = 'fixed'",
        ),
        (
            delimited_document({"name": "a", "value": "x", "pad": "0"}),
            "fields[0].pad: only for format = 'fixed'",
        ),
        (
            fixed_document({"name": "a", "value": "x", "length": 1, "max_length": 3}),
            "fields[0].max_length: only for format = 'delimited'",
        ),
        (
            fixed_document({"name": "a", "value": "x", "length": 1, "keep_newlines": True}),
            "fields[0].keep_newlines: only for format = 'delimited'",
        ),
    ],
    ids=[
        "delimiter",
        "header_row",
        "line_length",
        "width_unit",
        "start",
        "pad",
        "max_length",
        "keep_newlines",
    ],
)
def test_keys_of_the_other_format(document: dict[str, Any], expected: str) -> None:
    """Keys that belong to the other format are rejected with the format they need."""
    assert expected in problems_of(document)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ({"places": 2}, "fields[0].places: only for type = 'decimal'"),
        ({"format": "%Y"}, "fields[0].format: only for type = 'date' or 'datetime'"),
        ({"true_value": "S"}, "fields[0].true_value: only for type = 'boolean'"),
        ({"default_region": "BR"}, "fields[0].default_region: only for type = 'phone'"),
    ],
    ids=["places", "format", "true_value", "default_region"],
)
def test_keys_of_another_type(field: dict[str, Any], expected: str) -> None:
    """Type options on a field of another type are rejected with the type they need."""
    assert expected in problems_of(
        fixed_document({"name": "a", "value": "x", "length": 1, **field})
    )


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ({}, "fields[0]: needs one of 'source', 'template' or 'value'"),
        (
            {"source": "a", "value": "b"},
            "fields[0]: set only one of 'source', 'template' or 'value', not source and value",
        ),
        ({"source": ""}, "fields[0].source: must name a contact field, not be empty"),
        ({"value": [1, 2]}, "fields[0].value: must be a string, number, boolean, date or datetime"),
        (
            {"source": "a", "default": {"x": 1}},
            "fields[0].default: must be a string, number, boolean, date or datetime",
        ),
        (
            {"source": "a", "required": "yes"},
            "fields[0].required: must be true or false, not 'yes'",
        ),
        (
            {"source": "a", "transforms": ["strip", "reverse"]},
            "fields[0].transforms[1]: unknown transform 'reverse'",
        ),
        (
            {"source": "a", "transforms": "strip"},
            "fields[0].transforms: must be a list of transform names",
        ),
        (
            {"source": "a", "overflow": "wrap"},
            "fields[0].overflow: must be 'fail' or 'truncate', not 'wrap'",
        ),
        (
            {"source": "a", "align": "center"},
            "fields[0].align: must be 'left' or 'right', not 'center'",
        ),
        ({"source": "a", "pad": "00"}, "fields[0].pad: must be exactly one character, not '00'"),
        ({"source": "a", "pad": "\n"}, "fields[0].pad: must not be a control character"),
        ({"source": "a", "start": 0}, "fields[0].start: must be at least 1"),
        ({"source": "a", "length": True}, "fields[0].length: must be a whole number, not True"),
        (
            {"source": "a", "title": "A\nB"},
            "fields[0].title: must not contain line breaks or other control characters",
        ),
    ],
    ids=[
        "no-origin",
        "two-origins",
        "empty-source",
        "list-value",
        "table-default",
        "required-text",
        "unknown-transform",
        "transforms-not-list",
        "overflow",
        "align",
        "pad-two-chars",
        "pad-control",
        "start-zero",
        "length-bool",
        "title-newline",
    ],
)
def test_field_problems(field: dict[str, Any], expected: str) -> None:
    """Each field key is checked, and the problem names the key's path."""
    problems = problems_of(fixed_document({"name": "a", "length": 5, **field}))

    assert any(problem.startswith(expected) for problem in problems), problems


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ({"type": "decimal", "places": -1}, "fields[0].places: must be at least 0"),
        ({"type": "decimal", "places": 21}, "fields[0].places: must be at most 20"),
        (
            {"type": "decimal", "decimal_separator": ";"},
            "fields[0].decimal_separator: must be '.' or ','",
        ),
        (
            {"type": "decimal", "input_decimal_separator": " "},
            "fields[0].input_decimal_separator: must be '.' or ','",
        ),
        ({"type": "date", "format": "%Y\n"}, "fields[0].format: must not contain line breaks"),
        (
            {"type": "date", "input_formats": ["%d/%m/%Y", 3]},
            "fields[0].input_formats[1]: must be a strptime format",
        ),
        (
            {"type": "datetime", "timezone": "Mars/Olympus"},
            "fields[0].timezone: unknown time zone 'Mars/Olympus'",
        ),
        (
            {"type": "boolean", "true_value": "S", "false_value": "S"},
            "fields[0].false_value: must differ from true_value 'S'",
        ),
        (
            {"type": "phone", "default_region": "XX"},
            "fields[0].default_region: unknown region 'XX'",
        ),
        (
            {"type": "phone", "phone_format": "international"},
            "fields[0].phone_format: must be 'e164', 'national', 'digits' or 'country_code'",
        ),
        (
            {"type": "phone", "phone_check": "strict"},
            "fields[0].phone_check: must be 'valid' or 'possible'",
        ),
    ],
    ids=[
        "places-negative",
        "places-too-many",
        "separator",
        "input-separator",
        "date-format-newline",
        "input-format-number",
        "timezone",
        "boolean-same-values",
        "region",
        "phone-format",
        "phone-check",
    ],
)
def test_type_option_problems(field: dict[str, Any], expected: str) -> None:
    """Type options are checked against their allowed values."""
    problems = problems_of(fixed_document({"name": "a", "source": "a", "length": 20, **field}))

    assert any(problem.startswith(expected) for problem in problems), problems


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"encoding": "rot13"}, "encoding: 'rot13' is not a text encoding"),
        (
            {"encoding": "utf-8-sig"},
            "encoding: write utf-8 with a byte order mark as encoding = 'utf-8' and bom = true",
        ),
        ({"encoding": "utf-7"}, "encoding: 'utf-7' changes state between characters"),
        ({"encoding": "latin-1", "bom": True}, "bom: bom = true needs a UTF encoding"),
        (
            {"encoding": "utf-16", "bom": False},
            "bom: 'utf-16' without a byte order mark needs the byte order in its name",
        ),
        (
            {"unencodable": "drop"},
            "unencodable: must be 'fail', 'replace' or 'transliterate', not 'drop'",
        ),
        (
            {"encoding": "ascii", "replacement": "¿"},
            "replacement: '¿' cannot be written in encoding ascii",
        ),
        ({"final_newline": 1}, "final_newline: must be true or false, not 1"),
        ({"filler": ""}, "filler: must be exactly one character"),
        ({"line_length": 0}, "line_length: must be at least 1"),
        ({"width_unit": "columns"}, "width_unit: must be 'characters' or 'bytes', not 'columns'"),
        (
            {"extension": ".txt"},
            "extension: '.txt' must be 1-16 of A-Z a-z 0-9 . _ - starting with a letter or digit",
        ),
        ({"timezone": "Nowhere"}, "timezone: unknown time zone 'Nowhere'"),
        (
            {"invalid_leads": "ignore"},
            "invalid_leads: must be 'skip' or 'fail_batch', not 'ignore'",
        ),
        ({"max_invalid_ratio": 1.5}, "max_invalid_ratio: must be from 0 to 1, not 1.5"),
        (
            {"max_invalid_ratio": "20%"},
            "max_invalid_ratio: must be a number from 0 to 1, not '20%'",
        ),
        ({"empty_batch": "skip"}, "empty_batch: must be 'fail' or 'write', not 'skip'"),
        ({"published": "yes"}, "published: must be true or false, not 'yes'"),
        ({"description": 5}, "description: must be a string, not 5"),
    ],
    ids=[
        "rot13",
        "utf-8-sig",
        "utf-7",
        "bom-latin-1",
        "utf-16-no-bom",
        "unencodable",
        "replacement",
        "final-newline",
        "filler",
        "line-length",
        "width-unit",
        "extension",
        "timezone",
        "invalid-leads",
        "ratio-range",
        "ratio-type",
        "empty-batch",
        "published",
        "description",
    ],
)
def test_setting_problems(settings: dict[str, Any], expected: str) -> None:
    """Top-level settings are checked against their allowed values."""
    problems = problems_of(fixed_document({"name": "a", "value": "x", "length": 1}, **settings))

    assert any(problem.startswith(expected) for problem in problems), problems


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"delimiter": ";;"}, "delimiter: must be exactly one character"),
        (
            {"delimiter": '"'},
            "delimiter: '\"' must differ from quote_char, escape_char and line breaks",
        ),
        ({"delimiter": "\n"}, "delimiter: must not be a control character"),
        ({"escape_char": '"'}, "escape_char: '\"' must differ from quote_char"),
        (
            {"quoting": "some"},
            "quoting: must be 'minimal', 'all', 'nonnumeric' or 'none', not 'some'",
        ),
        (
            {"null_value": "a,b"},
            "null_value: 'a,b' must not contain the delimiter, quote_char or escape_char",
        ),
        ({"null_value": "\\N\n"}, "null_value: must not contain line breaks"),
        ({"header_row": "yes"}, "header_row: must be true or false"),
    ],
    ids=[
        "delimiter-two-chars",
        "delimiter-is-quote",
        "delimiter-newline",
        "escape-is-quote",
        "quoting",
        "null-delimiter",
        "null-newline",
        "header-row",
    ],
)
def test_delimited_setting_problems(settings: dict[str, Any], expected: str) -> None:
    """Delimited settings are checked against each other."""
    problems = problems_of(delimited_document({"name": "a", "value": "x"}, **settings))

    assert any(problem.startswith(expected) for problem in problems), problems


def test_tab_and_pipe_delimiters_allowed() -> None:
    """Tab and pipe are valid delimiters."""
    for delimiter in ("\t", "|"):
        schema = schema_from_document(
            delimited_document({"name": "a", "value": "x"}, delimiter=delimiter)
        )

        assert schema.delimiter == delimiter


def test_keep_newlines_needs_quoting() -> None:
    """keep_newlines cannot work with quoting = 'none'."""
    problems = problems_of(
        delimited_document({"name": "a", "source": "a", "keep_newlines": True}, quoting="none")
    )

    assert any(problem.startswith("fields[0].keep_newlines: needs quoting") for problem in problems)


def test_decimal_separator_clashing_with_bare_numbers() -> None:
    """A decimal comma cannot be written bare in a comma-delimited file."""
    problems = problems_of(
        delimited_document(
            {"name": "a", "source": "a", "type": "decimal", "decimal_separator": ","},
            quoting="nonnumeric",
        )
    )

    assert any(
        problem.startswith("fields[0].decimal_separator: ',' is also the delimiter")
        for problem in problems
    )


def test_title_with_delimiter_without_quoting() -> None:
    """With quoting = 'none', a column title may not contain the delimiter."""
    problems = problems_of(
        delimited_document(
            {"name": "a", "source": "a", "title": "A,B"}, quoting="none", header_row=True
        )
    )

    assert any(
        problem.startswith("fields[0].title: 'A,B' contains the delimiter") for problem in problems
    )


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"filler": "é", "encoding": "utf-8", "width_unit": "bytes"},
            "filler: 'é' takes 2 bytes in utf-8; with width_unit = 'bytes' it must take exactly one",
        ),
        (
            {"filler": "Ł", "encoding": "latin-1"},
            "filler: 'Ł' cannot be written in encoding iso8859-1",
        ),
        ({"encoding": "utf-16", "width_unit": "bytes"}, "filler: ' ' takes 2 bytes in utf-16-le"),
    ],
    ids=["multibyte-filler", "unencodable-filler", "utf-16-bytes"],
)
def test_filler_must_fit_the_width_unit(settings: dict[str, Any], expected: str) -> None:
    """Fillers and pads must be encodable, and one byte when widths count bytes."""
    problems = problems_of(fixed_document({"name": "a", "value": "x", "length": 1}, **settings))

    assert any(problem.startswith(expected) for problem in problems), problems


def test_overlapping_fields_name_both() -> None:
    """Two overlapping fields are a problem that names both, with their columns."""
    problems = problems_of(
        fixed_document(
            {"name": "name", "source": "a", "start": 12, "length": 40},
            {"name": "phone", "source": "b", "start": 50, "length": 11},
        )
    )

    assert (
        "fields[1]: 'phone' (columns 50-60) overlaps fields[0] 'name' (columns 12-51)" in problems
    )


def test_field_past_line_length() -> None:
    """A field that ends after line_length is a problem naming it."""
    problems = problems_of(
        fixed_document({"name": "phone", "source": "b", "start": 52, "length": 11}, line_length=60)
    )

    assert "fields[0]: 'phone' (columns 52-62) ends past line_length 60" in problems


def test_overlap_in_trailer_uses_trailer_path() -> None:
    """Positions of header and trailer records are checked on their own paths."""
    problems = problems_of(
        fixed_document(
            {"name": "a", "value": "x", "length": 1},
            trailer=[
                {
                    "fields": [
                        {"name": "t", "value": "T", "start": 1, "length": 2},
                        {
                            "name": "n",
                            "source": "record_count",
                            "type": "integer",
                            "start": 2,
                            "length": 3,
                        },
                    ]
                }
            ],
        )
    )

    assert (
        "trailer[0].fields[1]: 'n' (columns 2-4) overlaps trailer[0].fields[0] 't' (columns 1-2)"
        in problems
    )


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (
            {"type": "integer", "value": "abc"},
            "fields[0].value: 'abc' cannot be written: a: \"abc\" is not a whole number",
        ),
        (
            {"type": "integer", "source": "x", "default": "n/a"},
            "fields[0].default: 'n/a' cannot be written: a: \"n/a\" is not a whole number",
        ),
        ({"value": "ABCDEFG"}, "fields[0].value: 'ABCDEFG' is longer than the field allows"),
        (
            {"value": "Łódź"},
            "fields[0].value: 'Łódź' cannot be written: a: the character U+0141 LATIN CAPITAL LETTER L WITH STROKE",
        ),
        (
            {"type": "date", "value": "31/12/2026"},
            "fields[0].value: '31/12/2026' cannot be written",
        ),
    ],
    ids=[
        "constant-integer",
        "default-integer",
        "constant-too-long",
        "constant-unencodable",
        "constant-date",
    ],
)
def test_constants_checked_against_their_field(field: dict[str, Any], expected: str) -> None:
    """Constant values and defaults that their own field would reject are schema problems."""
    problems = problems_of(fixed_document({"name": "a", "length": 5, **field}, encoding="latin-1"))

    assert any(problem.startswith(expected) for problem in problems), problems


def test_constant_with_delimiter_and_no_quoting() -> None:
    """A constant that quoting = 'none' cannot write is a schema problem."""
    problems = problems_of(delimited_document({"name": "a", "value": "x,y"}, quoting="none"))

    assert any(
        problem.startswith("fields[0].value: 'x,y' cannot be written")
        and "contains the delimiter" in problem
        for problem in problems
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{contact.name}", "attribute access and indexing are not allowed"),
        ("{phones[0]}", "attribute access and indexing are not allowed"),
        ("{}", "positional field '{}' is not allowed"),
        ("{0}", "positional field '{0}' is not allowed"),
        ("{name!r}", "conversions are not allowed"),
        ("{name:{width}}", "nested replacement fields in a format spec are not allowed"),
        ("{name", "invalid template '{name'"),
    ],
    ids=[
        "attribute",
        "index",
        "auto-number",
        "positional",
        "conversion",
        "nested-spec",
        "unclosed",
    ],
)
def test_template_injection_rejected(template: str, expected: str) -> None:
    """Templates may only name values and give format specs."""
    problems = problems_of(fixed_document({"name": "a", "template": template, "length": 5}))

    assert any(
        problem.startswith("fields[0].template:") and expected in problem for problem in problems
    ), problems


def test_header_names_must_be_batch_variables() -> None:
    """Header and trailer sources and templates may use only batch variables and sums of numeric fields."""
    problems = problems_of(
        fixed_document(
            {"name": "city", "source": "city", "length": 5},
            {"name": "points", "source": "points", "type": "integer", "length": 5},
            header=[
                {
                    "fields": [
                        {"name": "a", "source": "firstname", "length": 5},
                        {"name": "b", "template": "{sum_city}", "length": 5},
                        {
                            "name": "c",
                            "template": "{sum_points}{record_count}{file_sequence}",
                            "length": 20,
                        },
                    ]
                }
            ],
        )
    )

    assert any(
        problem.startswith("header[0].fields[0].source: unknown batch variable 'firstname'")
        for problem in problems
    )
    assert any(
        problem.startswith("header[0].fields[1].template: unknown name 'sum_city' in template")
        for problem in problems
    )
    assert not any(problem.startswith("header[0].fields[2]") for problem in problems)


def test_header_record_shape() -> None:
    """Each [[header]] table contains a 'fields' list and nothing else."""
    problems = problems_of(
        fixed_document(
            {"name": "a", "value": "x", "length": 1}, header=[{"field": []}], trailer="T"
        )
    )

    assert "header[0].field: unknown key; did you mean 'fields'?" in problems
    assert "header[0].fields: missing; list at least one field" in problems
    assert any(
        problem.startswith("trailer: must be a list of [[trailer]] tables") for problem in problems
    )


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"file_name": "{record_count}.txt"}, "file_name: unknown name 'record_count' in template"),
        (
            {"file_name": "{batch.id}.txt"},
            "file_name: '{batch.id}': attribute access and indexing are not allowed",
        ),
        (
            {"file_name": "my file.txt"},
            "file_name: contains ' '; literal text may use only A-Z a-z 0-9 . _ -",
        ),
        ({"file_name": "dir/{batch_id}.txt"}, "file_name: contains '/'"),
        (
            {"file_name": "{batch_id:%Y}.txt"},
            "file_name: format spec '%Y' does not apply to batch_id",
        ),
        ({"file_name": ".."}, "file_name: segment '..' is not allowed"),
        (
            {"path_prefix": "/abs/{campaign_id}"},
            "path_prefix: must be a relative path, not start with '/'",
        ),
        ({"path_prefix": "in/../out"}, "path_prefix: segment '..' is not allowed"),
        ({"path_prefix": "in//out"}, "path_prefix: segment '' is not allowed"),
        ({"file_name": "x" * 256}, "file_name: segment of 256 characters is longer than 255"),
    ],
    ids=[
        "total-in-name",
        "attribute",
        "space",
        "slash-in-name",
        "bad-spec",
        "dot-dot",
        "absolute",
        "prefix-dot-dot",
        "empty-segment",
        "long-segment",
    ],
)
def test_file_name_templates_checked_at_load(settings: dict[str, Any], expected: str) -> None:
    """File name and prefix templates are checked when the schema loads, not when a batch is claimed."""
    problems = problems_of(fixed_document({"name": "a", "value": "x", "length": 1}, **settings))

    assert any(problem.startswith(expected) for problem in problems), problems


def test_utf16_defaults_to_little_endian_with_bom() -> None:
    """encoding = 'utf-16' writes little-endian behind a byte order mark."""
    schema = fixed({"name": "a", "value": "x", "length": 1}, encoding="utf-16")

    assert schema.bom is True
    assert schema.compiled.codec.name == "utf-16-le"
    assert schema.compiled.codec.bom == b"\xff\xfe"
