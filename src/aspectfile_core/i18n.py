"""Operator-facing languages: gettext catalogs for en_US and pt_BR, chosen by locale."""

from __future__ import annotations

import gettext
import os
from collections.abc import Callable, Mapping
from importlib import resources

from aspectfile_core.domain.messages import N_ as N_
from aspectfile_core.domain.messages import N_plural as N_plural
from aspectfile_core.domain.status import BatchStatus, LeadStatus

DOMAIN = "aspectfile_core"
SUPPORTED_LOCALES = ("en_US", "pt_BR")
DEFAULT_LOCALE = "en_US"

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


def batch_status_label(status: BatchStatus | str, gettext_: Callable[[str], str]) -> str:
    """Return the name of a batch status in the operator's language ("Uploaded", "Enviado").

    A string that names no batch status, such as a lead status, is returned unchanged.
    """
    try:
        return gettext_(BATCH_STATUS_LABELS[BatchStatus(status)])
    except ValueError:
        return str(status)


def attempt_outcome_label(outcome: str | None, gettext_: Callable[[str], str]) -> str:
    """Return how an attempt ended in the operator's language; None means it is still running."""
    if outcome is None:
        return gettext_(N_("Running"))
    label = ATTEMPT_OUTCOME_LABELS.get(outcome)
    return gettext_(label) if label is not None else outcome


def negotiate_locale(requested: str | None) -> str:
    """Return the supported locale that best matches *requested* (``pt-BR``, ``pt_BR.UTF-8``, ``pt``…)."""
    if not requested:
        return DEFAULT_LOCALE
    tag = requested.split(".")[0].split("@")[0].replace("-", "_")
    if tag in ("C", "POSIX"):
        return DEFAULT_LOCALE
    language, _, region = tag.partition("_")
    candidates = [f"{language.lower()}_{region.upper()}"] if region else []
    candidates += [
        locale for locale in SUPPORTED_LOCALES if locale.split("_")[0] == language.lower()
    ]
    for candidate in candidates:
        if candidate in SUPPORTED_LOCALES:
            return candidate
    return DEFAULT_LOCALE


def is_supported_locale(requested: str) -> bool:
    """Return True when *requested* names a language this package has a catalog for."""
    tag = requested.split(".")[0].split("@")[0].replace("-", "_")
    language = tag.partition("_")[0].lower()
    return any(locale.split("_")[0].lower() == language for locale in SUPPORTED_LOCALES)


def locale_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """Return the locale named by LC_ALL, LC_MESSAGES or LANG, in POSIX order of precedence."""
    env = os.environ if environ is None else environ
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(variable)
        if value:
            return negotiate_locale(value)
    return DEFAULT_LOCALE


def translation(locale: str) -> gettext.NullTranslations:
    """Return the catalog for *locale*; en_US falls back to the source strings."""
    locale = negotiate_locale(locale)
    folder = resources.files("aspectfile_core") / "locale"
    with resources.as_file(folder) as path:
        return gettext.translation(DOMAIN, localedir=str(path), languages=[locale], fallback=True)


def describe_warning(
    code: str, field: str | None, gettext_: Callable[[str], str], message: str
) -> str:
    """Return a lead's warning in the operator's language.

    The stored English *message* names the changed value; a translation
    names only the field, because the value is not kept apart from the
    message. An unknown code, or a catalog without a translation, returns
    *message*.
    """
    template = WARNING_LABELS.get(code)
    if template is None or gettext_(template) == template:
        return message
    return gettext_(template).format(field=field or "")


def describe_failure(
    code: str, field: str | None, value: str | None, gettext_: Callable[[str], str], fallback: str
) -> str:
    """Return a lead's failure reason in the operator's language.

    Looks *code* up in the schema package's reason and warning texts, translates
    the text with *gettext_* and fills in *field* and *value*. An unknown code
    (from a newer version, or a host's own adapter) returns *fallback*.
    """
    from aspectfile_core.schema import REASON_CODES, WARNING_CODES

    template = REASON_CODES.get(code) or WARNING_CODES.get(code)
    if template is None:
        return fallback
    return gettext_(template).format(field=field or "", value=value if value is not None else "")
