"""Initial schema: citizens, conversations, messages, tickets, staff, FAQ proposals, inbox, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(column: str, target: str, ondelete: str, table: str) -> sa.ForeignKeyConstraint:
    ref_table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=f"fk_{table}_{column}_{ref_table}", ondelete=ondelete
    )


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns), unique=unique)


def upgrade() -> None:
    op.create_table(
        "staff_users",
        _id(),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=True),
        sa.Column("password_hash", sa.String(512), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        _time("locked_until", nullable=True),
        _time("last_login_at", nullable=True),
        _time("created_at"),
        sa.CheckConstraint("role IN ('staff', 'admin')", name="ck_staff_users_role"),
        sa.PrimaryKeyConstraint("id", name="pk_staff_users"),
        sa.UniqueConstraint("email", name="uq_staff_users_email"),
    )

    op.create_table(
        "users",
        _id(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=True),
        sa.Column("consent_contact", sa.Boolean(), nullable=True),
        _time("consent_at", nullable=True),
        _time("created_at"),
        _time("last_seen_at"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("channel", "external_id", name="uq_users_channel_external_id"),
    )
    _index("users", "last_seen_at")

    op.create_table(
        "conversations",
        _id(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        _time("started_at"),
        _time("updated_at"),
        _time("reset_at", nullable=True),
        _fk("user_id", "users.id", "CASCADE", "conversations"),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
        sa.UniqueConstraint("user_id", "chat_id", name="uq_conversations_user_id_chat_id"),
    )
    _index("conversations", "channel", "chat_id")
    _index("conversations", "updated_at")

    op.create_table(
        "staff_audit",
        _id(),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        _time("created_at"),
        _fk("staff_id", "staff_users.id", "SET NULL", "staff_audit"),
        sa.PrimaryKeyConstraint("id", name="pk_staff_audit"),
    )
    _index("staff_audit", "created_at")
    _index("staff_audit", "staff_id")

    op.create_table(
        "tickets",
        _id(),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("urgency", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("draft_answer", sa.Text(), nullable=True),
        sa.Column("legal_aid_hint", sa.Boolean(), nullable=False),
        sa.Column("consent_contact", sa.Boolean(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        _time("created_at"),
        _time("updated_at"),
        _time("first_staff_reply_at", nullable=True),
        _time("resolved_at", nullable=True),
        _time("anonymised_at", nullable=True),
        sa.CheckConstraint("status IN ('open', 'claimed', 'resolved')", name="ck_tickets_status"),
        sa.CheckConstraint("urgency IN ('urgent', 'high', 'normal')", name="ck_tickets_urgency"),
        _fk("assignee_id", "staff_users.id", "SET NULL", "tickets"),
        _fk("conversation_id", "conversations.id", "SET NULL", "tickets"),
        _fk("user_id", "users.id", "SET NULL", "tickets"),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
    )
    _index("tickets", "assignee_id")
    _index("tickets", "conversation_id")
    _index("tickets", "created_at")
    _index("tickets", "status", "created_at")
    _index("tickets", "user_id")

    op.create_table(
        "messages",
        _id(),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reply_kind", sa.String(16), nullable=True),
        sa.Column("reply_to_id", sa.Integer(), nullable=True),
        sa.Column("external_id", sa.String(128), nullable=True),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        _time("created_at"),
        sa.CheckConstraint("role IN ('user', 'bot', 'staff')", name="ck_messages_role"),
        _fk("conversation_id", "conversations.id", "CASCADE", "messages"),
        _fk("reply_to_id", "messages.id", "SET NULL", "messages"),
        _fk("staff_id", "staff_users.id", "SET NULL", "messages"),
        _fk("ticket_id", "tickets.id", "SET NULL", "messages"),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
    )
    _index("messages", "conversation_id", "id")
    _index("messages", "created_at")
    _index("messages", "reply_to_id")
    _index("messages", "role", "created_at")
    _index("messages", "ticket_id")

    op.create_table(
        "message_sources",
        _id(),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.String(255), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        _fk("message_id", "messages.id", "CASCADE", "message_sources"),
        sa.PrimaryKeyConstraint("id", name="pk_message_sources"),
    )
    _index("message_sources", "message_id")

    op.create_table(
        "feedback",
        _id(),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("positive", sa.Boolean(), nullable=False),
        _time("created_at"),
        _fk("message_id", "messages.id", "CASCADE", "feedback"),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.UniqueConstraint("message_id", name="uq_feedback_message_id"),
    )
    _index("feedback", "created_at")

    op.create_table(
        "ticket_events",
        _id(),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(16), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        _time("created_at"),
        _fk("staff_id", "staff_users.id", "SET NULL", "ticket_events"),
        _fk("ticket_id", "tickets.id", "CASCADE", "ticket_events"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_events"),
    )
    _index("ticket_events", "ticket_id", "id")

    op.create_table(
        "ticket_notes",
        _id(),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        _time("created_at"),
        _fk("staff_id", "staff_users.id", "SET NULL", "ticket_notes"),
        _fk("ticket_id", "tickets.id", "CASCADE", "ticket_notes"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_notes"),
    )
    _index("ticket_notes", "ticket_id")

    op.create_table(
        "faq_proposals",
        _id(),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("faq_id", sa.String(128), nullable=True),
        _time("created_at"),
        _time("decided_at", nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name="ck_faq_proposals_status"
        ),
        _fk("approved_by", "staff_users.id", "SET NULL", "faq_proposals"),
        _fk("proposed_by", "staff_users.id", "SET NULL", "faq_proposals"),
        _fk("ticket_id", "tickets.id", "SET NULL", "faq_proposals"),
        sa.PrimaryKeyConstraint("id", name="pk_faq_proposals"),
    )
    _index("faq_proposals", "status")
    _index("faq_proposals", "ticket_id")

    op.create_table(
        "inbox",
        _id(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("update_key", sa.String(128), nullable=False),
        sa.Column("chat_key", sa.String(128), nullable=True),
        sa.Column("user_key", sa.String(128), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _time("received_at"),
        _time("next_attempt_at"),
        _time("claimed_at", nullable=True),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        _time("processed_at", nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'done', 'failed')", name="ck_inbox_status"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inbox"),
        sa.UniqueConstraint("channel", "update_key", name="uq_inbox_channel_update_key"),
    )
    _index("inbox", "channel", "chat_key", "status")
    _index("inbox", "channel", "user_key")
    _index("inbox", "received_at")
    _index("inbox", "status", "next_attempt_at")

    op.create_table(
        "outbox",
        _id(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _time("next_attempt_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _time("claimed_at", nullable=True),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        _time("created_at"),
        _time("sent_at", nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("erase_after_send", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')", name="ck_outbox_status"
        ),
        _fk("message_id", "messages.id", "SET NULL", "outbox"),
        _fk("ticket_id", "tickets.id", "SET NULL", "outbox"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    _index("outbox", "channel", "chat_id", "status")
    _index("outbox", "created_at")
    _index("outbox", "message_id")
    _index("outbox", "status", "next_attempt_at")
    _index("outbox", "ticket_id")

    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("key", name="pk_meta"),
    )


def downgrade() -> None:
    # dropping a table drops its indexes; children first
    for table in (
        "meta",
        "outbox",
        "inbox",
        "faq_proposals",
        "ticket_notes",
        "ticket_events",
        "feedback",
        "message_sources",
        "messages",
        "tickets",
        "staff_audit",
        "conversations",
        "users",
        "staff_users",
    ):
        op.drop_table(table)
