"""Batch actions: reprocess, delete, process now and the failed-leads CSV, with Post/Redirect/Get."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from werkzeug.test import Client

from aspectfile_core import BatchService, BatchStatus
from aspectfile_core.domain.errors import TransientError
from aspectfile_core.testing import FixedClock
from tests.web.conftest import PREFIX, follow, make_app, post, text
from tests.web.seed import BucketStore

# Reprocess


def test_reprocess_failed_batch(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """Reprocess sends a FAILED batch to PENDING, redirects and shows what happened."""
    batch_id = seeded["failed"]

    response = post(client, f"{PREFIX}/batch/{batch_id}/reprocess")
    page = follow(client, response)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/s/aspectfile/batch/{batch_id}"
    assert service.get_batch(batch_id).batch.status is BatchStatus.PENDING
    assert f"Batch {batch_id} is pending again" in text(page)
    assert "flash-success" in text(page)


def test_flash_shows_once(client: Client, seeded: dict[str, int]) -> None:
    """The message after an action shows on the next page only."""
    follow(client, post(client, f"{PREFIX}/batch/{seeded['failed']}/reprocess"))

    again = text(client.get(f"{PREFIX}/batch/{seeded['failed']}"))

    assert "is pending again" not in again


def test_reprocess_returns_to_list(client: Client, seeded: dict[str, int]) -> None:
    """From the list, reprocess returns to the same list page and filters."""
    back = f"{PREFIX}/batches?status=FAILED"

    response = post(client, f"{PREFIX}/batch/{seeded['failed']}/reprocess", {"next": back})

    assert response.headers["Location"] == back


@pytest.mark.parametrize(
    "target",
    [
        "https://attacker.example/",
        "//attacker.example/x",
        "/elsewhere",
        "/s/aspectfile\\..\\x",
        "javascript:alert(1)",
    ],
    ids=["absolute", "scheme-relative", "outside-admin", "backslash", "javascript"],
)
def test_next_outside_admin_ignored(client: Client, seeded: dict[str, int], target: str) -> None:
    """A 'next' address outside the admin is ignored, so actions cannot redirect elsewhere."""
    response = post(client, f"{PREFIX}/batch/{seeded['failed']}/reprocess", {"next": target})

    assert response.headers["Location"] == f"/s/aspectfile/batch/{seeded['failed']}"


@pytest.mark.parametrize("role", ["open", "retry"], ids=["open", "waiting-retry"])
def test_reprocess_pending_is_refused(
    client: Client, service: BatchService, seeded: dict[str, int], role: str
) -> None:
    """A PENDING batch cannot be reprocessed; the page shows why and nothing changes."""
    batch_id = seeded[role]

    page = follow(client, post(client, f"{PREFIX}/batch/{batch_id}/reprocess"))

    assert (
        f"Batch {batch_id} is Pending; only failed and uploaded batches can be reprocessed."
        in text(page)
    )
    assert "flash-error" in text(page)
    assert service.get_batch(batch_id).batch.status is BatchStatus.PENDING


def test_reprocess_uploaded_needs_force(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """Reprocessing an UPLOADED batch without force is refused with the way to confirm."""
    batch_id = seeded["uploaded"]

    page = follow(client, post(client, f"{PREFIX}/batch/{batch_id}/reprocess"))

    assert "is already uploaded" in text(page)
    assert service.get_batch(batch_id).batch.status is BatchStatus.UPLOADED


def test_force_reprocess_asks_first(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """'Deliver again' without confirmation shows a confirmation page and changes nothing."""
    batch_id = seeded["uploaded"]

    response = post(client, f"{PREFIX}/batch/{batch_id}/reprocess", {"force": "yes"})
    html = text(response)

    assert response.status_code == 200
    assert f"Deliver batch {batch_id} again?" in html
    assert "ASPECT_12_20260302_000001.txt" in html
    assert 'name="confirmed" value="yes"' in html
    assert 'name="force" value="yes"' in html
    assert service.get_batch(batch_id).batch.status is BatchStatus.UPLOADED


def test_force_reprocess_confirmed(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """A confirmed 'Deliver again' sends the UPLOADED batch back to PENDING."""
    batch_id = seeded["uploaded"]

    response = post(
        client, f"{PREFIX}/batch/{batch_id}/reprocess", {"force": "yes", "confirmed": "yes"}
    )

    assert response.status_code == 303
    assert service.get_batch(batch_id).batch.status is BatchStatus.PENDING


# Delete


def test_delete_asks_for_confirmation(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """Delete without confirmation (no JavaScript) responds with a confirmation page."""
    batch_id = seeded["failed"]

    response = post(client, f"{PREFIX}/batch/{batch_id}/delete", {"next": f"{PREFIX}/batches"})
    html = text(response)

    assert response.status_code == 200
    assert f"Delete batch {batch_id}?" in html
    assert "and its leads (12) will be deleted" in html
    assert 'name="confirmed" value="yes"' in html
    assert f'action="/s/aspectfile/batch/{batch_id}/delete"' in html
    assert 'name="next" value="/s/aspectfile/batches"' in html
    assert service.get_batch(batch_id).counts.total == 12


def test_delete_confirmed(client: Client, service: BatchService, seeded: dict[str, int]) -> None:
    """A confirmed delete removes the batch and its leads, then returns to the list with a message."""
    batch_id = seeded["failed"]

    response = post(client, f"{PREFIX}/batch/{batch_id}/delete", {"confirmed": "yes"})
    page = follow(client, response)

    assert response.headers["Location"] == "/s/aspectfile/batches"
    assert f"Batch {batch_id} and its leads (12) were deleted." in text(page)
    assert f'id="batch-{batch_id}"' not in text(page)
    assert client.get(f"{PREFIX}/batch/{batch_id}").status_code == 404


def test_delete_from_detail_goes_to_list(client: Client, seeded: dict[str, int]) -> None:
    """Deleting from the detail page does not send the operator back to the deleted batch."""
    batch_id = seeded["failed"]

    response = post(
        client,
        f"{PREFIX}/batch/{batch_id}/delete",
        {"confirmed": "yes", "next": f"{PREFIX}/batch/{batch_id}"},
    )

    assert response.headers["Location"] == "/s/aspectfile/batches"


def test_delete_last_row_of_last_page(
    client: Client, service: BatchService, clock: FixedClock
) -> None:
    """Deleting the only batch on the last page lands on the new last page."""
    from tests.web.test_batch_pages import add_batches

    ids = add_batches(service, clock, 21)

    response = post(
        client,
        f"{PREFIX}/batch/{ids[0]}/delete",
        {"confirmed": "yes", "next": f"{PREFIX}/batches/2"},
    )
    landing = client.get(response.headers["Location"])

    assert landing.status_code == 302
    assert landing.headers["Location"] == "/s/aspectfile/batches"


def test_delete_busy_batch_refused(
    client: Client, service: BatchService, clock: FixedClock, seeded: dict[str, int]
) -> None:
    """A batch a worker holds is not deleted; the page asks the operator to wait."""
    batch_id = seeded["open"]
    now = clock.now()
    service.repository.claim(
        owner="w", now=now, lease_expires_at=now + dt.timedelta(minutes=5), limit=5
    )

    page = follow(client, post(client, f"{PREFIX}/batch/{batch_id}/delete", {"confirmed": "yes"}))

    assert "is being processed by a worker right now" in text(page)
    assert service.get_batch(batch_id).batch.status is BatchStatus.GENERATING


# Process now


def test_process_now_reports(
    client: Client, service: BatchService, clock: FixedClock, seeded: dict[str, int]
) -> None:
    """'Process now' processes due batches and reports how many were uploaded, retried or failed."""
    clock.advance(hours=1)

    response = post(client, f"{PREFIX}/batches/process", {"next": f"{PREFIX}/batches?campaign=12"})
    page = follow(client, response)

    assert response.headers["Location"] == "/s/aspectfile/batches?campaign=12"
    assert (
        "Batches processed: 2. Uploaded: 2, to retry: 0, failed: 0. Still pending for the workers: 0."
        in text(page)
    )
    assert service.get_batch(seeded["open"]).batch.status is BatchStatus.UPLOADED
    assert service.get_batch(seeded["retry"]).batch.status is BatchStatus.UPLOADED


def test_process_now_from_detail_returns_there(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """'Process now' on a reprocessed batch's page processes the due batches and returns there.

    The open and the retry batch of the seeded day are due too, so three are processed.
    """
    batch_id = seeded["failed"]
    detail = f"{PREFIX}/batch/{batch_id}"
    follow(client, post(client, f"{detail}/reprocess", token_from=detail))
    html = text(client.get(detail, query_string={"status": "PENDING"}))
    fields = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form_of(html))
    )

    response = client.post(f"{PREFIX}/batches/process", data=fields)
    page = follow(client, response)

    assert response.status_code == 303
    assert response.headers["Location"] == f"{detail}?status=PENDING"
    assert (
        "Batches processed: 3. Uploaded: 3, to retry: 0, failed: 0. Still pending for the workers: 0."
        in text(page)
    )
    assert "flash-success" in text(page)
    assert service.get_batch(batch_id).batch.status is BatchStatus.UPLOADED


def test_process_now_from_detail_needs_csrf(
    client: Client, service: BatchService, seeded: dict[str, int]
) -> None:
    """The detail page's 'Process now' form without its CSRF token is rejected, and nothing runs."""
    batch_id = seeded["open"]
    detail = f"{PREFIX}/batch/{batch_id}"
    client.get(detail)

    response = client.post(f"{PREFIX}/batches/process", data={"next": detail})

    assert response.status_code == 403
    assert service.get_batch(batch_id).batch.status is BatchStatus.PENDING


