"""Batch pages and actions: list, detail, reprocess, delete, process now, failed leads as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import attrs
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from aspectfile_core.domain.errors import BatchBusy, ForceRequired, IllegalTransition
from aspectfile_core.domain.model import PAGE_SIZE, Lead
from aspectfile_core.domain.status import BatchStatus, LeadStatus
from aspectfile_core.ports import BatchFilter
from aspectfile_core.web.context import RequestContext
from aspectfile_core.web.params import (
    BatchFilterForm,
    parse_batch_filters,
    parse_batch_id,
    parse_lead_status,
    parse_page,
)

logger = logging.getLogger(__name__)

CSV_PAGE_SIZE = 1000
"""Failed leads read from the repository per query while writing the CSV download."""
CSV_DELIMITERS = {"pt_BR": ";"}
"""Spreadsheets in locales with a decimal comma expect ';' between CSV cells; others use ','."""
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a CSV cell as a formula."""


@attrs.frozen
class LeadRow:
    """One line of the leads table, ready to show."""

    lead_id: str
    name: str
    email: str
    contact_url: str | None
    status: LeadStatus
    reason: str
    warnings: tuple[str, ...]


def page_numbers(current: int, pages: int, around: int = 2) -> list[int | None]:
    """Return the page numbers to link, with None where a gap is shown: 1 … 4 5 [6] 7 8 … 20."""
    wanted = {1, pages, *range(current - around, current + around + 1)}
    shown = sorted(number for number in wanted if 1 <= number <= pages)
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def list_url(ctx: RequestContext, page: int, form: BatchFilterForm) -> str:
    if page == 1:
        return ctx.url("batch_list", query=form.query())
    return ctx.url("batch_list_page", page=page, query=form.query())


def batch_list(ctx: RequestContext, page: str = "1") -> Response:
    _ = ctx._
    service = ctx.app.service
    number = parse_page(page, _)
    filters, form = parse_batch_filters(ctx.request.args, ctx.app.settings.zone, _)

    result = service.list_batches(number, per_page=PAGE_SIZE, filters=filters)
    if number > result.pages:
        return redirect(list_url(ctx, result.pages, form), code=302)

    schema_names = [stored.name for stored in service.list_schemas()]
    if form.schema and form.schema not in schema_names:
        schema_names.append(form.schema)
    return ctx.render(
        "batches.html",
        result=result,
        form=form,
        statuses=list(BatchStatus),
        schema_names=schema_names,
        page_numbers=page_numbers(result.page, result.pages),
        page_url=lambda target: list_url(ctx, target, form),
    )


def process_now(ctx: RequestContext) -> Response:
    _ = ctx._
    service = ctx.app.service
    settings = ctx.app.settings
    deadline = service.clock.now() + dt.timedelta(seconds=settings.process_seconds)

    report = service.process(settings.process_limit, deadline=deadline)
    waiting = service.list_batches(
        1, per_page=1, filters=BatchFilter(status=BatchStatus.PENDING)
    ).total
    logger.info(
        "AspectFile: Web admin processed batches: %s uploaded, %s retried, %s failed, %s lost",
        len(report.uploaded),
        len(report.retried),
        len(report.failed),
        len(report.lost),
        extra={"action": "web_process"},
    )

    if report.rescued:
        ctx.flash(
            "info",
            _("Batches recovered from stopped workers: {count}.").format(
                count=ctx.format.number(len(report.rescued))
            ),
        )
    handled = len(report.uploaded) + len(report.retried) + len(report.failed) + len(report.lost)
    if not handled:
        ctx.flash(
            "info",
            _("No batch was due. Batches still pending: {waiting}.").format(
                waiting=ctx.format.number(waiting)
            ),
        )
    else:
        message = _(
            "Batches processed: {handled}. Uploaded: {uploaded}, to retry: {retried}, "
            "failed: {failed}. Still pending for the workers: {waiting}."
        ).format(
            handled=ctx.format.number(handled),
            uploaded=ctx.format.number(len(report.uploaded)),
            retried=ctx.format.number(len(report.retried)),
            failed=ctx.format.number(len(report.failed)),
            waiting=ctx.format.number(waiting),
        )
        if report.lost:
            message += " " + _("Taken over by another worker: {lost}.").format(
                lost=ctx.format.number(len(report.lost))
            )
        ctx.flash("success" if report.all_uploaded else "warning", message)
    return ctx.redirect(ctx.safe_next(ctx.url("batch_list")))


