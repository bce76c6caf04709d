"""Notifications: claim columns on the outbox and the VIP tier marks table.

Revision ID: 0003_notifications_delivery
Revises: 0002_bonuses_code_purpose
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_notifications_delivery"
down_revision: str | Sequence[str] | None = "0002_bonuses_code_purpose"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification_outbox") as batch:
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
    op.create_table(
        "vip_tier_marks",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_vip_tier_marks_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_vip_tier_marks")),
    )


def downgrade() -> None:
    op.drop_table("vip_tier_marks")
    with op.batch_alter_table("notification_outbox") as batch:
        batch.drop_column("claim_token")
        batch.drop_column("claimed_at")
