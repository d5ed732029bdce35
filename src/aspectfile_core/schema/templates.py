"""``str.format`` templates limited to plain names and format specs.

A template such as ``"CAMP{campaign_id}_{generated_at:%Y%m%d}.txt"`` may name
values and give each a format spec. Attribute access (``{a.b}``), indexing
(``{a[0]}``), positional fields (``{}``, ``{0}``), conversions (``{a!r}``) and
nested fields inside a spec are rejected when the schema is loaded, so a
template cannot reach into the objects it formats.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Collection, Mapping
from typing import Any

import attrs

from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.schema.text import as_text

_FORMATTER = string.Formatter()


@attrs.frozen
class Template:
    """A parsed template: literal text alternating with named replacement fields."""

    text: str
    parts: tuple[tuple[str, str | None, str], ...]
    """``(literal, name, format_spec)`` triples; ``name`` is None for trailing literal text."""

    @property
    def names(self) -> frozenset[str]:
        """Every name the template uses."""
        return frozenset(name for _, name, _ in self.parts if name is not None)

    @property
    def literal_text(self) -> str:
        """The template's literal text, with the replacement fields left out."""
        return "".join(literal for literal, _, _ in self.parts)

    def render(self, values: Mapping[str, Any], clean: Callable[[str], str] | None = None) -> str:
        """Fill the template from *values*; a name that is absent or None counts as empty.

        *clean*, when given, is applied to each formatted value (not to the
        literal text). Raises :class:`TemplateValueError` when a format spec
        does not apply to a value.
        """
        pieces: list[str] = []
        for literal, name, spec in self.parts:
            pieces.append(literal)
            if name is None:
                continue

            value = values.get(name)
            if value is None:
                value = ""
            if not spec:
                formatted = as_text(value)
            else:
                try:
                    formatted = format(value, spec)
                except (ValueError, TypeError) as error:
                    raise TemplateValueError(name, value, spec) from error
            pieces.append(clean(formatted) if clean else formatted)
        return "".join(pieces)


class TemplateValueError(ValueError):
    """A template's format spec does not apply to the value it was given."""

    def __init__(self, name: str, value: Any, spec: str) -> None:
        self.name = name
        self.value = value
        self.spec = spec
        super().__init__(f"format spec {spec!r} does not apply to {name} = {value!r}")


def parse_template(
    text: str, allowed_names: Collection[str] | None = None
) -> tuple[Template | None, list[Message]]:
    """Parse *text* into a :class:`Template`; return it with a list of problems.

    When *allowed_names* is given, any other name is a problem. The template is
    None when the text cannot be parsed at all.
    """
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError as error:
        return None, [
            Message.of(
                N_("invalid template {text!r}: {error}; write a literal brace as '{{{{' or '}}}}'"),
                text=text,
                error=str(error),
            )
        ]

    problems: list[Message] = []
    parts: list[tuple[str, str | None, str]] = []
    for literal, field_name, spec, conversion in parsed:
        if field_name is None:
            parts.append((literal, None, ""))
            continue

        problem = _check_replacement_field(field_name, spec or "", conversion, allowed_names)
        if problem:
            problems.append(problem)
        parts.append((literal, field_name, spec or ""))
    return Template(text=text, parts=tuple(parts)), problems


def _check_replacement_field(
    name: str, spec: str, conversion: str | None, allowed_names: Collection[str] | None
) -> Message | None:
    # "field" is the replacement field as the template wrote it, braces included.
    if not name or name.isdigit():
        return Message.of(
            N_("positional field '{field}' is not allowed; name the value, as in '{{batch_id}}'"),
            field=f"{{{name}}}",
        )
    if "." in name or "[" in name:
        return Message.of(
            N_("'{field}': attribute access and indexing are not allowed; use a plain name"),
            field=f"{{{name}}}",
        )
    if conversion is not None:
        return Message.of(
            N_("'{field}': conversions are not allowed; use a format spec after ':'"),
            field=f"{{{name}!{conversion}}}",
        )
    if "{" in spec or "}" in spec:
        return Message.of(
            N_("'{field}': nested replacement fields in a format spec are not allowed"),
            field=f"{{{name}:{spec}}}",
        )
    if allowed_names is not None and name not in allowed_names:
        known = ", ".join(sorted(allowed_names))
        return Message.of(
            N_("unknown name '{name}' in template; known names: {known}"), name=name, known=known
        )
    return None
