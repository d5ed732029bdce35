"""Operator-facing texts that can be shown in any language later.

A :class:`Message` keeps an English template marked for translation and the
values that fill it, instead of a finished sentence. Errors carry one, batches
store one, and a screen renders it with the operator's gettext catalog, so a
failure recorded by an English worker still reads in Portuguese on a
Brazilian operator's page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import attrs

Translate = Callable[[str], str]
Param: TypeAlias = "str | int | float | bool | Message | None"


def N_(message: str) -> str:  # the conventional name that gettext extractors look for
    """Mark *message* for translation without translating it now."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:  # named like N_
    """Mark a singular/plural pair for translation without translating it now."""
    return singular, plural


def _identity(text: str) -> str:
    return text


def _frozen_params(params: Mapping[str, Param]) -> dict[str, Param]:
    return dict(params)


@attrs.frozen
class Message:
    """An English *template* in ``str.format`` syntax and the *params* that fill it.

    A param may itself be a :class:`Message`, which is translated too: a
    phrase such as "reading" inside "{operation} {location} failed". A
    message without params is shown as its template, braces included.
    """

    template: str
    params: Mapping[str, Param] = attrs.field(factory=dict, converter=_frozen_params)

    @classmethod
    def of(cls, template: str, **params: Param) -> Message:
        """Build a message from *template* and keyword params."""
        return cls(template, params)

    def render(self, translate: Translate = _identity) -> str:
        """Return the text in the language of *translate*, a gettext ``gettext`` function."""
        if not self.template:
            return ""  # gettext("") is the catalog's header, never a translation
        text = translate(self.template)
        if not self.params:
            return text
        values = {
            key: value.render(translate) if isinstance(value, Message) else value
            for key, value in self.params.items()
        }
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):
            # A damaged translation must not hide the failure: fall back to English.
            return self.template.format(**values)

    def map_text(self, transform: Callable[[str], str]) -> Message:
        """Return a copy whose text params, nested ones included, went through *transform*."""
        params: dict[str, Param] = {}
        for key, value in self.params.items():
            if isinstance(value, Message):
                params[key] = value.map_text(transform)
            elif isinstance(value, str):
                params[key] = transform(value)
            else:
                params[key] = value
        return Message(self.template, params)

    def to_data(self) -> dict[str, Any]:
        """Return the message as JSON-ready data: ``{"template": ..., "params": {...}}``."""
        params: dict[str, Any] = {}
        for key, value in self.params.items():
            if isinstance(value, Message):
                params[key] = value.to_data()
            elif value is None or isinstance(value, str | int | float | bool):
                params[key] = value
            else:
                params[key] = str(value)
        return {"template": self.template, "params": params}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Message:
        """Rebuild a message from :meth:`to_data`'s output; raises ValueError on other shapes."""
        template = data.get("template")
        params = data.get("params", {})
        if not isinstance(template, str) or not isinstance(params, Mapping):
            raise ValueError(f"not a stored message: {data!r}")
        values: dict[str, Param] = {}
        for key, value in params.items():
            values[str(key)] = cls.from_data(value) if isinstance(value, Mapping) else value
        return cls(template, values)

    def __str__(self) -> str:
        return self.render()


def as_message(text: str | Message) -> Message:
    """Return *text* as a :class:`Message`; plain text becomes a message without params."""
    return text if isinstance(text, Message) else Message(str(text))


__all__ = ["N_", "Message", "N_plural", "Translate", "as_message"]
