"""The schema's character encoding: which codec writes the bytes, its byte order mark, and what it can encode."""

from __future__ import annotations

import codecs
import string

import attrs

from aspectfile_core.domain.messages import N_, Message, as_message

STATEFUL_CODECS = frozenset(
    {
        "utf-7",
        "hz",
        "iso2022_jp",
        "iso2022_jp_1",
        "iso2022_jp_2",
        "iso2022_jp_2004",
        "iso2022_jp_3",
        "iso2022_jp_ext",
        "iso2022_kr",
    }
)
"""Codecs whose bytes for a character depend on the characters before it, so a field's width cannot be measured alone."""

BYTE_ORDER_MARKS = {
    "utf-8": codecs.BOM_UTF8,
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
    "utf-32-le": codecs.BOM_UTF32_LE,
    "utf-32-be": codecs.BOM_UTF32_BE,
}

UNMARKED_UTF_CODECS = {"utf-16": "utf-16-le", "utf-32": "utf-32-le"}
"""UTF codecs named without a byte order; they are written little-endian behind a byte order mark."""

_ASCII_SAMPLE = string.printable


@attrs.frozen
class Codec:
    """The codec that writes a schema's files and the byte order mark that starts them."""

    name: str
    """Canonical Python codec name that encodes each record, such as ``cp1252`` or ``utf-16-le``."""
    bom: bytes = b""
    ascii_compatible: bool = True
    """True when every printable ASCII character encodes to its single ASCII byte."""

    def can_encode(self, text: str) -> bool:
        """Tell whether every character of *text* has a byte sequence in this codec."""
        if self.ascii_compatible and text.isascii():
            return True
        try:
            text.encode(self.name)
        except UnicodeEncodeError:
            return False
        return True

    def byte_length(self, text: str) -> int:
        """Return the number of bytes *text* takes in this codec."""
        return len(text.encode(self.name))


class EncodingProblem(ValueError):
    """An ``encoding`` or ``bom`` setting that cannot write a dialer file; the message gives the reason.

    :attr:`detail` is the reason as a translatable :class:`Message`, and
    ``str(error)`` is its English text.
    """

    def __init__(self, key: str, message: str | Message) -> None:
        self.key = key
        self.detail = as_message(message)
        super().__init__(str(message))


def resolve_codec(encoding: str, bom: bool | None) -> Codec:
    """Return the :class:`Codec` for an ``encoding`` setting and a ``bom`` setting (None when unset).

    Raises :class:`EncodingProblem` for an unknown or unsuitable codec and for a
    byte order mark on an encoding that has none.
    """
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise EncodingProblem(
            "encoding",
            Message.of(
                N_(
                    "unknown encoding {encoding!r}; "
                    "use a Python codec name such as utf-8, latin-1 or cp1252"
                ),
                encoding=encoding,
            ),
        ) from None

    name = info.name
    if not getattr(info, "_is_text_encoding", True):
        raise EncodingProblem(
            "encoding", Message.of(N_("{encoding!r} is not a text encoding"), encoding=encoding)
        )
    if name == "utf-8-sig":
        raise EncodingProblem(
            "encoding",
            Message(N_("write utf-8 with a byte order mark as encoding = 'utf-8' and bom = true")),
        )
    if name in STATEFUL_CODECS:
        raise EncodingProblem(
            "encoding",
            Message.of(
                N_(
                    "{encoding!r} changes state between characters, "
                    "so field widths cannot be measured; use utf-8"
                ),
                encoding=encoding,
            ),
        )

    if name in UNMARKED_UTF_CODECS:
        if bom is False:
            raise EncodingProblem(
                "bom",
                Message.of(
                    N_(
                        "{encoding!r} without a byte order mark needs the byte order in its name, "
                        "such as {name}-le or {name}-be"
                    ),
                    encoding=encoding,
                    name=name,
                ),
            )
        name = UNMARKED_UTF_CODECS[name]
        bom = True

    marker = b""
    if bom:
        if name not in BYTE_ORDER_MARKS:
            raise EncodingProblem(
                "bom",
                Message.of(
                    N_("bom = true needs a UTF encoding; {encoding!r} has no byte order mark"),
                    encoding=encoding,
                ),
            )
        marker = BYTE_ORDER_MARKS[name]

    ascii_compatible = _ASCII_SAMPLE.encode(name) == _ASCII_SAMPLE.encode("ascii")
    return Codec(name=name, bom=marker, ascii_compatible=ascii_compatible)
