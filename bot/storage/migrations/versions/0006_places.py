"""Places: communes, service points and the communes they serve; the citizen's commune, the ticket's
point and commune, the staff member's point.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
# the only line to change when this migration is re-chained after another one
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# service_point_id on tickets and staff_users has no foreign key: SQLite adds one to an existing
# table only by copying it, and with foreign keys on, dropping the old copy would cascade to the rows
# that point at it (ticket events, notes). Points are deactivated, never deleted.
_POINT_TABLES = ("tickets", "staff_users")


def upgrade() -> None:
    op.create_table(
        "communes",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("province_code", sa.String(16), nullable=False),
        sa.Column("province_name", sa.String(255), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_communes"),
    )
    op.create_index("ix_communes_province_code", "communes", ["province_code"])
    op.create_table(
        "service_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("phone", sa.String(64), nullable=False),
        sa.Column("hours", sa.String(255), nullable=False),
        sa.Column("province_code", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('legal_aid_centre', 'legal_aid_branch', 'justice_officer', 'mediation_group')",
            name="ck_service_points_kind",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_service_points"),
        sa.UniqueConstraint("key", name="uq_service_points_key"),
    )
    op.create_index("ix_service_points_province_code", "service_points", ["province_code"])
    op.create_table(
        "service_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(
            ["point_id"], ["service_points.id"],
            name="fk_service_areas_point_id_service_points", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_service_areas"),
        sa.UniqueConstraint("point_id", "commune_code", name="uq_service_areas_point_id_commune_code"),
    )
    op.create_index("ix_service_areas_commune_code", "service_areas", ["commune_code"])

    op.add_column("users", sa.Column("commune_code", sa.String(16), nullable=True))
    op.add_column("users", sa.Column("commune_set_at", sa.DateTime(timezone=True), nullable=True))
    for table in _POINT_TABLES:
        op.add_column(table, sa.Column("service_point_id", sa.Integer(), nullable=True))
        op.create_index(f"ix_{table}_service_point_id", table, ["service_point_id"])
    op.add_column("tickets", sa.Column("commune_code", sa.String(16), nullable=True))
    op.add_column("tickets", sa.Column("province_code", sa.String(16), nullable=True))
    op.add_column(
        "tickets",
        sa.Column("mediation_offered", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_tickets_commune_code", "tickets", ["commune_code"])


def downgrade() -> None:
    op.drop_index("ix_tickets_commune_code", "tickets")
    for table in _POINT_TABLES:
        op.drop_index(f"ix_{table}_service_point_id", table)
    with op.batch_alter_table("tickets") as batch:
        for column in ("service_point_id", "commune_code", "province_code", "mediation_offered"):
            batch.drop_column(column)
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("service_point_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("commune_set_at")
        batch.drop_column("commune_code")
    op.drop_table("service_areas")
    op.drop_table("service_points")
    op.drop_table("communes")
