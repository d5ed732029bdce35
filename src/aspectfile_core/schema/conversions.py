"""Conversion of one value by field type: parse the input, then format the output text.

Each ``make_*`` function returns a converter for one field's settings. A
converter takes the value after the transforms and returns ``(text, typed)``:
the formatted text and the parsed value (an ``int`` or ``Decimal`` for numeric
fields, which the generator sums). Input it cannot parse raises
:class:`ConversionError` with a reason code such as ``invalid_integer``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import operator
import re
import zoneinfo
from collections.abc import Callable, Sequence
from typing import Any

import phonenumbers

from aspectfile_core.schema.text import as_text

Converter = Callable[[Any], tuple[str, Any]]

TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on", "sim", "s"})
"""Input accepted as true by boolean fields (compared case-insensitively), besides the field's ``true_value``."""

FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "off", "nao", "não"})
"""Input accepted as false by boolean fields (compared case-insensitively), besides the field's ``false_value``."""

DEFAULT_DATE_FORMATS = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%d %H:%M:%S"}

_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+\Z")
_DECIMAL_CONTEXT = decimal.Context(
    prec=60, rounding=decimal.ROUND_HALF_UP, traps=[decimal.InvalidOperation]
)


class ConversionError(Exception):
    """The input cannot be converted to the field's type; :attr:`code` is the reason code."""

    def __init__(self, code: str, value: Any) -> None:
        super().__init__(code)
        self.code = code
        self.value = as_text(value)


def convert_string(value: Any) -> tuple[str, Any]:
    """Return text values unchanged; the pipeline has already turned other values into text."""
    text = as_text(value)
    return text, text


def convert_integer(value: Any) -> tuple[str, int]:
    """Parse a whole number from an int, an integral float or Decimal, or text such as ``-42``."""
    number = _parse_integer(value)
    return str(number), number


def _parse_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ConversionError("invalid_integer", value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if (
        isinstance(value, decimal.Decimal)
        and value.is_finite()
        and value == value.to_integral_value()
    ):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER_TEXT.match(text):
            return int(text)
    raise ConversionError("invalid_integer", value)


def make_decimal_converter(
    places: int, separator: str, implied: bool, input_separator: str
) -> Converter:
    """Return a converter that rounds half up to *places* digits and writes *separator*.

    With *implied*, the separator is left out and the digits stay: 12.34 -> ``1234``.
    Text input uses *input_separator* and no thousands separators.
    """
    quantum = decimal.Decimal(1).scaleb(-places)
    escaped = re.escape(input_separator)
    pattern = re.compile(rf"[+-]?(?:[0-9]+(?:{escaped}[0-9]*)?|{escaped}[0-9]+)\Z")

    def parse(value: Any) -> decimal.Decimal:
        if isinstance(value, bool):
            raise ConversionError("invalid_decimal", value)
        if isinstance(value, int):
            return decimal.Decimal(value)
        if isinstance(value, float):
            return _finite_decimal(repr(value), value)
        if isinstance(value, decimal.Decimal):
            return _finite_decimal(value, value)
        if isinstance(value, str):
            text = value.strip()
            if pattern.match(text):
                return decimal.Decimal(text.replace(input_separator, "."))
        raise ConversionError("invalid_decimal", value)

    def convert(value: Any) -> tuple[str, decimal.Decimal]:
        try:
            rounded = parse(value).quantize(quantum, context=_DECIMAL_CONTEXT)
        except decimal.InvalidOperation:
            raise ConversionError("invalid_decimal", value) from None
        if rounded.is_zero():
            rounded = abs(rounded)

        if implied:
            return str(int(rounded.scaleb(places))), rounded
        text = format(rounded, "f")
        if separator != ".":
            text = text.replace(".", separator)
        return text, rounded

    return convert


def _finite_decimal(text: str | decimal.Decimal, original: Any) -> decimal.Decimal:
    number = decimal.Decimal(text)
    if not number.is_finite():
        raise ConversionError("invalid_decimal", original)
    return number


def make_date_converter(
    kind: str, output_format: str, input_formats: Sequence[str], timezone: str | None
) -> Converter:
    """Return a converter for ``date`` or ``datetime`` fields.

    Input is a :class:`datetime.datetime` or :class:`datetime.date`, or text
    parsed with each of *input_formats* in turn and then as ISO 8601.
    Timezone-aware input is converted to *timezone* when one is given.
    """
    zone = zoneinfo.ZoneInfo(timezone) if timezone else None
    write = compile_strftime(output_format, kind) or operator.methodcaller(
        "strftime", output_format
    )

    def parse_text(text: str) -> dt.datetime:
        for input_format in input_formats:
            try:
                return dt.datetime.strptime(text, input_format)
            except ValueError:
                continue
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise ConversionError("invalid_date", text) from None

    def convert(value: Any) -> tuple[str, Any]:
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, dt.date):
            moment = dt.datetime(value.year, value.month, value.day)
        elif isinstance(value, str):
            moment = parse_text(value.strip())
        else:
            raise ConversionError("invalid_date", value)

        if zone is not None and moment.tzinfo is not None:
            moment = moment.astimezone(zone)
        if kind == "date":
            day = moment.date()
            return write(day), day
        return write(moment), moment

    return convert


