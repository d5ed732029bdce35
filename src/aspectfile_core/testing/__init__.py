"""Fakes and contract suites for tests, shipped so hosts can test their own adapters.

* :class:`InMemoryBatchRepository`: a complete repository in memory.
* :class:`MemoryObjectStore`: an object store that keeps files in a dictionary.
* :class:`FixedClock`: a clock that moves only when told to.
* :mod:`aspectfile_core.testing.contract`: ``RepositoryContract``, a pytest test
  class to subclass with a ``repository`` fixture that returns an empty repository.
* :mod:`aspectfile_core.testing.stateful`: ``RepositoryStateMachine``, a Hypothesis
  state machine that drives a repository with random steps and checks it
  against a model; subclass it with a ``make_repository`` method.

Importing the contract module needs pytest, and the stateful module Hypothesis
(both in the ``test`` extra).
"""

from aspectfile_core.adapters.clock import FixedClock
from aspectfile_core.adapters.memory import InMemoryBatchRepository
from aspectfile_core.testing.store import FailingObjectStore, MemoryObjectStore

__all__ = ["FailingObjectStore", "FixedClock", "InMemoryBatchRepository", "MemoryObjectStore"]
