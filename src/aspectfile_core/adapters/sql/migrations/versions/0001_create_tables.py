"""Create the schemas, schema versions, batches, batch leads and attempts tables.

Revision ID: 0001
Revises: none
Create Date: 2026-03-01

The column types are spelled out here instead of imported from ``tables.py``,
so this revision keeps creating the same tables when ``tables.py`` changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from aspectfile_core.adapters.sql.migrations import table_name

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    schemas = table_name("schemas")
    schema_versions = table_name("schema_versions")
    batches = table_name("batches")
    leads = table_name("batch_leads")
    attempts = table_name("attempts")

    op.create_table(
        schemas,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("document_format", sa.String(8), nullable=False),
        sa.Column("file_sequence", sa.BigInteger, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.UniqueConstraint("name", name=f"uq_{schemas}_name"),
    )

    op.create_table(
        schema_versions,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("schema_id", BigId, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("document_format", sa.String(8), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["schema_id"],
            [f"{schemas}.id"],
            ondelete="CASCADE",
            name=f"fk_{schema_versions}_schema",
        ),
        sa.UniqueConstraint("schema_id", "version", name=f"uq_{schema_versions}_version"),
    )

    op.create_table(
        batches,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("schema_name", sa.String(64), nullable=False),
        sa.Column("schema_version", sa.Integer),
        sa.Column("campaign_id", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("bucket", sa.String(255), nullable=False),
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
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", Timestamp),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_expires_at", Timestamp),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("generated_at", Timestamp),
        sa.Column("uploaded_at", Timestamp),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.UniqueConstraint("campaign_id", "event_id", "open_slot", name=f"uq_{batches}_open"),
        sqlite_autoincrement=True,
    )
    op.create_index(f"ix_{batches}_claim", batches, ["status", "id"])
    op.create_index(f"ix_{batches}_campaign", batches, ["campaign_id", "event_id", "status"])
    op.create_index(f"ix_{batches}_created", batches, ["created_at"])
    op.create_index(f"ix_{batches}_lease", batches, ["lease_expires_at"])

    op.create_table(
        leads,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("batch_id", BigId, nullable=False),
        sa.Column("lead_id", sa.String(191), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(64)),
        sa.Column("reason_message", sa.Text),
        sa.Column("reason_field", sa.String(128)),
        sa.Column("reason_value", sa.Text),
        sa.Column("warnings", sa.Text),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], [f"{batches}.id"], ondelete="CASCADE", name=f"fk_{leads}_batch"
        ),
        sa.UniqueConstraint("batch_id", "lead_id", name=f"uq_{leads}_lead"),
    )
    op.create_index(f"ix_{leads}_status", leads, ["batch_id", "status"])

    op.create_table(
        attempts,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("batch_id", BigId, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("worker", sa.String(128), nullable=False),
        sa.Column("started_at", Timestamp, nullable=False),
        sa.Column("ended_at", Timestamp),
        sa.Column("outcome", sa.String(16)),
        sa.Column("error", sa.Text),
        sa.ForeignKeyConstraint(
            ["batch_id"], [f"{batches}.id"], ondelete="CASCADE", name=f"fk_{attempts}_batch"
        ),
    )
    op.create_index(f"ix_{attempts}_batch", attempts, ["batch_id", "number"])


def downgrade() -> None:
    for name in ("attempts", "batch_leads", "batches", "schema_versions", "schemas"):
        op.drop_table(table_name(name))
