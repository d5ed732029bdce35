"""The batch list and batch detail pages, through Werkzeug's test client."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from werkzeug.test import Client

from aspectfile_core import BatchService, Contact
from aspectfile_core.adapters.fsspec_store import UPLOADING
from aspectfile_core.adapters.store_errors import BucketNotFound, StoreUnavailable
from aspectfile_core.i18n import translation
from aspectfile_core.testing import FixedClock
from aspectfile_core.web.batch_views import page_numbers
from tests.web.conftest import PREFIX, make_app, text
from tests.web.seed import (
    START,
    BucketStore,
    contacts_from,
    fixed_schema_text,
    sample_rows,
)


def add_batches(service: BatchService, clock: FixedClock, count: int) -> list[int]:
    """Add *count* single-lead batches, one minute apart; return their ids, oldest first."""
    service.register_schema(fixed_schema_text(), "toml")
    rows = sample_rows()
    ids = []
    for event in range(1, count + 1):
        clock.set(START + dt.timedelta(minutes=event))
        fields = {**rows[event % len(rows)], "id": str(event)}
        result = service.add_contact(
            campaign_id=7, event_id=event, schema_name="sample-fixed", lead_id=event, fields=fields
        )
        ids.append(result.batch_ids[0])
    return ids


def row_ids(html: str) -> list[int]:
    return [int(value) for value in re.findall(r'<tr id="batch-(\d+)"', html)]


# The list


def test_list_shows_every_column(client: Client, seeded: dict[str, int]) -> None:
    """A row shows id, status, schema, campaign/event, lead counts, file, size and created time."""
    response = client.get(f"{PREFIX}/batches")
    html = text(response)

    assert response.status_code == 200
    row = html.split(f'<tr id="batch-{seeded["uploaded"]}"')[1].split("</tr>")[0]
    assert f"#{seeded['uploaded']}" in row
    assert "badge-uploaded" in row
    assert "Uploaded" in row
    assert "sample-fixed" in row
    assert "12 / 3" in row
    assert ">0</span> /" in row
    assert ">25</span> /" in row
    assert ">3</span>" in row
    assert "ASPECT_12_20260302_000001.txt" in row
    assert re.search(r"\(\d[\d.,]* KB\)", row)
    assert "3/2/26" in row


def test_list_is_newest_first(client: Client, seeded: dict[str, int]) -> None:
    """Batches are listed newest first, with the total count."""
    html = text(client.get(f"{PREFIX}/batches"))

    assert row_ids(html) == [
        seeded[role] for role in ("open", "retry", "failed", "csv", "uploaded")
    ]
    assert "Batches in total: 5" in html


@pytest.mark.parametrize(
    ("status", "css", "label"),
    [
        ("PENDING", "badge-pending", "Pending"),
        ("UPLOADED", "badge-uploaded", "Uploaded"),
        ("FAILED", "badge-failed", "Failed"),
    ],
    ids=["pending", "uploaded", "failed"],
)
def test_badge_has_text_and_colour(
    client: Client, seeded: dict[str, int], status: str, css: str, label: str
) -> None:
    """Each status badge carries a colour class and a written label, so colour is never the only signal."""
    html = text(client.get(f"{PREFIX}/batches", query_string={"status": status}))

    badge = re.search(rf'<span class="badge {css}"[^>]*>.*?</span>\s*([^<]+)</span>', html)
    assert badge is not None
    assert badge.group(1).strip() == label


@pytest.mark.parametrize("status", ["PENDING", "UPLOADED", "FAILED"])
def test_batch_badge_title_names_status_code(
    client: Client, seeded: dict[str, int], status: str
) -> None:
    """A batch badge's tooltip gives the code that SQL and the CLI's --status use."""
    html = text(client.get(f"{PREFIX}/batches", query_string={"status": status}))

    assert f'title="Status code: {status}"' in html


def test_lead_badge_title_names_status_code(client: Client, seeded: dict[str, int]) -> None:
    """A lead badge's tooltip gives the lead's status code."""
    path = f"{PREFIX}/batch/{seeded['uploaded']}"
    generated = text(client.get(path, query_string={"status": "GENERATED"}))
    failed = text(client.get(path, query_string={"status": "FAILED"}))

    assert 'title="Status code: GENERATED"' in generated
    assert 'title="Status code: FAILED"' in failed


def test_reprocess_button_only_on_failed(client: Client, seeded: dict[str, int]) -> None:
    """Rows offer reprocess only for FAILED batches, and delete on every row."""
    html = text(client.get(f"{PREFIX}/batches"))

    assert html.count("/reprocess") == 1
    assert f"/batch/{seeded['failed']}/reprocess" in html
    assert html.count('action="/s/aspectfile/batch/') == 6
    assert "Process now" in html


def test_list_empty_state(client: Client) -> None:
    """With no batch, the list explains how batches are created instead of showing an empty table."""
    html = text(client.get(f"{PREFIX}/batches"))

    assert 'id="empty-state"' in html
    assert "No batches yet" in html
    assert "aspectfile-run enqueue" in html
    assert "batch-table" not in html
    assert "Batches in total: 0" in html
    assert 'class="pagination"' not in html


def test_filters_without_match(client: Client, seeded: dict[str, int]) -> None:
    """Filters that match nothing show a notice and offer to clear them."""
    html = text(client.get(f"{PREFIX}/batches", query_string={"campaign": "99"}))

    assert "No batch matches these filters" in html
    assert "Clear filters" in html


@pytest.mark.parametrize(
    ("query", "roles"),
    [
        ({"status": "FAILED"}, ["failed"]),
        ({"status": "pending"}, ["open", "retry"]),
        ({"campaign": "15"}, ["retry", "failed"]),
        ({"schema": "crm-csv"}, ["csv"]),
        ({"campaign": "12", "schema": "sample-fixed"}, ["open", "uploaded"]),
        (
            {"created_from": "2026-03-02", "created_to": "2026-03-02"},
            ["open", "retry", "failed", "csv", "uploaded"],
        ),
        ({"created_from": "2026-03-03"}, []),
        ({"created_to": "2026-03-01"}, []),
    ],
    ids=[
        "status",
        "status-lower-case",
        "campaign",
        "schema",
        "campaign-and-schema",
        "one-day",
        "after",
        "before",
    ],
)
def test_list_filters(
    client: Client, seeded: dict[str, int], query: dict[str, str], roles: list[str]
) -> None:
    """Filters by status, campaign, schema and creation date narrow the list and its total."""
    html = text(client.get(f"{PREFIX}/batches", query_string=query))

    assert row_ids(html) == [seeded[role] for role in roles]
    if roles:
        assert f"Batches matching the filters: {len(roles)}" in html


def test_dates_use_configured_zone(service: BatchService, seeded: dict[str, int]) -> None:
    """Date filters and shown times follow the admin's time zone, not UTC."""
    client = Client(make_app(service, timezone="Australia/Brisbane"))

    html = text(client.get(f"{PREFIX}/batches", query_string={"created_from": "2026-03-03"}))

    # UTC+10: the retry batch was created at 14:00 UTC, midnight of March 3 in Brisbane.
    assert row_ids(html) == [seeded["open"], seeded["retry"]]
    assert "Australia/Brisbane" in html
    assert "3/3/26, 12:00\u202fAM" in html


