"""Header and trailer records: batch variables, record counts and sums, before and after the data."""

from __future__ import annotations

import decimal
from typing import Any

import pytest

from aspectfile_core.schema import RecordRenderError, writer
from tests.unit.schema.support import delimited, fixed, render, render_lines

DATA_FIELDS = (
    {"name": "id", "source": "id", "type": "integer", "length": 4, "pad": "0"},
    {"name": "amount", "source": "amount", "type": "decimal", "length": 8},
)


def test_header_uses_every_batch_variable() -> None:
    """Header fields read batch variables by source and by template."""
    schema = delimited(
        {"name": "a", "source": "a"},
        header=[
            {
                "fields": [
                    {"name": "batch", "source": "batch_id"},
                    {"name": "campaign", "source": "campaign_id"},
                    {"name": "event", "source": "event_id"},
                    {"name": "schema", "source": "schema"},
                    {"name": "version", "source": "schema_version"},
                    {"name": "created", "source": "created_at", "type": "datetime"},
                    {"name": "generated", "template": "{generated_at:%Y%m%d%H%M%S}"},
                    {"name": "sequence", "template": "{file_sequence:06d}"},
                    {"name": "extension", "source": "extension"},
                ]
            }
        ],
        delimiter=";",
    )

    lines = render_lines(schema, [{"a": "x"}])

    assert lines[0] == "42;7;3;test;2;2026-03-01 12:00:00;20260302143015;000017;csv"


def test_schema_timezone_converts_batch_times() -> None:
    """The schema's timezone converts created_at and generated_at in headers."""
    schema = delimited(
        {"name": "a", "source": "a"},
        header=[{"fields": [{"name": "generated", "template": "{generated_at:%Y-%m-%d %H:%M}"}]}],
        timezone="America/Sao_Paulo",
    )

    assert render_lines(schema, [{"a": "x"}])[0] == "2026-03-02 11:30"


def test_trailer_counts_and_sums() -> None:
    """A trailer can write the record count and the sums of integer and decimal fields."""
    schema = fixed(
        *DATA_FIELDS,
        trailer=[
            {
                "fields": [
                    {"name": "kind", "value": "T", "length": 1},
                    {
                        "name": "count",
                        "source": "record_count",
                        "type": "integer",
                        "length": 3,
                        "pad": "0",
                    },
                    {"name": "ids", "source": "sum_id", "type": "integer", "length": 4},
                    {
                        "name": "total",
                        "source": "sum_amount",
                        "type": "decimal",
                        "length": 10,
                        "pad": "0",
                    },
                    {"name": "text_total", "template": "={sum_amount}", "length": 8},
                ]
            }
        ],
    )

    lines = render_lines(schema, [{"id": 1, "amount": "10.005"}, {"id": 2, "amount": "-2.5"}])

    assert lines == [
        "0001   10.01".ljust(26),
        "0002   -2.50".ljust(26),
        "T002   30000007.51=7.51   ",
    ]


def test_failed_leads_left_out_of_count_and_sums() -> None:
    """Only written records count; failed leads add nothing to sums."""
    schema = fixed(
        *DATA_FIELDS,
        trailer=[
            {
                "fields": [
                    {"name": "count", "source": "record_count", "type": "integer", "length": 3},
                    {"name": "total", "source": "sum_amount", "type": "decimal", "length": 9},
                ]
            }
        ],
    )

    lines = render_lines(
        schema, [{"id": 1, "amount": "5"}, {"id": "x", "amount": "100"}, {"id": 3, "amount": "abc"}]
    )

    assert lines[-1] == "  1     5.00"


def test_sums_in_result() -> None:
    """RenderResult.sums contains each numeric field's sum, with the decimal field's places."""
    schema = fixed(*DATA_FIELDS)

    _, result = render(schema, [{"id": 1, "amount": "1"}, {"id": 2}])

    assert result.sums == {"id": 3, "amount": decimal.Decimal("1.00")}
    assert str(result.sums["amount"]) == "1.00"


