"""aspectfile-core: turn campaign contacts into dialer flat files and deliver them.

The usual entry point for host code is :func:`build_service`, which returns a
:class:`BatchService` on a SQL database and an fsspec store.
"""

from __future__ import annotations

import logging

from aspectfile_core.bootstrap import Config, build_service
from aspectfile_core.domain.errors import (
    AspectFileError,
    BatchBusy,
    BatchNotFound,
    ConfigurationError,
    ForceRequired,
    IllegalTransition,
    InvalidContact,
    LeadDataError,
    LeaseLost,
    SchemaError,
    SchemaNotFound,
    TransientError,
)
from aspectfile_core.domain.model import (
    AddResult,
    Attempt,
    Batch,
    BatchSummary,
    Contact,
    Lead,
    LeadCounts,
    LeadFailure,
    LeadWarning,
    Page,
    StoredSchema,
)
from aspectfile_core.domain.retry import RetryPolicy
from aspectfile_core.domain.status import BatchStatus, LeadStatus
from aspectfile_core.ports import BatchFilter
from aspectfile_core.services import BatchService, ProcessReport, ServiceSettings

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "AddResult",
    "AspectFileError",
    "Attempt",
    "Batch",
    "BatchBusy",
    "BatchFilter",
    "BatchNotFound",
    "BatchService",
    "BatchStatus",
    "BatchSummary",
    "Config",
    "ConfigurationError",
    "Contact",
    "ForceRequired",
    "IllegalTransition",
    "InvalidContact",
    "Lead",
    "LeadCounts",
    "LeadDataError",
    "LeadFailure",
    "LeadStatus",
    "LeadWarning",
    "LeaseLost",
    "Page",
    "ProcessReport",
    "RetryPolicy",
    "SchemaError",
    "SchemaNotFound",
    "ServiceSettings",
    "StoredSchema",
    "TransientError",
    "build_service",
]