def test_filters_kept_in_form(client: Client, seeded: dict[str, int]) -> None:
    """The filter form shows the filters in use."""
    html = text(
        client.get(
            f"{PREFIX}/batches",
            query_string={"status": "FAILED", "campaign": "15", "schema": "sample-fixed"},
        )
    )

    assert '<option value="FAILED" selected>' in html
    assert 'name="campaign" type="number" min="1" step="1" inputmode="numeric" value="15"' in html
    assert '<option value="sample-fixed" selected>' in html


# Pagination


@pytest.mark.parametrize(
    ("count", "page", "shown", "pages"),
    [
        (20, 1, 20, 1),
        (21, 1, 20, 2),
        (21, 2, 1, 2),
        (40, 2, 20, 2),
        (41, 3, 1, 3),
    ],
    ids=["exactly-one-page", "one-over", "last-page-of-one", "exact-multiple-last", "third-page"],
)
def test_pagination_boundaries(
    client: Client,
    service: BatchService,
    clock: FixedClock,
    count: int,
    page: int,
    shown: int,
    pages: int,
) -> None:
    """Pages hold 20 batches; the last page shows the rest, and an exact multiple adds no empty page."""
    ids = add_batches(service, clock, count)

    html = text(client.get(f"{PREFIX}/batches/{page}"))

    newest_first = ids[::-1]
    assert row_ids(html) == newest_first[(page - 1) * 20 : (page - 1) * 20 + shown]
    assert f"Page {page} of {pages}" in html
    assert (f'rel="next" href="/s/aspectfile/batches/{page + 1}"' in html) == (page < pages)