def batch_detail(ctx: RequestContext, batch_id: str) -> Response:
    _ = ctx._
    service = ctx.app.service
    identifier = parse_batch_id(batch_id, _)
    status = parse_lead_status(ctx.request.args.get("status"), _)
    number = parse_page(ctx.request.args.get("page"), _)

    summary = service.get_batch(identifier)
    leads = service.list_leads(identifier, number, per_page=PAGE_SIZE, status=status)
    status_query = {"status": status.value if status else ""}
    if number > leads.pages:
        return redirect(
            ctx.url(
                "batch_detail", batch_id=identifier, query={**status_query, "page": leads.pages}
            ),
            code=302,
        )
    # Reprocessing resets the batch's attempt count, so the next attempt is stored as number 1
    # again. The page numbers attempts by position, which every repository lists oldest first.
    attempts = service.list_attempts(identifier)

    return ctx.render(
        "batch.html",
        summary=summary,
        batch=summary.batch,
        counts=summary.counts,
        attempts=attempts,
        leads=leads,
        lead_rows=[lead_row(ctx, lead) for lead in leads.items],
        lead_status=status,
        lead_statuses=list(LeadStatus),
        page_numbers=page_numbers(leads.page, leads.pages),
        page_url=lambda target: ctx.url(
            "batch_detail", batch_id=identifier, query={**status_query, "page": target}
        ),
        lease_is_live=(
            summary.batch.lease_expires_at is not None
            and summary.batch.lease_expires_at > service.clock.now()
        ),
    )


def lead_row(ctx: RequestContext, lead: Lead) -> LeadRow:
    settings = ctx.app.settings
    return LeadRow(
        lead_id=lead.lead_id,
        name=display_name(lead.fields, settings.name_fields),
        email=_text(lead.fields.get(settings.email_field)),
        contact_url=(
            settings.contact_url.format(lead_id=quote(lead.lead_id, safe=""))
            if settings.contact_url
            else None
        ),
        status=lead.status,
        reason=ctx.format.failure(lead.failure),
        warnings=tuple(ctx.format.warning(warning) for warning in lead.warnings),
    )


def display_name(fields: Mapping[str, Any], name_fields: tuple[str, ...]) -> str:
    return " ".join(part for part in (_text(fields.get(name)) for name in name_fields) if part)


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def reprocess(ctx: RequestContext, batch_id: str) -> Response:
    _ = ctx._
    service = ctx.app.service
    identifier = parse_batch_id(batch_id, _)
    force = ctx.request.form.get("force") == "yes"
    back = ctx.safe_next(ctx.url("batch_detail", batch_id=identifier))

    if force and ctx.request.form.get("confirmed") != "yes":
        summary = service.get_batch(identifier)
        return ctx.render(
            "confirm.html",
            title=_("Deliver batch {id} again?").format(id=identifier),
            question=_(
                "Batch {id} was already uploaded as {file}. Reprocessing writes its file again "
                "and delivers it to the dialer a second time."
            ).format(id=identifier, file=summary.batch.file_name or "-"),
            action=ctx.url("batch_reprocess", batch_id=identifier),
            fields={"force": "yes", "next": back},
            confirm_label=_("Deliver again"),
            cancel_url=back,
            danger=True,
        )

    try:
        service.reprocess(identifier, force=force)
    except ForceRequired:
        ctx.flash(
            "error",
            _(
                "Batch {id} is already uploaded. Reprocessing delivers its file again; "
                "use 'Deliver again' on the batch page to confirm."
            ).format(id=identifier),
        )
    except IllegalTransition as error:
        ctx.flash(
            "error",
            _(
                "Batch {id} is {status}; only failed and uploaded batches can be reprocessed."
            ).format(id=identifier, status=ctx.format.batch_status(error.from_state)),
        )
    else:
        ctx.flash(
            "success",
            _("Batch {id} is pending again; the next processing run generates its file.").format(
                id=identifier
            ),
        )
    return ctx.redirect(back)


