"""Keep batch and attempt errors translatable: add error_detail to both tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

``error_detail`` holds an error as JSON, an English template and the values
that fill it, so operator screens show it in the operator's language. Rows
written before this revision keep only ``error_message``, which screens show
as it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from aspectfile_core.adapters.sql.migrations import table_name

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COMMENT = "the error as JSON: an English template and its values, for translation"


def upgrade() -> None:
    for table in ("batches", "attempts"):
        op.add_column(table_name(table), sa.Column("error_detail", sa.Text, comment=COMMENT))


def downgrade() -> None:
    for table in ("attempts", "batches"):
        with op.batch_alter_table(table_name(table)) as batch:
            batch.drop_column("error_detail")
