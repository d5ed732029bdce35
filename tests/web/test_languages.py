"""The admin in English and Brazilian Portuguese: locale choice, translated pages and local formats."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request

from aspectfile_core import BatchService
from aspectfile_core.i18n import translation
from aspectfile_core.web.formatting import Formatter
from tests.web.conftest import PREFIX, follow, make_app, post, text

PT = {"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"}


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("pt-BR,pt;q=0.9", "pt-BR"),
        ("pt", "pt-BR"),
        ("pt-PT", "pt-BR"),
        ("fr-FR,pt-BR;q=0.8,en;q=0.5", "pt-BR"),
        ("en-GB,pt-BR;q=0.5", "en-US"),
        ("de-DE", "en-US"),
        ("", "en-US"),
    ],
    ids=["pt-br", "pt", "pt-pt", "first-supported-wins", "english-first", "unsupported", "none"],
)
def test_language_from_accept_language(client: Client, header: str, lang: str) -> None:
    """Without a host selector, the first supported language of Accept-Language wins, else English."""
    html = text(
        client.get(f"{PREFIX}/batches", headers={"Accept-Language": header} if header else {})
    )

    assert f'<html lang="{lang}">' in html


def test_host_selector_wins(service: BatchService) -> None:
    """The host's locale selector overrides the browser's language."""
    client = Client(make_app(service, locale_selector=lambda request: "pt_BR"))

    html = text(client.get(f"{PREFIX}/batches", headers={"Accept-Language": "en-US"}))

    assert '<html lang="pt-BR">' in html
    assert "Processar agora" in html


def test_host_selector_none_falls_back(service: BatchService) -> None:
    """A selector that returns None leaves the choice to Accept-Language."""
    seen: list[Request] = []

    def selector(request: Request) -> str | None:
        seen.append(request)
        return None

    client = Client(make_app(service, locale_selector=selector))

    html = text(client.get(f"{PREFIX}/batches", headers=PT))

    assert '<html lang="pt-BR">' in html
    assert seen


@pytest.mark.parametrize(
    "headers",
    [{}, {"Accept-Language": "de-DE,fr;q=0.8"}, {"Accept-Language": "*"}],
    ids=["no-header", "unsupported-only", "wildcard"],
)
def test_default_locale_when_no_language_matches(
    service: BatchService, headers: dict[str, str]
) -> None:
    """A request that names no supported language, such as curl's, gets the default locale."""
    client = Client(make_app(service, default_locale="pt_BR"))

    html = text(client.get(f"{PREFIX}/batches", headers=headers))

    assert '<html lang="pt-BR">' in html
    assert "Processar agora" in html


def test_accept_language_beats_default_locale(service: BatchService) -> None:
    """A browser's supported language wins over the default locale."""
    client = Client(make_app(service, default_locale="pt_BR"))

    html = text(client.get(f"{PREFIX}/batches", headers={"Accept-Language": "en-US"}))

    assert '<html lang="en-US">' in html
    assert "Process now" in html


def test_host_selector_beats_default_locale(service: BatchService) -> None:
    """The host's selector wins over the default locale too."""
    client = Client(make_app(service, default_locale="pt_BR", locale_selector=lambda r: "en"))

    assert '<html lang="en-US">' in text(client.get(f"{PREFIX}/batches"))


@pytest.mark.parametrize("choice", [None, "", "de_DE"], ids=["none", "empty", "unsupported"])
def test_selector_without_locale_uses_default(service: BatchService, choice: str | None) -> None:
    """A selector that returns no supported locale, with no Accept-Language, leads to the default."""
    client = Client(make_app(service, default_locale="pt_BR", locale_selector=lambda r: choice))

    assert '<html lang="pt-BR">' in text(client.get(f"{PREFIX}/batches"))


def test_unsupported_selector_locale_uses_browser(service: BatchService) -> None:
    """A selector's unsupported language leaves the choice to the browser, not to English."""
    client = Client(make_app(service, locale_selector=lambda r: "de_DE"))

    assert '<html lang="pt-BR">' in text(client.get(f"{PREFIX}/batches", headers=PT))


def test_default_locale_on_error_pages(service: BatchService) -> None:
    """Error pages use the default locale as well."""
    client = Client(make_app(service, default_locale="pt_BR"))

    assert "Página não encontrada" in text(client.get(f"{PREFIX}/batch/999"))


@pytest.mark.parametrize("value", ["pt_BR", "pt-BR", "pt", "pt_BR.UTF-8"])
def test_default_locale_spellings(service: BatchService, value: str) -> None:
    """The default locale accepts the spellings of LANG and of language tags."""
    client = Client(make_app(service, default_locale=value))

    assert '<html lang="pt-BR">' in text(client.get(f"{PREFIX}/batches"))


@pytest.mark.parametrize("value", ["fr_FR", "de", "C", ""])
def test_unsupported_default_locale_rejected(service: BatchService, value: str) -> None:
    """create_app raises ValueError naming an unsupported default locale and the supported ones."""
    with pytest.raises(ValueError, match=re.escape(f"default_locale {value!r}")) as raised:
        make_app(service, default_locale=value)

    assert "en_US, pt_BR" in str(raised.value)


ENGLISH_WORDS = re.compile(
    r">\s*(Batches|Schemas|Process now|Filter|Delete|Reprocess|View|Created|Attempts|"
    r"Pending|Failed|Uploaded|Preview|Fields|Edit|Cancel|Confirm|Next ›|‹ Previous)\s*<"
)


