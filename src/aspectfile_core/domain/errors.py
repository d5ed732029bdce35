"""Exceptions raised by aspectfile-core.

Every exception derives from :class:`AspectFileError`. Callers that retry
automatically catch :class:`TransientError`; callers that need a person to fix
the setup catch :class:`ConfigurationError`.
"""

from __future__ import annotations

from collections.abc import Sequence

from aspectfile_core.domain.messages import N_, Message, Translate, as_message


class AspectFileError(Exception):
    """Base class of every error raised by aspectfile-core.

    The message may be given as a :class:`Message`, which keeps the template
    marked for translation. :attr:`detail` is that message, and :meth:`translated`
    renders it in an operator's language. ``str(error)`` fills the template untranslated.
    """

    def __init__(self, message: str | Message = "", *args: object) -> None:
        self.detail = as_message(message)
        super().__init__(str(message), *args)

    def translated(self, translate: Translate) -> str:
        """Return the message in the language of *translate* (a gettext ``gettext`` function)."""
        return self.detail.render(translate)


class TransientError(AspectFileError):
    """A failure that may go away by itself; the batch is retried later.

    Network errors, timeouts and a store or database that is briefly down
    are transient.
    """


class ConfigurationError(AspectFileError):
    """A failure that needs a person to fix the setup before a retry can succeed.

    An unknown schema, a missing bucket and rejected credentials are
    configuration errors.
    """


class SchemaProblem:
    """One problem found in a schema document, with the path of the key at fault."""

    __slots__ = ("detail", "message", "path")

    def __init__(self, path: str, message: str | Message) -> None:
        self.path = path
        self.detail = as_message(message)
        self.message = str(message)
        """The problem in English; :meth:`translated` gives it in another language."""

    def translated(self, translate: Translate) -> str:
        """Return the problem, path first, in the language of *translate*."""
        message = self.detail.render(translate)
        return f"{self.path}: {message}" if self.path else message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def __repr__(self) -> str:
        return f"SchemaProblem({self.path!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SchemaProblem):
            return NotImplemented
        return (self.path, self.message) == (other.path, other.message)

    def __hash__(self) -> int:
        return hash((self.path, self.message))


class SchemaError(ConfigurationError, ValueError):
    """A schema document is invalid; :attr:`problems` lists every problem found."""

    def __init__(self, schema_name: str | None, problems: Sequence[SchemaProblem]) -> None:
        self.schema_name = schema_name
        self.problems = tuple(problems)
        label = f"schema {schema_name!r}" if schema_name else "schema"
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{label} is invalid:\n{lines}")

    def translated(self, translate: Translate) -> str:
        """Return the heading and every problem in the language of *translate*."""
        if self.schema_name:
            heading = translate(N_("schema {name!r} is invalid:")).format(name=self.schema_name)
        else:
            heading = translate(N_("the schema is invalid:"))
        lines = "\n".join(f"  {problem.translated(translate)}" for problem in self.problems)
        return f"{heading}\n{lines}"


class SchemaNotFound(ConfigurationError, LookupError):
    """No schema with this name is registered."""

    def __init__(self, schema_name: str) -> None:
        self.schema_name = schema_name
        super().__init__(
            Message.of(
                N_("schema {name!r} not found; register it with 'aspectfile-run schema add FILE'"),
                name=schema_name,
            )
        )


class BatchNotFound(AspectFileError, LookupError):
    """No batch with this id exists."""

    def __init__(self, batch_id: int) -> None:
        self.batch_id = batch_id
        super().__init__(Message.of(N_("batch {id} not found"), id=batch_id))


class IllegalTransition(AspectFileError):
    """A batch or lead was asked to move between two states the transition table does not link."""

    def __init__(
        self, batch_id: int | None, from_state: str, to_state: str, subject: str = "batch"
    ) -> None:
        self.batch_id = batch_id
        self.from_state = from_state
        self.to_state = to_state
        self.subject = subject
        super().__init__(
            f"{subject} of batch {batch_id}: illegal transition {from_state} -> {to_state}"
        )


class LeaseLost(AspectFileError):
    """A worker tried to change a batch whose lease it no longer holds."""

    def __init__(self, batch_id: int, owner: str) -> None:
        self.batch_id = batch_id
        self.owner = owner
        super().__init__(
            Message.of(
                N_(
                    "batch {id}: lease held by worker {owner!r} expired or was taken over; "
                    "the change was not applied"
                ),
                id=batch_id,
                owner=owner,
            )
        )


class BatchBusy(AspectFileError):
    """A batch cannot be changed now because a worker holds a live lease on it."""

    def __init__(self, batch_id: int, action: str) -> None:
        self.batch_id = batch_id
        self.action = action
        super().__init__(
            f"batch {batch_id} is being processed by a worker; {action} it after the worker finishes"
        )


class InvalidContact(AspectFileError, ValueError):
    """A contact given to the add-contacts service cannot be stored."""

    def __init__(self, reason: str | Message, value: object = None) -> None:
        self.reason = str(reason)
        self.value = value
        super().__init__(reason)


class LeadDataError(AspectFileError, ValueError):
    """One lead's data cannot be rendered by the schema; the lead fails, not the batch.

    :attr:`code` is a stable reason code such as ``missing_required``.
    """

    def __init__(self, code: str, field: str, value: object, message: str) -> None:
        self.code = code
        self.field = field
        self.value = value
        super().__init__(message)


class ForceRequired(AspectFileError):
    """Reprocessing an UPLOADED batch would deliver its file again, so it needs an explicit force."""

    def __init__(self, batch_id: int) -> None:
        self.batch_id = batch_id
        super().__init__(
            f"batch {batch_id} is UPLOADED; reprocessing it writes and delivers its file again, "
            "so pass force=True (--force on the command line) to confirm"
        )
