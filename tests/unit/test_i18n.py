"""The gettext catalogs: complete in pt_BR, compiled, and in step with the source."""

from __future__ import annotations

import gettext
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from aspectfile_core.i18n import locale_from_environment, negotiate_locale, translation

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "src" / "aspectfile_core" / "locale"


def extract_current(tmp_path: Path) -> Path:
    """Extract the messages from the source as it is now."""
    pot = tmp_path / "current.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
         "-k", "N_", "-k", "N_plural:1,2", "--no-location", "-o", str(pot), str(ROOT / "src" / "aspectfile_core")],
        check=True,
    )
    return pot


def test_catalog_has_every_source_message(tmp_path: Path) -> None:
    """Every message marked in the source is in the pt_BR catalog with a translation."""
    with extract_current(tmp_path).open("rb") as handle:
        source_ids = {message.id for message in read_po(handle) if message.id}
    with (LOCALE_DIR / "pt_BR" / "LC_MESSAGES" / "aspectfile_core.po").open("rb") as handle:
        catalog = read_po(handle, locale="pt_BR")
    translated = {
        message.id
        for message in catalog
        if message.id and (all(message.string) if isinstance(message.string, tuple) else message.string)
    }

    missing = sorted(str(message_id) for message_id in source_ids - translated)

    assert missing == [], "run 'nox -s i18n' and translate these in pt_BR: " + "; ".join(missing)


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


@pytest.mark.parametrize("locale", ["en_US", "pt_BR"])
def test_compiled_catalog_matches(locale: str) -> None:
    """The shipped .mo holds exactly the .po's translations (recompile with 'nox -s i18n')."""
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    with (folder / "aspectfile_core.po").open("rb") as handle:
        po = {m.id: m.string for m in read_po(handle) if m.id and _translated(m.string) and not m.fuzzy}
    with (folder / "aspectfile_core.mo").open("rb") as handle:
        # read_mo returns plural ids and strings as lists; read_po returns tuples.
        mo = {_hashable(m.id): _hashable(m.string) for m in read_mo(handle) if m.id}

    # The compiler writes an untranslated plural entry with the source texts, which
    # gettext would fall back to anyway; compare only entries that translate something.
    assert _changed(mo) == _changed(po)


def _translated(string: object) -> bool:
    return all(string) if isinstance(string, tuple | list) else bool(string)


def _changed(catalog: dict[object, object]) -> dict[object, object]:
    return {key: value for key, value in catalog.items() if value != key}


def test_pt_br_translates_at_runtime() -> None:
    """The packaged catalog is found and used."""
    assert translation("pt_BR").gettext("Batch {id} not found.") == "Lote {id} não encontrado."
    assert translation("en_US").gettext("Batch {id} not found.") == "Batch {id} not found."
    assert isinstance(translation("pt_BR"), gettext.GNUTranslations)


@pytest.mark.parametrize(
    ("requested", "expected"),
    [("pt_BR.UTF-8", "pt_BR"), ("pt-BR", "pt_BR"), ("pt", "pt_BR"), ("pt_PT", "pt_BR"), ("en_GB", "en_US"),
     ("C", "en_US"), ("fr_FR", "en_US"), (None, "en_US")],
)
def test_negotiate_locale(requested: str | None, expected: str) -> None:
    """Requests map to the closest supported locale, English otherwise."""
    assert negotiate_locale(requested) == expected


def test_environment_precedence() -> None:
    """LC_ALL wins over LC_MESSAGES, which wins over LANG."""
    assert locale_from_environment({"LANG": "pt_BR.UTF-8"}) == "pt_BR"
    assert locale_from_environment({"LC_ALL": "en_US.UTF-8", "LANG": "pt_BR.UTF-8"}) == "en_US"
    assert locale_from_environment({"LC_MESSAGES": "pt_BR", "LANG": "en_US"}) == "pt_BR"
    assert locale_from_environment({}) == "en_US"