def test_single_page_has_no_pager(client: Client, service: BatchService, clock: FixedClock) -> None:
    """Twenty batches fit on one page, which shows no page links."""
    add_batches(service, clock, 20)

    html = text(client.get(f"{PREFIX}/batches"))

    assert 'class="pagination"' not in html
    assert "Page 1 of 1" in html


def test_page_links_keep_filters(client: Client, service: BatchService, clock: FixedClock) -> None:
    """Links to other pages carry the filters along."""
    add_batches(service, clock, 25)

    html = text(
        client.get(f"{PREFIX}/batches", query_string={"campaign": "7", "status": "PENDING"})
    )

    assert 'href="/s/aspectfile/batches/2?status=PENDING&amp;campaign=7"' in html


def test_page_past_end_redirects(client: Client, service: BatchService, clock: FixedClock) -> None:
    """A page number past the last page redirects to the last page, filters kept."""
    add_batches(service, clock, 21)

    response = client.get(f"{PREFIX}/batches/9", query_string={"campaign": "7"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/s/aspectfile/batches/2?campaign=7"


def test_page_past_end_of_empty_list(client: Client) -> None:
    """With no batches, any page redirects to the one empty page."""
    response = client.get(f"{PREFIX}/batches/2")

    assert response.status_code == 302
    assert response.headers["Location"] == "/s/aspectfile/batches"


def test_page_one_aliases_list(client: Client, seeded: dict[str, int]) -> None:
    """/batches/1 shows the same page as /batches."""
    assert row_ids(text(client.get(f"{PREFIX}/batches/1"))) == row_ids(
        text(client.get(f"{PREFIX}/batches"))
    )


@pytest.mark.parametrize(
    ("current", "pages", "expected"),
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (6, 20, [1, None, 4, 5, 6, 7, 8, None, 20]),
        (20, 20, [1, None, 18, 19, 20]),
        (4, 7, [1, 2, 3, 4, 5, 6, 7]),
    ],
    ids=["single", "few", "middle", "last", "no-gap-of-one"],
)
def test_page_numbers(current: int, pages: int, expected: list[int | None]) -> None:
    """The pager shows the first, last and nearby pages, with gaps marked."""
    assert page_numbers(current, pages) == expected


# The detail page


def test_detail_shows_every_field(client: Client, seeded: dict[str, int]) -> None:
    """The detail page shows every batch field, the lead counts and the attempts."""
    batch_id = seeded["uploaded"]

    response = client.get(f"{PREFIX}/batch/{batch_id}")
    html = text(response)

    assert response.status_code == 200
    fields = html.split('id="batch-fields"')[1].split("</dl>")[0]
    for expected in [
        "sample-fixed",
        "(version 1)",
        "12 / 3",
        "discador-sp",
        "ASPECT_12_20260302_000001.txt",
        "aspect/campaign-12/ASPECT_12_20260302_000001.txt",
        "memory://discador-sp/aspect/campaign-12/ASPECT_12_20260302_000001.txt",
        "KB",
        "Mar 2, 2026, 11:00:00",
        "Mar 2, 2026, 11:05:00",
    ]:
        assert expected in fields, expected
    stats = html.split('id="lead-stats"')[1].split("</dl>")[0]
    assert [int(value) for value in re.findall(r"<dd>(\d+)</dd>", stats)] == [28, 0, 25, 3]
    attempts = html.split('id="attempt-table"')[1].split("</table>")[0]
    assert "dialer-worker-01" in attempts
    assert "Uploaded" in attempts
    assert 'title="Size in bytes: ' in fields


def test_detail_shows_error_and_attempt_outcome(client: Client, seeded: dict[str, int]) -> None:
    """A failed batch shows its error message and the failed attempt."""
    html = text(client.get(f"{PREFIX}/batch/{seeded['failed']}"))

    assert "bucket &#39;discador-rj&#39; not found" in html
    attempts = html.split('id="attempt-table"')[1].split("</table>")[0]
    assert "Failed" in attempts
    assert 'id="reprocess"' in html


def test_detail_retry_shows_next_attempt(client: Client, seeded: dict[str, int]) -> None:
    """A batch waiting to retry shows when the next attempt is due and the 'will retry' outcome."""
    html = text(client.get(f"{PREFIX}/batch/{seeded['retry']}"))

    assert "Next attempt" in html
    assert "Will retry" in html
    assert "timed out after 30 s" in html


def test_detail_uploaded_offers_deliver_again(client: Client, seeded: dict[str, int]) -> None:
    """An uploaded batch offers 'Deliver again', which needs confirmation, not 'Reprocess'."""
    html = text(client.get(f"{PREFIX}/batch/{seeded['uploaded']}"))

    assert 'id="deliver-again"' in html
    assert 'id="reprocess"' not in html
    assert 'name="force" value="yes"' in html


def test_deliver_again_names_cli_command(client: Client, seeded: dict[str, int]) -> None:
    """The 'Deliver again' tooltip states that it reprocesses, as the CLI's reprocess --force."""
    batch_id = seeded["uploaded"]
    html = text(client.get(f"{PREFIX}/batch/{batch_id}"))

    title = button_title(html, "deliver-again")
    assert title.startswith("Reprocesses this uploaded batch")
    assert f"'aspectfile-run reprocess {batch_id} --force'" in title


def test_deliver_again_tooltip_in_portuguese(client: Client, seeded: dict[str, int]) -> None:
    """The 'Deliver again' tooltip goes through the catalog like the button's label."""
    batch_id = seeded["uploaded"]
    html = text(client.get(f"{PREFIX}/batch/{batch_id}", headers={"Accept-Language": "pt-BR"}))
    catalog = translation("pt_BR")
    expected = catalog.gettext(
        "Reprocesses this uploaded batch as 'aspectfile-run reprocess %(id)s --force' does, "
        "so its file is written and delivered again."
    ) % {"id": batch_id}

    assert button_title(html, "deliver-again") == expected
    assert f">{catalog.gettext('Deliver again')}</button>" in html


@pytest.mark.parametrize("role", ["open", "retry"], ids=["open", "waiting-retry"])
def test_detail_pending_offers_process_now(
    client: Client, seeded: dict[str, int], role: str
) -> None:
    """A PENDING batch's page has 'Process now', posting with a CSRF token and a way back."""
    batch_id = seeded[role]
    path = f"{PREFIX}/batch/{batch_id}"
    html = text(client.get(path, query_string={"status": "GENERATED"}))

    form = form_of(html, "process-now")
    assert 'action="/s/aspectfile/batches/process"' in form
    assert 'method="post"' in form
    assert re.search(r'name="csrf_token" value="[^"]+"', form)
    assert f'name="next" value="{path}?status=GENERATED"' in form
    assert 'id="reprocess"' not in html
    assert 'id="deliver-again"' not in html


@pytest.mark.parametrize("role", ["uploaded", "failed"])
def test_detail_not_pending_has_no_process_now(
    client: Client, seeded: dict[str, int], role: str
) -> None:
    """Only a PENDING batch's page offers 'Process now'."""
    html = text(client.get(f"{PREFIX}/batch/{seeded[role]}"))

    assert 'id="process-now"' not in html


def test_delete_confirmation_has_no_plural_noun(client: Client, seeded: dict[str, int]) -> None:
    """The delete question gives the lead count apart from the noun, so one lead reads well."""
    batch_id = seeded["uploaded"]
    expected = (
        f'data-confirm="Delete batch {batch_id} and its leads (28)? '
        'Its stored file stays in the store."'
    )

    assert expected in text(client.get(f"{PREFIX}/batch/{batch_id}"))
    assert expected in text(client.get(f"{PREFIX}/batches"))


def test_detail_new_batch_has_no_attempts(client: Client, seeded: dict[str, int]) -> None:
    """A batch no worker claimed yet shows a notice instead of an empty attempts table."""
    html = text(client.get(f"{PREFIX}/batch/{seeded['open']}"))

    assert "No attempt yet" in html
    assert "open for new contacts" in html
    assert 'id="failed-csv"' not in html


def test_leads_table(client: Client, seeded: dict[str, int]) -> None:
    """Leads show name, email, a link to the host's contact page, status and reason."""
    html = text(
        client.get(f"{PREFIX}/batch/{seeded['uploaded']}", query_string={"status": "FAILED"})
    )

    table = html.split('id="lead-table"')[1].split("</table>")[0]
    row = table.split('data-lead-id="1090"')[1].split("</tr>")[0]
    assert "Rogério Tavares" in row
    assert "rogerio.tavares@exemplo.com.br" in row
    assert '<a href="/s/contacts/view/1090">1090</a>' in row
    assert "badge-lead-failed" in row
    assert "phone: &#34;(11) 1234&#34; is not a valid phone number" in row
    assert "first_name: required, but the value is empty" in table


def test_leads_filter_and_pages(client: Client, seeded: dict[str, int]) -> None:
    """Leads are 20 per page and filter by status; the filter stays in the page links."""
    batch_id = seeded["uploaded"]

    first = text(client.get(f"{PREFIX}/batch/{batch_id}"))
    second = text(client.get(f"{PREFIX}/batch/{batch_id}", query_string={"page": "2"}))
    failed = text(client.get(f"{PREFIX}/batch/{batch_id}", query_string={"status": "failed"}))

    assert first.count("data-lead-id=") == 20
    assert "Page 1 of 2" in first
    assert f'href="/s/aspectfile/batch/{batch_id}?page=2"' in first
    assert second.count("data-lead-id=") == 8
    assert failed.count("data-lead-id=") == 3
    assert "Matching leads: 3" in failed
    assert '<option value="FAILED" selected>' in failed


def test_leads_page_past_end_redirects(client: Client, seeded: dict[str, int]) -> None:
    """A lead page past the last one redirects to the last page, status filter kept."""
    batch_id = seeded["uploaded"]

    response = client.get(
        f"{PREFIX}/batch/{batch_id}", query_string={"page": "5", "status": "FAILED"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/s/aspectfile/batch/{batch_id}?status=FAILED&page=1"


def test_leads_filter_without_match(client: Client, seeded: dict[str, int]) -> None:
    """A status filter that matches no lead says so."""
    html = text(client.get(f"{PREFIX}/batch/{seeded['csv']}", query_string={"status": "FAILED"}))

    assert "No lead of this batch has this status." in html


def test_contact_link_escapes_lead_id(service: BatchService, clock: FixedClock) -> None:
    """Lead ids are URL-encoded into the contact link, so an id cannot change the link's path."""
    service.register_schema(fixed_schema_text(), "toml")
    service.add_contacts(
        campaign_id=1, event_id=1, schema_name="sample-fixed", contacts=[Contact("a/../b?c", {})]
    )
    client = Client(make_app(service))

    html = text(client.get(f"{PREFIX}/batch/1"))

    assert 'href="/s/contacts/view/a%2F..%2Fb%3Fc"' in html


def test_no_contact_url_shows_plain_id(service: BatchService, seeded: dict[str, int]) -> None:
    """Without a contact URL template, lead ids are plain text."""
    client = Client(make_app(service, contact_url=None))

    html = text(client.get(f"{PREFIX}/batch/{seeded['csv']}"))

    assert "/s/contacts/view/" not in html
    assert ">3001</td>" in html


def test_name_and_email_fields_configurable(service: BatchService, clock: FixedClock) -> None:
    """Hosts whose contacts use other field names choose which ones the leads table shows."""
    service.register_schema(fixed_schema_text(), "toml")
    service.add_contacts(
        campaign_id=1,
        event_id=1,
        schema_name="sample-fixed",
        contacts=[
            Contact(5, {"nome": "Ana", "sobrenome": "Lima", "correio": "ana@exemplo.com.br"})
        ],
    )
    client = Client(make_app(service, name_fields=("nome", "sobrenome"), email_field="correio"))

    html = text(client.get(f"{PREFIX}/batch/1"))

    assert "Ana Lima" in html
    assert "ana@exemplo.com.br" in html


# Attempts after a reprocess


@pytest.mark.parametrize("repository", ["service", "sql_service"], ids=["memory", "sql"])
def test_attempts_numbered_in_order_after_reprocess(
    request: pytest.FixtureRequest, clock: FixedClock, store: BucketStore, repository: str
) -> None:
    """Attempts before and after a reprocess are numbered 1, 2, 3 by start time.

    Reprocessing resets the stored attempt numbers, so the two runs store 1, 2 and 1.
    """
    service: BatchService = request.getfixturevalue(repository)
    client = Client(make_app(service))
    service.register_schema(fixed_schema_text(), "toml")
    store.errors["discador-ba"] = [
        StoreUnavailable(operation=UPLOADING, location="s3://discador-ba/", reason="timed out"),
        BucketNotFound(bucket="discador-ba", endpoint="http://127.0.0.1:9000"),
    ]
    batch_id = service.add_contacts(
        campaign_id=30,
        event_id=1,
        schema_name="sample-fixed",
        contacts=contacts_from(sample_rows()[:3]),
        bucket="discador-ba",
    ).batch_ids[0]
    clock.advance(minutes=5)
    service.process()
    clock.advance(hours=2)
    service.process()
    clock.advance(minutes=30)
    service.reprocess(batch_id)
    clock.advance(minutes=1)
    service.process()

    html = text(client.get(f"{PREFIX}/batch/{batch_id}"))
    table = html.split('id="attempt-table"')[1].split("</table>")[0]

    assert sorted(attempt.number for attempt in service.list_attempts(batch_id)) == [1, 1, 2]
    assert re.findall(r'<td data-label="#">([^<]*)</td>', table) == ["1", "2", "3"]
    assert re.findall(r'<td data-label="Outcome">([^<]*)</td>', table) == [
        "Will retry",
        "Failed",
        "Uploaded",
    ]
    fields = html.split('id="batch-fields"')[1].split("</dl>")[0]
    assert '<dd>1 <span class="muted">(since the last reprocess)</span></dd>' in fields


def test_attempt_count_without_reprocess_has_no_note(
    client: Client, seeded: dict[str, int]
) -> None:
    """A batch never reprocessed shows its attempt count without the reprocess note."""
    html = text(client.get(f"{PREFIX}/batch/{seeded['uploaded']}"))

    assert "since the last reprocess" not in html


def button_title(html: str, button_id: str) -> str:
    """Return the unescaped title attribute of the button with *button_id*."""
    match = re.search(rf'<button [^>]*id="{button_id}"[^>]*title="([^"]*)"', html)
    assert match is not None, f"no titled button {button_id}"
    return unescape(match.group(1))


def form_of(html: str, button_id: str) -> str:
    """Return the HTML of the form that contains the button with *button_id*."""
    before, after = html.split(f'id="{button_id}"', 1)
    return before[before.rindex("<form") :] + after[: after.index("</form>")]