def test_header_with_totals_written_before_data() -> None:
    """A header may use record_count and sums, known only after the data; it still comes first."""
    schema = fixed(
        *DATA_FIELDS,
        header=[
            {
                "fields": [
                    {"name": "kind", "value": "H", "length": 1},
                    {
                        "name": "count",
                        "source": "record_count",
                        "type": "integer",
                        "length": 3,
                        "pad": "0",
                    },
                    {"name": "total", "template": "{sum_amount}", "length": 8},
                ]
            }
        ],
        trailer=[{"fields": [{"name": "kind", "value": "T", "length": 1}]}],
    )

    lines = render_lines(schema, [{"id": 1, "amount": "1.5"}, {"id": 2, "amount": "2"}])

    assert lines == ["H0023.50    ", "0001    1.50", "0002    2.00", "T           "]


@pytest.mark.parametrize(
    "spool_limit", [1, writer.SPOOL_MEMORY_LIMIT], ids=["spooled-to-disk", "in-memory"]
)
def test_header_totals_with_spool_on_disk(
    monkeypatch: pytest.MonkeyPatch, spool_limit: int
) -> None:
    """The spool gives the same bytes whether it stays in memory or moves to disk."""
    monkeypatch.setattr(writer, "SPOOL_MEMORY_LIMIT", spool_limit)
    schema = fixed(
        *DATA_FIELDS,
        header=[
            {
                "fields": [
                    {"name": "count", "source": "record_count", "type": "integer", "length": 12}
                ]
            }
        ],
    )
    contacts = [{"id": index, "amount": index} for index in range(500)]

    content, result = render(schema, contacts)

    lines = content.decode().split("\r\n")
    assert lines[0] == "         500"
    assert lines[1] == "0000    0.00"
    assert lines[500] == "0499  499.00"
    assert result.record_count == 500


def test_file_sequence_in_header() -> None:
    """file_sequence comes from the batch variables the services pass in."""
    schema = fixed(
        {"name": "a", "source": "a", "length": 6},
        header=[
            {
                "fields": [
                    {
                        "name": "sequence",
                        "source": "file_sequence",
                        "type": "integer",
                        "length": 6,
                        "pad": "0",
                    }
                ]
            }
        ],
    )

    assert render_lines(schema, [{"a": "x"}])[0] == "000017"


def test_empty_batch_has_header_and_trailer_only() -> None:
    """With no data records, the file contains the header and trailer, with a count of 0."""
    schema = fixed(
        {"name": "a", "source": "a", "length": 4},
        header=[{"fields": [{"name": "h", "value": "H", "length": 1}]}],
        trailer=[
            {
                "fields": [
                    {"name": "count", "source": "record_count", "type": "integer", "length": 4}
                ]
            }
        ],
    )

    content, result = render(schema, [])

    assert content == b"H   \r\n   0\r\n"
    assert result.record_count == 0


def test_empty_file_without_header_or_trailer() -> None:
    """A file with no lines at all is empty, without a line ending."""
    content, _ = render(fixed({"name": "a", "source": "a", "length": 4}), [])

    assert content == b""


def test_header_field_overflow_raises() -> None:
    """A header value that does not fit stops the file with RecordRenderError naming record and field."""
    schema = fixed(
        {"name": "a", "source": "a", "length": 4},
        trailer=[
            {
                "fields": [
                    {"name": "count", "source": "record_count", "type": "integer", "length": 1}
                ]
            }
        ],
    )
    contacts: list[dict[str, Any]] = [{"a": "x"}] * 10

    with pytest.raises(
        RecordRenderError,
        match=r"trailer\[0\]\.fields\[0\]: count: \"10\" is longer than the field allows",
    ) as caught:
        render(schema, contacts)

    assert caught.value.code == "too_long"
    assert caught.value.record == "trailer[0]"
    assert caught.value.field == "count"
