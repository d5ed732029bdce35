"""Schema pages and actions: list, detail with field table and preview, create, edit, upload, import, delete."""

from __future__ import annotations

import io
import json
import tomllib
from html import unescape

import openpyxl
import pytest
from werkzeug.test import Client, TestResponse

from aspectfile_core import BatchService
from aspectfile_core.domain.errors import SchemaNotFound
from tests.web.conftest import PREFIX, csrf_token, follow, make_app, post, text
from tests.web.seed import BAD_CONTACTS, CSV_SCHEMA, contacts_from, fixed_schema_text, sample_rows


def upload(client: Client, path: str, filename: str, content: bytes, **fields: str) -> TestResponse:
    token = csrf_token(client, f"{PREFIX}/schemas")
    return client.post(
        PREFIX + path,
        data={"csrf_token": token, "file": (io.BytesIO(content), filename), **fields},
        headers={"Accept-Language": "en-US"},
    )


# List and detail


def test_schema_list(client: Client, seeded: dict[str, int]) -> None:
    """The list shows each schema's name, version, format and description."""
    html = text(client.get(f"{PREFIX}/schemas"))

    assert "sample-fixed" in html
    assert "crm-csv" in html
    assert "Aspect-style fixed-width list" in html
    assert "Semicolon-separated export" in html
    assert ">TOML<" in html


def test_schema_list_empty_state(client: Client) -> None:
    """With no schema, the list explains what a schema is and how to add one."""
    html = text(client.get(f"{PREFIX}/schemas"))

    assert "No schema registered yet" in html
    assert "Upload a schema file" in html


def test_fixed_schema_detail(client: Client, seeded: dict[str, int]) -> None:
    """The detail page shows the layout, the field table with columns and the document."""
    html = text(client.get(f"{PREFIX}/schema/sample-fixed"))

    assert "Fixed width, characters per line: 220" in html
    assert "latin-1" in html
    table = html.split('id="field-table"')[1].split("</table>")[0]
    assert "<code>first_name</code>" in table
    assert "contact field <code>firstname</code>" in table
    assert "12–31" in table
    assert "strip, collapse_spaces, upper" in table
    assert "Header records: 1. Trailer records: 1." in html
    assert "ASPECT_{campaign_id}_{generated_at:%Y%m%d}_{file_sequence:06d}.{extension}" in html
    assert 'id="schema-document"' in html
    assert "Batches" in html


def test_fixed_schema_in_bytes(client: Client, service: BatchService) -> None:
    """A layout measured in bytes names bytes as the unit, before the number."""
    document = fixed_schema_text().replace(
        "line_length = 220", 'width_unit = "bytes"\nline_length = 220'
    )
    service.register_schema(document, "toml")

    html = text(client.get(f"{PREFIX}/schema/sample-fixed"))

    assert "Fixed width, bytes per line: 220" in html


def test_preview_with_sample_contacts(client: Client, seeded: dict[str, int]) -> None:
    """The preview renders the first ten sample contacts under a column ruler, with header and trailer."""
    html = text(client.get(f"{PREFIX}/schema/sample-fixed"))

    preview = html.split('id="preview-lines"')[1].split("</pre>")[0]
    lines = unescape(preview.split("</span>\n")[1]).splitlines()
    assert preview.count('class="ruler"') == 1
    assert lines[0].startswith("H000001")
    assert [line[0] for line in lines[1:-1]] == ["D"] * 10
    assert lines[1].startswith("D0000001001JOSÉ                ASSUNÇÃO")
    assert lines[-1].startswith("T000000010")
    assert all(len(line) == 220 for line in lines)
    assert "aspect/campaign-123456789/ASPECT_123456789_20260131_000001.txt" in html
    assert "Records: 10. Contacts read: 10, failed: 0." in html


