"""Bonus codes get a purpose: a public `drop` or a `prize` kept for challenge winners.

Revision ID: 0002_bonuses_code_purpose
Revises: 0001_initial
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_bonuses_code_purpose"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bonus_codes") as batch:
        batch.add_column(
            sa.Column("purpose", sa.String(length=16), server_default="drop", nullable=False)
        )
        batch.create_check_constraint("purpose", "purpose IN ('drop', 'prize')")
        batch.create_index(batch.f("ix_bonus_codes_purpose"), ["purpose"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bonus_codes") as batch:
        batch.drop_index(batch.f("ix_bonus_codes_purpose"))
        batch.drop_constraint(batch.f("ck_bonus_codes_purpose"), type_="check")
        batch.drop_column("purpose")
