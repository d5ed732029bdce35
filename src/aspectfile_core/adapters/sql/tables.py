"""Table definitions. Hosts that run their own migrations can include :data:`metadata`,
or build a prefixed copy with :func:`build_tables`."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from aspectfile_core.domain.errors import ConfigurationError
from aspectfile_core.domain.messages import N_, Message

MAX_PREFIX_LENGTH = 24
"""Maximum length of a table-name prefix. The longest generated name, a 38-character
constraint name plus the prefix, then stays within PostgreSQL's 63-character identifier limit."""

_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A timestamp stored as naive UTC and read back as timezone-aware UTC.

    Naive storage keeps SQLite, PostgreSQL and MySQL comparable; MySQL gets
    microsecond precision, which its DATETIME lacks by default.
    """

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(
        self, value: dt.datetime | None, dialect: sa.Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value!r} has no timezone; pass an aware UTC datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: sa.Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""64-bit ids; SQLite needs INTEGER for its rowid alias to autoincrement."""


@attrs.frozen
class Tables:
    """The tables of one installation, possibly under a name prefix."""

    metadata: sa.MetaData
    schemas: sa.Table
    schema_versions: sa.Table
    batches: sa.Table
    leads: sa.Table
    attempts: sa.Table


def check_prefix(prefix: str) -> str:
    """Return *prefix* if it can start a table name on every supported database.

    Raises :class:`ConfigurationError` unless it is empty, or a letter followed by
    letters, digits and underscores, at most :data:`MAX_PREFIX_LENGTH` characters.
    """
    if prefix and (len(prefix) > MAX_PREFIX_LENGTH or not _PREFIX.fullmatch(prefix)):
        raise ConfigurationError(
            Message.of(
                N_(
                    "table prefix {prefix!r} is invalid; use a letter followed by letters, "
                    "digits and underscores, at most {length} characters, such as 'mautic_'"
                ),
                prefix=prefix,
                length=MAX_PREFIX_LENGTH,
            )
        )
    return prefix


def build_tables(prefix: str = "", metadata: sa.MetaData | None = None) -> Tables:
    """Define the tables under *prefix* (``"mautic_"`` gives ``mautic_aspect_file_batches``).

    Pass a host's own *metadata* to add the tables to it, for hosts that run
    their own migrations. Every constraint and index has an explicit name.
    """
    md = metadata if metadata is not None else sa.MetaData()
    name = f"{check_prefix(prefix)}aspect_file"

    schemas = sa.Table(
        f"{name}_schemas",
        md,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False, default=""),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("document_format", sa.String(8), nullable=False),
        sa.Column("file_sequence", sa.BigInteger, nullable=False, default=0),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("name", name=f"uq_{name}_schemas_name"),
    )

    schema_versions = sa.Table(
        f"{name}_schema_versions",
        md,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "schema_id",
            BigId,
            sa.ForeignKey(
                schemas.c.id, ondelete="CASCADE", name=f"fk_{name}_schema_versions_schema"
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False, default=""),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("document_format", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("schema_id", "version", name=f"uq_{name}_schema_versions_version"),
    )

    batches = sa.Table(
        f"{name}_batches",
        md,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("schema_name", sa.String(64), nullable=False),
        sa.Column("schema_version", sa.Integer),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("bucket", sa.String(255), nullable=False, default=""),
        sa.Column(
            "open_slot",
            sa.SmallInteger,
            comment="1 while the batch accepts contacts, NULL once sealed; "
            "unique per (campaign, event) so there is at most one open batch",
        ),
        sa.Column("file_sequence", sa.BigInteger),
        sa.Column("file_name", sa.String(255)),
        sa.Column("file_path", sa.String(1024)),
        sa.Column("file_url", sa.String(2048)),
        sa.Column("file_size", sa.BigInteger),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column("record_count", sa.BigInteger),
        sa.Column("error_message", sa.Text),
        sa.Column(
            "error_detail",
            sa.Text,
            comment="the error as JSON: an English template and its values, for translation",
        ),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("next_attempt_at", UTCDateTime),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_expires_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("generated_at", UTCDateTime),
        sa.Column("uploaded_at", UTCDateTime),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("campaign_id", "event_id", "open_slot", name=f"uq_{name}_batches_open"),
        # Claims read PENDING batches lowest id first, in this index's order.
        sa.Index(f"ix_{name}_batches_claim", "status", "id"),
        sa.Index(f"ix_{name}_batches_campaign", "campaign_id", "event_id", "status"),
        sa.Index(f"ix_{name}_batches_created", "created_at"),
        sa.Index(f"ix_{name}_batches_lease", "lease_expires_at"),
        # Without AUTOINCREMENT SQLite hands a deleted batch's id to the next
        # new batch, whose file name may then match the deleted batch's file.
        sqlite_autoincrement=True,
    )

    leads = sa.Table(
        f"{name}_batch_leads",
        md,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "batch_id",
            BigId,
            sa.ForeignKey(batches.c.id, ondelete="CASCADE", name=f"fk_{name}_batch_leads_batch"),
            nullable=False,
        ),
        sa.Column("lead_id", sa.String(191), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(64)),
        sa.Column("reason_message", sa.Text),
        sa.Column("reason_field", sa.String(128)),
        sa.Column("reason_value", sa.Text),
        sa.Column("warnings", sa.Text),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("batch_id", "lead_id", name=f"uq_{name}_batch_leads_lead"),
        sa.Index(f"ix_{name}_batch_leads_status", "batch_id", "status"),
    )

    attempts = sa.Table(
        f"{name}_attempts",
        md,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "batch_id",
            BigId,
            sa.ForeignKey(batches.c.id, ondelete="CASCADE", name=f"fk_{name}_attempts_batch"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("worker", sa.String(128), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime),
        sa.Column("outcome", sa.String(16)),
        sa.Column("error", sa.Text),
        sa.Column(
            "error_detail",
            sa.Text,
            comment="the error as JSON: an English template and its values, for translation",
        ),
        sa.Index(f"ix_{name}_attempts_batch", "batch_id", "number"),
    )

    return Tables(md, schemas, schema_versions, batches, leads, attempts)


DEFAULT_TABLES = build_tables()
metadata = DEFAULT_TABLES.metadata
"""The unprefixed tables, for hosts that include them in their own migrations."""
