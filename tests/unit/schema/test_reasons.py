"""Reason codes: stable identifiers with English templates that Babel extracts."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from aspectfile_core.schema import REASON_CODES, WARNING_CODES, reasons

EXPECTED_CODES = {
    "missing_required",
    "invalid_phone",
    "invalid_integer",
    "invalid_decimal",
    "invalid_date",
    "invalid_boolean",
    "invalid_template_value",
    "too_long",
    "unencodable",
    "delimiter_in_value",
    "quote_in_value",
}


def test_reason_codes_are_stable() -> None:
    """The set of reason codes is part of the public contract."""
    assert set(REASON_CODES) == EXPECTED_CODES
    assert set(WARNING_CODES) == {"truncated"}


@pytest.mark.parametrize("code", sorted(EXPECTED_CODES | {"truncated"}))
def test_templates_use_field_and_value_only(code: str) -> None:
    """Every template names the field and formats with only field and value."""
    template = {**REASON_CODES, **WARNING_CODES}[code]

    assert "{field}" in template
    assert template.format(field="f", value="v").startswith("f")


def test_reason_codes_are_read_only() -> None:
    """The mappings cannot be changed at run time."""
    with pytest.raises(TypeError, match="does not support item assignment"):
        REASON_CODES["x"] = "y"  # type: ignore[index]  # the point is that assignment fails


def test_babel_extracts_every_template() -> None:
    """Babel's default keywords find every template, so the pt_BR catalog can translate them."""
    extracted = {
        message for _, message, _, _ in extract_from_file("python", Path(reasons.__file__))
    }

    assert set(REASON_CODES.values()) | set(WARNING_CODES.values()) <= extracted


def test_make_failure_fills_message() -> None:
    """A failure's message is its template with field and value filled in."""
    failure = reasons.make_failure("invalid_phone", "mobile", "123")

    assert failure.message == 'mobile: "123" is not a valid phone number'
    assert (failure.code, failure.field, failure.value) == ("invalid_phone", "mobile", "123")
