"""Parse ids, page numbers and filters from URLs and forms; malformed values raise 400."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Mapping

import attrs

from aspectfile_core.domain.status import BatchStatus, LeadStatus
from aspectfile_core.ports import BatchFilter
from aspectfile_core.web.context import InvalidRequest

Translate = Callable[[str], str]

MAX_ID = 2**63 - 1
"""Largest id a 64-bit signed integer column stores."""
MAX_PAGE = 10**9
_WHOLE_NUMBER = re.compile(r"[1-9][0-9]{0,18}\Z")
_SCHEMA_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def _positive(text: str) -> int | None:
    if not _WHOLE_NUMBER.match(text):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def parse_batch_id(text: str, _: Translate) -> int:
    value = _positive(text)
    if value is None:
        raise InvalidRequest(
            _("{value} is not a valid batch id. Batch ids are positive whole numbers.").format(
                value=_quote(text)
            )
        )
    return value


def parse_page(text: str | None, _: Translate) -> int:
    if text is None or text == "":
        return 1
    value = _positive(text)
    if value is None or value > MAX_PAGE:
        raise InvalidRequest(
            _("{value} is not a valid page number. Pages are numbered from 1.").format(
                value=_quote(text)
            )
        )
    return value


def parse_schema_name(text: str, _: Translate) -> str:
    if not _SCHEMA_NAME.match(text) or text in (".", ".."):
        raise InvalidRequest(
            _(
                "{value} is not a valid schema name. Names have 1 to 64 of the characters "
                "A-Z a-z 0-9 _ . -"
            ).format(value=_quote(text))
        )
    return text


def parse_version(text: str | None, _: Translate) -> int | None:
    if text is None or text == "":
        return None
    value = _positive(text)
    if value is None:
        raise InvalidRequest(
            _("{value} is not a valid schema version. Versions are numbered from 1.").format(
                value=_quote(text)
            )
        )
    return value


def parse_lead_status(text: str | None, _: Translate) -> LeadStatus | None:
    if not text:
        return None
    try:
        return LeadStatus(text.upper())
    except ValueError:
        raise InvalidRequest(
            _("{value} is not a lead status. Use PENDING, GENERATED or FAILED.").format(
                value=_quote(text)
            )
        ) from None


@attrs.frozen
class BatchFilterForm:
    """The batch list's filter fields as typed, for refilling the form and building links."""

    status: str = ""
    campaign: str = ""
    schema: str = ""
    created_from: str = ""
    created_to: str = ""

    def query(self) -> dict[str, str]:
        """Return the non-empty fields as URL query parameters."""
        return {key: value for key, value in attrs.asdict(self).items() if value}

    @property
    def active(self) -> bool:
        return bool(self.query())


def parse_batch_filters(
    args: Mapping[str, str], zone: zoneinfo.ZoneInfo, _: Translate
) -> tuple[BatchFilter, BatchFilterForm]:
    """Return the service filter and the typed values of the batch list's filter form.

    Dates are days in *zone*; ``created_to`` includes its whole day.
    """
    form = BatchFilterForm(
        status=args.get("status", "").strip(),
        campaign=args.get("campaign", "").strip(),
        schema=args.get("schema", "").strip(),
        created_from=args.get("created_from", "").strip(),
        created_to=args.get("created_to", "").strip(),
    )

    status = None
    if form.status:
        try:
            status = BatchStatus(form.status.upper())
        except ValueError:
            raise InvalidRequest(
                _(
                    "{value} is not a batch status. Use PENDING, GENERATING, UPLOADING, "
                    "UPLOADED or FAILED."
                ).format(value=_quote(form.status))
            ) from None

    campaign = None
    if form.campaign:
        campaign = _positive(form.campaign)
        if campaign is None:
            raise InvalidRequest(
                _("{value} is not a valid campaign id. Use a positive whole number.").format(
                    value=_quote(form.campaign)
                )
            )

    schema = parse_schema_name(form.schema, _) if form.schema else None
    created_from = _day_start(form.created_from, zone, _)
    created_to = _day_start(form.created_to, zone, _)
    created_before = created_to + dt.timedelta(days=1) if created_to is not None else None
    if created_from is not None and created_before is not None and created_from >= created_before:
        raise InvalidRequest(_("The start date must not be after the end date."))

    filters = BatchFilter(
        status=status,
        campaign_id=campaign,
        schema_name=schema,
        created_from=created_from.astimezone(dt.UTC) if created_from else None,
        created_before=created_before.astimezone(dt.UTC) if created_before else None,
    )
    return filters, form


def _day_start(text: str, zone: zoneinfo.ZoneInfo, _: Translate) -> dt.datetime | None:
    if not text:
        return None
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            _("{value} is not a valid date. Use the form YYYY-MM-DD, such as 2026-03-01.").format(
                value=_quote(text)
            )
        ) from None
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def _quote(text: str) -> str:
    """Return *text* in quotes, cut to 60 characters so a long value cannot flood the page."""
    shown = text if len(text) <= 60 else text[:59] + "\u2026"
    return f"\u201c{shown}\u201d"
