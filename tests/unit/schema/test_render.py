"""The generator: chunked streaming, failures and warnings, determinism, bounded memory and batch policies."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aspectfile_core.ports import RenderOutcome
from aspectfile_core.schema import (
    BatchPolicyError,
    RenderResult,
    check_batch_policies,
    render_file,
    verify_file,
)
from tests.unit.schema.support import VARIABLES, delimited, fixed, render

SCHEMA_FIELDS = (
    {"name": "id", "source": "id", "type": "integer", "length": 8, "pad": "0"},
    {"name": "name", "source": "name", "length": 10, "required": True},
    {"name": "points", "source": "points", "type": "integer", "length": 5},
)


def contacts(count: int) -> list[dict[str, Any]]:
    return [{"id": index, "name": f"Lead {index}", "points": index % 100} for index in range(count)]


def test_chunks_do_not_change_the_bytes() -> None:
    """Leads split into any chunks give the same file as one chunk."""
    schema = fixed(
        *SCHEMA_FIELDS,
        trailer=[
            {"fields": [{"name": "n", "source": "record_count", "type": "integer", "length": 8}]}
        ],
    )
    leads = [(str(index), contact) for index, contact in enumerate(contacts(25))]

    whole = io.BytesIO()
    render_file(schema, [leads], whole, VARIABLES)
    chunked = io.BytesIO()
    render_file(schema, [leads[:1], [], leads[1:10], leads[10:]], chunked, VARIABLES)

    assert chunked.getvalue() == whole.getvalue()


def test_same_input_same_bytes() -> None:
    """The same schema, leads and variables always give byte-identical output."""
    schema = fixed(
        *SCHEMA_FIELDS,
        header=[
            {"fields": [{"name": "t", "template": "{generated_at:%Y%m%d%H%M%S}", "length": 14}]}
        ],
    )

    first, _ = render(schema, contacts(10))
    second, _ = render(schema, contacts(10))

    assert first == second


def test_failures_and_warnings_by_lead_id() -> None:
    """Failed leads are keyed by lead id with code, message, field and value; warnings likewise."""
    schema = fixed(*SCHEMA_FIELDS)
    leads = [
        ("a-1", {"id": 1, "name": "Ana"}),
        ("a-2", {"id": "two", "name": "Bia"}),
        ("a-3", {"id": 3, "name": ""}),
        ("a-4", {"id": 4, "name": "Cristina Maria"}),
    ]
    out = io.BytesIO()

    result = render_file(schema, [leads], out, VARIABLES)

    assert result.record_count == 2
    assert result.lead_count == 4
    assert set(result.failures) == {"a-2", "a-3"}
    failure = result.failures["a-2"]
    assert (failure.code, failure.field, failure.value) == ("invalid_integer", "id", "two")
    assert failure.message == 'id: "two" is not a whole number'
    assert result.failures["a-3"].code == "missing_required"
    assert list(result.warnings) == ["a-4"]
    assert result.warnings["a-4"][0].message == 'name: "Cristina Maria" was cut to fit the field'


def test_first_failing_field_decides() -> None:
    """A lead with several bad fields fails with the first one in field order."""
    schema = fixed(*SCHEMA_FIELDS)

    _, result = render(schema, [{"id": "x", "name": "", "points": "y"}])

    assert result.failures["1"].field == "id"


def test_failure_value_is_shortened() -> None:
    """A long value is cut to 200 characters in the failure, ending in an ellipsis."""
    schema = fixed({"name": "n", "source": "n", "type": "integer", "length": 5})

    _, result = render(schema, [{"n": "9" * 500}])

    value = result.failures["1"].value
    assert value is not None
    assert len(value) == 200
    assert value.endswith("\u2026")


def test_to_outcome() -> None:
    """RenderResult converts to the RenderOutcome the repository records."""
    schema = fixed(*SCHEMA_FIELDS)
    _, result = render(schema, [{"id": 1, "name": "Ana"}, {"id": "x", "name": "Bia"}])

    outcome = result.to_outcome()

    assert outcome == RenderOutcome(
        record_count=1, failures=result.failures, warnings=result.warnings
    )


def test_memory_does_not_grow_with_the_batch(tmp_path: Path) -> None:
    """Peak memory while rendering 60,000 leads stays far below the file's size, even with a spooled header."""
    schema = fixed(
        *SCHEMA_FIELDS,
        line_length=200,
        header=[
            {"fields": [{"name": "n", "source": "record_count", "type": "integer", "length": 10}]}
        ],
    )

    def chunks() -> Iterator[list[tuple[str, dict[str, Any]]]]:
        for start in range(0, 60_000, 1_000):
            yield [
                (str(index), {"id": index, "name": "Lead", "points": 1})
                for index in range(start, start + 1_000)
            ]

    path = tmp_path / "big.txt"
    tracemalloc.start()
    try:
        with path.open("wb") as out:
            result = render_file(schema, chunks(), out, VARIABLES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    size = path.stat().st_size
    assert result.record_count == 60_000
    assert size > 12_000_000
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes for a {size}-byte file"
    verify_file(schema, path, 60_000)


def result_with(record_count: int, failed: int) -> RenderResult:
    schema = fixed(*SCHEMA_FIELDS)
    good = [{"id": index, "name": "x"} for index in range(record_count)]
    bad = [{"id": "bad", "name": "x"} for _ in range(failed)]
    _, result = render(schema, good + bad)
    return result


def test_skip_policy_accepts_failures() -> None:
    """invalid_leads = 'skip' lets a batch with failed leads through."""
    check_batch_policies(fixed(*SCHEMA_FIELDS), result_with(3, 2))


def test_fail_batch_policy() -> None:
    """invalid_leads = 'fail_batch' fails the batch on any failed lead and names the common reason."""
    schema = fixed(*SCHEMA_FIELDS, invalid_leads="fail_batch")

    with pytest.raises(
        BatchPolicyError,
        match=r"1 of 4 leads failed .* most common reason: invalid_integer \(1 leads\)",
    ) as caught:
        check_batch_policies(schema, result_with(3, 1))

    assert caught.value.policy == "invalid_leads"
    assert (caught.value.failed, caught.value.total) == (1, 4)


@pytest.mark.parametrize(
    ("good", "bad", "fails"),
    [(8, 2, False), (7, 3, True), (0, 0, False)],
    ids=["at-ratio", "above-ratio", "no-leads"],
)
def test_max_invalid_ratio(good: int, bad: int, fails: bool) -> None:
    """A failed share above max_invalid_ratio fails the batch; a share equal to it does not."""
    schema = fixed(*SCHEMA_FIELDS, max_invalid_ratio=0.2, empty_batch="write")
    result = result_with(good, bad)

    if not fails:
        check_batch_policies(schema, result)
        return
    with pytest.raises(BatchPolicyError, match=r"more than max_invalid_ratio 0\.2") as caught:
        check_batch_policies(schema, result)
    assert caught.value.policy == "max_invalid_ratio"


def test_empty_batch_fail_policy() -> None:
    """empty_batch = 'fail' (the default) fails a batch that writes no data records."""
    with pytest.raises(BatchPolicyError, match="no data records") as caught:
        check_batch_policies(fixed(*SCHEMA_FIELDS), result_with(0, 0))

    assert caught.value.policy == "empty_batch"


def test_empty_batch_write_policy() -> None:
    """empty_batch = 'write' accepts a file with only header and trailer."""
    check_batch_policies(
        delimited({"name": "a", "source": "a"}, empty_batch="write"), result_with(0, 0)
    )
