"""The operator's language: locale choice, translations and Babel formatting of values."""

from __future__ import annotations

import datetime as dt
import gettext
import zoneinfo
from collections.abc import Callable

from babel.dates import format_datetime
from babel.numbers import format_decimal
from werkzeug.wrappers import Request

from aspectfile_core.domain.model import LeadFailure, LeadWarning
from aspectfile_core.domain.status import BatchStatus, LeadStatus
from aspectfile_core.i18n import (
    DEFAULT_LOCALE,
    N_,
    SUPPORTED_LOCALES,
    describe_failure,
    negotiate_locale,
)

LocaleSelector = Callable[[Request], str | None]
"""A host's function that returns the operator's locale (``pt_BR``, ``pt-BR``, ``en``…) or None."""

SUPPORTED_LANGUAGES = frozenset(locale.split("_")[0] for locale in SUPPORTED_LOCALES)

BATCH_STATUS_LABELS = {
    BatchStatus.PENDING: N_("Pending"),
    BatchStatus.GENERATING: N_("Generating"),
    BatchStatus.UPLOADING: N_("Uploading"),
    BatchStatus.UPLOADED: N_("Uploaded"),
    BatchStatus.FAILED: N_("Failed"),
}
"""Label shown in each batch status badge; the badge's colour repeats it, never replaces it."""

LEAD_STATUS_LABELS = {
    LeadStatus.PENDING: N_("Pending"),
    LeadStatus.GENERATED: N_("Generated"),
    LeadStatus.FAILED: N_("Failed"),
}

ATTEMPT_OUTCOME_LABELS = {
    "uploaded": N_("Uploaded"),
    "retry": N_("Will retry"),
    "failed": N_("Failed"),
    "lost": N_("Worker lost"),
}

WARNING_LABELS = {
    "truncated": N_("{field}: the value was cut to fit the field"),
}
"""Warnings shown without the value: :class:`LeadWarning` keeps only the English message that contains it."""

SIZE_UNITS = ("B", "KB", "MB", "GB", "TB")


def locale_from_accept_language(request: Request) -> str:
    """Return the supported locale that the request's ``Accept-Language`` prefers, else en_US."""
    for value, _quality in request.accept_languages:
        language = value.replace("-", "_").split("_")[0].lower()
        if language in SUPPORTED_LANGUAGES:
            return negotiate_locale(value)
    return DEFAULT_LOCALE


def select_locale(request: Request, selector: LocaleSelector | None) -> str:
    """Return the host's choice of locale when it makes one, else the browser's."""
    if selector is not None:
        chosen = selector(request)
        if chosen:
            return negotiate_locale(chosen)
    return locale_from_accept_language(request)


class Formatter:
    """Translates and formats values for one locale and time zone; templates call its methods."""

    def __init__(
        self, locale: str, translations: gettext.NullTranslations, zone: zoneinfo.ZoneInfo
    ) -> None:
        self.locale = locale
        self.zone = zone
        self._ = translations.gettext

    def number(self, value: int | float | None) -> str:
        if value is None:
            return "-"
        return format_decimal(value, locale=self.locale)

    def datetime(self, value: dt.datetime | None, style: str = "short") -> str:
        """Return *value* in the configured time zone, in the locale's short or medium style."""
        if value is None:
            return "-"
        return format_datetime(value, style, tzinfo=self.zone, locale=self.locale)

    def size(self, size: int | None) -> str:
        """Return a byte count in B, KB, MB, GB or TB (powers of 1024) with the locale's decimal mark."""
        if size is None:
            return "-"
        value = float(size)
        for unit in SIZE_UNITS:
            if value < 1024 or unit == SIZE_UNITS[-1]:
                pattern = "#,##0" if unit == "B" else "#,##0.0"
                return f"{format_decimal(value, format=pattern, locale=self.locale)} {unit}"
            value /= 1024
        raise AssertionError("unreachable")  # pragma: no cover

    def batch_status(self, status: BatchStatus) -> str:
        return self._(BATCH_STATUS_LABELS[status])

    def lead_status(self, status: LeadStatus) -> str:
        return self._(LEAD_STATUS_LABELS[status])

    def attempt_outcome(self, outcome: str | None) -> str:
        if outcome is None:
            return self._("Running")
        label = ATTEMPT_OUTCOME_LABELS.get(outcome)
        return self._(label) if label is not None else outcome

    def failure(self, failure: LeadFailure | None) -> str:
        """Return why a lead failed in the operator's language; unknown codes keep the stored English text."""
        if failure is None:
            return ""
        return describe_failure(failure.code, failure.field, failure.value, self._, failure.message)

    def warning(self, warning: LeadWarning) -> str:
        template = WARNING_LABELS.get(warning.code)
        if template is None:
            return warning.message
        return self._(template).format(field=warning.field or "")

    def problem_path(self, path: str) -> str:
        return path or self._("(document)")
