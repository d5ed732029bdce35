"""The example schemas shipped with the package render the bundled sample contacts."""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from aspectfile_core.schema import (
    RenderResult,
    Schema,
    load_schema_file,
    read_records,
    render_file,
    render_location,
    verify_file,
)
from tests.unit.schema.support import VARIABLES

SCHEMA_DIR = Path(str(resources.files("aspectfile_core") / "data" / "schemas"))
SHIPPED = ["sample-fixed", "semicolon-dialer", "genesys-csv", "vicidial-pipe"]



def render_with_ids(schema: Schema, contacts: list[dict[str, Any]]) -> tuple[bytes, RenderResult]:
    """Render the contacts as one chunk, with each contact's id column as its lead id."""
    out = io.BytesIO()
    result = render_file(schema, [[(contact["id"], contact) for contact in contacts]], out, VARIABLES)
    return out.getvalue(), result

def sample_contacts() -> list[dict[str, Any]]:
    text = (resources.files("aspectfile_core") / "data" / "sample_contacts.csv").read_text(
        encoding="utf-8"
    )
    return list(csv.DictReader(io.StringIO(text)))


def load(name: str) -> Schema:
    schema, _, document_format = load_schema_file(SCHEMA_DIR / f"{name}.toml")
    assert document_format == "toml"
    return schema


def test_every_shipped_schema_is_tested() -> None:
    """Each TOML file in the schema folder is one of the tested examples."""
    assert sorted(path.stem for path in SCHEMA_DIR.glob("*.toml")) == sorted(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_schema_renders_sample_contacts(tmp_path: Path, name: str) -> None:
    """Every sample contact renders, the file verifies, and it reads back with one record per contact."""
    schema = load(name)
    contacts = sample_contacts()

    content, result = render_with_ids(schema, contacts)
    path = tmp_path / "out"
    path.write_bytes(content)

    assert schema.name == name
    assert result.failures == {}
    assert result.record_count == len(contacts) == 25
    verify_file(schema, path, 25)
    assert len(list(read_records(schema, io.BytesIO(content)))) == 25
    render_location(schema, VARIABLES)


def test_sample_fixed_is_aspect_style() -> None:
    """The demo schema is latin-1 fixed width with CRLF, a header and a trailer with the count."""
    schema = load("sample-fixed")

    content, result = render_with_ids(schema, sample_contacts())

    lines = content.decode("latin-1").split("\r\n")
    assert content.endswith(b"\r\n")
    assert schema.encoding == "latin-1"
    assert {len(line) for line in lines[:-1]} == {schema.line_length}
    assert lines[0].startswith("H000017")
    assert lines[1].startswith("D0000001001JOSÉ")
    assert lines[-2].startswith("T000000025")
    assert result.warnings["1005"][0].code == "truncated"  # contact 1005's long last name
    assert render_location(schema, VARIABLES) == (
        "aspect/campaign-7",
        "ASPECT_7_20260302_000017.txt",
    )


def test_semicolon_dialer_layout() -> None:
    """Records start with a literal, quote text, leave numbers bare, write dates and E.164 phones."""
    schema = load("semicolon-dialer")

    content, _ = render_with_ids(schema, sample_contacts())

    first = content.decode("cp1252").split("\r\n")[0]
    assert first == (
        '"LEAD";1001;"José Assunção";"+5521973263471";"";"jose.assuncao1@exemplo.com.br";'
        '"Açougue São João";"Rio de Janeiro";"RJ";24;"2026-02-27 16:06:00"'
    )


def test_genesys_csv_layout() -> None:
    """The Genesys-style file is UTF-8 with a header row and RFC 4180 quoting."""
    schema = load("genesys-csv")

    content, _ = render_with_ids(schema, sample_contacts())

    rows = list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))
    assert rows[0][:4] == ["ContactId", "FirstName", "LastName", "CellPhone"]
    quoted_company = next(row for row in rows if row[0] == "1010")[6]
    assert quoted_company == 'Comércio "Bom Preço", Ltda.'
    assert b'"Com\xc3\xa9rcio ""Bom Pre\xc3\xa7o"", Ltda."' in content


def test_vicidial_pipe_layout() -> None:
    """The Vicidial-style file is pipe-delimited, without a header, with digits-only phones."""
    schema = load("vicidial-pipe")

    content, _ = render_with_ids(schema, sample_contacts())

    first = content.decode("utf-8").split("\n")[0].split("|")
    assert first[0] == "1001"
    assert first[3:5] == ["55", "21973263471"]
    assert len(first) == len(schema.fields)
    assert schema.header_row is False