def test_process_now_reports_recovered(
    client: Client, service: BatchService, clock: FixedClock, seeded: dict[str, int]
) -> None:
    """Batches whose worker stopped are counted without a plural noun after the number."""
    now = clock.now()
    service.repository.claim(
        owner="stopped-worker", now=now, lease_expires_at=now + dt.timedelta(minutes=1), limit=1
    )
    clock.advance(minutes=10)

    page = text(follow(client, post(client, f"{PREFIX}/batches/process")))

    assert "Batches recovered from stopped workers: 1." in page


def test_process_now_nothing_due(
    client: Client, service: BatchService, clock: FixedClock, seeded: dict[str, int]
) -> None:
    """With no batch due, 'Process now' reports that and counts those still waiting."""
    service.delete(seeded["open"])
    retry = service.get_batch(seeded["retry"]).batch
    assert retry.next_attempt_at is not None
    clock.set(retry.next_attempt_at - dt.timedelta(seconds=1))

    page = follow(client, post(client, f"{PREFIX}/batches/process"))

    assert "No batch was due. Batches still pending: 1." in text(page)
    assert service.get_batch(seeded["retry"]).batch.attempts == 1


def test_process_now_respects_limit(
    service: BatchService, clock: FixedClock, store: BucketStore
) -> None:
    """'Process now' works through at most the configured number of batches; the rest wait."""
    from tests.web.test_batch_pages import add_batches

    add_batches(service, clock, 3)
    client = Client(make_app(service, process_limit=2))

    page = follow(client, post(client, f"{PREFIX}/batches/process"))

    assert "Batches processed: 2. Uploaded: 2" in text(page)
    assert "Still pending for the workers: 1." in text(page)


