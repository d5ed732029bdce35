"""Round-trip, width and encoding properties over random schemas and contacts."""

from __future__ import annotations

import csv
import decimal
import io
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aspectfile_core.schema import Schema, format_lead, read_records, schema_from_document, unpad
from tests.strategies import contacts_for, delimited_documents, fixed_documents
from tests.unit.schema.support import render

CONTROL = re.compile("\r\n|[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def expected_fixed_text(raw: str, schema: Schema, length: int) -> str:
    """Oracle for a string field under the 'replace' policy: controls to spaces, unencodable to '?', cut to width."""
    if not raw.strip():
        return ""
    text = CONTROL.sub(" ", raw)
    if not text.strip():
        return ""
    codec = schema.compiled.codec.name

    def encodable(character: str) -> bool:
        try:
            character.encode(codec)
        except UnicodeEncodeError:
            return False
        return True

    text = "".join(character if encodable(character) else "?" for character in text)
    if schema.width_unit == "characters":
        return text[:length]
    kept, used = [], 0
    for character in text:
        used += len(character.encode(codec))
        if used > length:
            break
        kept.append(character)
    return "".join(kept)


def padded(text: str, spec: Any, schema: Schema) -> str:
    """Pad a fitted value the way the field writes it, counting the schema's width unit."""
    size = (
        len(text.encode(schema.compiled.codec.name)) if schema.width_unit == "bytes" else len(text)
    )
    fill = spec.pad * (spec.length - size)
    return text + fill if spec.align == "left" else fill + text


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_fixed_width_round_trip(data: st.DataObject) -> None:
    """Every line has exactly line_length units and decodes; records read back to the formatted values."""
    document = data.draw(fixed_documents())
    schema = schema_from_document(document)
    contacts = data.draw(contacts_for(document))

    content, result = render(schema, contacts)

    codec = schema.compiled.codec.name
    separator = schema.line_separator
    text = content.decode(codec)
    body = text[: -len(separator)] if schema.final_newline and text else text
    lines = body.split(separator) if body else []
    expected_lines = len(schema.header) + result.record_count + len(schema.trailer)
    assert len(lines) == expected_lines
    assert result.failures == {}
    for line in lines:
        assert "\r" not in line
        assert "\n" not in line
        width = len(line.encode(codec)) if schema.width_unit == "bytes" else len(line)
        assert width == schema.line_length

    raw_records = list(read_records(schema, io.BytesIO(content), strip_padding=False))
    stripped_records = list(read_records(schema, io.BytesIO(content)))
    assert len(raw_records) == len(contacts)
    for contact, raw_record, stripped in zip(contacts, raw_records, stripped_records, strict=True):
        formatted = format_lead(schema, contact).values
        for spec in schema.fields:
            if schema.unencodable == "replace":
                assert formatted[spec.name] == expected_fixed_text(
                    contact[spec.name], schema, spec.length or 0
                )
            assert raw_record[spec.name] == padded(formatted[spec.name], spec, schema)
            assert stripped[spec.name] == unpad(spec, padded(formatted[spec.name], spec, schema))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_delimited_round_trip(data: st.DataObject) -> None:
    """Records read back to the formatted values, and only kept newlines appear inside a record."""
    document = data.draw(delimited_documents())
    schema = schema_from_document(document)
    contacts = data.draw(contacts_for(document))

    content, result = render(schema, contacts)

    formatted = [format_lead(schema, contact).values for contact in contacts]
    written = [values for values in formatted if _writable(schema, values)]
    assert result.record_count == len(written)
    assert list(read_records(schema, io.BytesIO(content))) == written

    text = content.decode(schema.compiled.codec.name)
    keeps = any(spec.keep_newlines for spec in schema.fields)
    if not keeps:
        lines = text.split(schema.line_separator)
        assert len(lines) == result.record_count + (1 if schema.header_row else 0) + 1
        assert all("\r" not in line and "\n" not in line for line in lines)


def _writable(schema: Schema, values: dict[str, str]) -> bool:
    """Tell whether quoting = 'none' without an escape can write these values."""
    if schema.quoting != "none" or schema.escape_char:
        return True
    return not any(
        schema.delimiter in value or schema.quote_char in value for value in values.values()
    )


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_python_csv_reads_what_minimal_quoting_writes(data: st.DataObject) -> None:
    """Python's csv module, configured like the schema, reads back exactly the formatted values."""
    document = data.draw(delimited_documents())
    document.update(quoting="minimal", header_row=False)
    document.pop("escape_char", None)
    schema = schema_from_document(document)
    contacts = data.draw(contacts_for(document))

    content, _ = render(schema, contacts)

    rows = list(
        csv.reader(
            io.StringIO(content.decode(schema.compiled.codec.name), newline=""),
            delimiter=schema.delimiter,
            quotechar=schema.quote_char,
        )
    )
    expected = [list(format_lead(schema, contact).values.values()) for contact in contacts]
    assert rows == expected


@settings(max_examples=200, deadline=None)
@given(
    integer=st.integers(min_value=-(10**8), max_value=10**8),
    amount=st.decimals(
        min_value=-(10**6), max_value=10**6, allow_nan=False, allow_infinity=False, places=4
    ),
    places=st.integers(min_value=0, max_value=3),
    separator=st.sampled_from([".", ","]),
)
def test_numbers_round_trip(
    integer: int, amount: decimal.Decimal, places: int, separator: str
) -> None:
    """Zero-filled integers and decimals read back to their value, rounded half up, sign first."""
    schema = schema_from_document(
        {
            "name": "numbers",
            "format": "fixed",
            "fields": [
                {"name": "n", "source": "n", "type": "integer", "length": 12, "pad": "0"},
                {
                    "name": "d",
                    "source": "d",
                    "type": "decimal",
                    "length": 14,
                    "pad": "0",
                    "places": places,
                    "decimal_separator": separator,
                },
            ],
        }
    )

    content, result = render(schema, [{"n": integer, "d": str(amount)}])

    (record,) = read_records(schema, io.BytesIO(content))
    rounded = amount.quantize(decimal.Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)
    assert int(record["n"]) == integer
    assert decimal.Decimal(record["d"].replace(",", ".")) == rounded
    assert result.sums["d"] == rounded
    sign = "-" if integer < 0 else ""
    assert content.decode()[:12] == sign + str(abs(integer)).rjust(12 - len(sign), "0")


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=40), encoding=st.sampled_from(["ascii", "latin-1", "cp1252", "cp437"]))
def test_transliterate_always_encodes(text: str, encoding: str) -> None:
    """Under 'transliterate', every lead renders, the result encodes, and the same input gives the same bytes."""
    schema = schema_from_document(
        {
            "name": "t",
            "format": "delimited",
            "fields": [{"name": "a", "source": "a"}],
            "encoding": encoding,
            "unencodable": "transliterate",
        }
    )

    first, result = render(schema, [{"a": text}])
    second, _ = render(schema, [{"a": text}])

    assert result.failures == {}
    assert first == second
    first.decode(encoding)
