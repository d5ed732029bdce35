"""Schema problems keep their English text and carry a marked template that gettext can translate."""

from __future__ import annotations

import re
import textwrap
import tomllib

import pytest

from aspectfile_core.domain.errors import SchemaError, SchemaProblem
from aspectfile_core.schema import parse_schema

VALID_FIELD = """
[[fields]]
name = "lead_id"
source = "id"
length = 10
"""


def shout(template: str) -> str:
    """A fake gettext: upper-case the template's text but keep its {placeholders}, as a translator must."""
    pieces = re.split(r"(\{[^{}]*\})", template)
    return "".join(piece if piece.startswith("{") else piece.upper() for piece in pieces)


def only_problem(text: str) -> SchemaProblem:
    """Parse a TOML document that has exactly one problem and return it."""
    with pytest.raises(SchemaError) as caught:
        parse_schema(textwrap.dedent(text), "toml")
    assert len(caught.value.problems) == 1, caught.value.problems
    return caught.value.problems[0]


@pytest.mark.parametrize(
    ("document", "english", "translated"),
    [
        (
            'name = "test"\nformat = "fixed"\nbom = "yes"\n' + VALID_FIELD,
            "must be true or false, not 'yes'",
            # The phrase "true or false" is a message of its own and is translated too.
            "bom: MUST BE TRUE OR FALSE, NOT 'yes'",
        ),
        (
            'name = "test"\nformat = "fixed"\n' + VALID_FIELD + "lenght = 3\n",
            "unknown key; did you mean 'length'?",
            "fields[0].lenght: UNKNOWN KEY; DID YOU MEAN 'length'?",
        ),
        (
            'name = "test"\nformat = "fixed"\n[[fields]]\nname = "a"\nsource = "a"\nlength = 0\n',
            "must be at least 1",
            "fields[0].length: MUST BE AT LEAST 1",
        ),
        (
            'name = "test"\nformat = "fixed"\nfeild = 1\n' + VALID_FIELD,
            "unknown key; did you mean 'fields'?",
            "feild: UNKNOWN KEY; DID YOU MEAN 'fields'?",
        ),
    ],
    ids=["wrong-type", "unknown-field-key", "bad-width", "unknown-top-level-key"],
)
def test_problem_is_translatable(document: str, english: str, translated: str) -> None:
    """The English message is unchanged; the translated one goes through gettext."""
    problem = only_problem(document)

    assert problem.message == english
    assert problem.translated(shout) == translated
    assert problem.translated(lambda template: template) == str(problem)


def test_invalid_toml_is_translatable() -> None:
    """The "invalid TOML" wording is translated; the parser's own explanation stays as it is."""
    text = 'name = "test"\nformat = '
    with pytest.raises(tomllib.TOMLDecodeError) as syntax:
        tomllib.loads(text)

    problem = only_problem(text)

    assert problem.path == ""
    assert problem.message == f"invalid TOML: {syntax.value}"
    assert problem.translated(shout) == f"INVALID TOML: {syntax.value}"


def test_gettext_is_asked_for_the_marked_templates() -> None:
    """gettext receives the exact templates marked with N_, nested phrases included."""
    asked: list[str] = []

    def recording(template: str) -> str:
        asked.append(template)
        return template

    problem = only_problem('name = "test"\nformat = "fixed"\npublished = 1\n' + VALID_FIELD)
    problem.translated(recording)

    assert asked == ["must be {what}, not {value}", "true or false"]


def test_schema_error_translates_every_problem() -> None:
    """A SchemaError with several problems renders each one through gettext."""
    with pytest.raises(SchemaError) as caught:
        parse_schema(
            'name = "test"\nformat = "fixed"\nbom = "yes"\nzzz = 1\n' + VALID_FIELD, "toml"
        )

    lines = caught.value.translated(shout).splitlines()

    assert lines[1:] == ["  zzz: UNKNOWN KEY", "  bom: MUST BE TRUE OR FALSE, NOT 'yes'"]
    assert str(caught.value).splitlines()[1:] == [
        "  zzz: unknown key",
        "  bom: must be true or false, not 'yes'",
    ]


HEADER_NAMES = (
    "batch_id, campaign_id, created_at, event_id, extension, file_sequence, "
    "generated_at, record_count, schema, schema_version"
)


@pytest.mark.parametrize(
    ("document", "english", "translated", "asked"),
    [
        (
            'name = "test"\nformat = "fixed"\nencoding = "nope"\n' + VALID_FIELD,
            "unknown encoding 'nope'; use a Python codec name such as utf-8, latin-1 or cp1252",
            "encoding: UNKNOWN ENCODING 'nope'; USE A PYTHON CODEC NAME SUCH AS UTF-8, LATIN-1 OR CP1252",
            [
                "unknown encoding {encoding!r}; "
                "use a Python codec name such as utf-8, latin-1 or cp1252"
            ],
        ),
        (
            'name = "test"\nformat = "fixed"\n' + VALID_FIELD + "[[header]]\n"
            'fields = [{name = "h", template = "H{nope}", length = 5}]\n',
            f"unknown name 'nope' in template; known names: {HEADER_NAMES}",
            f"header[0].fields[0].template: UNKNOWN NAME 'nope' IN TEMPLATE; KNOWN NAMES: {HEADER_NAMES}",
            ["unknown name '{name}' in template; known names: {known}"],
        ),
        (
            'name = "test"\nformat = "fixed"\nfile_name = "{batch_id!r}.txt"\n' + VALID_FIELD,
            "'{batch_id!r}': conversions are not allowed; use a format spec after ':'",
            "file_name: '{batch_id!r}': CONVERSIONS ARE NOT ALLOWED; USE A FORMAT SPEC AFTER ':'",
            ["'{field}': conversions are not allowed; use a format spec after ':'"],
        ),
        (
            'name = "test"\nformat = "fixed"\n' + VALID_FIELD + '[delivery]\ncompression = "zip"\n',
            "'zip' is invalid; use one of none, gzip",
            "delivery.compression: 'zip' IS INVALID; USE ONE OF none, gzip",
            ["{value} is invalid; use one of {choices}"],
        ),
    ],
    ids=["unknown-encoding", "unknown-template-name", "file-name-conversion", "delivery-value"],
)
def test_encoding_template_and_delivery_problems_are_translatable(
    document: str, english: str, translated: str, asked: list[str]
) -> None:
    """Encoding, template and delivery problems reach the SchemaProblem as marked templates."""
    problem = only_problem(document)
    recorded: list[str] = []

    def recording(template: str) -> str:
        recorded.append(template)
        return template

    assert problem.message == english
    assert problem.translated(shout) == translated
    assert problem.translated(recording) == str(problem)
    assert recorded == asked
