"""One value through the pipeline: take, default, control characters, transforms, required, type."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

from aspectfile_core.domain.errors import LeadDataError
from aspectfile_core.schema import Schema, format_lead
from tests.unit.schema.support import delimited


def one_field(**field: Any) -> Schema:
    """A delimited schema with one field named ``f``; delimited fields have no width, so nothing is cut."""
    return delimited({"name": "f", **field})


def value_of(schema: Schema, contact: dict[str, Any]) -> str:
    return format_lead(schema, contact).values["f"]


def failure_of(schema: Schema, contact: dict[str, Any]) -> LeadDataError:
    with pytest.raises(LeadDataError, match="f") as caught:
        format_lead(schema, contact)
    return caught.value


# Taking the value


def test_source_reads_contact_field() -> None:
    """A source field takes the contact's value; an absent field or None counts as empty."""
    schema = one_field(source="city")

    assert value_of(schema, {"city": "Recife"}) == "Recife"
    assert value_of(schema, {}) == ""
    assert value_of(schema, {"city": None}) == ""


def test_template_fills_contact_fields() -> None:
    """A template fills names from the contact; absent names are empty."""
    schema = one_field(template="{firstname} {lastname}!")

    assert value_of(schema, {"firstname": "Ana", "lastname": "Lima"}) == "Ana Lima!"
    assert value_of(schema, {"firstname": "Ana"}) == "Ana !"


def test_template_format_spec() -> None:
    """Format specs apply to the contact's own value types."""
    schema = one_field(template="{points:05d}-{seen:%d/%m}")

    assert value_of(schema, {"points": 42, "seen": dt.date(2026, 2, 27)}) == "00042-27/02"


def test_template_spec_mismatch_fails_lead() -> None:
    """A spec that does not apply to the contact's value fails the lead with invalid_template_value."""
    error = failure_of(one_field(template="{points:05d}"), {"points": "42"})

    assert error.code == "invalid_template_value"
    assert error.value == "42"
    assert str(error) == 'f: the template cannot format the value "42"'


def test_constant_value() -> None:
    """A constant is the same for every lead."""
    schema = one_field(value="LEAD")

    assert value_of(schema, {"f": "ignored"}) == "LEAD"


@pytest.mark.parametrize(
    ("contact", "expected"),
    [({}, "N/A"), ({"city": ""}, "N/A"), ({"city": "   "}, "N/A"), ({"city": "Natal"}, "Natal")],
    ids=["absent", "empty", "whitespace", "present"],
)
def test_default_when_empty(contact: dict[str, Any], expected: str) -> None:
    """default replaces an absent, empty or whitespace-only value."""
    assert value_of(one_field(source="city", default="N/A"), contact) == expected


def test_default_runs_through_transforms() -> None:
    """The default is applied before the transforms, so they change it too."""
    assert (
        value_of(one_field(source="city", default="sem cidade", transforms=["upper"]), {})
        == "SEM CIDADE"
    )


# Control characters


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Silva\nSantos", "Silva Santos"),
        ("Silva\r\nSantos", "Silva Santos"),
        ("Silva\rSantos", "Silva Santos"),
        ("a\tb", "a b"),
        ("a\x00b\x1bc", "a b c"),
        ("a\x85b", "a b"),
        ("a\u2028b\u2029c", "a b c"),
        ("a\x7fb", "a b"),
    ],
    ids=["lf", "crlf-is-one", "cr", "tab", "c0", "nel", "unicode-separators", "del"],
)
def test_control_characters_become_spaces(raw: str, expected: str) -> None:
    """Control characters become one space each, a CRLF pair counting as one, whatever the transforms."""
    assert value_of(one_field(source="f"), {"f": raw}) == expected


def test_keep_newlines_keeps_cr_and_lf_only() -> None:
    """With keep_newlines, CR and LF stay; other control characters still become spaces."""
    schema = one_field(source="f", keep_newlines=True)

    assert value_of(schema, {"f": "a\r\nb\tc\u2028d"}) == "a\r\nb c d"


# Transforms


