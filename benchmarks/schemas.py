"""The two ten-field schemas the benchmarks render, and plain-Python equivalents.

The plain versions (the baselines) apply the same transformations by hand, so
a ratio compares the library with what a careful script would do, not with
less work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

DELIMITED = """
name = "bench-csv"
format = "delimited"
delimiter = ";"
quoting = "minimal"
header_row = true
encoding = "utf-8"
line_ending = "crlf"
empty_batch = "write"

[[fields]]
name = "id"
source = "id"
type = "integer"

[[fields]]
name = "firstname"
source = "firstname"
transforms = ["upper"]

[[fields]]
name = "lastname"
source = "lastname"
transforms = ["upper"]

[[fields]]
name = "email"
source = "email"
transforms = ["lower"]

[[fields]]
name = "mobile"
source = "mobile"
transforms = ["digits_only"]

[[fields]]
name = "city"
source = "city"

[[fields]]
name = "state"
source = "state"

[[fields]]
name = "zipcode"
source = "zipcode"
transforms = ["digits_only"]

[[fields]]
name = "points"
source = "points"
type = "integer"

[[fields]]
name = "birthday"
source = "birthday"
type = "date"
format = "%d/%m/%Y"
"""

FIXED = """
name = "bench-fixed"
format = "fixed"
encoding = "latin-1"
unencodable = "replace"
line_ending = "crlf"
line_length = 150
empty_batch = "write"

[[fields]]
name = "id"
source = "id"
type = "integer"
length = 10
pad = "0"

[[fields]]
name = "firstname"
source = "firstname"
transforms = ["upper"]
length = 20

[[fields]]
name = "lastname"
source = "lastname"
transforms = ["upper"]
length = 20

[[fields]]
name = "email"
source = "email"
transforms = ["lower"]
length = 40

[[fields]]
name = "mobile"
source = "mobile"
transforms = ["digits_only"]
length = 13

[[fields]]
name = "city"
source = "city"
length = 20

[[fields]]
name = "state"
source = "state"
length = 2

[[fields]]
name = "zipcode"
source = "zipcode"
transforms = ["digits_only"]
length = 8

[[fields]]
name = "points"
source = "points"
type = "integer"
length = 6
pad = "0"
align = "right"

[[fields]]
name = "birthday"
source = "birthday"
type = "date"
format = "%d%m%Y"
length = 8
"""



def digits(text: str) -> str:
    return "".join(character for character in text if character.isdigit())


def plain_delimited_row(fields: dict[str, Any]) -> list[str]:
    """The delimited schema's row, computed by hand."""
    return [
        str(int(fields["id"])),
        fields["firstname"].upper(),
        fields["lastname"].upper(),
        fields["email"].lower(),
        digits(fields["mobile"]),
        fields["city"],
        fields["state"],
        digits(fields["zipcode"]),
        str(int(fields["points"])),
        dt.date.fromisoformat(fields["birthday"]).strftime("%d/%m/%Y"),
    ]


def plain_fixed_line(fields: dict[str, Any]) -> str:
    """The fixed-width schema's line, computed by hand with string formatting."""
    line = (
        f"{int(fields['id']):010d}"
        f"{fields['firstname'].upper()[:20]:<20}"
        f"{fields['lastname'].upper()[:20]:<20}"
        f"{fields['email'].lower()[:40]:<40}"
        f"{digits(fields['mobile'])[:13]:<13}"
        f"{fields['city'][:20]:<20}"
        f"{fields['state'][:2]:<2}"
        f"{digits(fields['zipcode'])[:8]:<8}"
        f"{int(fields['points']):06d}"
        f"{dt.date.fromisoformat(fields['birthday']).strftime('%d%m%Y'):<8}"
    )
    return f"{line:<150}\r\n"


PLAIN: dict[str, Callable[[dict[str, Any]], Any]] = {
    "bench-csv": plain_delimited_row,
    "bench-fixed": plain_fixed_line,
}
