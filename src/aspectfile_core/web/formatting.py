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
    LEAD_STATUS_LABELS,
    SUPPORTED_LOCALES,
    WARNING_LABELS,
    attempt_outcome_label,
    batch_status_label,
    describe_failure,
    is_supported_locale,
    negotiate_locale,
)

LocaleSelector = Callable[[Request], str | None]
"""A host's function that returns the operator's locale (``pt_BR``, ``pt-BR``, ``en``…) or None."""

SUPPORTED_LANGUAGES = frozenset(locale.split("_")[0] for locale in SUPPORTED_LOCALES)

SIZE_UNITS = ("B", "KB", "MB", "GB", "TB")


def check_locale(setting: str, requested: str) -> str:
    """Return the supported locale that *requested* names (``pt_BR``, ``pt-BR``, ``en``…).

    Raises :class:`ValueError` naming *setting* and the value when no catalog
    matches its language.
    """
    if not is_supported_locale(requested):
        supported = ", ".join(SUPPORTED_LOCALES)
        raise ValueError(
            f"{setting} {requested!r} is not a supported locale; use one of {supported}"
        )
    return negotiate_locale(requested)


def locale_from_accept_language(request: Request, default: str = DEFAULT_LOCALE) -> str:
    """Return the supported locale that the request's ``Accept-Language`` prefers, else *default*."""
    for value, _quality in request.accept_languages:
        language = value.replace("-", "_").split("_")[0].lower()
        if language in SUPPORTED_LANGUAGES:
            return negotiate_locale(value)
    return default


def select_locale(
    request: Request, selector: LocaleSelector | None, default: str = DEFAULT_LOCALE
) -> str:
    """Return the locale of a request's pages.

    The host's *selector* decides when it returns a supported locale.
    Otherwise the first supported language of ``Accept-Language`` wins, and
    *default* applies when neither names one.
    """
    if selector is not None:
        chosen = selector(request)
        if chosen and is_supported_locale(chosen):
            return negotiate_locale(chosen)
    return locale_from_accept_language(request, default)


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
        """Return *value* in the configured time zone, in the locale's short or medium style,
        followed by the zone (``UTC``, ``BRT``, ``-0300``) so that it cannot be taken for local time."""
        if value is None:
            return "-"
        text = format_datetime(value, style, tzinfo=self.zone, locale=self.locale)
        zone = format_datetime(value, "z", tzinfo=self.zone, locale=self.locale)
        return f"{text} {zone}"

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

    def batch_status(self, status: BatchStatus | str) -> str:
        return batch_status_label(status, self._)

    def lead_status(self, status: LeadStatus) -> str:
        return self._(LEAD_STATUS_LABELS[status])

    def attempt_outcome(self, outcome: str | None) -> str:
        return attempt_outcome_label(outcome, self._)

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