_STRFTIME_FIELDS = {
    "d": "{moment.day:02d}",
    "m": "{moment.month:02d}",
    "Y": "{moment.year}",
    "y": "{moment.year % 100:02d}",
}
_STRFTIME_TIME_FIELDS = {
    "H": "{moment.hour:02d}",
    "M": "{moment.minute:02d}",
    "S": "{moment.second:02d}",
    "f": "{moment.microsecond:06d}",
}


def compile_strftime(output_format: str, kind: str) -> Callable[[Any], str] | None:
    """Return a function that writes a date as ``strftime(output_format)`` does, or None.

    ``strftime`` takes about 1.5 microseconds per call (CPython 3.11, glibc),
    more than the rest of a typical field. Formats made only of ``%d %m %Y %y``,
    ``%H %M %S %f`` for datetimes, ``%%`` and literal text are compiled into
    one f-string instead. Years before 1000 still go through ``strftime``,
    because ``%Y`` does not pad them to four digits on every platform. Other
    directives, which may depend on the locale, return None.
    """
    directives = dict(_STRFTIME_FIELDS)
    if kind == "datetime":
        directives.update(_STRFTIME_TIME_FIELDS)
    namespace: dict[str, Any] = {"FORMAT": output_format}
    parts: list[str] = []
    literal: list[str] = []

    def flush_literal() -> None:
        if literal:
            name = f"L{len(namespace)}"
            namespace[name] = "".join(literal)
            parts.append("{" + name + "}")
            literal.clear()

    position = 0
    while position < len(output_format):
        character = output_format[position]
        if character != "%":
            literal.append(character)
            position += 1
            continue
        directive = output_format[position + 1 : position + 2]
        if directive == "%":
            literal.append("%")
        elif directive in directives:
            flush_literal()
            parts.append(directives[directive])
        else:
            return None
        position += 2
    flush_literal()

    source = (
        "def write(moment):\n"
        "    if moment.year < 1000:\n"
        "        return moment.strftime(FORMAT)\n"
        f'    return f"{"".join(parts)}"\n'
    )
    # The source holds only directive expressions and the names of bound literals.
    exec(compile(source, "<aspectfile date format>", "exec"), namespace)
    write: Callable[[Any], str] = namespace["write"]
    return write


def make_boolean_converter(true_value: str, false_value: str) -> Converter:
    """Return a converter that writes *true_value* or *false_value*.

    Accepted input: ``True``/``False``, the integers 1 and 0, the words in
    :data:`TRUE_WORDS` and :data:`FALSE_WORDS`, and the field's own two values.
    """
    true_words = TRUE_WORDS | {true_value.casefold()}
    false_words = FALSE_WORDS | {false_value.casefold()}

    def convert(value: Any) -> tuple[str, bool]:
        if isinstance(value, bool):
            flag = value
        elif isinstance(value, int) and value in (0, 1):
            flag = value == 1
        elif isinstance(value, str) and value.strip().casefold() in true_words:
            flag = True
        elif isinstance(value, str) and value.strip().casefold() in false_words:
            flag = False
        else:
            raise ConversionError("invalid_boolean", value)
        return (true_value if flag else false_value), flag

    return convert


def make_phone_converter(
    phone_format: str, default_region: str | None, phone_check: str
) -> Converter:
    """Return a converter that parses and checks a phone number with the ``phonenumbers`` library.

    Formats: ``e164`` (``+5511987654321``), ``national`` (the national significant
    number, ``11987654321``), ``digits`` (E.164 without the plus, ``5511987654321``)
    and ``country_code`` (``55``). Numbers without a ``+`` prefix are read in
    *default_region*. *phone_check* ``valid`` requires an assigned number range;
    ``possible`` only checks the length.
    """
    e164 = phonenumbers.PhoneNumberFormat.E164

    def convert(value: Any) -> tuple[str, str]:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ConversionError("invalid_phone", value)
        number = checked_phone_number(str(value).strip(), default_region, phone_check)
        if number is None:
            raise ConversionError("invalid_phone", value)

        if phone_format == "national":
            formatted = phonenumbers.national_significant_number(number)
        elif phone_format == "country_code":
            formatted = str(number.country_code)
        else:
            formatted = phonenumbers.format_number(number, e164)
            if phone_format == "digits":
                formatted = formatted[1:]
        return formatted, formatted

    return convert


@functools.lru_cache(maxsize=1024)
def checked_phone_number(
    text: str, region: str | None, phone_check: str
) -> phonenumbers.PhoneNumber | None:
    """Parse and check one phone number; return None when it is not a number or fails the check.

    Parsing takes about 20 microseconds, so results are cached: a contact whose
    number feeds several fields (country code and national number) is parsed once.
    Callers must not change the returned object.
    """
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    check = (
        phonenumbers.is_valid_number if phone_check == "valid" else phonenumbers.is_possible_number
    )
    return number if check(number) else None
