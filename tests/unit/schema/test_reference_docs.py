"""The schema reference page documents every key and reason code the parser accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from aspectfile_core.schema import REASON_CODES, WARNING_CODES, parser

REFERENCE = Path(__file__).resolve().parents[3] / "docs" / "schema-reference.md"
KEYS = sorted(
    parser.COMMON_KEYS
    | parser.FIXED_KEYS
    | parser.DELIMITED_KEYS
    | parser.COMMON_FIELD_KEYS
    | parser.FIXED_FIELD_KEYS
    | parser.DELIMITED_FIELD_KEYS
    | set(parser.TYPE_FIELD_KEYS)
)


@pytest.mark.parametrize("key", KEYS)
def test_every_key_documented(key: str) -> None:
    """Each key the parser accepts appears in the reference, in backticks."""
    assert f"`{key}`" in REFERENCE.read_text(encoding="utf-8")


@pytest.mark.parametrize("code", sorted({**REASON_CODES, **WARNING_CODES}))
def test_every_reason_code_documented(code: str) -> None:
    """Each reason and warning code appears in the reference with its English template."""
    text = REFERENCE.read_text(encoding="utf-8")
    template = {**REASON_CODES, **WARNING_CODES}[code]

    assert f"| `{code}` | `{template}` |" in text
