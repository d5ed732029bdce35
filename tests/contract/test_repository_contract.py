"""The shipped repository contract, run against every repository this package ships."""

from __future__ import annotations

import pytest

from aspectfile_core.adapters.sql import SqlBatchRepository
from aspectfile_core.ports import BatchRepository
from aspectfile_core.testing import InMemoryBatchRepository
from aspectfile_core.testing.contract import RepositoryContract


class TestInMemoryRepository(RepositoryContract):
    @pytest.fixture
    def repository(self) -> BatchRepository:
        return InMemoryBatchRepository()


class TestSqlRepository(RepositoryContract):
    @pytest.fixture
    def repository(self, sql_repository: SqlBatchRepository) -> BatchRepository:
        return sql_repository
