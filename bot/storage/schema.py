"""The database schema as SQLAlchemy declarative models (the Alembic migrations must match it)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bot.storage.statuses import InboxStatus, OutboxStatus, ProposalStatus, TicketStatus, check_in

# Named constraints and indexes, so migrations can refer to them on every dialect.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every dialect (SQLite keeps naive UTC text, PostgreSQL timestamptz)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        # naive values are taken as UTC (what every writer here produces)
        value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        # SQLite compares datetimes as text: one format (naive UTC) keeps comparisons right.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UtcDateTime(),
        dict[str, Any]: sa.JSON(),
        list[Any]: sa.JSON(),
    }


def _fk(target: str, ondelete: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete=ondelete)


# ---------------------------------------------------------------- citizens and conversations


class User(Base):
    """A citizen as seen on one channel (the same person on Zalo and Telegram is two users)."""

    __tablename__ = "users"
    __table_args__ = (sa.UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    external_id: Mapped[str] = mapped_column(sa.String(128))
    display_name: Mapped[str | None] = mapped_column(sa.String(255))
    consent_contact: Mapped[bool | None] = mapped_column(sa.Boolean)
    consent_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    # the commune the citizen told us (official code; deleted with the user by /xoadulieu)
    commune_code: Mapped[str | None] = mapped_column(sa.String(16))
    commune_set_at: Mapped[dt.datetime | None]


class Conversation(Base):
    """One user in one chat; `state` holds what the core remembers, `reset_at` marks /moi."""

    __tablename__ = "conversations"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "chat_id"),
        sa.Index(None, "channel", "chat_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(_fk("users.id", "CASCADE"))
    channel: Mapped[str] = mapped_column(sa.String(16))
    chat_id: Mapped[str] = mapped_column(sa.String(128))
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    reset_at: Mapped[dt.datetime | None]


class Message(Base):
    """One turn: the citizen's question, the bot's reply (kind, topic, confidence) or a staff reply."""

    __tablename__ = "messages"
    __table_args__ = (
        sa.CheckConstraint("role IN ('user', 'bot', 'staff')", name="role"),
        sa.Index(None, "conversation_id", "id"),
        sa.Index(None, "role", "created_at"),
        sa.Index(None, "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(_fk("conversations.id", "CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(8))
    text: Mapped[str] = mapped_column(sa.Text)
    reply_kind: Mapped[str | None] = mapped_column(sa.String(16))
    # the user message a bot reply answers (statistics join the question to its outcome)
    reply_to_id: Mapped[int | None] = mapped_column(_fk("messages.id", "SET NULL"), index=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(128))
    topic: Mapped[str | None] = mapped_column(sa.String(64))
    confidence: Mapped[float | None] = mapped_column(sa.Float)
    # the bot said it is not sure (answer listing "có thể liên quan" articles); NULL before migration 0002
    low_confidence: Mapped[bool | None] = mapped_column(sa.Boolean)
    ticket_id: Mapped[int | None] = mapped_column(_fk("tickets.id", "SET NULL"), index=True)
    staff_id: Mapped[int | None] = mapped_column(_fk("staff_users.id", "SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MessageSource(Base):
    """A passage retrieved for a bot reply, with its score and rank."""

    __tablename__ = "message_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(_fk("messages.id", "CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(sa.Integer)
    article_id: Mapped[str] = mapped_column(sa.String(255))
    score: Mapped[float] = mapped_column(sa.Float)


class Feedback(Base):
    """👍/👎 on one bot reply (one vote per reply; a second press changes it)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(_fk("messages.id", "CASCADE"), unique=True)
    positive: Mapped[bool] = mapped_column(sa.Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


# ---------------------------------------------------------------- staff desk


class StaffUser(Base):
    __tablename__ = "staff_users"
    __table_args__ = (sa.CheckConstraint("role IN ('staff', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(255))
    password_hash: Mapped[str] = mapped_column(sa.String(512))
    role: Mapped[str] = mapped_column(sa.String(8), default="staff")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(sa.Integer, default=0)
    locked_until: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # the service point whose queue this account works (None: the central queue). No foreign key:
    # SQLite adds one to an existing table only by copying it; points are deactivated, never deleted
    service_point_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)


class StaffAudit(Base):
    """Append-only log of staff actions (logins, replies, account changes ...)."""

    __tablename__ = "staff_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(_fk("staff_users.id", "SET NULL"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[str | None] = mapped_column(sa.String(255))
    detail: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class StaffSession(Base):
    """A logged-in desk session: the cookie holds a random id, only its SHA-256 is stored here.

    Deleting the row ends the session (logout, password change, deactivation); idle and absolute
    expiry are checked against `last_seen_at` and `created_at` with the current settings.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(_fk("staff_users.id", "CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class StaffLoginThrottle(Base):
    """Failed-login counters, one row per key: an (e-mail, address) pair, an address, or an e-mail.

    `key_hash` is a SHA-256 of the key, so the table holds neither e-mails nor addresses. Rows are
    read and changed under a lock (FOR UPDATE / BEGIN IMMEDIATE) so parallel guesses cannot race.
    """

    __tablename__ = "staff_login_throttle"

    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    failures: Mapped[int] = mapped_column(sa.Integer, default=0)
    strikes: Mapped[int] = mapped_column(sa.Integer, default=0)
    blocked_until: Mapped[dt.datetime | None]
    last_failure_at: Mapped[dt.datetime | None]
    last_success_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class Ticket(Base):
    """An escalation: what the citizen asked, what the bot found, and who on staff handles it."""

    __tablename__ = "tickets"
    __table_args__ = (
        sa.CheckConstraint(check_in(TicketStatus), name="status"),
        sa.CheckConstraint("urgency IN ('urgent', 'high', 'normal')", name="urgency"),
        sa.Index(None, "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=TicketStatus.OPEN.value)
    category: Mapped[str] = mapped_column(sa.String(64))
    urgency: Mapped[str] = mapped_column(sa.String(8))
    channel: Mapped[str] = mapped_column(sa.String(16))
    chat_id: Mapped[str] = mapped_column(sa.String(128))
    user_id: Mapped[int | None] = mapped_column(_fk("users.id", "SET NULL"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(
        _fk("conversations.id", "SET NULL"), index=True
    )
    question: Mapped[str] = mapped_column(sa.Text)
    # the conversation as it was when escalated (the live transcript is in `messages`)
    transcript: Mapped[list[Any]] = mapped_column(default=list)
    sources: Mapped[list[Any]] = mapped_column(default=list)
    draft_answer: Mapped[str | None] = mapped_column(sa.Text)
    legal_aid_hint: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    consent_contact: Mapped[bool | None] = mapped_column(sa.Boolean)
    assignee_id: Mapped[int | None] = mapped_column(_fk("staff_users.id", "SET NULL"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    first_staff_reply_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    anonymised_at: Mapped[dt.datetime | None]
    # where the citizen lives and whose queue the ticket is in (None: the central queue); the place
    # stays when the citizen erases their data: a commune is not a person, and the council counts it
    service_point_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)  # no foreign key: see StaffUser
    commune_code: Mapped[str | None] = mapped_column(sa.String(16), index=True)
    province_code: Mapped[str | None] = mapped_column(sa.String(16))
    mediation_offered: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())


class TicketEvent(Base):
    """Audit trail of one ticket: opened, consent, claimed, assigned, note, replied, resolved ..."""

    __tablename__ = "ticket_events"
    __table_args__ = (sa.Index(None, "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(_fk("tickets.id", "CASCADE"))
    actor: Mapped[str] = mapped_column(sa.String(16))  # "bot" | "citizen" | "staff" | "system"
    staff_id: Mapped[int | None] = mapped_column(_fk("staff_users.id", "SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(32))
    detail: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TicketNote(Base):
    """Internal note on a ticket; never sent to the citizen."""

    __tablename__ = "ticket_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(_fk("tickets.id", "CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(_fk("staff_users.id", "SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FaqProposal(Base):
    """A staff answer proposed as a FAQ entry; goes live once an admin approves it."""

    __tablename__ = "faq_proposals"
    __table_args__ = (
        sa.CheckConstraint(check_in(ProposalStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(_fk("tickets.id", "SET NULL"), index=True)
    topic: Mapped[str | None] = mapped_column(sa.String(64))
    question: Mapped[str] = mapped_column(sa.Text)
    answer: Mapped[str] = mapped_column(sa.Text)
    citations: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(sa.String(16), default=ProposalStatus.PENDING.value, index=True)
    proposed_by: Mapped[int | None] = mapped_column(_fk("staff_users.id", "SET NULL"))
    approved_by: Mapped[int | None] = mapped_column(_fk("staff_users.id", "SET NULL"))
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    faq_id: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]


class FaqReview(Base):
    """Review state of one vetted FAQ entry (knowledge_base/faq), shared by every worker.

    No row: the entry is reviewed when its YAML has reviewed_by/reviewed_at, unreviewed otherwise.
    `edited_answer` replaces the YAML answer when serving (the YAML files belong to the FAQ writers).
    """

    __tablename__ = "faq_reviews"
    __table_args__ = (
        sa.CheckConstraint("state IN ('unreviewed', 'approved', 'retired')", name="state"),
    )

    entry_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="unreviewed")
    reviewer_email: Mapped[str | None] = mapped_column(sa.String(255))
    reviewed_at: Mapped[dt.datetime | None]
    edited_answer: Mapped[str | None] = mapped_column(sa.Text)
    # sha256 of the YAML answer the reviewer saw: when the writers change it, the approval lapses
    answer_sha: Mapped[str | None] = mapped_column(sa.String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class ApprovedFaq(Base):
    """A FAQ entry approved in the desk: the same fields as an entry of a knowledge_base/faq YAML file.

    Kept in the database, not in the FAQ folder, so every worker serves it and an upgrade that
    replaces the code (and its read-only FAQ folder) keeps it; `lawbot kb export --approved` writes
    these rows as YAML for the repository.
    """

    __tablename__ = "faq_entries"

    id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)  # "<slug>-NNN", as in the YAML
    slug: Mapped[str] = mapped_column(sa.String(64))
    topic: Mapped[str] = mapped_column(sa.String(200))
    questions: Mapped[list[Any]] = mapped_column(default=list)
    answer: Mapped[str] = mapped_column(sa.Text)
    citations: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(255))
    reviewed_at: Mapped[dt.date | None]
    approved_by: Mapped[int | None] = mapped_column(_fk("staff_users.id", "SET NULL"))
    proposal_id: Mapped[int | None] = mapped_column(_fk("faq_proposals.id", "SET NULL"))
    retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # polled by every worker (with the row count) to reload its FAQ when an entry is added or retired
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


# ---------------------------------------------------------------- legal quizzes (/thi)


class Quiz(Base):
    """A short multiple-choice quiz staff build in the desk; citizens take it once it is published."""

    __tablename__ = "quizzes"
    __table_args__ = (sa.CheckConstraint("status IN ('draft', 'published', 'closed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    topic: Mapped[str | None] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(16), default="draft", index=True)
    created_by: Mapped[int | None] = mapped_column(_fk("staff_users.id", "SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]


class QuizQuestionRow(Base):
    """One question: 2-4 options, the right one, the rule explained and its basis (an indexed article)."""

    __tablename__ = "quiz_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(_fk("quizzes.id", "CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    text: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[list[Any]] = mapped_column(default=list)
    correct: Mapped[int] = mapped_column(sa.Integer)
    explanation: Mapped[str] = mapped_column(sa.Text)
    article_id: Mapped[str] = mapped_column(sa.String(255))
    citation: Mapped[str] = mapped_column(sa.String(500))


class QuizAttemptRow(Base):
    """A citizen's run through a quiz; deleted with the citizen's data (/xoadulieu)."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (sa.Index(None, "user_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(_fk("quizzes.id", "CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(_fk("users.id", "CASCADE"))
    channel: Mapped[str] = mapped_column(sa.String(16))
    commune: Mapped[str | None] = mapped_column(sa.String(64))
    score: Mapped[int] = mapped_column(sa.Integer, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]


class QuizAnswerRow(Base):
    """One answer of an attempt; unique per question, so a repeated button press counts once."""

    __tablename__ = "quiz_answers"
    __table_args__ = (sa.UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(_fk("quiz_attempts.id", "CASCADE"))
    question_id: Mapped[int] = mapped_column(_fk("quiz_questions.id", "CASCADE"), index=True)
    choice: Mapped[int] = mapped_column(sa.Integer)
    correct: Mapped[bool] = mapped_column(sa.Boolean)
    answered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- places (two-level local government)


class Commune(Base):
    """A commune-level unit (xã, phường, đặc khu) by its official code, with its province."""

    __tablename__ = "communes"

    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    province_code: Mapped[str] = mapped_column(sa.String(16), index=True)
    province_name: Mapped[str] = mapped_column(sa.String(255))
    # former names citizens may still use (before the 2025 reorganisation), ";"-separated
    aliases: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ServicePoint(Base):
    """A legal-aid centre or branch, a commune justice officer or a mediation group."""

    __tablename__ = "service_points"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('legal_aid_centre', 'legal_aid_branch', 'justice_officer', 'mediation_group')",
            name="kind",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)  # the CSV's ma_diem: re-imports update
    kind: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(255))
    address: Mapped[str] = mapped_column(sa.String(500), default="")
    phone: Mapped[str] = mapped_column(sa.String(64), default="")
    hours: Mapped[str] = mapped_column(sa.String(255), default="")
    province_code: Mapped[str] = mapped_column(sa.String(16), index=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ServiceArea(Base):
    """A commune a point serves; a row without a commune means the whole province."""

    __tablename__ = "service_areas"
    __table_args__ = (sa.UniqueConstraint("point_id", "commune_code"), sa.Index(None, "commune_code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(_fk("service_points.id", "CASCADE"))
    commune_code: Mapped[str | None] = mapped_column(sa.String(16))


# ---------------------------------------------------------------- durable queues


class InboxRecord(Base):
    """An incoming platform update, stored before it is acknowledged; `update_key` de-duplicates."""

    __tablename__ = "inbox"
    __table_args__ = (
        sa.UniqueConstraint("channel", "update_key"),
        sa.CheckConstraint(check_in(InboxStatus), name="status"),
        sa.Index(None, "status", "next_attempt_at"),
        sa.Index(None, "channel", "chat_key", "status"),
        sa.Index(None, "channel", "user_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    update_key: Mapped[str] = mapped_column(sa.String(128))
    chat_key: Mapped[str | None] = mapped_column(sa.String(128))
    user_key: Mapped[str | None] = mapped_column(sa.String(128))
    # cleared once processed: the update's text lives on only in `messages`
    payload: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(sa.String(16), default=InboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(sa.String(128))
    processed_at: Mapped[dt.datetime | None]


class OutboxRecord(Base):
    """A rendered reply waiting to be delivered (written in the same transaction as the turn)."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.CheckConstraint(check_in(OutboxStatus), name="status"),
        sa.Index(None, "status", "next_attempt_at"),
        sa.Index(None, "channel", "chat_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    chat_id: Mapped[str] = mapped_column(sa.String(128))
    payload: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    status: Mapped[str] = mapped_column(sa.String(16), default=InboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    claimed_at: Mapped[dt.datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None]
    ticket_id: Mapped[int | None] = mapped_column(_fk("tickets.id", "SET NULL"), index=True)
    message_id: Mapped[int | None] = mapped_column(_fk("messages.id", "SET NULL"), index=True)
    # set when the citizen deleted their data while this was in flight: deleted once delivered
    erase_after_send: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # parts of a split reply the platform accepted: a retry sends only the rest
    parts_sent: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # a bulletin to many subscribers: sent after conversation replies and paced per channel
    bulk: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())


class Meta(Base):
    """Small key-value facts about this installation (e.g. when the last purge ran)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- bulletins to subscribers


class Subscriber(Base):
    """A citizen on one channel who asked for bulletins (/dangky); deleted by /huydangky and /xoadulieu.

    Not tied to `users`: the purge drops inactive users, while a subscription lasts until withdrawn.
    """

    __tablename__ = "subscribers"
    __table_args__ = (sa.UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    external_id: Mapped[str] = mapped_column(sa.String(128))
    chat_id: Mapped[str] = mapped_column(sa.String(128))
    # as the citizen typed it (or a code); bulletins filter on commune_key by equality
    commune: Mapped[str | None] = mapped_column(sa.String(100))
    commune_key: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SubscriberTopic(Base):
    """One FAQ topic (its slug) a subscriber receives bulletins on."""

    __tablename__ = "subscriber_topics"

    subscriber_id: Mapped[int] = mapped_column(_fk("subscribers.id", "CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(64), primary_key=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Bulletin(Base):
    """A message staff send to the subscribers of some topics (and a commune); `key` makes a script's retry find it."""

    __tablename__ = "bulletins"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    # {"article_id", "clause", "label"} of an article in the index, or None
    citation: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON(none_as_null=True))
    topics: Mapped[list[Any]] = mapped_column(default=list)
    commune: Mapped[str | None] = mapped_column(sa.String(100))
    channels: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")  # draft | queued
    created_by: Mapped[int | None] = mapped_column(_fk("staff_users.id", "SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    queued_at: Mapped[dt.datetime | None]


class BulletinDelivery(Base):
    """One recipient of a bulletin: the unique (bulletin, channel, chat) is the send's idempotency key.

    `chat_id` is cleared when the citizen erases their data (the counts stay)."""

    __tablename__ = "bulletin_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("bulletin_id", "channel", "chat_id"),
        sa.Index(None, "channel", "chat_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(_fk("bulletins.id", "CASCADE"))
    channel: Mapped[str] = mapped_column(sa.String(16))
    chat_id: Mapped[str | None] = mapped_column(sa.String(128))
    outbox_id: Mapped[int | None] = mapped_column(_fk("outbox.id", "SET NULL"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")  # queued | sent | failed | cancelled
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
