"""Map library errors to translated messages and exit codes, in one place."""

from __future__ import annotations

from collections.abc import Callable

from aspectfile_core.domain.errors import (
    AspectFileError,
    BatchBusy,
    BatchNotFound,
    ConfigurationError,
    ForceRequired,
    IllegalTransition,
    InvalidContact,
    SchemaError,
    SchemaNotFound,
    TransientError,
)
from aspectfile_core.i18n import batch_status_label
from aspectfile_core.redaction import redact

EXIT_OK = 0
EXIT_INCOMPLETE = 1
"""Some batch or row did not succeed, or a transient failure stopped the command."""
EXIT_USAGE = 2
"""The command line, the input or the configuration is wrong; retrying as-is will not help."""

Translate = Callable[[str], str]


def describe(error: AspectFileError, _: Translate) -> tuple[str, int]:
    """Return the operator's message for *error* and the exit code it leads to."""
    if isinstance(error, BatchNotFound):
        return (
            _("Batch {id} not found. 'aspectfile-run list' shows the batches.").format(
                id=error.batch_id
            ),
            EXIT_USAGE,
        )
    if isinstance(error, SchemaNotFound):
        return (
            _(
                "Schema {name!r} not found. Register it with 'aspectfile-run schema add FILE'."
            ).format(name=error.schema_name),
            EXIT_USAGE,
        )
    if isinstance(error, SchemaError):
        problems = "\n".join(f"  {problem.translated(_)}" for problem in error.problems)
        return _("The schema is invalid:") + "\n" + problems, EXIT_USAGE
    if isinstance(error, ForceRequired):
        return (
            _(
                "Batch {id} was already uploaded. Reprocessing delivers its file again; "
                "add --force to confirm."
            ).format(id=error.batch_id),
            EXIT_USAGE,
        )
    if isinstance(error, BatchBusy):
        return (
            _(
                "Batch {id} is being processed by a worker right now. Try again when it finishes."
            ).format(id=error.batch_id),
            EXIT_INCOMPLETE,
        )
    if isinstance(error, IllegalTransition):
        return (
            _("Batch {id} cannot go from {from_state} to {to_state}.").format(
                id=error.batch_id,
                from_state=batch_status_label(error.from_state, _),
                to_state=batch_status_label(error.to_state, _),
            ),
            EXIT_USAGE,
        )

    detail = redact(error.translated(_))
    if isinstance(error, InvalidContact):
        return _("Invalid input: {detail}").format(detail=detail), EXIT_USAGE
    if isinstance(error, ConfigurationError):
        return _("Configuration error: {detail}").format(detail=detail), EXIT_USAGE
    if isinstance(error, TransientError):
        return (
            _("Temporary failure: {detail}. Try again in a moment.").format(detail=detail),
            EXIT_INCOMPLETE,
        )
    return _("Error: {detail}").format(detail=detail), EXIT_INCOMPLETE
