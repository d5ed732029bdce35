"""A Hypothesis state machine that drives a batch repository and checks it against a model.

Subclass :class:`RepositoryStateMachine`, return a repository with no
batches from :meth:`~RepositoryStateMachine.make_repository`, and let pytest
collect its ``TestCase``::

    from hypothesis import settings
    from aspectfile_core.testing.stateful import RepositoryStateMachine

    class MyRepositoryMachine(RepositoryStateMachine):
        def make_repository(self):
            return MyRepository(...)

    TestMyRepository = MyRepositoryMachine.TestCase
    TestMyRepository.settings = settings(max_examples=50, deadline=None)

or run it inside a pytest test, with fixtures at hand, through
:func:`hypothesis.stateful.run_state_machine_as_test`.

Each run starts on a fresh repository and takes random steps. It adds
contacts with duplicates, for two campaigns, two events and two schemas, under
an optional ``max_leads_per_batch``. It claims, freezes a file target,
generates (marks UPLOADING with some leads failed), uploads, releases for
retry, fails, renews, acts with a lost lease, makes an illegal move, rescues
expired leases, reprocesses, deletes, purges and moves the clock forward.
After every step it checks that:

* every contact the repository accepted is in exactly one batch, the one the
  model expects, and no batch holds a lead id twice;
* each (campaign, event) has at most one open batch;
* each batch changed state only along
  :data:`~aspectfile_core.domain.status.BATCH_TRANSITIONS`;
* lead counts equal the lead rows, and the attempts table holds one row per
  claim with the expected outcome;
* no lead is GENERATED unless its batch reached UPLOADING with a file that
  contains it.

Every expected value comes from the model, so a failure names the first
step where the repository and the contract disagree; Hypothesis then
shrinks the steps to a short reproduction. Importing this module needs
Hypothesis (the ``test`` extra).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from aspectfile_core.domain.errors import (
    BatchBusy,
    BatchNotFound,
    ForceRequired,
    IllegalTransition,
    LeaseLost,
)
from aspectfile_core.domain.model import (
    LEASE_EXPIRED_MESSAGE,
    Batch,
    BatchSummary,
    Contact,
    Lead,
    LeadFailure,
)
from aspectfile_core.domain.status import BATCH_TRANSITIONS, BatchStatus, LeadStatus
from aspectfile_core.ports import BatchRepository, FileTarget, RenderOutcome, StoredFile

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 3
"""Attempts after which a rescued batch becomes FAILED instead of PENDING."""

CAMPAIGNS = (1, 2)
EVENTS = (1, 2)
SCHEMAS = ("schema-a", "schema-b")
LEAD_IDS = tuple(str(number) for number in range(1, 7))
HELD = (BatchStatus.GENERATING, BatchStatus.UPLOADING)
LISTED = 1000
"""Batches or leads read per page when the machine checks the repository; runs stay far below it."""


@attrs.define
class ModelBatch:
    """The state the contract expects of one batch after the steps so far."""

    id: int
    campaign_id: int
    event_id: int
    schema_name: str
    created_at: dt.datetime
    status: BatchStatus = BatchStatus.PENDING
    is_open: bool = True
    leads: dict[str, LeadStatus] = attrs.Factory(dict)
    """Lead ids in insertion order, with their states."""
    attempts: int = 0
    owner: str | None = None
    lease_expires_at: dt.datetime | None = None
    next_attempt_at: dt.datetime | None = None
    error_message: str | None = None
    target: FileTarget | None = None
    written: frozenset[str] | None = None
    """Lead ids in the file of the attempt that reached UPLOADING; None before that."""
    outcomes: list[str | None] = attrs.Factory(list)
    """One entry per attempt row: its outcome, None while it runs."""

    def reset_leads(self) -> None:
        self.leads = dict.fromkeys(self.leads, LeadStatus.PENDING)
        self.written = None

    def release(self, status: BatchStatus, outcome: str) -> None:
        self.status = status
        self.owner = None
        self.lease_expires_at = None
        self.outcomes[-1] = outcome


@attrs.frozen
class _Segment:
    """Contacts of one add call that go to one batch: an existing one (by id) or a new one."""

    batch_id: int | None
    lead_ids: tuple[str, ...]
    sealed: bool


@attrs.frozen
class _AddPlan:
    added: int
    duplicates: int
    segments: tuple[_Segment, ...]
    sealed_before: int | None
    """An open batch sealed because the call uses another schema."""


@attrs.frozen
class _Snapshot:
    summaries: dict[int, BatchSummary]
    leads: dict[int, list[Lead]]
    outcomes: dict[int, list[str | None]]


def _expect_error(error: type[Exception], call: Callable[[], object]) -> Exception:
    try:
        call()
    except error as raised:
        return raised
    raise AssertionError(f"expected {error.__name__}, but the call returned normally")


class RepositoryStateMachine(RuleBasedStateMachine):
    """Random steps on one repository, checked against :class:`ModelBatch` records."""

    def __init__(self) -> None:
        super().__init__()
        self.repository = self.make_repository()
        self.now = T0
        self.max_leads: int | None = None
        self.batches: dict[int, ModelBatch] = {}
        self.removed: set[int] = set()
        self.former_owners: dict[int, list[str]] = {}
        self.observed: dict[int, BatchStatus] = {}
        self._owners = 0

    # Hooks for subclasses

    def make_repository(self) -> BatchRepository:
        """Return the repository under test, with no batches."""
        raise NotImplementedError("subclasses return the repository under test")

    def close_repository(self, repository: BatchRepository) -> None:
        """Release what :meth:`make_repository` opened; called after each run."""

    def teardown(self) -> None:
        self.close_repository(self.repository)

    # Helpers

    def _new_owner(self) -> str:
        self._owners += 1
        return f"worker-{self._owners}"

    def _open_batch(self, campaign_id: int, event_id: int) -> ModelBatch | None:
        for batch in self.batches.values():
            if batch.is_open and (batch.campaign_id, batch.event_id) == (campaign_id, event_id):
                return batch
        return None

    def _held(self, *states: BatchStatus) -> list[int]:
        return sorted(
            batch.id
            for batch in self.batches.values()
            if batch.status in (states or HELD) and batch.owner is not None
        )

    def _pick(self, data: st.DataObject, ids: Sequence[int]) -> ModelBatch:
        return self.batches[data.draw(st.sampled_from(sorted(ids)), label="batch")]

    def _forget_owner(self, batch: ModelBatch) -> None:
        if batch.owner is not None:
            self.former_owners.setdefault(batch.id, []).append(batch.owner)

    def _plan_add(
        self, campaign_id: int, event_id: int, schema: str, lead_ids: list[str]
    ) -> _AddPlan:
        unique = list(dict.fromkeys(lead_ids))
        duplicates = len(lead_ids) - len(unique)
        open_batch = self._open_batch(campaign_id, event_id)
        sealed_before = None
        current: int | None = None
        size = 0
        if open_batch is not None and open_batch.schema_name != schema:
            sealed_before = open_batch.id
        elif open_batch is not None:
            current, size = open_batch.id, len(open_batch.leads)
            present = [lead_id for lead_id in unique if lead_id in open_batch.leads]
            duplicates += len(present)
            unique = [lead_id for lead_id in unique if lead_id not in open_batch.leads]

        segments: list[_Segment] = []
        portion: list[str] = []
        for lead_id in unique:
            if self.max_leads is not None and size >= self.max_leads:
                # An open batch is sealed as soon as it is full, so *portion*
                # contains the contacts that filled it.
                segments.append(_Segment(current, tuple(portion), sealed=True))
                current, size, portion = None, 0, []
            portion.append(lead_id)
            size += 1
        if portion:
            full = self.max_leads is not None and size >= self.max_leads
            segments.append(_Segment(current, tuple(portion), sealed=full))
        return _AddPlan(len(unique), duplicates, tuple(segments), sealed_before)

    # Rules

    @initialize(max_leads=st.sampled_from([None, 2, 3]))
    def choose_batch_size(self, max_leads: int | None) -> None:
        self.max_leads = max_leads

    @rule(seconds=st.sampled_from([1, 59, 60, 180, 300, 600]))
    def advance_clock(self, seconds: int) -> None:
        # One-second steps land just before and just after lease expiries and retry times.
        self.now += dt.timedelta(seconds=seconds)

    @rule(
        campaign_id=st.sampled_from(CAMPAIGNS),
        event_id=st.sampled_from(EVENTS),
        schema=st.sampled_from(SCHEMAS),
        lead_ids=st.lists(st.sampled_from(LEAD_IDS), max_size=5),
    )
    def add_contacts(
        self, campaign_id: int, event_id: int, schema: str, lead_ids: list[str]
    ) -> None:
        plan = self._plan_add(campaign_id, event_id, schema, lead_ids)

        result = self.repository.add_contacts(
            campaign_id=campaign_id,
            event_id=event_id,
            schema_name=schema,
            bucket="",
            contacts=[Contact(lead_id, {"name": f"lead {lead_id}"}) for lead_id in lead_ids],
            now=self.now,
            max_leads_per_batch=self.max_leads,
        )

        assert result.added == plan.added, f"added {result.added}, expected {plan.added}"
        assert result.duplicates == plan.duplicates, (
            f"duplicates {result.duplicates}, expected {plan.duplicates}"
        )
        assert len(result.batch_ids) == len(plan.segments), (
            f"contacts went to batches {result.batch_ids}, expected {len(plan.segments)} batches"
        )
        if plan.sealed_before is not None:
            self.batches[plan.sealed_before].is_open = False
        for segment, batch_id in zip(plan.segments, result.batch_ids, strict=True):
            if segment.batch_id is None:
                assert batch_id not in self.batches, f"new batch got the id of batch {batch_id}"
                assert batch_id not in self.removed, (
                    f"new batch got id {batch_id}, which a deleted batch had"
                )
                self.batches[batch_id] = ModelBatch(
                    batch_id, campaign_id, event_id, schema, created_at=self.now
                )
            else:
                assert batch_id == segment.batch_id, (
                    f"contacts went to batch {batch_id}, expected open batch {segment.batch_id}"
                )
            batch = self.batches[batch_id]
            batch.leads.update(dict.fromkeys(segment.lead_ids, LeadStatus.PENDING))
            batch.is_open = not segment.sealed

    @rule(limit=st.integers(min_value=1, max_value=3))
    def claim(self, limit: int) -> None:
        due = sorted(
            batch.id
            for batch in self.batches.values()
            if batch.status is BatchStatus.PENDING
            and (batch.next_attempt_at is None or batch.next_attempt_at <= self.now)
        )
        owner = self._new_owner()

        claimed = self.repository.claim(
            owner=owner, now=self.now, lease_expires_at=self.now + LEASE, limit=limit
        )

        assert [batch.id for batch in claimed] == due[:limit], (
            f"claimed {[batch.id for batch in claimed]}, expected the due batches {due[:limit]}"
        )
        for returned in claimed:
            batch = self.batches[returned.id]
            batch.status = BatchStatus.GENERATING
            batch.is_open = False
            batch.attempts += 1
            batch.owner = owner
            batch.lease_expires_at = self.now + LEASE
            batch.next_attempt_at = None
            batch.outcomes.append(None)
            self._check_batch(returned, batch)

    @precondition(lambda self: self._held())
    @rule(data=st.data(), sequence=st.integers(min_value=1, max_value=99))
    def freeze_file_target(self, data: st.DataObject, sequence: int) -> None:
        batch = self._pick(data, self._held())
        assert batch.owner is not None
        target = FileTarget(1, sequence, f"F{sequence}.txt", f"out/F{sequence}.txt", self.now)

        kept = self.repository.set_file_target(batch.id, owner=batch.owner, target=target)

        expected = batch.target or target
        assert kept == expected, f"file target {kept}, expected {expected}"
        batch.target = expected

    @precondition(lambda self: self._held(BatchStatus.GENERATING))
    @rule(data=st.data())
    def generate(self, data: st.DataObject) -> None:
        batch = self._pick(data, self._held(BatchStatus.GENERATING))
        assert batch.owner is not None
        pending = [
            lead_id for lead_id, status in batch.leads.items() if status is LeadStatus.PENDING
        ]

        read = [
            lead_id
            for chunk in self.repository.iter_pending_leads(batch.id, chunk_size=2)
            for lead_id, _fields in chunk
        ]
        assert read == pending, f"generation read leads {read}, expected {pending}"
        assert self.repository.count_leads(batch.id, LeadStatus.PENDING) == len(pending)

        failed = sorted(
            data.draw(st.sets(st.sampled_from(pending)), label="failed") if pending else set()
        )
        failures = {
            lead_id: LeadFailure("invalid_phone", "bad phone", "phone", lead_id)
            for lead_id in failed
        }
        self.repository.mark_uploading(
            batch.id,
            owner=batch.owner,
            outcome=RenderOutcome(record_count=len(pending) - len(failed), failures=failures),
            now=self.now,
        )

        batch.status = BatchStatus.UPLOADING
        batch.leads.update(dict.fromkeys(failed, LeadStatus.FAILED))
        batch.written = frozenset(pending) - frozenset(failed)

    @precondition(lambda self: self._held(BatchStatus.UPLOADING))
    @rule(data=st.data())
    def upload(self, data: st.DataObject) -> None:
        batch = self._pick(data, self._held(BatchStatus.UPLOADING))
        assert batch.owner is not None

        self.repository.mark_uploaded(
            batch.id,
            owner=batch.owner,
            stored=StoredFile(path=f"memory://{batch.id}", size=1, sha256="0" * 64),
            now=self.now,
        )

        self._forget_owner(batch)
        batch.release(BatchStatus.UPLOADED, "uploaded")
        batch.error_message = None
        for lead_id, status in batch.leads.items():
            if status is LeadStatus.PENDING:
                batch.leads[lead_id] = LeadStatus.GENERATED

    @precondition(lambda self: self._held())
    @rule(data=st.data(), wait=st.sampled_from([0, 1, 10]))
    def release_for_retry(self, data: st.DataObject, wait: int) -> None:
        batch = self._pick(data, self._held())
        assert batch.owner is not None
        next_attempt_at = self.now + dt.timedelta(minutes=wait)

        self.repository.release_for_retry(
            batch.id,
            owner=batch.owner,
            error="timeout",
            next_attempt_at=next_attempt_at,
            now=self.now,
        )

        self._forget_owner(batch)
        batch.release(BatchStatus.PENDING, "retry")
        batch.next_attempt_at = next_attempt_at
        batch.error_message = "timeout"
        batch.reset_leads()

    @precondition(lambda self: self._held())
    @rule(data=st.data())
    def fail(self, data: st.DataObject) -> None:
        batch = self._pick(data, self._held())
        assert batch.owner is not None
        pending = [
            lead_id for lead_id, status in batch.leads.items() if status is LeadStatus.PENDING
        ]
        failed = sorted(
            data.draw(st.sets(st.sampled_from(pending)), label="failed") if pending else set()
        )

        self.repository.fail(
            batch.id,
            owner=batch.owner,
            error="bucket missing",
            now=self.now,
            failures={lead_id: LeadFailure("invalid_phone", "bad phone") for lead_id in failed},
        )

        self._forget_owner(batch)
        batch.release(BatchStatus.FAILED, "failed")
        batch.error_message = "bucket missing"
        batch.leads.update(dict.fromkeys(failed, LeadStatus.FAILED))
        batch.written = None

    @precondition(lambda self: self._held())
    @rule(data=st.data())
    def renew_lease(self, data: st.DataObject) -> None:
        batch = self._pick(data, self._held())
        assert batch.owner is not None

        self.repository.renew_lease(batch.id, owner=batch.owner, lease_expires_at=self.now + LEASE)

        batch.lease_expires_at = self.now + LEASE

    @precondition(lambda self: self.former_owners)
    @rule(data=st.data(), action=st.sampled_from(["renew", "generate", "upload", "retry", "fail"]))
    def act_with_lost_lease(self, data: st.DataObject, action: str) -> None:
        batch_id = data.draw(st.sampled_from(sorted(self.former_owners)), label="batch")
        owner = data.draw(st.sampled_from(self.former_owners[batch_id]), label="owner")
        if batch_id in self.batches and self.batches[batch_id].owner == owner:
            return
        calls: dict[str, Callable[[], object]] = {
            "renew": lambda: self.repository.renew_lease(
                batch_id, owner=owner, lease_expires_at=self.now + LEASE
            ),
            "generate": lambda: self.repository.mark_uploading(
                batch_id, owner=owner, outcome=RenderOutcome(record_count=0), now=self.now
            ),
            "upload": lambda: self.repository.mark_uploaded(
                batch_id,
                owner=owner,
                stored=StoredFile(path="memory://late", size=1, sha256="0" * 64),
                now=self.now,
            ),
            "retry": lambda: self.repository.release_for_retry(
                batch_id, owner=owner, error="late", next_attempt_at=self.now, now=self.now
            ),
            "fail": lambda: self.repository.fail(batch_id, owner=owner, error="late", now=self.now),
        }

        expected = BatchNotFound if batch_id in self.removed else LeaseLost
        _expect_error(expected, calls[action])

    @precondition(lambda self: self._held())
    @rule(data=st.data())
    def skip_a_state(self, data: st.DataObject) -> None:
        batch = self._pick(data, self._held())
        assert batch.owner is not None
        owner = batch.owner

        if batch.status is BatchStatus.GENERATING:
            raised = _expect_error(
                IllegalTransition,
                lambda: self.repository.mark_uploaded(
                    batch.id,
                    owner=owner,
                    stored=StoredFile(path="memory://early", size=1, sha256="0" * 64),
                    now=self.now,
                ),
            )
        else:
            raised = _expect_error(
                IllegalTransition,
                lambda: self.repository.mark_uploading(
                    batch.id, owner=owner, outcome=RenderOutcome(record_count=0), now=self.now
                ),
            )
        assert isinstance(raised, IllegalTransition)
        assert raised.from_state == batch.status.value, (
            f"IllegalTransition names {raised.from_state}, the batch is {batch.status.value}"
        )

    @rule()
    def rescue_expired(self) -> None:
        expired = sorted(
            batch.id
            for batch in self.batches.values()
            if batch.status in HELD
            and batch.lease_expires_at is not None
            and batch.lease_expires_at <= self.now
        )
        asked: list[int] = []

        def retry_at(attempts: int) -> dt.datetime | None:
            asked.append(attempts)
            if attempts >= MAX_ATTEMPTS:
                return None
            return self.now + dt.timedelta(minutes=attempts)

        rescued = self.repository.rescue_expired(now=self.now, retry_at=retry_at)

        assert sorted(rescued) == expired, f"rescued {sorted(rescued)}, expected {expired}"
        assert sorted(asked) == sorted(self.batches[i].attempts for i in expired), (
            f"retry_at was asked for attempts {sorted(asked)}"
        )
        for batch_id in expired:
            batch = self.batches[batch_id]
            next_attempt_at = retry_at(batch.attempts)
            self._forget_owner(batch)
            batch.release(
                BatchStatus.FAILED if next_attempt_at is None else BatchStatus.PENDING, "lost"
            )
            batch.next_attempt_at = next_attempt_at
            batch.error_message = LEASE_EXPIRED_MESSAGE
            batch.reset_leads()

    @precondition(lambda self: self.batches)
    @rule(data=st.data(), force=st.booleans())
    def reprocess(self, data: st.DataObject, force: bool) -> None:
        batch = self._pick(data, list(self.batches))

        if batch.status not in (BatchStatus.FAILED, BatchStatus.UPLOADED):
            _expect_error(
                IllegalTransition,
                lambda: self.repository.reprocess(batch.id, now=self.now, force=force),
            )
            return
        if batch.status is BatchStatus.UPLOADED and not force:
            _expect_error(
                ForceRequired,
                lambda: self.repository.reprocess(batch.id, now=self.now, force=force),
            )
            return

        returned = self.repository.reprocess(batch.id, now=self.now, force=force)

        batch.status = BatchStatus.PENDING
        batch.attempts = 0
        batch.next_attempt_at = None
        batch.error_message = None
        batch.target = None
        batch.reset_leads()
        self._check_batch(returned, batch)

    @precondition(lambda self: self.batches)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        batch = self._pick(data, list(self.batches))

        if batch.lease_expires_at is not None and batch.lease_expires_at > self.now:
            _expect_error(BatchBusy, lambda: self.repository.delete(batch.id, now=self.now))
            return
        self.repository.delete(batch.id, now=self.now)

        self._remove(batch)

    @rule(
        age=st.sampled_from([0, 5, 30]),
        statuses=st.sets(st.sampled_from(list(BatchStatus)), min_size=1),
        limit=st.integers(min_value=1, max_value=3),
    )
    def purge(self, age: int, statuses: set[BatchStatus], limit: int) -> None:
        created_before = self.now - dt.timedelta(minutes=age)
        expected = sorted(
            batch.id
            for batch in self.batches.values()
            if batch.status in statuses
            and batch.created_at < created_before
            and not (batch.lease_expires_at is not None and batch.lease_expires_at > self.now)
        )[:limit]

        purged = self.repository.purge(
            created_before=created_before, statuses=statuses, now=self.now, limit=limit
        )

        assert purged == expected, f"purged {purged}, expected {expected}"
        for batch_id in purged:
            self._remove(self.batches[batch_id])

    def _remove(self, batch: ModelBatch) -> None:
        self._forget_owner(batch)
        del self.batches[batch.id]
        self.observed.pop(batch.id, None)
        self.removed.add(batch.id)

    # Invariants

    @invariant()
    def repository_follows_contract(self) -> None:
        snapshot = self._snapshot()
        self._check_batches_match(snapshot)
        self._check_each_contact_in_one_batch(snapshot)
        self._check_one_open_batch_per_event(snapshot)
        self._check_moves_follow_table(snapshot)
        self._check_counts_equal_rows(snapshot)
        self._check_attempt_rows(snapshot)
        self._check_generated_leads_were_written(snapshot)

    def _snapshot(self) -> _Snapshot:
        page = self.repository.list_batches(page=1, per_page=LISTED)
        assert page.total == len(page.items), f"list total {page.total}, rows {len(page.items)}"
        summaries = {summary.batch.id: summary for summary in page.items}
        leads = {
            batch_id: list(self.repository.list_leads(batch_id, page=1, per_page=LISTED).items)
            for batch_id in summaries
        }
        outcomes = {
            batch_id: [attempt.outcome for attempt in self.repository.list_attempts(batch_id)]
            for batch_id in summaries
        }
        return _Snapshot(summaries, leads, outcomes)

    def _check_batch(self, actual: Batch, expected: ModelBatch) -> None:
        fields: dict[str, tuple[Any, Any]] = {
            "status": (actual.status, expected.status),
            "is_open": (actual.is_open, expected.is_open),
            "attempts": (actual.attempts, expected.attempts),
            "lease_owner": (actual.lease_owner, expected.owner),
            "lease_expires_at": (actual.lease_expires_at, expected.lease_expires_at),
            "next_attempt_at": (actual.next_attempt_at, expected.next_attempt_at),
            "error_message": (actual.error_message, expected.error_message),
            "campaign/event/schema": (
                (actual.campaign_id, actual.event_id, actual.schema_name),
                (expected.campaign_id, expected.event_id, expected.schema_name),
            ),
            "file_name": (
                actual.file_name,
                expected.target.file_name if expected.target is not None else None,
            ),
        }
        for name, (got, wanted) in fields.items():
            assert got == wanted, f"batch {actual.id}: {name} is {got!r}, expected {wanted!r}"

    def _check_batches_match(self, snapshot: _Snapshot) -> None:
        assert set(snapshot.summaries) == set(self.batches), (
            f"repository has batches {sorted(snapshot.summaries)}, expected {sorted(self.batches)}"
        )
        for batch_id, summary in snapshot.summaries.items():
            self._check_batch(summary.batch, self.batches[batch_id])

    def _check_each_contact_in_one_batch(self, snapshot: _Snapshot) -> None:
        for batch_id, leads in snapshot.leads.items():
            lead_ids = [lead.lead_id for lead in leads]
            assert len(lead_ids) == len(set(lead_ids)), (
                f"batch {batch_id} repeats a lead: {lead_ids}"
            )
            expected = self.batches[batch_id].leads
            assert lead_ids == list(expected), (
                f"batch {batch_id} holds leads {lead_ids}, expected {list(expected)}"
            )
            states = {lead.lead_id: lead.status for lead in leads}
            assert states == expected, f"batch {batch_id} lead states {states}, expected {expected}"
            assert all(lead.batch_id == batch_id for lead in leads), (
                f"a lead listed under batch {batch_id} names another batch"
            )

        stored = sum(len(leads) for leads in snapshot.leads.values())
        accepted = sum(len(batch.leads) for batch in self.batches.values())
        assert stored == accepted, f"{stored} lead rows, but {accepted} accepted contacts remain"

    def _check_one_open_batch_per_event(self, snapshot: _Snapshot) -> None:
        open_batches: dict[tuple[int, int], list[int]] = {}
        for summary in snapshot.summaries.values():
            batch = summary.batch
            if batch.is_open:
                open_batches.setdefault((batch.campaign_id, batch.event_id), []).append(batch.id)
                assert batch.status is BatchStatus.PENDING, (
                    f"batch {batch.id} is open but {batch.status.value}"
                )
        for key, ids in open_batches.items():
            assert len(ids) == 1, f"campaign/event {key} has open batches {ids}"

    def _check_moves_follow_table(self, snapshot: _Snapshot) -> None:
        for batch_id, summary in snapshot.summaries.items():
            current = summary.batch.status
            previous = self.observed.get(batch_id)
            if previous is None:
                assert current is BatchStatus.PENDING, (
                    f"batch {batch_id} appeared as {current.value}, not PENDING"
                )
            elif current is not previous:
                assert current in BATCH_TRANSITIONS[previous], (
                    f"batch {batch_id} moved {previous.value} -> {current.value}, "
                    "which the transition table does not allow"
                )
            self.observed[batch_id] = current

    def _check_counts_equal_rows(self, snapshot: _Snapshot) -> None:
        for batch_id, summary in snapshot.summaries.items():
            rows = snapshot.leads[batch_id]
            tally = {
                status: sum(1 for lead in rows if lead.status is status) for status in LeadStatus
            }
            counts = summary.counts
            actual = (counts.pending, counts.generated, counts.failed, counts.total)
            wanted = (
                tally[LeadStatus.PENDING],
                tally[LeadStatus.GENERATED],
                tally[LeadStatus.FAILED],
                len(rows),
            )
            assert actual == wanted, (
                f"batch {batch_id} counts (pending, generated, failed, total) {actual}, "
                f"rows {wanted}"
            )

    def _check_attempt_rows(self, snapshot: _Snapshot) -> None:
        for batch_id, outcomes in snapshot.outcomes.items():
            expected = self.batches[batch_id].outcomes
            assert outcomes == expected, (
                f"batch {batch_id} attempt outcomes {outcomes}, expected {expected}"
            )

    def _check_generated_leads_were_written(self, snapshot: _Snapshot) -> None:
        for batch_id, leads in snapshot.leads.items():
            generated = {lead.lead_id for lead in leads if lead.status is LeadStatus.GENERATED}
            if not generated:
                continue
            batch = self.batches[batch_id]
            assert snapshot.summaries[batch_id].batch.status is BatchStatus.UPLOADED, (
                f"batch {batch_id} has GENERATED leads but is "
                f"{snapshot.summaries[batch_id].batch.status.value}"
            )
            written = batch.written or frozenset()
            assert generated <= written, (
                f"batch {batch_id} leads {sorted(generated - written)} are GENERATED "
                "but were not in the file that reached UPLOADING"
            )


__all__ = ["LEASE", "MAX_ATTEMPTS", "T0", "ModelBatch", "RepositoryStateMachine"]
