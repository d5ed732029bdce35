"""Stable reason codes for leads that fail or change while being rendered.

Each code maps to an English message template with the placeholders ``{field}``
and ``{value}``. The templates are wrapped in :func:`N_`, one of Babel's default extraction
keywords, so they reach the pt_BR catalog. The web and CLI layers translate
them with gettext and fill them from :attr:`LeadFailure.field` and
:attr:`LeadFailure.value`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from aspectfile_core.domain.model import LeadFailure, LeadWarning
from aspectfile_core.i18n import N_

MAX_REPORTED_VALUE_LENGTH = 200
"""Maximum length, in characters, of a value copied into a failure or warning; longer values are cut and end in an ellipsis."""


REASON_CODES: Mapping[str, str] = MappingProxyType(
    {
        "missing_required": N_("{field}: required, but the value is empty"),
        "invalid_phone": N_('{field}: "{value}" is not a valid phone number'),
        "invalid_integer": N_('{field}: "{value}" is not a whole number'),
        "invalid_decimal": N_('{field}: "{value}" is not a decimal number'),
        "invalid_date": N_('{field}: "{value}" is not a date or time in an accepted format'),
        "invalid_boolean": N_('{field}: "{value}" is not a yes/no value'),
        "invalid_template_value": N_('{field}: the template cannot format the value "{value}"'),
        "too_long": N_('{field}: "{value}" is longer than the field allows'),
        "unencodable": N_(
            "{field}: the character {value} cannot be written in the file's encoding"
        ),
        "delimiter_in_value": N_(
            '{field}: "{value}" contains the delimiter, and the schema neither quotes nor escapes values'
        ),
        "quote_in_value": N_(
            '{field}: "{value}" contains the quote character, and the schema neither quotes nor escapes values'
        ),
    }
)
"""Why a lead was left out of the file: reason code -> English message template."""

WARNING_CODES: Mapping[str, str] = MappingProxyType(
    {
        "truncated": N_('{field}: "{value}" was cut to fit the field'),
    }
)
"""Warning codes for leads that were written with a changed value, each mapped to its English message template."""


def shorten_value(value: str) -> str:
    """Return *value* cut to :data:`MAX_REPORTED_VALUE_LENGTH` characters, ending in an ellipsis if cut."""
    if len(value) <= MAX_REPORTED_VALUE_LENGTH:
        return value
    return value[: MAX_REPORTED_VALUE_LENGTH - 1] + "\u2026"


def make_failure(code: str, field: str, value: str | None) -> LeadFailure:
    """Build the :class:`LeadFailure` for *code*, with the English message filled in."""
    shown = None if value is None else shorten_value(value)
    message = REASON_CODES[code].format(field=field, value=shown if shown is not None else "")
    return LeadFailure(code=code, message=message, field=field, value=shown)


def make_warning(code: str, field: str, value: str) -> LeadWarning:
    """Build the :class:`LeadWarning` for *code*, with the English message filled in."""
    message = WARNING_CODES[code].format(field=field, value=shorten_value(value))
    return LeadWarning(code=code, message=message, field=field)
