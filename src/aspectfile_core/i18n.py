"""Operator-facing languages: gettext catalogs for en_US and pt_BR, chosen by locale."""

from __future__ import annotations

import gettext
import os
from collections.abc import Callable, Mapping
from importlib import resources

DOMAIN = "aspectfile_core"
SUPPORTED_LOCALES = ("en_US", "pt_BR")
DEFAULT_LOCALE = "en_US"


def N_(message: str) -> str:  # the conventional name that gettext extractors look for
    """Mark *message* for translation without translating it now."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:  # named like N_
    """Mark a singular/plural pair for translation without translating it now."""
    return singular, plural


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
