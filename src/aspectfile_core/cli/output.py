"""Text and JSON renderings of batches for the command line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import click
from babel.dates import format_datetime
from babel.numbers import format_decimal

from aspectfile_core.domain.model import Batch, BatchSummary, Lead, LeadCounts, Page
from aspectfile_core.domain.status import BatchStatus
from aspectfile_core.i18n import batch_status_label

Translate = Callable[[str], str]


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def batch_json(summary: BatchSummary) -> dict[str, Any]:
    """Return the stable JSON object of a batch and its lead counts."""
    batch = summary.batch
    return {
        "id": batch.id,
        "status": batch.status.value,
        "schema": batch.schema_name,
        "schema_version": batch.schema_version,
        "campaign_id": batch.campaign_id,
        "event_id": batch.event_id,
        "bucket": batch.bucket,
        "file_name": batch.file_name,
        "file_path": batch.file_path,
        "file_url": batch.file_url,
        "file_size": batch.file_size,
        "file_sha256": batch.file_sha256,
        "record_count": batch.record_count,
        "created_at": iso(batch.created_at),
        "generated_at": iso(batch.generated_at),
        "uploaded_at": iso(batch.uploaded_at),
        "error_message": batch.error_message,
        "attempts": batch.attempts,
        "next_attempt_at": iso(batch.next_attempt_at),
        "counts": counts_json(summary.counts),
    }


def counts_json(counts: LeadCounts) -> dict[str, int]:
    return {
        "total": counts.total,
        "pending": counts.pending,
        "generated": counts.generated,
        "failed": counts.failed,
    }


def lead_json(lead: Lead) -> dict[str, Any]:
    """Return the stable JSON object of a lead: id, status and failure reason."""
    reason = None
    if lead.failure is not None:
        reason = {
            "code": lead.failure.code,
            "message": lead.failure.message,
            "field": lead.failure.field,
            "value": lead.failure.value,
        }
    return {
        "lead_id": lead.lead_id,
        "status": lead.status.value,
        "reason": reason,
        "warnings": [warning.message for warning in lead.warnings],
    }


def page_json(page: Page[BatchSummary]) -> dict[str, Any]:
    return {
        "page": page.page,
        "pages": page.pages,
        "per_page": page.per_page,
        "total": page.total,
        "batches": [batch_json(summary) for summary in page.items],
    }


def human_size(size: int | None, locale: str) -> str:
    """Return *size* in bytes as B, KB, MB or GB (powers of 1024), in *locale*'s number format."""
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            pattern = "#,##0" if unit == "B" else "#,##0.0"
            return f"{format_decimal(value, format=pattern, locale=locale)} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def when(value: dt.datetime | None, locale: str) -> str:
    """Return *value* in *locale*'s short date and time format, in UTC, marked as UTC."""
    if value is None:
        return "-"
    return f"{format_datetime(value, format='short', locale=locale, tzinfo=dt.UTC)} UTC"


def table(headers: list[str], rows: Iterable[list[str]]) -> str:
    """Lay out *rows* under *headers* in columns padded to the widest cell."""
    grid = [headers, *rows]
    widths = [max(len(row[column]) for row in grid) for column in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in grid
    ]
    return "\n".join(lines)


def status_legend(_: Translate) -> str:
    """Return the batch status codes that options accept, each with its name in the operator's language."""
    return ", ".join(f"{status.value} = {batch_status_label(status, _)}" for status in BatchStatus)


def batch_rows(page: Page[BatchSummary], locale: str, _: Translate) -> list[list[str]]:
    rows = []
    for summary in page.items:
        batch: Batch = summary.batch
        counts = summary.counts
        rows.append(
            [
                str(batch.id),
                batch_status_label(batch.status, _),
                batch.schema_name,
                f"{batch.campaign_id}/{batch.event_id}",
                f"{counts.pending}/{counts.generated}/{counts.failed}",
                batch.file_name or "-",
                human_size(batch.file_size, locale),
                when(batch.created_at, locale),
            ]
        )
    return rows


def confirm(question: str, _: Translate) -> bool:
    """Ask *question* and return True for a yes in the operator's language; anything else is no."""
    yes_words = {"y", "yes", *(word.strip() for word in _("y,yes").split(","))}
    choices = _("[y/N]")
    answer = click.prompt(
        f"{question} {choices}",
        default="",
        show_default=False,
        prompt_suffix=" ",
    )
    return str(answer).strip().lower() in yes_words
