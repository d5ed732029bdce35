"""The preview printed by 'aspectfile-run schema check --sample'."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

from aspectfile_core.i18n import translation
from aspectfile_core.schema import column_ruler, preview, sample_preview
from tests.unit.schema.support import VARIABLES, delimited, fixed

FIXED = fixed(
    {"name": "kind", "value": "D", "length": 1},
    {"name": "id", "source": "id", "type": "integer", "length": 4, "pad": "0"},
    {"name": "name", "source": "name", "length": 6, "required": True},
    line_length=12,
    header=[{"fields": [{"name": "kind", "value": "H", "length": 1}]}],
    trailer=[
        {
            "fields": [
                {"name": "kind", "value": "T", "length": 1},
                {"name": "n", "source": "record_count", "type": "integer", "length": 3, "pad": "0"},
            ]
        }
    ],
)


def test_column_ruler() -> None:
    """The ruler marks every tenth column with its tens digit, then numbers every column."""
    assert column_ruler(12) == "         1\n123456789012"
    assert column_ruler(3) == "\n123"


def test_fixed_preview_has_ruler_records_and_failures() -> None:
    """A fixed-width preview shows the ruler, header, records, trailer, then failures and warnings."""
    contacts = [
        {"id": 1, "name": "Ana"},
        {"id": 2, "name": ""},
        {"id": 3, "name": "Cristina"},
        {"id": 4, "name": "Duda"},
    ]

    text = preview(FIXED, contacts, 2, variables=VARIABLES)

    assert text == (
        "Schema test: fixed width, 12 characters per line, utf-8, CRLF line endings\n"
        "Sample contacts read: 4. Rendered as data records: 3. Failed: 1.\n"
        "Records shown below: the first 2 (--lines).\n"
        "\n"
        "         1\n"
        "123456789012\n"
        "H           \n"
        "D0001Ana    \n"
        "D0003Cristi \n"
        "T002        \n"
        "\n"
        "Failed contacts:\n"
        "  2: missing_required: name: required, but the value is empty\n"
        "\n"
        "Warnings:\n"
        '  3: truncated: name: "Cristina" was cut to fit the field\n'
    )


def test_preview_stops_reading_at_the_sample_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sample larger than the limit is read only that far, and the preview reports it."""
    read: list[int] = []
    monkeypatch.setattr(sys.modules["aspectfile_core.schema.preview"], "MAX_SAMPLE_CONTACTS", 5)

    def contacts() -> Iterator[dict[str, Any]]:
        for index in range(1, 1000):
            read.append(index)
            yield {"id": index, "name": "x"}

    text = preview(FIXED, contacts(), 3)

    assert read == [1, 2, 3, 4, 5, 6]  # the sixth is fetched, then the limit stops the loop
    assert "Only the first 5 sample contacts were checked." in text


def test_delimited_preview_has_no_ruler() -> None:
    """Delimited previews show the lines as written, without a ruler."""
    schema = delimited(
        {"name": "a", "source": "a"}, {"name": "b", "source": "b"}, header_row=True, delimiter=";"
    )

    text = preview(schema, [{"a": "x", "b": "y;z"}], 5)

    assert text == (
        "Schema test: delimited by ';', quoting minimal, utf-8, CRLF line endings\n"
        "Sample contacts read: 1. Rendered as data records: 1. Failed: 0.\n"
        "\n"
        "a;b\n"
        'x;"y;z"\n'
    )


def test_preview_lead_id_falls_back_to_position() -> None:
    """Contacts without an id are named by their position."""
    text = preview(FIXED, [{"name": ""}], 1)

    assert "  1: missing_required:" in text


def test_sample_preview_renders_labels_and_reasons_in_the_operators_language() -> None:
    """Labels and failure reasons come from the pt_BR catalog; the records stay as written."""
    schema = fixed(
        {"name": "name", "source": "name", "length": 6, "required": True},
        line_length=6,
    )
    gettext = translation("pt_BR").gettext

    text = sample_preview(schema, [{"name": "Ana"}, {"name": ""}], 5).render(gettext)

    assert "Contatos da amostra lidos: 2. Gerados como registros de dados: 1. Com falha: 1." in text
    assert "Contatos com falha:" in text
    assert "required, but the value is empty" not in text
    assert "Ana   " in text


def test_sample_preview_checks_the_whole_sample() -> None:
    """Counts and failures cover every sample contact, not only those before --lines records."""
    schema = fixed(
        {"name": "name", "source": "name", "length": 6, "required": True},
        line_length=6,
    )
    contacts = [{"name": "Ana"}, {"name": "Bia"}, {"name": ""}, {"name": "Caio"}]

    result = sample_preview(schema, contacts, 1)
    text = result.render()

    assert (result.shown, result.rendered, len(result.failures)) == (1, 3, 1)
    assert "Sample contacts read: 4. Rendered as data records: 3. Failed: 1." in text
    assert "Records shown below: the first 1 (--lines)." in text


def test_sample_preview_lists_at_most_twenty_failures() -> None:
    """A long run of failures is cut to twenty lines and a count."""
    schema = fixed(
        {"name": "name", "source": "name", "length": 6, "required": True},
        line_length=6,
    )

    text = sample_preview(schema, [{"name": ""}] * 25, 5, id_field="none").render()

    assert text.count("missing_required") == 20
    assert "... and more failed contacts: 5" in text
