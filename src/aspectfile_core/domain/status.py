"""Batch and lead states, and the one table of legal moves between them."""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from aspectfile_core.domain.errors import ForceRequired, IllegalTransition


class BatchStatus(enum.StrEnum):
    """The stage of a batch's life. The value is the text the database stores."""

    PENDING = "PENDING"
    """Waiting for a worker: open for new contacts, or sealed and waiting for a (re)try."""
    GENERATING = "GENERATING"
    """Claimed by a worker, which is writing the file."""
    UPLOADING = "UPLOADING"
    """The file is written; the worker is storing it."""
    UPLOADED = "UPLOADED"
    """The file is stored and verified. Final unless an operator forces a reprocess."""
    FAILED = "FAILED"
    """Stopped by a configuration error or by running out of attempts; needs a person."""


class LeadStatus(enum.StrEnum):
    """The state of one lead of a batch. The value is the text the database stores."""

    PENDING = "PENDING"
    """Not yet in a stored file."""
    GENERATED = "GENERATED"
    """Written to the batch's stored file."""
    FAILED = "FAILED"
    """Left out of the file. The failure reason gives the cause."""


BATCH_TRANSITIONS: Mapping[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.PENDING: frozenset({BatchStatus.GENERATING}),
    BatchStatus.GENERATING: frozenset(
        {BatchStatus.UPLOADING, BatchStatus.PENDING, BatchStatus.FAILED}
    ),
    BatchStatus.UPLOADING: frozenset(
        {BatchStatus.UPLOADED, BatchStatus.PENDING, BatchStatus.FAILED}
    ),
    BatchStatus.UPLOADED: frozenset({BatchStatus.PENDING}),
    BatchStatus.FAILED: frozenset({BatchStatus.PENDING}),
}
"""Every legal batch move. GENERATING/UPLOADING -> PENDING is a retry after a
transient error or a lost worker; FAILED -> PENDING is a reprocess, and
UPLOADED -> PENDING is a forced reprocess."""

LEAD_TRANSITIONS: Mapping[LeadStatus, frozenset[LeadStatus]] = {
    LeadStatus.PENDING: frozenset({LeadStatus.GENERATED, LeadStatus.FAILED}),
    LeadStatus.GENERATED: frozenset({LeadStatus.PENDING}),
    LeadStatus.FAILED: frozenset({LeadStatus.PENDING}),
}
"""Every legal lead move. GENERATED/FAILED -> PENDING happens when the batch is
reset for a retry or a reprocess."""


@attrs.frozen
class Transition:
    """A record of one legal move of a batch."""

    batch_id: int | None
    from_state: BatchStatus
    to_state: BatchStatus


def check_batch_transition(
    batch_id: int | None, from_state: BatchStatus, to_state: BatchStatus
) -> Transition:
    """Return the record of moving batch *batch_id* from *from_state* to *to_state*.

    Raises :class:`IllegalTransition` when the table does not allow the move.
    """
    if to_state not in BATCH_TRANSITIONS[from_state]:
        raise IllegalTransition(batch_id, from_state.value, to_state.value)
    return Transition(batch_id, from_state, to_state)


def check_lead_transition(
    batch_id: int | None, from_state: LeadStatus, to_state: LeadStatus
) -> None:
    """Raise :class:`IllegalTransition` unless a lead may move from *from_state* to *to_state*."""
    if to_state not in LEAD_TRANSITIONS[from_state]:
        raise IllegalTransition(batch_id, from_state.value, to_state.value, subject="lead")


def batch_sources(to_state: BatchStatus) -> frozenset[BatchStatus]:
    """Return the states from which a batch may move to *to_state*."""
    return frozenset(state for state, targets in BATCH_TRANSITIONS.items() if to_state in targets)


def lead_sources(to_state: LeadStatus) -> frozenset[LeadStatus]:
    """Return the states from which a lead may move to *to_state*."""
    return frozenset(state for state, targets in LEAD_TRANSITIONS.items() if to_state in targets)


REPROCESSABLE: frozenset[BatchStatus] = frozenset({BatchStatus.FAILED, BatchStatus.UPLOADED})
"""States an operator can reprocess from; UPLOADED needs an explicit force."""


def check_reprocess(batch_id: int, status: BatchStatus, *, force: bool) -> Transition:
    """Return the record of reprocessing a batch in *status*.

    A batch a worker holds (GENERATING, UPLOADING) or one already waiting
    (PENDING) raises :class:`IllegalTransition`; an UPLOADED batch raises
    :class:`ForceRequired` unless *force* is set.
    """
    if status not in REPROCESSABLE:
        raise IllegalTransition(batch_id, status.value, BatchStatus.PENDING.value)
    if status is BatchStatus.UPLOADED and not force:
        raise ForceRequired(batch_id)
    return check_batch_transition(batch_id, status, BatchStatus.PENDING)