def test_preview_with_batch_leads(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """The preview can use the leads of a batch, and lists those that would fail with the reason."""
    rows = sample_rows()[:2]
    batch_id = service.add_contacts(
        campaign_id=20,
        event_id=1,
        schema_name="sample-fixed",
        contacts=contacts_from(BAD_CONTACTS) + contacts_from(rows),
    ).batch_ids[0]

    html = text(client.get(f"{PREFIX}/schema/sample-fixed", query_string={"batch": str(batch_id)}))

    assert f"leads of batch {batch_id}" in html
    failures = html.split('id="preview-failures"')[1].split("</ul>")[0]
    assert "<code>1090</code>: phone: &#34;(11) 1234&#34; is not a valid phone number" in failures
    assert "<code>1091</code>: first_name: required, but the value is empty" in failures
    assert "Records: 2. Contacts read: 5, failed: 3." in html
    preview = html.split('id="preview-lines"')[1].split("</pre>")[0]
    assert "D0000001001JOSÉ" in preview


def test_preview_of_unknown_batch_is_404(client: Client, seeded: dict[str, int]) -> None:
    """Previewing with the leads of a batch that does not exist responds with 404."""
    assert (
        client.get(f"{PREFIX}/schema/sample-fixed", query_string={"batch": "999"}).status_code
        == 404
    )


def test_delimited_schema_detail(client: Client, seeded: dict[str, int]) -> None:
    """A delimited schema shows its delimiter, column titles and a preview with the title row."""
    html = text(client.get(f"{PREFIX}/schema/crm-csv"))

    assert 'Delimited by ";", quoting: minimal' in html
    preview = html.split('id="preview-lines"')[1].split("</pre>")[0]
    assert "ruler" not in preview
    assert preview.splitlines()[0].endswith("id;name;email;mobile")
    assert "1001;José Assunção;jose.assuncao1@exemplo.com.br;+5521973263471" in preview


def test_schema_versions(client: Client, service: BatchService, seeded: dict[str, int]) -> None:
    """Earlier versions stay viewable, with a notice that a later one exists."""
    service.register_schema(CSV_SCHEMA.replace('delimiter = ";"', 'delimiter = "|"'), "toml")

    latest = text(client.get(f"{PREFIX}/schema/crm-csv"))
    first = text(client.get(f"{PREFIX}/schema/crm-csv", query_string={"version": "1"}))

    assert "version 2" in latest
    assert 'href="/s/aspectfile/schema/crm-csv?version=1"' in latest
    assert "This is an earlier version. The latest is version 2." in first
    assert 'Delimited by ";"' in first


# Create and edit


def test_new_form(client: Client) -> None:
    """The new-schema form starts with a small example document to adapt."""
    html = text(client.get(f"{PREFIX}/schemas/new"))

    assert 'name="document"' in html
    assert "name = &#34;my-dialer&#34;" in html
    assert '<option value="toml" selected>' in html


def test_create_schema(client: Client, service: BatchService) -> None:
    """A valid document is registered as version 1 and the page goes to its detail."""
    response = post(client, f"{PREFIX}/schemas/create", {"document": CSV_SCHEMA, "format": "toml"})
    page = follow(client, response)

    assert response.status_code == 303
    assert response.headers["Location"] == "/s/aspectfile/schema/crm-csv"
    assert "Schema crm-csv registered, version 1." in text(page)
    assert service.get_schema("crm-csv").version == 1


def test_create_json_schema(client: Client, service: BatchService) -> None:
    """JSON documents are accepted as well as TOML."""
    document = json.dumps(tomllib.loads(CSV_SCHEMA))

    response = post(client, f"{PREFIX}/schemas/create", {"document": document, "format": "json"})

    assert response.status_code == 303
    assert service.get_schema("crm-csv").document_format == "json"


def test_create_invalid_lists_problems(client: Client, service: BatchService) -> None:
    """An invalid document comes back in the editor with every problem and its path, not saved."""
    document = CSV_SCHEMA.replace('delimiter = ";"', 'delimiter = ";;"').replace(
        'type = "phone"', 'type = "telephone"'
    )

    response = post(client, f"{PREFIX}/schemas/create", {"document": document, "format": "toml"})
    html = text(response)

    assert response.status_code == 400
    problems = html.split('id="schema-problems"')[1].split("</ul>")[0]
    assert "<code>delimiter</code>" in problems
    assert "<code>fields[3].type</code>" in problems
    assert "delimiter = &#34;;;&#34;" in html
    with pytest.raises(SchemaNotFound, match="crm-csv"):
        service.get_schema("crm-csv")


def test_create_syntax_error(client: Client) -> None:
    """A TOML syntax error is reported on the document as a whole."""
    response = post(client, f"{PREFIX}/schemas/create", {"document": "name = ", "format": "toml"})

    assert response.status_code == 400
    assert "<code>(document)</code>: invalid TOML" in text(response)


def test_create_existing_name_refused(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """Creating a schema under a registered name is refused; editing is how versions are added."""
    response = post(client, f"{PREFIX}/schemas/create", {"document": CSV_SCHEMA, "format": "toml"})

    assert response.status_code == 400
    assert "a schema named crm-csv already exists" in text(response)
    assert service.get_schema("crm-csv").version == 1


def test_create_bad_format_is_400(client: Client) -> None:
    """A format other than toml or json is a malformed request."""
    response = post(client, f"{PREFIX}/schemas/create", {"document": CSV_SCHEMA, "format": "yaml"})

    assert response.status_code == 400


def test_edit_form_has_document(client: Client, seeded: dict[str, int]) -> None:
    """The edit form starts with the latest document."""
    html = text(client.get(f"{PREFIX}/schema/crm-csv/edit"))

    assert "Edit schema crm-csv" in html
    assert "Semicolon-separated export for the CRM call list" in html
    assert 'action="/s/aspectfile/schema/crm-csv/update"' in html


def test_update_stores_new_version(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """A changed document is stored as the next version."""
    document = CSV_SCHEMA.replace('delimiter = ";"', 'delimiter = "|"')

    page = follow(
        client,
        post(client, f"{PREFIX}/schema/crm-csv/update", {"document": document, "format": "toml"}),
    )

    assert "Schema crm-csv saved as version 2." in text(page)
    assert service.get_schema("crm-csv").version == 2


def test_update_unchanged_keeps_version(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """Saving the same document reports no change and keeps the version."""
    page = follow(
        client,
        post(client, f"{PREFIX}/schema/crm-csv/update", {"document": CSV_SCHEMA, "format": "toml"}),
    )

    assert "Schema crm-csv is unchanged" in text(page)
    assert service.get_schema("crm-csv").version == 1


def test_update_keeps_line_endings_stable(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """Browsers send CRLF from text areas; the stored document keeps LF, so nothing changes."""
    page = follow(
        client,
        post(
            client,
            f"{PREFIX}/schema/crm-csv/update",
            {"document": CSV_SCHEMA.replace("\n", "\r\n"), "format": "toml"},
        ),
    )

    assert "is unchanged" in text(page)


def test_update_renaming_refused(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """A document whose name differs from the schema being edited is refused."""
    document = CSV_SCHEMA.replace('name = "crm-csv"', 'name = "other"')

    response = post(
        client, f"{PREFIX}/schema/crm-csv/update", {"document": document, "format": "toml"}
    )

    assert response.status_code == 400
    assert "the document names schema other, but this page edits crm-csv" in text(response)
    with pytest.raises(SchemaNotFound, match="other"):
        service.get_schema("other")


def test_update_invalid_keeps_text(client: Client, seeded: dict[str, int]) -> None:
    """An invalid edit comes back with the operator's text and the problems."""
    document = CSV_SCHEMA.replace('encoding = "utf-8"', 'encoding = "klingon"')

    response = post(
        client, f"{PREFIX}/schema/crm-csv/update", {"document": document, "format": "toml"}
    )

    assert response.status_code == 400
    assert "klingon" in text(response)
    assert "<code>encoding</code>" in text(response)


# Upload


def test_upload_toml(client: Client, service: BatchService) -> None:
    """An uploaded TOML file is registered."""
    response = upload(client, "/schemas/upload", "crm.toml", CSV_SCHEMA.encode("utf-8"))

    assert response.status_code == 303
    assert service.get_schema("crm-csv").document_format == "toml"


def test_upload_json_with_bom(client: Client, service: BatchService) -> None:
    """A .json file is read as JSON, with or without a byte order mark."""
    content = "\ufeff" + json.dumps(tomllib.loads(CSV_SCHEMA))

    response = upload(client, "/schemas/upload", "crm.json", content.encode("utf-8"))

    assert response.status_code == 303
    assert service.get_schema("crm-csv").document_format == "json"


def test_upload_existing_adds_version(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """Uploading a changed document of a registered schema stores a new version."""
    content = CSV_SCHEMA.replace('delimiter = ";"', 'delimiter = "|"').encode("utf-8")

    page = follow(client, upload(client, "/schemas/upload", "crm.toml", content))

    assert "Schema crm-csv saved as version 2." in text(page)


def test_upload_invalid_opens_editor(client: Client) -> None:
    """An invalid upload opens the editor with the document and the problems."""
    response = upload(client, "/schemas/upload", "bad.toml", b'name = "x"\nformat = "round"\n')

    html = text(response)
    assert response.status_code == 400
    assert "The uploaded file bad.toml is not a valid schema." in html
    assert "<code>format</code>" in html


def test_upload_not_utf8(client: Client) -> None:
    """A file that is not UTF-8 is refused with a message saying how to fix it."""
    page = follow(
        client, upload(client, "/schemas/upload", "latin.toml", 'name = "ção"'.encode("latin-1"))
    )

    assert "is not UTF-8 text" in text(page)


def test_upload_without_file(client: Client) -> None:
    """Submitting the upload form without a file shows a request for one."""
    page = follow(client, post(client, f"{PREFIX}/schemas/upload"))

    assert "Choose a TOML or JSON schema file to upload." in text(page)


# Layout import


def layout_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Aspect list layout"])
    sheet.append(["No.", "Name", "Data Type", "Access Type", "Offset", "Length"])
    sheet.append([1, "Phone Number", "STRING", "R", 1, 11])
    sheet.append([2, "First Name", "STRING", "R", 12, 20])
    sheet.append([3, "Due Date", "DATE", "R", 32, 8])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_import_xlsx_opens_editor(client: Client, service: BatchService) -> None:
    """An imported layout opens in the editor as a skeleton to complete; nothing is saved yet."""
    response = upload(
        client, "/schemas/import", "layout.xlsx", layout_workbook(), name="aspect-list"
    )
    html = text(response)

    assert response.status_code == 200
    assert "Imported from layout.xlsx" in html
    assert "name = &#34;aspect-list&#34;" in html
    assert "phone_number" in html
    assert "due_date" in html
    assert 'action="/s/aspectfile/schemas/create"' in html
    with pytest.raises(SchemaNotFound, match="aspect-list"):
        service.get_schema("aspect-list")


def test_import_csv_layout(client: Client) -> None:
    """CSV layout tables are imported too."""
    content = b"Name,Offset,Length\nPhone,1,11\nName,12,30\n"

    response = upload(client, "/schemas/import", "layout.csv", content, name="csv-layout")

    assert response.status_code == 200
    assert "line_length = 41" in text(response)


def test_import_bad_rows_listed(client: Client) -> None:
    """Rows with invalid offsets or lengths are listed with their row numbers."""
    content = b"Name,Offset,Length\nPhone,one,11\nName,12,0\n"

    response = upload(client, "/schemas/import", "layout.csv", content, name="bad-layout")
    html = text(response)

    assert response.status_code == 400
    assert "<code>row 2.Offset</code>" in html
    assert "<code>row 3.Length</code>" in html


def test_import_unreadable_spreadsheet(client: Client) -> None:
    """A file named .xlsx that is not a spreadsheet is reported, not a 500."""
    response = upload(client, "/schemas/import", "layout.xlsx", b"not a zip file", name="broken")

    assert response.status_code == 400
    assert "cannot be read as a spreadsheet" in text(response)


def test_import_wrong_suffix(client: Client) -> None:
    """Only .xlsx and .csv layouts are accepted."""
    page = follow(client, upload(client, "/schemas/import", "layout.pdf", b"%PDF", name="pdf"))

    assert "is not a layout spreadsheet" in text(page)


def test_import_bad_name_is_400(client: Client) -> None:
    """The schema name for an import must be a valid schema name."""
    response = upload(
        client, "/schemas/import", "layout.csv", b"Name,Offset,Length\nA,1,1\n", name="no spaces"
    )

    assert response.status_code == 400


# Delete


def test_delete_schema_asks_first(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """Deleting a schema first shows how many batches use it."""
    response = post(client, f"{PREFIX}/schema/sample-fixed/delete")
    html = text(response)

    assert response.status_code == 200
    assert "Delete schema sample-fixed?" in html
    assert "Batches that use it: 4." in html
    assert service.get_schema("sample-fixed").version == 1


def test_delete_schema_confirmed(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """A confirmed delete removes the schema and returns to the list."""
    response = post(client, f"{PREFIX}/schema/crm-csv/delete", {"confirmed": "yes"})
    page = follow(client, response)

    assert response.headers["Location"] == "/s/aspectfile/schemas"
    assert "Schema crm-csv was deleted." in text(page)
    with pytest.raises(SchemaNotFound, match="crm-csv"):
        service.get_schema("crm-csv")


def test_broken_stored_schema_shows_problems(service: BatchService) -> None:
    """A stored document that no longer parses shows its problems instead of failing the page."""
    service.repository.save_schema(
        name="legacy",
        document='name = "legacy"\nformat = "fixed"\n',
        document_format="toml",
        description="",
        now=service.clock.now(),
    )
    client = Client(make_app(service))

    response = client.get(f"{PREFIX}/schema/legacy")

    assert response.status_code == 200
    assert "This stored document is no longer a valid schema" in text(response)