@pytest.mark.parametrize(
    ("transform", "raw", "expected"),
    [
        ("strip", "  Ana  ", "Ana"),
        ("upper", "joão straße", "JOÃO STRASSE"),
        ("lower", "JOÃO", "joão"),
        ("title", "maria-josé DOS santos o'brien", "Maria-José Dos Santos O'brien"),
        ("collapse_spaces", "a  \u00a0 b   c", "a b c"),
        ("digits_only", "(21) 97326-3471 ramal ٣", "219732634713"),
        ("ascii", "JOSÉ CONCEIÇÃO ß Ł 中", "JOSE CONCEICAO ss L ?"),
        ("remove_newlines", "a\u2028b", "a b"),
    ],
    ids=[
        "strip",
        "upper",
        "lower",
        "title",
        "collapse_spaces",
        "digits_only",
        "ascii",
        "remove_newlines",
    ],
)
def test_each_transform(transform: str, raw: str, expected: str) -> None:
    """Each transform changes the text as documented."""
    assert value_of(one_field(source="f", transforms=[transform]), {"f": raw}) == expected


def test_remove_newlines_with_keep_newlines() -> None:
    """remove_newlines turns kept line breaks into spaces, CRLF counting as one."""
    schema = one_field(source="f", keep_newlines=True, transforms=["remove_newlines"])

    assert value_of(schema, {"f": "a\r\nb\nc\rd"}) == "a b c d"


def test_transforms_run_in_order() -> None:
    """Transforms run in the order listed."""
    first = one_field(source="f", transforms=["strip", "title"])
    second = one_field(source="f", transforms=["title", "digits_only"])

    assert value_of(first, {"f": "  ana lima "}) == "Ana Lima"
    assert value_of(second, {"f": "a1b2"}) == "12"


def test_ascii_transform_uses_replacement() -> None:
    """The ascii transform puts the schema's replacement for characters it cannot spell."""
    schema = delimited({"name": "f", "source": "f", "transforms": ["ascii"]}, replacement="_")

    assert value_of(schema, {"f": "Ω1"}) == "_1"


def test_transforms_apply_to_non_text_values() -> None:
    """Numbers and dates become text before text transforms run on them."""
    schema = one_field(source="f", transforms=["digits_only"])

    assert value_of(schema, {"f": dt.date(2026, 2, 27)}) == "20260227"


# Required and empty


@pytest.mark.parametrize(
    ("field", "contact"),
    [
        ({"source": "f"}, {}),
        ({"source": "f"}, {"f": "   "}),
        ({"source": "f", "transforms": ["digits_only"]}, {"f": "no digits"}),
        ({"template": "{a}{b}"}, {}),
        ({"source": "f", "type": "integer"}, {"f": None}),
    ],
    ids=["absent", "whitespace", "empty-after-transform", "empty-template", "none-integer"],
)
def test_required_empty_fails(field: dict[str, Any], contact: dict[str, Any]) -> None:
    """A required value that is empty after the transforms fails with missing_required."""
    error = failure_of(one_field(required=True, **field), contact)

    assert error.code == "missing_required"
    assert error.field == "f"
    assert error.value is None
    assert str(error) == "f: required, but the value is empty"


@pytest.mark.parametrize(
    "field_type", ["integer", "decimal", "date", "datetime", "boolean", "phone", "string"]
)
def test_optional_empty_is_written_empty(field_type: str) -> None:
    """An empty optional value skips conversion and is written empty, whatever the type."""
    schema = one_field(source="f", type=field_type)

    assert value_of(schema, {"f": "  "}) == ""


# Types


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (42, "42"),
        ("42", "42"),
        (" -7 ", "-7"),
        ("+3", "3"),
        ("007", "7"),
        (42.0, "42"),
        (decimal.Decimal("5"), "5"),
    ],
    ids=["int", "text", "negative", "plus", "leading-zeros", "integral-float", "decimal"],
)
def test_integer_accepted(raw: Any, expected: str) -> None:
    """Integer fields accept whole numbers as numbers or text."""
    assert value_of(one_field(source="f", type="integer"), {"f": raw}) == expected


@pytest.mark.parametrize(
    "raw",
    ["4.5", "abc", True, 4.5, "1e3", "1 000", decimal.Decimal("1.5"), [1]],
    ids=["decimal-text", "letters", "bool", "float", "exponent", "space", "decimal", "list"],
)
def test_integer_rejected(raw: Any) -> None:
    """Anything that is not a whole number fails with invalid_integer and the value."""
    error = failure_of(one_field(source="f", type="integer"), {"f": raw})

    assert error.code == "invalid_integer"
    assert error.value is not None
    assert str(error).startswith("f: ")
    assert "is not a whole number" in str(error)


