"""FAQ review state per entry (faq_reviews) and the bot's "not sure" flag on messages.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "faq_reviews",
        sa.Column("entry_id", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reviewer_email", sa.String(255), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("edited_answer", sa.Text(), nullable=True),
        sa.Column("answer_sha", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('unreviewed', 'approved', 'retired')", name="ck_faq_reviews_state"
        ),
        sa.PrimaryKeyConstraint("entry_id", name="pk_faq_reviews"),
    )
    op.create_index("ix_faq_reviews_updated_at", "faq_reviews", ["updated_at"])
    # nullable: rows written before this migration do not know whether the bot was unsure
    op.add_column("messages", sa.Column("low_confidence", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("low_confidence")
    op.drop_table("faq_reviews")
