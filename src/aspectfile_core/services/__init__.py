"""Use cases: add contacts, process batches, and the operators' actions."""

from aspectfile_core.services.batches import BatchService, ProcessReport, ServiceSettings

__all__ = ["BatchService", "ProcessReport", "ServiceSettings"]
