"""Text helpers shared by the value pipeline: control characters, transforms and transliteration."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any

CONTROL_CHARACTERS = re.compile("\r\n|[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""A CRLF pair or one C0/C1 control character, DEL, or a Unicode line or paragraph separator."""

CONTROL_CHARACTERS_EXCEPT_NEWLINES = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
"""Like :data:`CONTROL_CHARACTERS`, but leaves CR and LF alone."""

LINE_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
"""Every character sequence that :meth:`str.splitlines` treats as a line boundary."""

_WHITESPACE_RUN = re.compile(r"\s+")
_WORD_START = re.compile(r"(^|[\s-])(\w)")

TRANSLITERATIONS: dict[str, str] = {
    "ß": "ss", "ẞ": "SS", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe",
    "Ø": "O", "ø": "o", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d",
    "Þ": "TH", "þ": "th", "ı": "i", "Ħ": "H", "ħ": "h", "Ŧ": "T", "ŧ": "t", "ſ": "s",
    "Ŋ": "N", "ŋ": "n", "ĸ": "k",
    "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
    "«": '"', "»": '"', "\u2039": "'", "\u203a": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2022": "*", "·": ".", "\u2044": "/", "×": "x", "÷": "/", "¡": "!", "¿": "?",
    "€": "EUR", "©": "(C)", "®": "(R)", "°": "o",
}  # fmt: skip
"""Letters and signs that Unicode decomposition leaves alone, with their closest ASCII spelling."""


def as_text(value: Any) -> str:
    """Return the canonical text of a contact value or batch variable; None is empty."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def is_empty(value: Any) -> bool:
    """Tell whether a value counts as empty: None, or text that is only whitespace."""
    if value is None:
        return True
    return isinstance(value, str) and not value.strip()


def replace_control_characters(text: str, keep_newlines: bool = False) -> str:
    """Turn every control character (a CRLF pair counts as one) into one space.

    With *keep_newlines*, CR and LF stay; other control characters still become spaces.
    """
    if text.isprintable():
        return text
    if keep_newlines:
        return CONTROL_CHARACTERS_EXCEPT_NEWLINES.sub(" ", text)
    return CONTROL_CHARACTERS.sub(" ", text)


@functools.lru_cache(maxsize=4096)
def transliterate_character(character: str) -> str:
    """Return the closest ASCII spelling of one character, or the character itself when there is none.

    Known letters come from :data:`TRANSLITERATIONS` (``ß`` -> ``ss``, ``Ł`` -> ``L``).
    Invisible format characters such as the zero-width space become nothing.
    Other characters are decomposed (NFKD) and lose their accents (``É`` -> ``E``);
    characters without an ASCII spelling, such as ``中``, come back unchanged.
    """
    if character in TRANSLITERATIONS:
        return TRANSLITERATIONS[character]
    if unicodedata.category(character) == "Cf":
        return ""

    decomposed = unicodedata.normalize("NFKD", character)
    kept = (
        TRANSLITERATIONS.get(part, part) for part in decomposed if not unicodedata.combining(part)
    )
    return "".join(kept)


def to_ascii(text: str, replacement: str) -> str:
    """Transliterate every non-ASCII character of *text*; put *replacement* for what stays non-ASCII."""
    if text.isascii():
        return text

    pieces: list[str] = []
    for character in text:
        if character.isascii():
            pieces.append(character)
            continue
        spelled = transliterate_character(character)
        pieces.append("".join(part if part.isascii() else replacement for part in spelled))
    return "".join(pieces)


def _title(text: str) -> str:
    return _WORD_START.sub(lambda match: match.group(1) + match.group(2).upper(), text.lower())


def _collapse_spaces(text: str) -> str:
    return _WHITESPACE_RUN.sub(" ", text)


_NOT_ASCII_DIGIT = re.compile(r"[^0-9]")


def _digits_only(text: str) -> str:
    if text.isascii():
        return _NOT_ASCII_DIGIT.sub("", text)
    digits = (unicodedata.decimal(character, None) for character in text)
    return "".join(str(digit) for digit in digits if digit is not None)


def _remove_newlines(text: str) -> str:
    return LINE_BREAKS.sub(" ", text)


def transform_functions(replacement: str) -> dict[str, Callable[[str], str]]:
    """Return the function behind each transform name; ``ascii`` uses *replacement* for what it cannot spell."""
    return {
        "strip": str.strip,
        "upper": str.upper,
        "lower": str.lower,
        "title": _title,
        "collapse_spaces": _collapse_spaces,
        "digits_only": _digits_only,
        "ascii": functools.partial(to_ascii, replacement=replacement),
        "remove_newlines": _remove_newlines,
    }


TRANSFORM_NAMES = tuple(transform_functions("?"))
"""Every transform a field may list, in documentation order."""


def describe_character(character: str) -> str:
    """Return a character as ``U+0141 LATIN CAPITAL LETTER L WITH STROKE``, readable even when invisible."""
    name = unicodedata.name(character, "")
    code = f"U+{ord(character):04X}"
    return f"{code} {name}" if name else code
