"""Hypothesis strategies for schema documents and contacts.

The documents are plain dicts, as a JSON schema would decode, so tests build
real schemas from them with ``schema_from_document``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

TRICKY_CHARACTERS = (
    "\n\r\t\x00\x0b\x0c\x1b\x7f\x85\u2028\u2029"  # line breaks and other control characters
    ",;|\"'\\"  # delimiters, quotes and an escape
    "\u00a0\u200b\ufeff\u00ad"  # no-break space, zero-width space, BOM, soft hyphen
    "ÉéçãÕßŁłØøŒœÆæ"  # Latin letters with and without cp1252 / latin-1 spellings
    "ễ中文🙂"  # outside every single-byte code page
)

contact_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=["Cs"]), st.sampled_from(TRICKY_CHARACTERS)
    ),
    max_size=30,
)
"""Contact values mixing ordinary text with line breaks, delimiters, quotes and unencodable letters."""

FIELD_NAMES = [f"f{index}" for index in range(6)]


@st.composite
def fixed_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Fixed-width schema documents with string fields, gaps, a byte or character width and optional header and trailer."""
    count = draw(st.integers(min_value=1, max_value=5))
    fields: list[dict[str, Any]] = []
    cursor = 1
    for name in FIELD_NAMES[:count]:
        cursor += draw(st.integers(min_value=0, max_value=3))
        length = draw(st.integers(min_value=1, max_value=12))
        fields.append(
            {
                "name": name,
                "source": name,
                "start": cursor,
                "length": length,
                "align": draw(st.sampled_from(["left", "right"])),
                "pad": draw(st.sampled_from([" ", "*", "0"])),
            }
        )
        cursor += length

    document: dict[str, Any] = {
        "name": "property-fixed",
        "format": "fixed",
        "fields": fields,
        "encoding": draw(st.sampled_from(["utf-8", "latin-1", "cp1252", "ascii"])),
        "width_unit": draw(st.sampled_from(["characters", "bytes"])),
        "unencodable": draw(st.sampled_from(["replace", "transliterate"])),
        "line_ending": draw(st.sampled_from(["lf", "crlf", "cr"])),
        "final_newline": draw(st.booleans()),
        "filler": draw(st.sampled_from([" ", "."])),
    }
    widest = cursor - 1
    if draw(st.booleans()):
        document["header"] = [{"fields": [{"name": "kind", "value": "H", "start": 1, "length": 1}]}]
    if draw(st.booleans()):
        document["trailer"] = [
            {
                "fields": [
                    {
                        "name": "count",
                        "source": "record_count",
                        "type": "integer",
                        "start": 1,
                        "length": 6,
                        "pad": "0",
                    }
                ]
            }
        ]
        widest = max(widest, 6)
    document["line_length"] = widest + draw(st.integers(min_value=0, max_value=4))
    return document


@st.composite
def delimited_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Delimited schema documents over every delimiter and quoting mode, with or without escapes and kept newlines."""
    quoting = draw(st.sampled_from(["minimal", "all", "nonnumeric", "none"]))
    delimiter = draw(st.sampled_from([",", ";", "|", "\t"]))
    quote_char = draw(st.sampled_from(['"', "'"]))
    escape_char = "\\" if quoting == "none" or draw(st.booleans()) else None
    count = draw(st.integers(min_value=1, max_value=5))
    fields = [
        {"name": name, "source": name, "keep_newlines": quoting != "none" and draw(st.booleans())}
        for name in FIELD_NAMES[:count]
    ]
    document: dict[str, Any] = {
        "name": "property-delimited",
        "format": "delimited",
        "fields": fields,
        "encoding": draw(st.sampled_from(["utf-8", "cp1252"])),
        "unencodable": "replace",
        "delimiter": delimiter,
        "quote_char": quote_char,
        "quoting": quoting,
        "header_row": draw(st.booleans()),
        "line_ending": draw(st.sampled_from(["lf", "crlf"])),
    }
    if escape_char:
        document["escape_char"] = escape_char
    return document


def contacts_for(
    document: dict[str, Any], max_size: int = 6
) -> st.SearchStrategy[list[dict[str, str]]]:
    """Lists of contacts with a text value for every field of *document*."""
    names = [field["name"] for field in document["fields"]]
    return st.lists(st.fixed_dictionaries(dict.fromkeys(names, contact_text)), max_size=max_size)
