"""The transition table: every legal move passes, every other move is refused with its data."""

from __future__ import annotations

import itertools

import pytest

from aspectfile_core.domain.errors import ForceRequired, IllegalTransition
from aspectfile_core.domain.status import (
    BATCH_TRANSITIONS,
    LEAD_TRANSITIONS,
    BatchStatus,
    LeadStatus,
    check_batch_transition,
    check_lead_transition,
    check_reprocess,
)

LEGAL_BATCH_MOVES = {
    ("PENDING", "GENERATING"),
    ("GENERATING", "UPLOADING"),
    ("GENERATING", "PENDING"),
    ("GENERATING", "FAILED"),
    ("UPLOADING", "UPLOADED"),
    ("UPLOADING", "PENDING"),
    ("UPLOADING", "FAILED"),
    ("UPLOADED", "PENDING"),
    ("FAILED", "PENDING"),
}
ALL_BATCH_MOVES = list(itertools.product(BatchStatus, BatchStatus))
ALL_LEAD_MOVES = list(itertools.product(LeadStatus, LeadStatus))


def test_table_matches_lifecycle() -> None:
    """The table holds exactly the documented batch lifecycle."""
    table = {(a.value, b.value) for a, targets in BATCH_TRANSITIONS.items() for b in targets}

    assert table == LEGAL_BATCH_MOVES


@pytest.mark.parametrize(
    ("from_state", "to_state"),
    ALL_BATCH_MOVES,
    ids=[f"{a.value}-{b.value}" for a, b in ALL_BATCH_MOVES],
)
def test_batch_move(from_state: BatchStatus, to_state: BatchStatus) -> None:
    """Legal moves return a record; illegal ones raise with batch id, from-state and to-state."""
    if (from_state.value, to_state.value) in LEGAL_BATCH_MOVES:
        record = check_batch_transition(42, from_state, to_state)
        assert (record.batch_id, record.from_state, record.to_state) == (42, from_state, to_state)
        return

    with pytest.raises(
        IllegalTransition,
        match=f"batch 42: illegal transition {from_state.value} -> {to_state.value}",
    ) as caught:
        check_batch_transition(42, from_state, to_state)
    assert caught.value.batch_id == 42
    assert caught.value.from_state == from_state.value
    assert caught.value.to_state == to_state.value


@pytest.mark.parametrize(
    ("from_state", "to_state"),
    ALL_LEAD_MOVES,
    ids=[f"{a.value}-{b.value}" for a, b in ALL_LEAD_MOVES],
)
def test_lead_move(from_state: LeadStatus, to_state: LeadStatus) -> None:
    """Leads go PENDING -> GENERATED/FAILED and back to PENDING on a reset, nothing else."""
    legal = to_state in LEAD_TRANSITIONS[from_state]
    expected = {
        ("PENDING", "GENERATED"),
        ("PENDING", "FAILED"),
        ("GENERATED", "PENDING"),
        ("FAILED", "PENDING"),
    }

    assert legal == ((from_state.value, to_state.value) in expected)
    if legal:
        check_lead_transition(7, from_state, to_state)
    else:
        with pytest.raises(
            IllegalTransition, match=f"lead of batch 7: illegal transition {from_state.value}"
        ):
            check_lead_transition(7, from_state, to_state)


@pytest.mark.parametrize("status", list(BatchStatus), ids=[s.value for s in BatchStatus])
def test_reprocess_rule(status: BatchStatus) -> None:
    """Reprocess takes FAILED, UPLOADED only with force, and refuses the rest."""
    if status is BatchStatus.FAILED:
        assert check_reprocess(1, status, force=False).to_state is BatchStatus.PENDING
    elif status is BatchStatus.UPLOADED:
        with pytest.raises(ForceRequired, match="force"):
            check_reprocess(1, status, force=False)
        assert check_reprocess(1, status, force=True).to_state is BatchStatus.PENDING
    else:
        with pytest.raises(IllegalTransition, match=f"{status.value} -> PENDING"):
            check_reprocess(1, status, force=True)