@pytest.mark.parametrize(
    "path",
    [
        "/batches",
        "/batch/{uploaded}",
        "/batch/{failed}",
        "/batch/{open}",
        "/schemas",
        "/schema/sample-fixed",
        "/schemas/new",
        "/batch/999",
        "/batch/x",
    ],
)
def test_pages_fully_portuguese(client: Client, seeded: dict[str, int], path: str) -> None:
    """Pages in Portuguese carry no English label."""
    html = text(client.get(PREFIX + path.format(**seeded), headers=PT))

    assert '<html lang="pt-BR">' in html
    assert ENGLISH_WORDS.findall(html) == []


def test_portuguese_list(client: Client, seeded: dict[str, int]) -> None:
    """The list in Portuguese has translated statuses and day-first dates."""
    html = text(client.get(f"{PREFIX}/batches", headers=PT))

    assert "Lotes" in html
    assert "Processar agora" in html
    assert "Total de lotes: 5" in html
    assert "Enviado" in html
    assert "Com falha" in html
    assert "Pendente" in html
    assert "02/03/2026 11:00" in html


def test_badge_titles_in_portuguese(client: Client, seeded: dict[str, int]) -> None:
    """Badge tooltips name the status code in the operator's language, keeping the raw code."""
    path = f"{PREFIX}/batch/{seeded['uploaded']}"
    title = translation("pt_BR").gettext("Status code: %(code)s")

    for status, codes in (("GENERATED", ("UPLOADED", "GENERATED")), ("FAILED", ("FAILED",))):
        html = text(client.get(path, headers=PT, query_string={"status": status}))
        for code in codes:
            assert f'title="{title % {"code": code}}"' in html
            assert f'title="{code}"' not in html


def test_portuguese_detail_formats(client: Client, seeded: dict[str, int]) -> None:
    """Sizes use a decimal comma and dates the Brazilian order; reasons are translated."""
    html = text(
        client.get(
            f"{PREFIX}/batch/{seeded['uploaded']}", headers=PT, query_string={"status": "FAILED"}
        )
    )

    assert re.search(r"\d+,\d KB", html)
    assert "2 de mar. de 2026" in html
    assert "phone: &#34;(11) 1234&#34; não é um número de telefone válido" in html
    assert "first_name: obrigatório, mas o valor está vazio" in html


def test_portuguese_flash_after_action(client: Client, seeded: dict[str, int]) -> None:
    """The message after an action is in the operator's language."""
    page = follow(
        client,
        post(client, f"{PREFIX}/batch/{seeded['failed']}/reprocess", language="pt-BR"),
        "pt-BR",
    )

    assert f"O lote {seeded['failed']} está pendente de novo" in text(page)


def test_portuguese_error_pages(client: Client) -> None:
    """Error pages are translated too."""
    assert "Página não encontrada" in text(client.get(f"{PREFIX}/batch/999", headers=PT))
    assert "Lote 999 não encontrado." in text(client.get(f"{PREFIX}/batch/999", headers=PT))
    assert "Método não permitido" in text(client.get(f"{PREFIX}/batches/process", headers=PT))
    assert "não é um id de lote válido" in text(client.get(f"{PREFIX}/batch/x", headers=PT))


@pytest.mark.parametrize(
    ("locale", "size", "expected"),
    [
        ("en_US", 0, "0 B"),
        ("en_US", 1023, "1,023 B"),
        ("en_US", 1536, "1.5 KB"),
        ("pt_BR", 1536, "1,5 KB"),
        ("pt_BR", 5 * 1024**3, "5,0 GB"),
        ("en_US", 3 * 1024**5, "3,072.0 TB"),
        ("en_US", None, "-"),
    ],
    ids=["zero", "bytes", "kilobytes", "pt-decimal-comma", "gigabytes", "largest-unit", "unknown"],
)
def test_size_format(locale: str, size: int | None, expected: str) -> None:
    """Sizes are in powers of 1024 with the locale's separators."""
    formatter = Formatter(locale, translation(locale), zoneinfo.ZoneInfo("UTC"))

    assert formatter.size(size) == expected


def test_unknown_reason_code_keeps_message() -> None:
    """A reason code the admin does not know shows the stored English message."""
    from aspectfile_core import LeadFailure

    formatter = Formatter("pt_BR", translation("pt_BR"), zoneinfo.ZoneInfo("UTC"))

    assert (
        formatter.failure(LeadFailure("host_rule", "blocked by the host", "phone", "1"))
        == "blocked by the host"
    )


def test_batch_error_and_attempts_in_portuguese(client: Client, seeded: dict[str, int]) -> None:
    """A batch's error and its attempts' errors read in the operator's language."""
    failed = text(client.get(f"{PREFIX}/batch/{seeded['failed']}", headers=PT))
    retry = text(client.get(f"{PREFIX}/batch/{seeded['retry']}", headers=PT))
    english = text(client.get(f"{PREFIX}/batch/{seeded['failed']}"))

    assert "bucket S3 &#39;discador-rj&#39; não encontrado em http://127.0.0.1:9000" in failed
    assert "not found at" not in failed
    assert "falha ao enviar s3://discador-mg/: timed out after 30 s" in retry
    assert "S3 bucket &#39;discador-rj&#39; not found at http://127.0.0.1:9000" in english


@pytest.mark.parametrize(
    ("zone", "locale", "expected"),
    [
        ("UTC", "en_US", "3/2/26, 11:00\u202fAM UTC"),
        ("America/Sao_Paulo", "pt_BR", "02/03/2026 08:00 BRT"),
    ],
    ids=["utc-english", "sao-paulo-portuguese"],
)
def test_times_name_their_zone(zone: str, locale: str, expected: str) -> None:
    """Every shown time carries its zone, so that UTC is not taken for local time."""
    formatter = Formatter(locale, translation(locale), zoneinfo.ZoneInfo(zone))

    assert formatter.datetime(dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.UTC)) == expected