def delete(ctx: RequestContext, batch_id: str) -> Response:
    _ = ctx._
    service = ctx.app.service
    identifier = parse_batch_id(batch_id, _)
    summary = service.get_batch(identifier)
    detail_url = ctx.url("batch_detail", batch_id=identifier)
    back = ctx.safe_next(ctx.url("batch_list"))
    if back.split("?")[0] == detail_url:
        back = ctx.url("batch_list")

    if ctx.request.form.get("confirmed") != "yes":
        return ctx.render(
            "confirm.html",
            title=_("Delete batch {id}?").format(id=identifier),
            question=_(
                "Batch {id} ({status}) and its leads ({count}) will be deleted. "
                "A file already delivered stays where it is."
            ).format(
                id=identifier,
                status=ctx.format.batch_status(summary.batch.status),
                count=ctx.format.number(summary.counts.total),
            ),
            action=ctx.url("batch_delete", batch_id=identifier),
            fields={"next": ctx.request.form.get("next", "")},
            confirm_label=_("Delete"),
            cancel_url=ctx.safe_next(detail_url),
            danger=True,
        )

    try:
        service.delete(identifier)
    except BatchBusy:
        ctx.flash(
            "error",
            _(
                "Batch {id} is being processed by a worker right now. Try again when it finishes."
            ).format(id=identifier),
        )
        return ctx.redirect(detail_url)

    ctx.flash(
        "success",
        _("Batch {id} and its leads ({count}) were deleted.").format(
            id=identifier, count=ctx.format.number(summary.counts.total)
        ),
    )
    return ctx.redirect(back)


def failed_leads_csv(ctx: RequestContext, batch_id: str) -> Response:
    identifier = parse_batch_id(batch_id, ctx._)
    first = ctx.app.service.list_leads(
        identifier, 1, per_page=CSV_PAGE_SIZE, status=LeadStatus.FAILED
    )
    response = Response(
        _csv_lines(ctx, identifier, first.items, first.has_next),
        mimetype="text/csv",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="batch-{identifier}-failed-leads.csv"'
    )
    return response


def _csv_lines(
    ctx: RequestContext, batch_id: int, first_page: Any, has_next: bool
) -> Iterator[bytes]:
    settings = ctx.app.settings
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=CSV_DELIMITERS.get(ctx.locale, ","), lineterminator="\r\n"
    )
    header = [
        "lead_id",
        *settings.name_fields,
        settings.email_field,
        "reason_code",
        "field",
        "value",
        "reason",
    ]

    def flush() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    writer.writerow(header)
    yield "\ufeff".encode() + flush()

    leads = list(first_page)
    page = 1
    while True:
        for lead in leads:
            failure = lead.failure
            writer.writerow(
                [
                    _cell(value)
                    for value in [
                        lead.lead_id,
                        *(_text(lead.fields.get(name)) for name in settings.name_fields),
                        _text(lead.fields.get(settings.email_field)),
                        failure.code if failure else "",
                        (failure.field or "") if failure else "",
                        (failure.value or "") if failure else "",
                        ctx.format.failure(failure),
                    ]
                ]
            )
        yield flush()
        if not has_next:
            return
        page += 1
        result = ctx.app.service.list_leads(
            batch_id, page, per_page=CSV_PAGE_SIZE, status=LeadStatus.FAILED
        )
        leads, has_next = list(result.items), result.has_next


def _cell(value: str) -> str:
    """Return *value* with a leading apostrophe when a spreadsheet would run it as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value