def test_process_now_reports_retry(
    client: Client,
    service: BatchService,
    clock: FixedClock,
    store: BucketStore,
    seeded: dict[str, int],
) -> None:
    """A transient failure during 'Process now' is reported as a retry, in a warning."""
    clock.advance(hours=1)
    store.errors["discador-sp"] = [TransientError("connection reset")]

    page = text(follow(client, post(client, f"{PREFIX}/batches/process")))

    assert "Uploaded: 1, to retry: 1, failed: 0" in page
    assert "flash-warning" in page


def test_process_now_stops_at_deadline(
    service: BatchService, clock: FixedClock, store: BucketStore
) -> None:
    """No batch is started once the time budget is spent; the remaining ones stay PENDING."""
    from tests.web.test_batch_pages import add_batches

    add_batches(service, clock, 3)
    client = Client(make_app(service, process_seconds=30))
    store.on_store = lambda: clock.advance(seconds=31)

    page = text(follow(client, post(client, f"{PREFIX}/batches/process")))

    assert "Batches processed: 1. Uploaded: 1" in page
    assert "Still pending for the workers: 2." in page


# Failed leads as CSV


def test_failed_leads_csv(client: Client, seeded: dict[str, int]) -> None:
    """The CSV lists the failed leads with name, email, reason code, field, value and reason."""
    response = client.get(f"{PREFIX}/batch/{seeded['uploaded']}/failed-leads.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="batch-{seeded["uploaded"]}-failed-leads.csv"'
    )
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == [
        "lead_id",
        "firstname",
        "lastname",
        "email",
        "reason_code",
        "field",
        "value",
        "reason",
    ]
    assert rows[1] == [
        "1090",
        "Rogério",
        "Tavares",
        "rogerio.tavares@exemplo.com.br",
        "invalid_phone",
        "phone",
        "(11) 1234",
        'phone: "(11) 1234" is not a valid phone number',
    ]
    assert [row[0] for row in rows[1:]] == ["1090", "1091", "1092"]


