"""The generated data renderer against the general field pipeline, over random schemas and leads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aspectfile_core.domain.model import LeadWarning
from aspectfile_core.schema import schema_from_document
from aspectfile_core.schema.compiler import LeadProblem, RecordProgram
from aspectfile_core.schema.conversions import compile_strftime
from tests.strategies import contact_text

TRANSFORMS = ["strip", "upper", "lower", "title", "collapse_spaces", "digits_only", "ascii"]

contact_values = st.one_of(
    st.none(),
    contact_text,
    st.sampled_from(["", "   ", "42", "-7", "3.50", "1989-09-05", "2024-02-29 10:11:12", "sim"]),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(min_value=dt.date(1, 1, 1)),
)
"""Every kind of value a contact field may hold: nothing, text, numbers, flags and dates."""


@st.composite
def typed_fields(draw: st.DrawFn, fixed: bool) -> list[dict[str, Any]]:
    """Fields of every type, with transforms, defaults, required flags and width limits."""
    fields: list[dict[str, Any]] = []
    for index in range(draw(st.integers(min_value=1, max_value=5))):
        field_type = draw(st.sampled_from(["string", "integer", "decimal", "date", "boolean"]))
        field: dict[str, Any] = {"name": f"f{index}", "type": field_type}
        if draw(st.integers(min_value=0, max_value=9)) == 0:
            field["template"] = "{f0}-x"
        else:
            field["source"] = f"f{index}"
        if field_type == "string" or draw(st.booleans()):
            field["transforms"] = draw(st.lists(st.sampled_from(TRANSFORMS), max_size=2))
        if field_type == "date":
            field["format"] = draw(st.sampled_from(["%d/%m/%Y", "%Y%m%d", "%d %B %Y"]))
        if draw(st.booleans()):
            field["required"] = True
        if field_type == "string" and draw(st.booleans()):
            field["default"] = "N/A"
        limit = draw(st.integers(min_value=1, max_value=12))
        if fixed:
            field["length"] = limit
            field["align"] = draw(st.sampled_from(["left", "right"]))
        elif draw(st.booleans()):
            field["max_length"] = limit
        if draw(st.booleans()):
            field["overflow"] = draw(st.sampled_from(["fail", "truncate"]))
        fields.append(field)
    return fields


@st.composite
def typed_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Fixed-width and delimited documents over the fields of :func:`typed_fields`."""
    fixed = draw(st.booleans())
    document: dict[str, Any] = {
        "name": "generated",
        "format": "fixed" if fixed else "delimited",
        "fields": draw(typed_fields(fixed)),
        "encoding": draw(st.sampled_from(["utf-8", "latin-1", "cp1252", "utf-16"])),
        "unencodable": draw(st.sampled_from(["replace", "transliterate", "fail"])),
    }
    if fixed:
        document["width_unit"] = draw(st.sampled_from(["characters", "bytes"]))
    else:
        document["quoting"] = draw(st.sampled_from(["minimal", "all", "nonnumeric", "none"]))
        document["escape_char"] = "\\"
    return document


def outcome(
    record: RecordProgram, fields: dict[str, Any], generated: bool
) -> tuple[Any, list[LeadWarning]]:
    """Render one lead either way; return the line and numeric values, or the problem raised."""
    warnings: list[LeadWarning] = []
    try:
        if generated:
            return record.render_data(fields, warnings), warnings
        line, values = record.render(fields, warnings)
    except LeadProblem as problem:
        return ("problem", problem.code, problem.field, problem.value), warnings
    numbers = tuple(values[index][1] for index, _ in record.numeric)
    return (line, numbers), warnings


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_generated_renderer_matches_pipeline(data: st.DataObject) -> None:
    """The generated renderer returns, raises and warns exactly as RecordProgram.render does."""
    document = data.draw(typed_documents())
    try:
        schema = schema_from_document(document)
    except Exception:  # noqa: BLE001  # random documents may be invalid; only valid ones are compared
        return
    record = schema.compiled.data
    names = [field["name"] for field in document["fields"]]
    leads = data.draw(st.lists(st.fixed_dictionaries(dict.fromkeys(names, contact_values))))

    for fields in leads:
        assert outcome(record, fields, generated=True) == outcome(record, fields, generated=False)


@pytest.mark.parametrize(
    ("output_format", "kind"),
    [
        ("%d/%m/%Y", "date"),
        ("%Y%m%d", "date"),
        ("%y-%m-%d %%", "date"),
        ("{%d}", "date"),
        ("%Y-%m-%dT%H:%M:%S.%f", "datetime"),
        ("%d%m%Y%H%M", "datetime"),
    ],
    ids=["slashes", "compact", "short-year-percent", "braces", "iso-microseconds", "compact-time"],
)
@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=dt.datetime(1, 1, 1)))
def test_compiled_strftime_matches_strftime(
    output_format: str, kind: str, moment: dt.datetime
) -> None:
    """A compiled date format writes what strftime writes, years before 1000 included."""
    write = compile_strftime(output_format, kind)
    value = moment.date() if kind == "date" else moment

    assert write is not None
    assert write(value) == value.strftime(output_format)


@pytest.mark.parametrize(
    ("output_format", "kind"),
    [("%d %B %Y", "date"), ("%H:%M", "date"), ("%a %d", "datetime"), ("%d%", "date")],
    ids=["month-name", "time-in-date", "weekday", "trailing-percent"],
)
def test_compile_strftime_leaves_other_directives(output_format: str, kind: str) -> None:
    """Locale-dependent and unknown directives are left to strftime."""
    assert compile_strftime(output_format, kind) is None
