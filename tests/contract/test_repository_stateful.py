"""The shipped state machine, run against the in-memory repository and each SQL backend."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from aspectfile_core.adapters.sql import SqlBatchRepository
from aspectfile_core.ports import BatchRepository
from aspectfile_core.testing import InMemoryBatchRepository
from aspectfile_core.testing.stateful import RepositoryStateMachine


class InMemoryMachine(RepositoryStateMachine):
    def make_repository(self) -> BatchRepository:
        return InMemoryBatchRepository()


TestInMemoryRepositoryStateful = InMemoryMachine.TestCase
TestInMemoryRepositoryStateful.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None
)

SQL_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def clear(repository: SqlBatchRepository) -> None:
    """Delete every row of the repository's tables, children first."""
    with repository.engine.begin() as connection:
        for table in reversed(repository.tables.metadata.sorted_tables):
            connection.execute(sa.delete(table))


def test_sql_repository_follows_model(sql_repository: SqlBatchRepository) -> None:
    """Random steps on a SQL repository keep every contract invariant and match the model."""

    class SqlMachine(RepositoryStateMachine):
        def make_repository(self) -> BatchRepository:
            clear(sql_repository)
            return sql_repository

    run_state_machine_as_test(SqlMachine, settings=SQL_SETTINGS)