@pytest.mark.parametrize(
    ("options", "raw", "expected"),
    [
        ({}, "12.345", "12.35"),
        ({}, "-12.345", "-12.35"),
        ({}, 2.675, "2.68"),
        ({}, 7, "7.00"),
        ({}, "-0.001", "0.00"),
        ({"places": 0}, "2.5", "3"),
        ({"places": 3}, ".5", "0.500"),
        ({"decimal_separator": ","}, "1234.5", "1234,50"),
        ({"implied_decimal": True}, "12.34", "1234"),
        ({"implied_decimal": True}, "-0.05", "-5"),
        ({"input_decimal_separator": ","}, "12,5", "12.50"),
        ({}, decimal.Decimal("1.005"), "1.01"),
    ],
    ids=[
        "half-up",
        "negative-half-up",
        "float",
        "int",
        "negative-zero",
        "no-places",
        "three-places",
        "comma-output",
        "implied",
        "implied-negative",
        "comma-input",
        "decimal-object",
    ],
)
def test_decimal_formatting(options: dict[str, Any], raw: Any, expected: str) -> None:
    """Decimals round half up to places and use the configured separator or none."""
    assert value_of(one_field(source="f", type="decimal", **options), {"f": raw}) == expected


@pytest.mark.parametrize(
    ("options", "raw"),
    [
        ({}, "1.234,56"),
        ({}, "12,5"),
        ({"input_decimal_separator": ","}, "12.5"),
        ({}, "abc"),
        ({}, float("nan")),
        ({}, True),
        ({}, "1e5"),
    ],
    ids=["thousands", "comma-default", "dot-when-comma", "letters", "nan", "bool", "exponent"],
)
def test_decimal_rejected(options: dict[str, Any], raw: Any) -> None:
    """Text in another notation, NaN and booleans fail with invalid_decimal."""
    error = failure_of(one_field(source="f", type="decimal", **options), {"f": raw})

    assert error.code == "invalid_decimal"


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ({"type": "date"}, "2026-02-27", "2026-02-27"),
        ({"type": "date"}, "2026-02-27T23:30:00-03:00", "2026-02-27"),
        ({"type": "date"}, dt.date(2026, 2, 27), "2026-02-27"),
        ({"type": "date", "format": "%d%m%Y"}, dt.datetime(2026, 2, 27, 10, 0), "27022026"),
        ({"type": "datetime"}, "2026-02-27T16:06:00", "2026-02-27 16:06:00"),
        ({"type": "datetime"}, "2026-02-27", "2026-02-27 00:00:00"),
        ({"type": "datetime"}, "2026-02-27T19:06:00Z", "2026-02-27 19:06:00"),
        (
            {"type": "datetime", "timezone": "America/Sao_Paulo"},
            "2026-02-27T19:06:00Z",
            "2026-02-27 16:06:00",
        ),
        (
            {"type": "datetime", "timezone": "America/Sao_Paulo"},
            "2026-02-27T19:06:00",
            "2026-02-27 19:06:00",
        ),
        (
            {"type": "date", "timezone": "America/Sao_Paulo"},
            dt.datetime(2026, 2, 28, 1, 0, tzinfo=dt.UTC),
            "2026-02-27",
        ),
        ({"type": "date", "input_formats": ["%d/%m/%Y"]}, "27/02/2026", "2026-02-27"),
        (
            {"type": "datetime", "input_formats": ["%d/%m/%Y %H:%M"], "format": "%Y%m%d%H%M"},
            "27/02/2026 08:05",
            "202602270805",
        ),
        ({"type": "date", "input_formats": ["%d/%m/%Y"]}, "2026-02-27", "2026-02-27"),
    ],
    ids=[
        "iso-date",
        "iso-aware-datetime-as-date",
        "date-object",
        "datetime-object-custom-format",
        "iso-datetime",
        "date-only-as-datetime",
        "zulu",
        "converted-to-zone",
        "naive-not-converted",
        "date-after-conversion",
        "input-format",
        "input-format-datetime",
        "iso-after-input-formats",
    ],
)
def test_dates(field: dict[str, Any], raw: Any, expected: str) -> None:
    """Dates parse from objects, input_formats and ISO 8601, convert aware times to the zone, and format with strftime."""
    assert value_of(one_field(source="f", **field), {"f": raw}) == expected


