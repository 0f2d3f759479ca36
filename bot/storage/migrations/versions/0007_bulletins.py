"""Bulletins to subscribers: subscribers, their topics, bulletins, one delivery row per recipient; outbox.bulk.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
# the only line to change when this migration is re-chained after another one
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "outbox", sa.Column("bulk", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("commune", sa.String(100), nullable=True),
        sa.Column("commune_key", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscribers"),
        sa.UniqueConstraint("channel", "external_id", name="uq_subscribers_channel_external_id"),
    )
    op.create_index("ix_subscribers_commune_key", "subscribers", ["commune_key"])
    op.create_table(
        "subscriber_topics",
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name="fk_subscriber_topics_subscriber_id_subscribers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscriber_id", "topic", name="pk_subscriber_topics"),
    )
    op.create_index("ix_subscriber_topics_topic", "subscriber_topics", ["topic"])
    op.create_table(
        "bulletins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("citation", sa.JSON(), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("commune", sa.String(100), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_users.id"],
            name="fk_bulletins_created_by_staff_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bulletins"),
        sa.UniqueConstraint("key", name="uq_bulletins_key"),
    )
    op.create_index("ix_bulletins_created_at", "bulletins", ["created_at"])
    op.create_table(
        "bulletin_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletins.id"],
            name="fk_bulletin_deliveries_bulletin_id_bulletins",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name="fk_bulletin_deliveries_outbox_id_outbox",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bulletin_deliveries"),
        sa.UniqueConstraint(
            "bulletin_id", "channel", "chat_id", name="uq_bulletin_deliveries_bulletin_id_channel_chat_id"
        ),
    )
    op.create_index(
        "ix_bulletin_deliveries_channel_chat_id", "bulletin_deliveries", ["channel", "chat_id"]
    )
    op.create_index("ix_bulletin_deliveries_outbox_id", "bulletin_deliveries", ["outbox_id"])


def downgrade() -> None:
    op.drop_table("bulletin_deliveries")
    op.drop_table("bulletins")
    op.drop_table("subscriber_topics")
    op.drop_table("subscribers")
    with op.batch_alter_table("outbox") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("bulk")