def test_failed_leads_csv_pt_br(client: Client, seeded: dict[str, int]) -> None:
    """In Portuguese the CSV uses ';' between cells, as spreadsheets there expect, and translated reasons."""
    response = client.get(
        f"{PREFIX}/batch/{seeded['uploaded']}/failed-leads.csv",
        headers={"Accept-Language": "pt-BR"},
    )

    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert rows[1][-1] == 'phone: "(11) 1234" não é um número de telefone válido'


def test_failed_leads_csv_many_pages(
    client: Client, service: BatchService, clock: FixedClock
) -> None:
    """Batches with more failed leads than one query reads are written whole."""
    from aspectfile_core import Contact
    from tests.web.seed import fixed_schema_text

    service.register_schema(fixed_schema_text(), "toml")
    contacts = [
        Contact(index, {"id": str(index), "firstname": "", "mobile": "x"})
        for index in range(1, 1203)
    ]
    service.add_contacts(campaign_id=1, event_id=1, schema_name="sample-fixed", contacts=contacts)
    clock.advance(minutes=1)
    service.process()

    response = client.get(f"{PREFIX}/batch/1/failed-leads.csv")

    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 1 + 1202
    assert rows[-1][0] == "1202"


def test_csv_cells_cannot_run_formulas(
    client: Client, service: BatchService, clock: FixedClock
) -> None:
    """Cells starting with = + - @ get a leading apostrophe, so spreadsheets show them as text."""
    from aspectfile_core import Contact
    from tests.web.seed import fixed_schema_text

    service.register_schema(fixed_schema_text(), "toml")
    service.add_contacts(
        campaign_id=1,
        event_id=1,
        schema_name="sample-fixed",
        contacts=[
            Contact(
                1,
                {"id": "1", "firstname": '=HYPERLINK("x")', "lastname": "@SUM(A1)", "mobile": "+1"},
            )
        ],
    )
    clock.advance(minutes=1)
    service.process()

    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"{PREFIX}/batch/1/failed-leads.csv").get_data().decode("utf-8-sig")
            )
        )
    )

    assert rows[1][1] == '\'=HYPERLINK("x")'
    assert rows[1][2] == "'@SUM(A1)"
    assert rows[1][6] == "'+1"


def test_csv_of_batch_without_failures(client: Client, seeded: dict[str, int]) -> None:
    """A batch without failed leads gives a CSV with the header row only."""
    body = (
        client.get(f"{PREFIX}/batch/{seeded['csv']}/failed-leads.csv")
        .get_data()
        .decode("utf-8-sig")
    )

    assert body.splitlines() == ["lead_id,firstname,lastname,email,reason_code,field,value,reason"]


def test_csv_of_unknown_batch_is_404(client: Client) -> None:
    """The CSV of a batch that does not exist is a 404 page, not an empty file."""
    response = client.get(f"{PREFIX}/batch/404/failed-leads.csv")

    assert response.status_code == 404
    assert response.mimetype == "text/html"


def form_of(html: str) -> str:
    """Return the HTML of the form that contains the 'Process now' button."""
    before, after = html.split('id="process-now"', 1)
    return before[before.rindex("<form") :] + after[: after.index("</form>")]
