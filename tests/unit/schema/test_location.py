"""File names and path prefixes rendered from batch variables."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from aspectfile_core.domain.errors import SchemaError
from aspectfile_core.schema import render_location
from tests.unit.schema.support import VARIABLES, delimited, fixed

FIELD = {"name": "a", "value": "x", "length": 1}


def test_default_file_name() -> None:
    """Without file_name, the name is schema, campaign, event and batch with the extension."""
    assert render_location(fixed(FIELD), VARIABLES) == ("", "test_7_3_42.txt")
    assert render_location(delimited({"name": "a", "value": "x"}), VARIABLES) == (
        "",
        "test_7_3_42.csv",
    )


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"file_name": "CAMP{campaign_id}_{generated_at:%Y%m%d}_{file_sequence:06d}.txt"},
            ("", "CAMP7_20260302_000017.txt"),
        ),
        (
            {"file_name": "{generated_at:%Y%m%d_%H%M%S}.{extension}", "extension": "dat"},
            ("", "20260302_143015.dat"),
        ),
        (
            {"file_name": "{created_at:%d%m%Y}-{schema}-v{schema_version}.txt"},
            ("", "01032026-test-v2.txt"),
        ),
        ({"path_prefix": "incoming/{campaign_id}"}, ("incoming/7", "test_7_3_42.txt")),
        ({"path_prefix": "incoming/"}, ("incoming", "test_7_3_42.txt")),
        (
            {"file_name": "{generated_at:%H%M}.txt", "timezone": "America/Sao_Paulo"},
            ("", "1130.txt"),
        ),
    ],
    ids=[
        "issue-example",
        "extension",
        "created-and-version",
        "prefix",
        "trailing-slash",
        "timezone",
    ],
)
def test_rendered_locations(settings: dict[str, Any], expected: tuple[str, str]) -> None:
    """Templates fill batch variables with format specs and strftime."""
    assert render_location(fixed(FIELD, **settings), VARIABLES) == expected


def test_unsafe_characters_from_values_become_underscores() -> None:
    """Characters outside A-Z a-z 0-9 . _ - that come from variable values become '_'."""
    schema = fixed(
        FIELD, file_name="{schema}_{generated_at:%Y-%m-%d %H:%M}.txt", path_prefix="{schema}"
    )
    variables = attrs.evolve(VARIABLES, schema="a b/c")

    assert render_location(schema, variables) == ("a_b_c", "a_b_c_2026-03-02_14_30.txt")


def test_dot_dot_from_a_value_is_rejected() -> None:
    """A variable value that makes a segment '..' is rejected, not written outside the prefix."""
    schema = fixed(FIELD, path_prefix="{schema}")
    variables = attrs.evolve(VARIABLES, schema="..")

    with pytest.raises(
        SchemaError, match=r"path_prefix: renders to '\.\.': segment '\.\.' is not allowed"
    ):
        render_location(schema, variables)


def test_overlong_rendered_segment_is_rejected() -> None:
    """A rendered segment longer than 255 characters is rejected."""
    schema = fixed(FIELD, file_name="{schema}" + "x" * 200 + ".txt")
    variables = attrs.evolve(VARIABLES, schema="s" * 64)

    with pytest.raises(SchemaError, match="longer than 255"):
        render_location(schema, variables)


def test_same_variables_same_location() -> None:
    """Rendering twice with the same frozen variables gives the same location."""
    schema = fixed(FIELD, file_name="{generated_at:%Y%m%d%H%M%S}_{file_sequence}.txt")

    assert render_location(schema, VARIABLES) == render_location(schema, VARIABLES)
