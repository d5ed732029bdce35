"""The batch repository contract, as a pytest class to subclass.

Subclass :class:`RepositoryContract` in a test module and provide a
``repository`` fixture that returns an empty repository::

    class TestMyRepository(RepositoryContract):
        @pytest.fixture
        def repository(self):
            return MyRepository(...)

Every test uses explicit, timezone-aware timestamps and never sleeps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aspectfile_core.domain.errors import (
    BatchBusy,
    BatchNotFound,
    ForceRequired,
    IllegalTransition,
    LeaseLost,
    SchemaNotFound,
)
from aspectfile_core.domain.messages import N_, Message
from aspectfile_core.domain.model import LEASE_EXPIRED_MESSAGE, Contact, LeadFailure, LeadWarning
from aspectfile_core.domain.status import BatchStatus, LeadStatus
from aspectfile_core.ports import BatchRepository, FileTarget, RenderOutcome, StoredFile

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)
SCHEMA_DOCUMENT = 'name = "contract"\nformat = "delimited"\n'


def contacts(*lead_ids: int | str, **fields: Any) -> list[Contact]:
    """Return contacts with the given ids, each with *fields* plus its own ``name``."""
    return [Contact(lead_id, {"name": f"lead {lead_id}", **fields}) for lead_id in lead_ids]


def minutes(count: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=count)


class RepositoryContract:
    """Behaviour every :class:`~aspectfile_core.ports.BatchRepository` must have."""

    @pytest.fixture
    def repository(self) -> BatchRepository:
        raise NotImplementedError("subclasses provide a 'repository' fixture")

    # Helpers

    def add(
        self,
        repository: BatchRepository,
        *lead_ids: int | str,
        campaign: int = 1,
        event: int = 1,
        at: dt.datetime = T0,
        max_leads: int | None = None,
        schema: str = "contract",
    ) -> tuple[int, ...]:
        result = repository.add_contacts(
            campaign_id=campaign,
            event_id=event,
            schema_name=schema,
            bucket="",
            contacts=contacts(*lead_ids),
            now=at,
            max_leads_per_batch=max_leads,
        )
        return result.batch_ids

    def claim_one(
        self, repository: BatchRepository, owner: str = "worker-a", at: dt.datetime = T0
    ) -> int:
        claimed = repository.claim(owner=owner, now=at, lease_expires_at=at + LEASE, limit=1)
        assert len(claimed) == 1
        return claimed[0].id

    def stored(self) -> StoredFile:
        return StoredFile(path="memory://file.txt", size=10, sha256="0" * 64)

    def upload(self, repository: BatchRepository, batch_id: int, owner: str = "worker-a") -> None:
        repository.mark_uploading(
            batch_id, owner=owner, outcome=RenderOutcome(record_count=1), now=T0
        )
        repository.mark_uploaded(batch_id, owner=owner, stored=self.stored(), now=T0)

    def fail(self, repository: BatchRepository, batch_id: int, owner: str = "worker-a") -> None:
        repository.fail(batch_id, owner=owner, error="bucket missing", now=T0)

    # Adding contacts

    def test_add_creates_open_batch(self, repository: BatchRepository) -> None:
        """The first contact of a campaign event opens a PENDING batch that contains it."""
        (batch_id,) = self.add(repository, 1, 2)

        summary = repository.get_batch(batch_id)

        assert summary.batch.status is BatchStatus.PENDING
        assert summary.batch.is_open
        assert summary.counts.pending == 2
        assert summary.counts.total == 2

    def test_add_reuses_open_batch(self, repository: BatchRepository) -> None:
        """Later contacts of the same campaign event join the open batch."""
        first = self.add(repository, 1)
        second = self.add(repository, 2)

        assert first == second
        assert repository.get_batch(first[0]).counts.total == 2

    def test_add_skips_duplicate_lead(self, repository: BatchRepository) -> None:
        """A lead id already in the open batch, or twice in one call, is not added again."""
        self.add(repository, 1, 2)

        result = repository.add_contacts(
            campaign_id=1,
            event_id=1,
            schema_name="contract",
            bucket="",
            contacts=contacts(2, 3, 3, "1"),
            now=T0,
        )

        assert result.added == 1
        assert result.duplicates == 3
        assert repository.get_batch(result.batch_ids[0]).counts.total == 3

    def test_add_keeps_fields(self, repository: BatchRepository) -> None:
        """Contact fields are stored with the lead, unicode intact."""
        repository.add_contacts(
            campaign_id=1,
            event_id=1,
            schema_name="contract",
            bucket="",
            contacts=[Contact("7", {"firstname": "José", "city": "São Paulo", "points": 3})],
            now=T0,
        )
        batch_id = repository.list_batches(page=1, per_page=20).items[0].batch.id

        lead = repository.list_leads(batch_id, page=1, per_page=20).items[0]

        assert lead.lead_id == "7"
        assert lead.fields == {"firstname": "José", "city": "São Paulo", "points": 3}
        assert lead.status is LeadStatus.PENDING

    def test_add_only_duplicates_opens_nothing(self, repository: BatchRepository) -> None:
        """A call whose contacts are all duplicates leaves no empty batch behind."""
        self.add(repository, 1)
        batch_id = self.claim_one(repository)
        self.upload(repository, batch_id)

        result = repository.add_contacts(
            campaign_id=1, event_id=1, schema_name="contract", bucket="", contacts=[], now=T0
        )

        assert result.added == 0
        assert repository.list_batches(page=1, per_page=20).total == 1

    def test_events_get_separate_batches(self, repository: BatchRepository) -> None:
        """Each (campaign, event) pair has its own open batch."""
        first = self.add(repository, 1, event=1)
        second = self.add(repository, 1, event=2)
        third = self.add(repository, 1, campaign=2, event=1)

        assert len({first, second, third}) == 3

    def test_claim_seals_batch(self, repository: BatchRepository) -> None:
        """Contacts added after a claim go to a new open batch."""
        (first,) = self.add(repository, 1)
        self.claim_one(repository)

        (second,) = self.add(repository, 2)

        assert second != first
        assert not repository.get_batch(first).batch.is_open
        assert repository.get_batch(first).counts.total == 1
        assert repository.get_batch(second).batch.is_open

    def test_new_schema_opens_new_batch(self, repository: BatchRepository) -> None:
        """When a campaign step switches schema, new contacts go to a new batch."""
        (first,) = self.add(repository, 1, schema="contract")
        (second,) = self.add(repository, 2, schema="other")

        assert first != second
        assert not repository.get_batch(first).batch.is_open
        assert repository.get_batch(second).batch.schema_name == "other"

    @pytest.mark.parametrize(
        ("count", "sizes"),
        [(7, [3, 3, 1]), (6, [3, 3]), (3, [3]), (1, [1])],
        ids=["seven-in-threes", "six-in-threes", "exactly-full", "one"],
    )
    def test_max_leads_per_batch_splits(
        self, repository: BatchRepository, count: int, sizes: list[int]
    ) -> None:
        """A full open batch is sealed and the next contact opens another; no empty batch remains."""
        self.add(repository, *range(1, count + 1), max_leads=3)

        page = repository.list_batches(page=1, per_page=20)
        totals = sorted((summary.counts.total for summary in page.items), reverse=True)

        assert totals == sizes
        assert page.total == len(sizes)

    def test_max_leads_across_calls(self, repository: BatchRepository) -> None:
        """The limit holds when contacts arrive one call at a time."""
        for lead_id in range(1, 8):
            self.add(repository, lead_id, max_leads=3)

        page = repository.list_batches(page=1, per_page=20)

        assert sorted(summary.counts.total for summary in page.items) == [1, 3, 3]

    # Claiming

    def test_claim_moves_to_generating(self, repository: BatchRepository) -> None:
        """A claim takes the lease, counts the attempt and opens an attempt row."""
        (batch_id,) = self.add(repository, 1)

        claimed = repository.claim(owner="worker-a", now=T0, lease_expires_at=T0 + LEASE, limit=5)

        assert [batch.id for batch in claimed] == [batch_id]
        batch = repository.get_batch(batch_id).batch
        assert batch.status is BatchStatus.GENERATING
        assert batch.lease_owner == "worker-a"
        assert batch.lease_expires_at == T0 + LEASE
        assert batch.attempts == 1
        attempts = repository.list_attempts(batch_id)
        assert [(a.number, a.worker, a.ended_at) for a in attempts] == [(1, "worker-a", None)]

    def test_claim_takes_oldest_first(self, repository: BatchRepository) -> None:
        """Batches are claimed in creation order, up to the limit."""
        (older,) = self.add(repository, 1, event=1, at=minutes(0))
        (newer,) = self.add(repository, 1, event=2, at=minutes(1))
        self.add(repository, 1, event=3, at=minutes(2))

        claimed = repository.claim(owner="w", now=minutes(3), lease_expires_at=minutes(8), limit=2)

        assert [batch.id for batch in claimed] == [older, newer]

    def test_claim_twice_gets_nothing(self, repository: BatchRepository) -> None:
        """A claimed batch is not claimed again by another worker."""
        self.add(repository, 1)
        self.claim_one(repository, owner="worker-a")

        again = repository.claim(owner="worker-b", now=T0, lease_expires_at=T0 + LEASE, limit=5)

        assert again == []

    def test_claim_waits_for_backoff(self, repository: BatchRepository) -> None:
        """A batch released for retry is not claimed before its next attempt time."""
        (batch_id,) = self.add(repository, 1)
        self.claim_one(repository)
        repository.release_for_retry(
            batch_id, owner="worker-a", error="timeout", next_attempt_at=minutes(10), now=T0
        )

        early = repository.claim(owner="b", now=minutes(9), lease_expires_at=minutes(14), limit=1)
        due = repository.claim(owner="b", now=minutes(10), lease_expires_at=minutes(15), limit=1)

        assert early == []
        assert [batch.id for batch in due] == [batch_id]
        assert due[0].attempts == 2

    # Moving through the states

    def test_full_success_path(self, repository: BatchRepository) -> None:
        """GENERATING -> UPLOADING -> UPLOADED marks leads GENERATED and records the file."""
        (batch_id,) = self.add(repository, 1, 2, 3)
        self.claim_one(repository)
        failure = LeadFailure("missing_required", "phone is required", "phone", "")
        warning = LeadWarning("truncated", "name cut to 10 characters", "name")

        repository.mark_uploading(
            batch_id,
            owner="worker-a",
            outcome=RenderOutcome(
                record_count=2, failures={"2": failure}, warnings={"1": [warning]}
            ),
            now=minutes(1),
        )
        assert repository.get_batch(batch_id).batch.status is BatchStatus.UPLOADING
        repository.mark_uploaded(batch_id, owner="worker-a", stored=self.stored(), now=minutes(2))

        summary = repository.get_batch(batch_id)
        assert summary.batch.status is BatchStatus.UPLOADED
        assert summary.batch.file_size == 10
        assert summary.batch.file_url == "memory://file.txt"
        assert summary.batch.uploaded_at == minutes(2)
        assert summary.batch.record_count == 2
        assert summary.batch.lease_owner is None
        assert (summary.counts.generated, summary.counts.failed, summary.counts.pending) == (
            2,
            1,
            0,
        )
        leads = {
            lead.lead_id: lead
            for lead in repository.list_leads(batch_id, page=1, per_page=20).items
        }
        assert leads["2"].failure == failure
        assert leads["1"].warnings == (warning,)
        assert repository.list_attempts(batch_id)[-1].outcome == "uploaded"

    def test_uploaded_needs_uploading(self, repository: BatchRepository) -> None:
        """GENERATING -> UPLOADED skips a state and is refused with both states named."""
        (batch_id,) = self.add(repository, 1)
        self.claim_one(repository)

        with pytest.raises(IllegalTransition, match=r"GENERATING -> UPLOADED") as caught:
            repository.mark_uploaded(batch_id, owner="worker-a", stored=self.stored(), now=T0)

        assert caught.value.batch_id == batch_id
        assert caught.value.from_state == "GENERATING"
        assert caught.value.to_state == "UPLOADED"

    def test_uploading_twice_is_illegal(self, repository: BatchRepository) -> None:
        """UPLOADING -> UPLOADING is not a move."""
        (batch_id,) = self.add(repository, 1)
        self.claim_one(repository)
        repository.mark_uploading(batch_id, owner="worker-a", outcome=RenderOutcome(1), now=T0)

        with pytest.raises(IllegalTransition, match="UPLOADING -> UPLOADING"):
            repository.mark_uploading(batch_id, owner="worker-a", outcome=RenderOutcome(1), now=T0)

    def test_other_owner_changes_nothing(self, repository: BatchRepository) -> None:
        """A worker that does not hold the lease gets LeaseLost and the batch is unchanged."""
        (batch_id,) = self.add(repository, 1)
        self.claim_one(repository, owner="worker-a")

        with pytest.raises(LeaseLost, match="worker-b"):
            repository.mark_uploading(batch_id, owner="worker-b", outcome=RenderOutcome(1), now=T0)
        with pytest.raises(LeaseLost, match="worker-b"):
            repository.renew_lease(batch_id, owner="worker-b", lease_expires_at=minutes(30))

        batch = repository.get_batch(batch_id).batch
        assert batch.status is BatchStatus.GENERATING
        assert batch.lease_expires_at == T0 + LEASE

    def test_renew_extends_lease(self, repository: BatchRepository) -> None:
        """The owner can push its lease expiry forward."""
        (batch_id,) = self.add(repository, 1)
        self.claim_one(repository)

        repository.renew_lease(batch_id, owner="worker-a", lease_expires_at=minutes(30))

        assert repository.get_batch(batch_id).batch.lease_expires_at == minutes(30)

    def test_release_resets_leads(self, repository: BatchRepository) -> None:
        """A transient error sends the batch and its leads back to PENDING with the error kept."""
        (batch_id,) = self.add(repository, 1, 2)
        self.claim_one(repository)
        failure = LeadFailure("invalid_phone", "bad phone", "phone", "12")
        repository.mark_uploading(
            batch_id, owner="worker-a", outcome=RenderOutcome(1, failures={"1": failure}), now=T0
        )

        repository.release_for_retry(
            batch_id,
            owner="worker-a",
            error="connection refused",
            next_attempt_at=minutes(1),
            now=T0,
        )

        summary = repository.get_batch(batch_id)
        assert summary.batch.status is BatchStatus.PENDING
        assert summary.batch.error_message == "connection refused"
        assert summary.batch.next_attempt_at == minutes(1)
        assert summary.batch.attempts == 1
        assert summary.batch.lease_owner is None
        assert not summary.batch.is_open
        assert summary.counts.pending == 2
        attempt = repository.list_attempts(batch_id)[-1]
        assert (attempt.outcome, attempt.error) == ("retry", "connection refused")

    def test_fail_records_failures(self, repository: BatchRepository) -> None:
        """A configuration error makes the batch FAILED; given lead failures are kept."""
        (batch_id,) = self.add(repository, 1, 2)
        self.claim_one(repository)
        failure = LeadFailure("invalid_phone", "bad phone", "phone", "12")

        repository.fail(
            batch_id, owner="worker-a", error="too many invalid", now=T0, failures={"1": failure}
        )

        summary = repository.get_batch(batch_id)
        assert summary.batch.status is BatchStatus.FAILED
        assert summary.batch.error_message == "too many invalid"
        assert (summary.counts.failed, summary.counts.pending) == (1, 1)
        assert repository.list_attempts(batch_id)[-1].outcome == "failed"

    def test_errors_keep_their_translatable_message(self, repository: BatchRepository) -> None:
        """A Message given as the error reads back equal on the batch and on the attempt."""
        (batch_id,) = self.add(repository, 1, 1)
        self.claim_one(repository)
        detail = Message.of(
            N_("{detail} (gave up after {attempts} attempts)"),
            detail=Message.of(N_("database unavailable: {detail}"), detail="timeout ção"),
            attempts=3,
        )

        repository.fail(batch_id, owner="worker-a", error=detail, now=T0)

        batch = repository.get_batch(batch_id).batch
        attempt = repository.list_attempts(batch_id)[-1]
        assert batch.error_message == "database unavailable: timeout ção (gave up after 3 attempts)"
        assert batch.error_detail == detail
        assert (attempt.error, attempt.error_detail) == (batch.error_message, detail)

    def test_attempts_listed_oldest_first_across_reprocess(
        self, repository: BatchRepository
    ) -> None:
        """A reprocess restarts attempt numbers, but the list stays in the order attempts began."""
        (batch_id,) = self.add(repository, 1, 1)
        self.claim_one(repository)
        repository.fail(batch_id, owner="worker-a", error="bucket missing", now=T0)
        repository.reprocess(batch_id, now=T0)

        self.claim_one(repository)

        attempts = repository.list_attempts(batch_id)
        assert [attempt.outcome for attempt in attempts] == ["failed", None]
        assert [attempt.number for attempt in attempts] == [1, 1]

    def test_reprocess_clears_the_translatable_message(self, repository: BatchRepository) -> None:
        """After a reprocess the batch has neither the English error nor its message."""
        (batch_id,) = self.add(repository, 1, 1)
        self.claim_one(repository)
        repository.fail(
            batch_id,
            owner="worker-a",
            error=Message.of(N_("batch {id} not found"), id=batch_id),
            now=T0,
        )

        repository.reprocess(batch_id, now=T0)

        batch = repository.get_batch(batch_id).batch
        assert (batch.error_message, batch.error_detail) == (None, None)

    def test_pending_leads_in_order(self, repository: BatchRepository) -> None:
        """Generation reads PENDING leads in insertion order, chunk by chunk."""
        (batch_id,) = self.add(repository, *range(1, 8))

        chunks = list(repository.iter_pending_leads(batch_id, chunk_size=3))

        assert [len(chunk) for chunk in chunks] == [3, 3, 1]
        assert [lead_id for chunk in chunks for lead_id, _fields in chunk] == [
            str(number) for number in range(1, 8)
        ]
        assert chunks[0][0][1] == {"name": "lead 1"}

    def test_counts_by_status(self, repository: BatchRepository) -> None:
        """count_leads counts all leads or those in one state."""
        (batch_id,) = self.add(repository, 1, 2, 3)
        self.claim_one(repository)
        failure = LeadFailure("too_long", "too long", "name", "x")
        repository.mark_uploading(
            batch_id, owner="worker-a", outcome=RenderOutcome(2, failures={"3": failure}), now=T0
        )

        assert repository.count_leads(batch_id) == 3
        assert repository.count_leads(batch_id, LeadStatus.PENDING) == 2
        assert repository.count_leads(batch_id, LeadStatus.FAILED) == 1

    # File targets

    def test_file_target_frozen(self, repository: BatchRepository) -> None:
        """The first claim's file name survives a retry unchanged."""
        (batch_id,) = self.add(repository, 1)
        self.claim_one(repository)
        first = FileTarget(1, 7, "A.txt", "in/A.txt", T0)
        assert repository.set_file_target(batch_id, owner="worker-a", target=first) == first
        repository.release_for_retry(
            batch_id, owner="worker-a", error="timeout", next_attempt_at=T0, now=T0
        )
        self.claim_one(repository, owner="worker-b", at=minutes(1))

        kept = repository.set_file_target(
            batch_id, owner="worker-b", target=FileTarget(2, 8, "B.txt", "in/B.txt", minutes(1))
        )

        assert kept == first
        batch = repository.get_batch(batch_id).batch
        assert (batch.file_name, batch.file_path, batch.schema_version) == ("A.txt", "in/A.txt", 1)

    def test_file_sequence_counts_per_schema(self, repository: BatchRepository) -> None:
        """Each schema's file counter goes up by one and never repeats."""
        for name in ("a", "b"):
            repository.save_schema(
                name=name, document=name, document_format="toml", description="", now=T0
            )

        numbers = [repository.next_file_sequence("a") for _ in range(3)]

        assert numbers == [1, 2, 3]
        assert repository.next_file_sequence("b") == 1
        with pytest.raises(SchemaNotFound, match="missing"):
            repository.next_file_sequence("missing")

    # Rescue

    def test_rescue_expired_lease(self, repository: BatchRepository) -> None:
        """A batch whose lease expired goes back to PENDING with the 'worker lost' error."""
        (batch_id,) = self.add(repository, 1)
        self.claim_one(repository)

        early = repository.rescue_expired(now=minutes(4), retry_at=lambda attempts: minutes(6))
        rescued = repository.rescue_expired(now=minutes(5), retry_at=lambda attempts: minutes(6))

        assert early == []
        assert rescued == [batch_id]
        batch = repository.get_batch(batch_id).batch
        assert batch.status is BatchStatus.PENDING
        assert batch.error_message == LEASE_EXPIRED_MESSAGE
        assert batch.next_attempt_at == minutes(6)
        assert repository.list_attempts(batch_id)[-1].outcome == "lost"
        with pytest.raises(LeaseLost):
            repository.mark_uploading(batch_id, owner="worker-a", outcome=RenderOutcome(1), now=T0)

    def test_rescue_out_of_attempts_fails(self, repository: BatchRepository) -> None:
        """A lost batch that used all its attempts becomes FAILED."""
        (batch_id,) = self.add(repository, 1)
        self.claim_one(repository)

        repository.rescue_expired(now=minutes(6), retry_at=lambda attempts: None)

        batch = repository.get_batch(batch_id).batch
        assert batch.status is BatchStatus.FAILED
        assert batch.error_message == LEASE_EXPIRED_MESSAGE
        assert batch.next_attempt_at is None
        assert repository.list_attempts(batch_id)[-1].outcome == "lost"

    def test_rescue_asks_per_batch(self, repository: BatchRepository) -> None:
        """retry_at is asked once per expired batch with its attempts, and each gets its own time."""
        first, second = (self.add(repository, 1, event=event)[0] for event in (1, 2))
        self.claim_one(repository, owner="worker-a")
        repository.release_for_retry(
            first, owner="worker-a", error="timeout", next_attempt_at=T0, now=T0
        )
        claimed = repository.claim(owner="worker-b", now=T0, lease_expires_at=T0 + LEASE, limit=2)
        assert sorted(batch.id for batch in claimed) == [first, second]
        asked: list[int] = []

        def retry_at(attempts: int) -> dt.datetime:
            asked.append(attempts)
            return minutes(10 * attempts)

        rescued = repository.rescue_expired(now=minutes(5), retry_at=retry_at)

        assert sorted(rescued) == [first, second]
        assert sorted(asked) == [1, 2]
        assert repository.get_batch(first).batch.next_attempt_at == minutes(20)
        assert repository.get_batch(second).batch.next_attempt_at == minutes(10)

    def test_rescue_skips_finished_batches(self, repository: BatchRepository) -> None:
        """Only GENERATING and UPLOADING batches are rescued; finished ones keep their state."""
        uploaded, failed = (self.add(repository, 1, event=event)[0] for event in (1, 2))
        self.claim_one(repository)
        self.upload(repository, uploaded)
        self.claim_one(repository)
        self.fail(repository, failed)

        rescued = repository.rescue_expired(now=minutes(60), retry_at=lambda attempts: T0)

        assert rescued == []
        assert repository.get_batch(uploaded).batch.status is BatchStatus.UPLOADED
        assert repository.get_batch(failed).batch.status is BatchStatus.FAILED

    # Operators

    def test_reprocess_failed(self, repository: BatchRepository) -> None:
        """Reprocess resets a FAILED batch: PENDING, leads PENDING, error and file cleared."""
        (batch_id,) = self.add(repository, 1, 2)
        self.claim_one(repository)
        repository.set_file_target(
            batch_id, owner="worker-a", target=FileTarget(1, 1, "A.txt", "A.txt", T0)
        )
        failure = LeadFailure("invalid_phone", "bad phone", "phone", "12")
        repository.fail(batch_id, owner="worker-a", error="bad", now=T0, failures={"1": failure})

        batch = repository.reprocess(batch_id, now=minutes(1))

        assert batch.status is BatchStatus.PENDING
        assert batch.error_message is None
        assert (batch.file_name, batch.file_path, batch.file_sequence) == (None, None, None)
        assert batch.attempts == 0
        assert repository.get_batch(batch_id).counts.pending == 2
        assert len(repository.list_attempts(batch_id)) == 1
        assert [
            b.id
            for b in repository.claim(
                owner="b", now=minutes(1), lease_expires_at=minutes(6), limit=1
            )
        ] == [batch_id]

    def test_reprocess_uploaded_needs_force(self, repository: BatchRepository) -> None:
        """An UPLOADED batch is reprocessed only with force."""
        (batch_id,) = self.add(repository, 1)
        self.claim_one(repository)
        self.upload(repository, batch_id)

        with pytest.raises(ForceRequired, match="force"):
            repository.reprocess(batch_id, now=T0)
        assert repository.get_batch(batch_id).batch.status is BatchStatus.UPLOADED

        batch = repository.reprocess(batch_id, now=T0, force=True)
        assert batch.status is BatchStatus.PENDING
        assert repository.get_batch(batch_id).counts.pending == 1

    @pytest.mark.parametrize("state", ["PENDING", "GENERATING", "UPLOADING"])
    def test_reprocess_illegal_states(self, repository: BatchRepository, state: str) -> None:
        """Only FAILED (and forced UPLOADED) batches can be reprocessed."""
        (batch_id,) = self.add(repository, 1)
        if state != "PENDING":
            self.claim_one(repository)
        if state == "UPLOADING":
            repository.mark_uploading(batch_id, owner="worker-a", outcome=RenderOutcome(1), now=T0)

        with pytest.raises(IllegalTransition, match=f"{state} -> PENDING"):
            repository.reprocess(batch_id, now=T0, force=True)

    def test_delete_removes_everything(self, repository: BatchRepository) -> None:
        """Delete removes the batch, its leads and its attempts."""
        (batch_id,) = self.add(repository, 1, 2)
        self.claim_one(repository)
        self.fail(repository, batch_id)

        repository.delete(batch_id, now=T0)

        with pytest.raises(BatchNotFound, match=str(batch_id)):
            repository.get_batch(batch_id)
        with pytest.raises(BatchNotFound):
            repository.list_leads(batch_id, page=1, per_page=20)
        assert repository.list_batches(page=1, per_page=20).total == 0

    def test_delete_refuses_live_lease(self, repository: BatchRepository) -> None:
        """A batch a worker is processing cannot be deleted until its lease expires."""
        (batch_id,) = self.add(repository, 1)
        self.claim_one(repository)

        with pytest.raises(BatchBusy, match=str(batch_id)):
            repository.delete(batch_id, now=minutes(1))
        repository.delete(batch_id, now=minutes(6))

    # Retention

    def purge(
        self,
        repository: BatchRepository,
        *statuses: BatchStatus,
        before: dt.datetime,
        now: dt.datetime,
        limit: int = 100,
    ) -> list[int]:
        return repository.purge(
            created_before=before,
            statuses=statuses or (BatchStatus.UPLOADED, BatchStatus.FAILED),
            now=now,
            limit=limit,
        )

    def test_purge_deletes_old_batches(self, repository: BatchRepository) -> None:
        """Purge deletes batches created before the cutoff, with their leads and attempts."""
        (old,) = self.add(repository, 1, 2, event=1, at=minutes(0))
        (new,) = self.add(repository, 1, event=2, at=minutes(30))
        for batch_id in (old, new):
            self.claim_one(repository, at=minutes(31))
            self.upload(repository, batch_id)

        purged = self.purge(repository, before=minutes(30), now=minutes(40))

        assert purged == [old]
        with pytest.raises(BatchNotFound, match=str(old)):
            repository.list_attempts(old)
        assert [s.batch.id for s in repository.list_batches(page=1, per_page=20).items] == [new]

    def test_purge_only_named_states(self, repository: BatchRepository) -> None:
        """Batches in states not named stay, the open PENDING batch included."""
        uploaded, failed, waiting = (
            self.add(repository, 1, event=event, at=minutes(0))[0] for event in (1, 2, 3)
        )
        self.claim_one(repository)
        self.upload(repository, uploaded)
        self.claim_one(repository)
        self.fail(repository, failed)

        first = self.purge(repository, BatchStatus.FAILED, before=minutes(1), now=minutes(2))
        second = self.purge(repository, before=minutes(1), now=minutes(2))

        assert first == [failed]
        assert second == [uploaded]
        assert repository.get_batch(waiting).batch.is_open

    def test_purge_skips_live_lease(self, repository: BatchRepository) -> None:
        """A batch a worker holds is purged only after its lease expired."""
        (batch_id,) = self.add(repository, 1, at=minutes(0))
        self.claim_one(repository, at=minutes(1))
        claimed = (BatchStatus.GENERATING,)

        while_held = self.purge(repository, *claimed, before=minutes(2), now=minutes(3))
        after_expiry = self.purge(repository, *claimed, before=minutes(2), now=minutes(6))

        assert while_held == []
        assert after_expiry == [batch_id]

    def test_purge_in_chunks(self, repository: BatchRepository) -> None:
        """Each call deletes at most *limit* batches, lowest id first."""
        ids = [self.add(repository, 1, event=event)[0] for event in range(1, 6)]
        for _ in ids:
            batch_id = self.claim_one(repository)
            self.fail(repository, batch_id)

        chunks = [
            self.purge(repository, before=minutes(1), now=minutes(1), limit=2) for _ in range(4)
        ]

        assert chunks == [ids[0:2], ids[2:4], ids[4:5], []]
        assert repository.list_batches(page=1, per_page=20).total == 0

    def test_batch_ids_never_reused(self, repository: BatchRepository) -> None:
        """A new batch never gets the id of a deleted one, whose file name may contain it."""
        (first,) = self.add(repository, 1, event=1)
        (newest,) = self.add(repository, 1, event=2)
        repository.delete(newest, now=T0)

        (added,) = self.add(repository, 1, event=3)

        assert added not in (first, newest)

    def test_unknown_batch_not_found(self, repository: BatchRepository) -> None:
        """Operations on a missing batch raise BatchNotFound with its id."""
        with pytest.raises(BatchNotFound, match="999"):
            repository.get_batch(999)
        with pytest.raises(BatchNotFound, match="999"):
            repository.reprocess(999, now=T0)
        with pytest.raises(BatchNotFound, match="999"):
            repository.delete(999, now=T0)

    # Lists

    @pytest.mark.parametrize(
        ("batches", "page", "expected_items", "expected_pages"),
        [
            (0, 1, 0, 1),
            (20, 1, 20, 1),
            (21, 1, 20, 2),
            (21, 2, 1, 2),
            (40, 2, 20, 2),
            (21, 3, 0, 2),
        ],
        ids=["empty", "exactly-20", "21-first", "21-second", "40-last", "past-the-end"],
    )
    def test_list_pages(
        self,
        repository: BatchRepository,
        batches: int,
        page: int,
        expected_items: int,
        expected_pages: int,
    ) -> None:
        """Lists return 20 per page with the total, whatever the boundary."""
        for event in range(1, batches + 1):
            self.add(repository, 1, event=event, at=minutes(event))

        result = repository.list_batches(page=page, per_page=20)

        assert len(result.items) == expected_items
        assert result.total == batches
        assert result.pages == expected_pages

    def test_list_newest_first(self, repository: BatchRepository) -> None:
        """The newest batch comes first, with lead counts per batch."""
        (old,) = self.add(repository, 1, 2, event=1, at=minutes(0))
        (new,) = self.add(repository, 1, event=2, at=minutes(1))

        items = repository.list_batches(page=1, per_page=20).items

        assert [summary.batch.id for summary in items] == [new, old]
        assert [summary.counts.total for summary in items] == [1, 2]

    def test_list_filters(self, repository: BatchRepository) -> None:
        """Filters by status, campaign, schema and creation time narrow the list and the total."""
        from aspectfile_core.ports import BatchFilter

        (first,) = self.add(repository, 1, campaign=1, event=1, at=minutes(0))
        (second,) = self.add(repository, 1, campaign=2, event=1, at=minutes(10), schema="other")
        self.claim_one(repository, at=minutes(11))

        def ids(**criteria: Any) -> list[int]:
            page = repository.list_batches(page=1, per_page=20, filters=BatchFilter(**criteria))
            assert page.total == len(page.items)
            return [summary.batch.id for summary in page.items]

        assert ids(status=BatchStatus.GENERATING) == [first]
        assert ids(campaign_id=2) == [second]
        assert ids(schema_name="other") == [second]
        assert ids(created_from=minutes(5)) == [second]
        assert ids(created_before=minutes(5)) == [first]

    def test_leads_page_and_filter(self, repository: BatchRepository) -> None:
        """Leads come in insertion order, paginated and filterable by status."""
        (batch_id,) = self.add(repository, *range(1, 26))
        self.claim_one(repository)
        failure = LeadFailure("too_long", "too long", "name", "x")
        repository.mark_uploading(
            batch_id, owner="worker-a", outcome=RenderOutcome(24, failures={"5": failure}), now=T0
        )

        second = repository.list_leads(batch_id, page=2, per_page=20)
        failed = repository.list_leads(batch_id, page=1, per_page=20, status=LeadStatus.FAILED)

        assert [lead.lead_id for lead in second.items] == [str(n) for n in range(21, 26)]
        assert second.total == 25
        assert [lead.lead_id for lead in failed.items] == ["5"]
        assert failed.total == 1

    # Schemas

    def test_schema_versions(self, repository: BatchRepository) -> None:
        """Saving a changed document bumps the version; an unchanged one does not."""
        first = repository.save_schema(
            name="s", document="a", document_format="toml", description="one", now=T0
        )
        same = repository.save_schema(
            name="s", document="a", document_format="toml", description="one", now=minutes(1)
        )
        second = repository.save_schema(
            name="s", document="b", document_format="json", description="two", now=minutes(2)
        )

        assert (first.version, same.version, second.version) == (1, 1, 2)
        assert repository.get_schema("s").document == "b"
        assert repository.get_schema("s", 1).document == "a"
        assert repository.get_schema("s", 1).document_format == "toml"
        assert [stored.name for stored in repository.list_schemas()] == ["s"]

    def test_schema_missing(self, repository: BatchRepository) -> None:
        """Unknown schemas and versions raise SchemaNotFound naming them."""
        repository.save_schema(
            name="s", document="a", document_format="toml", description="", now=T0
        )

        with pytest.raises(SchemaNotFound, match="nope"):
            repository.get_schema("nope")
        with pytest.raises(SchemaNotFound, match="version 5"):
            repository.get_schema("s", 5)

    def test_schema_delete(self, repository: BatchRepository) -> None:
        """A deleted schema is gone with its versions."""
        repository.save_schema(
            name="s", document="a", document_format="toml", description="", now=T0
        )
        repository.save_schema(
            name="s", document="b", document_format="toml", description="", now=T0
        )

        repository.delete_schema("s")

        assert repository.list_schemas() == []
        with pytest.raises(SchemaNotFound, match="'s'"):
            repository.get_schema("s")
        with pytest.raises(SchemaNotFound, match="gone"):
            repository.delete_schema("gone")
