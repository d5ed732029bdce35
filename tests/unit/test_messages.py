"""Translatable messages: errors keep their template so screens can show them in any language."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aspectfile_core.domain.errors import (
    BatchNotFound,
    ConfigurationError,
    SchemaNotFound,
    TransientError,
)
from aspectfile_core.domain.messages import Message, as_message
from aspectfile_core.domain.model import LEASE_EXPIRED_MESSAGE, Attempt, Batch
from aspectfile_core.domain.status import BatchStatus
from aspectfile_core.i18n import translation

PT = translation("pt_BR").gettext


def test_message_renders_english_without_a_translation() -> None:
    """str() fills the English template."""
    message = Message.of("batch {id} not found", id=7)

    assert str(message) == "batch 7 not found"


def test_message_renders_in_the_catalogs_language() -> None:
    """render() looks the template up in the catalog, then fills it."""
    message = Message.of("batch {id} not found", id=7)

    assert message.render(PT) == "lote 7 não encontrado"


def test_nested_messages_are_translated_too() -> None:
    """A param that is itself a message is rendered in the same language."""
    inner = Message.of("batch {id} not found", id=3)
    outer = Message.of("{detail} (gave up after {attempts} attempts)", detail=inner, attempts=5)

    assert str(outer) == "batch 3 not found (gave up after 5 attempts)"
    assert outer.render(PT) == "lote 3 não encontrado (desistiu após 5 tentativas)"


def test_damaged_translation_renders_english() -> None:
    """A catalog entry with a wrong placeholder cannot hide the failure."""
    message = Message.of("batch {id} not found", id=7)

    assert message.render(lambda text: "lote {numero}") == "batch 7 not found"


def test_message_without_params_keeps_braces() -> None:
    """Plain text such as a driver's message is shown as it is, braces included."""
    assert Message("value {not a field}").render(PT) == "value {not a field}"


def test_empty_message_renders_empty() -> None:
    """gettext('') returns the catalog's metadata; an empty message must stay empty."""
    assert Message("").render(PT) == ""


def test_map_text_reaches_nested_params() -> None:
    """map_text reaches nested params and leaves numbers alone."""
    message = Message.of(
        "{detail} (gave up after {attempts} attempts)",
        detail=Message.of("database unavailable: {detail}", detail="secret"),
        attempts=2,
    )

    masked = message.map_text(lambda text: text.replace("secret", "***"))

    assert str(masked) == "database unavailable: *** (gave up after 2 attempts)"


param_values = st.one_of(
    st.text(max_size=20), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False)
)


@given(
    params=st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), param_values, max_size=4),
    nested=st.booleans(),
)
def test_to_data_and_from_data_round_trip(params: dict[str, object], nested: bool) -> None:
    """A stored message reads back equal, nested messages included."""
    message = Message("template", params)  # type: ignore[arg-type]  # hypothesis builds JSON values
    if nested:
        message = Message.of("outer {inner}", inner=message)

    assert Message.from_data(message.to_data()) == message


def test_from_data_rejects_other_shapes() -> None:
    """Data that is not a stored message is refused with the data in the error."""
    with pytest.raises(ValueError, match="not a stored message"):
        Message.from_data({"params": {}})


def test_as_message_wraps_plain_text_once() -> None:
    """Plain text becomes a message; a message is returned as it is."""
    message = Message.of("batch {id} not found", id=1)

    assert as_message(message) is message
    assert as_message("plain") == Message("plain")


@pytest.mark.parametrize(
    ("error", "portuguese"),
    [
        (BatchNotFound(4), "lote 4 não encontrado"),
        (SchemaNotFound("aspect"), "esquema 'aspect' não encontrado"),
        (ConfigurationError("free text"), "free text"),
        (
            TransientError(Message.of("database unavailable: {detail}", detail="timeout")),
            "banco de dados indisponível: timeout",
        ),
    ],
    ids=["batch-not-found", "schema-not-found", "plain-text", "message"],
)
def test_errors_translate_their_own_message(error: Exception, portuguese: str) -> None:
    """Every library error renders in the operator's language; str() stays English."""
    assert error.translated(PT).startswith(portuguese)  # type: ignore[attr-defined]  # AspectFileError
    assert str(error) == str(error.detail)  # type: ignore[attr-defined]  # AspectFileError


def test_batch_error_text_prefers_the_stored_message() -> None:
    """A batch shows its translatable error; without one, the English text goes through gettext."""
    created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    detail = Message.of("database unavailable: {detail}", detail="timeout")
    with_detail = Batch(
        id=1,
        status=BatchStatus.PENDING,
        schema_name="s",
        campaign_id=1,
        event_id=1,
        created_at=created,
        error_message=str(detail),
        error_detail=detail,
    )
    lease_lost = Attempt(
        batch_id=1, number=1, started_at=created, worker="w", error=LEASE_EXPIRED_MESSAGE
    )

    assert with_detail.error_text(PT) == "banco de dados indisponível: timeout"
    assert lease_lost.error_text(PT) == "worker perdido: a concessão (lease) expirou"
    assert Attempt(batch_id=1, number=1, started_at=created, worker="w").error_text(PT) is None
