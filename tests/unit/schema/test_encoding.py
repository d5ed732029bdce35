"""Encodings, byte order marks and the unencodable policies."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from aspectfile_core.schema import Schema, read_records
from tests.unit.schema.support import delimited, fixed, render

HARD_NAMES = {"first": "Zoë Ødegård", "second": "Łukasz", "third": "Nguyễn", "fourth": "a\u200bb"}
"""Names mixing characters cp1252 can write (ë, Ø, å) with ones it cannot (Ł, ễ, zero-width space)."""


def cp1252_schema(policy: str, **settings: Any) -> Schema:
    return delimited(
        *({"name": name, "source": name} for name in HARD_NAMES),
        encoding="cp1252",
        unencodable=policy,
        delimiter=";",
        **settings,
    )


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("replace", ["Zoë Ødegård", "?ukasz", "Nguy?n", "a?b"]),
        ("transliterate", ["Zoë Ødegård", "Lukasz", "Nguyen", "ab"]),
    ],
    ids=["replace", "transliterate"],
)
def test_cp1252_policies_are_deterministic(policy: str, expected: list[str]) -> None:
    """Each policy gives one fixed result, and characters cp1252 can write stay as they are."""
    first, result = render(cp1252_schema(policy), [HARD_NAMES])
    second, _ = render(cp1252_schema(policy), [HARD_NAMES])

    rows = list(csv.reader(io.StringIO(first.decode("cp1252"), newline=""), delimiter=";"))
    assert rows == [expected]
    assert first == second
    assert result.failures == {}


def test_cp1252_fail_policy_names_field_and_character() -> None:
    """Under 'fail' the lead fails with unencodable, naming the first field and its character; no bytes are written."""
    content, result = render(cp1252_schema("fail"), [HARD_NAMES])

    failure = result.failures["1"]
    assert failure.code == "unencodable"
    assert failure.field == "second"
    assert failure.value == "U+0141 LATIN CAPITAL LETTER L WITH STROKE"
    assert (
        failure.message
        == "second: the character U+0141 LATIN CAPITAL LETTER L WITH STROKE cannot be written in the file's encoding"
    )
    assert content == b""
    assert result.record_count == 0


def test_fail_policy_reports_invisible_characters_by_code_point() -> None:
    """An invisible character is reported by code point and name."""
    _, result = render(
        cp1252_schema("fail"), [{"first": "a", "second": "b", "third": "c", "fourth": "a\u200bb"}]
    )

    assert result.failures["1"].value == "U+200B ZERO WIDTH SPACE"


def test_failed_lead_leaves_no_partial_record() -> None:
    """A failing lead between two good ones leaves the file as if it had never been there."""
    good = {"first": "Ana", "second": "Bia", "third": "Cris", "fourth": "Duda"}
    with_bad, result = render(cp1252_schema("fail"), [good, HARD_NAMES, good])
    without_bad, _ = render(cp1252_schema("fail"), [good, good])

    assert with_bad == without_bad
    assert list(result.failures) == ["2"]


@pytest.mark.parametrize(
    ("replacement", "expected"), [("_", "_ukasz"), ("", "ukasz")], ids=["underscore", "empty"]
)
def test_custom_replacement(replacement: str, expected: str) -> None:
    """replacement sets what stands for a character that cannot be written."""
    schema = delimited(
        {"name": "a", "source": "a"},
        encoding="latin-1",
        unencodable="replace",
        replacement=replacement,
    )

    content, _ = render(schema, [{"a": "Łukasz"}])

    assert content == expected.encode("latin-1") + b"\r\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("JOSÉ CONCEIÇÃO", "JOSE CONCEICAO"),
        ("Straße", "Strasse"),
        ("Łódź", "Lodz"),
        ("Œuvre Æsir", "OEuvre AEsir"),
        ("“quoted” – dash…", '"quoted" - dash...'),
        ("中文", "??"),
    ],
    ids=["portuguese", "sharp-s", "polish", "ligatures", "punctuation", "no-ascii-spelling"],
)
def test_transliterate_to_ascii(text: str, expected: str) -> None:
    """transliterate strips accents, spells special letters, and replaces what is left."""
    schema = fixed(
        {"name": "a", "source": "a", "length": 20}, encoding="ascii", unencodable="transliterate"
    )

    content, _ = render(schema, [{"a": text}])

    assert content.decode("ascii") == expected.ljust(20) + "\r\n"


def test_policy_applies_after_type_formatting() -> None:
    """The unencodable policy applies to the formatted text, such as a date written with a month name."""
    schema = delimited(
        {"name": "a", "source": "a", "type": "date", "format": "%d de março de %Y"},
        encoding="ascii",
        unencodable="transliterate",
    )

    content, _ = render(schema, [{"a": "2026-03-05"}])

    assert content == b"05 de marco de 2026\r\n"


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
    ],
    ids=["utf-8", "utf-16-le", "utf-16-be", "utf-32-le"],
)
def test_bom_starts_the_file(encoding: str, bom: bytes) -> None:
    """bom = true writes the encoding's byte order mark once, at the start."""
    schema = delimited({"name": "a", "source": "a"}, encoding=encoding, bom=True)

    content, _ = render(schema, [{"a": "x"}, {"a": "y"}])

    assert content.startswith(bom)
    assert content.count(bom) == 1
    assert list(read_records(schema, io.BytesIO(content))) == [{"a": "x"}, {"a": "y"}]


def test_utf16_written_little_endian() -> None:
    """encoding = 'utf-16' writes a BOM and little-endian records that decode as utf-16."""
    schema = fixed({"name": "a", "source": "a", "length": 3}, encoding="utf-16")

    content, _ = render(schema, [{"a": "Zoë"}])

    assert content == b"\xff\xfe" + "Zoë\r\n".encode("utf-16-le")
    assert content.decode("utf-16") == "Zoë\r\n"


def test_latin1_writes_single_bytes() -> None:
    """latin-1 files store accented letters as one byte each."""
    schema = fixed({"name": "a", "source": "a", "length": 6}, encoding="latin-1")

    content, _ = render(schema, [{"a": "João"}])

    assert content == b"Jo\xe3o  \r\n"


def test_utf8_surrogates_fail() -> None:
    """Even UTF-8 cannot write a lone surrogate; under 'fail' the lead fails."""
    schema = delimited({"name": "a", "source": "a"})

    _, result = render(schema, [{"a": "x\udcff"}])

    assert result.failures["1"].code == "unencodable"
    assert result.failures["1"].value == "U+DCFF"