@pytest.mark.parametrize(
    "raw",
    ["27/02/2026", "yesterday", 20260227, "2026-02-30"],
    ids=["not-iso", "word", "number", "no-such-day"],
)
def test_invalid_dates(raw: Any) -> None:
    """Input that no format reads fails with invalid_date and the value."""
    error = failure_of(one_field(source="f", type="date"), {"f": raw})

    assert error.code == "invalid_date"
    assert error.value == str(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, "S"),
        (False, "N"),
        (1, "S"),
        (0, "N"),
        ("yes", "S"),
        ("Não", "N"),
        (" TRUE ", "S"),
        ("s", "S"),
        ("off", "N"),
        ("n", "N"),
    ],
    ids=[
        "true",
        "false",
        "one",
        "zero",
        "yes",
        "nao",
        "upper-true",
        "custom-true",
        "off",
        "custom-false",
    ],
)
def test_booleans(raw: Any, expected: str) -> None:
    """Booleans accept Python booleans, 0/1 and yes/no words, and write true_value or false_value."""
    schema = one_field(source="f", type="boolean", true_value="S", false_value="N")

    assert value_of(schema, {"f": raw}) == expected


@pytest.mark.parametrize("raw", ["maybe", 2, 1.0], ids=["word", "two", "float"])
def test_invalid_booleans(raw: Any) -> None:
    """Anything else fails with invalid_boolean."""
    error = failure_of(one_field(source="f", type="boolean"), {"f": raw})

    assert error.code == "invalid_boolean"


@pytest.mark.parametrize(
    ("phone_format", "raw", "expected"),
    [
        ("e164", "(11) 98765-4321", "+5511987654321"),
        ("national", "+55 11 98765-4321", "11987654321"),
        ("digits", "11987654321", "5511987654321"),
        ("country_code", "11987654321", "55"),
        ("e164", "+44 20 7946 0018", "+442079460018"),
        ("national", "+44 20 7946 0018", "2079460018"),
        ("e164", 5511987654321, "+5511987654321"),
    ],
    ids=[
        "e164",
        "national",
        "digits",
        "country-code",
        "foreign-e164",
        "foreign-national",
        "integer-input",
    ],
)
def test_phone_formats(phone_format: str, raw: Any, expected: str) -> None:
    """Phones are parsed in the default region and written in the chosen format."""
    schema = one_field(source="f", type="phone", phone_format=phone_format, default_region="BR")

    assert value_of(schema, {"f": raw}) == expected


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ({"default_region": "BR"}, "12345"),
        ({"default_region": "BR"}, "not a phone"),
        ({}, "11987654321"),
        ({"default_region": "BR"}, "+55 11 0000-0000"),
        ({"default_region": "BR"}, True),
    ],
    ids=["too-short", "letters", "no-region", "unassigned-range", "bool"],
)
def test_invalid_phones(field: dict[str, Any], raw: Any) -> None:
    """Numbers that phonenumbers cannot parse or validate fail with invalid_phone."""
    error = failure_of(one_field(source="f", type="phone", **field), {"f": raw})

    assert error.code == "invalid_phone"
    assert "is not a valid phone number" in str(error)


def test_phone_check_possible_accepts_unassigned_range() -> None:
    """phone_check = 'possible' only checks the length, so unassigned ranges pass."""
    schema = one_field(source="f", type="phone", default_region="BR", phone_check="possible")

    assert value_of(schema, {"f": "+55 11 0000-0000"}) == "+551100000000"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (42, "42"),
        (True, "true"),
        (2.5, "2.5"),
        (decimal.Decimal("1.50"), "1.50"),
        (dt.datetime(2026, 1, 2, 3, 4), "2026-01-02T03:04:00"),
    ],
    ids=["int", "bool", "float", "decimal", "datetime"],
)
def test_string_of_other_values(raw: Any, expected: str) -> None:
    """String fields write other values in their canonical text form."""
    assert value_of(one_field(source="f"), {"f": raw}) == expected


def test_transforms_run_before_type_conversion() -> None:
    """Transforms come before conversion, so digits_only can clean a phone before parsing."""
    schema = one_field(source="f", type="integer", transforms=["digits_only"])

    assert value_of(schema, {"f": "R$ 1.234"}) == "1234"
