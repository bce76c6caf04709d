"""Affiliate: drop the indexes no query uses (they cost the sync most of its write time), and
leave free room in affiliate_players pages on PostgreSQL so each sync's row updates stay HOT.

- `ix_affiliate_players_wagered_{today,this_week,this_month,all_time}_desc`: the leaderboards are
  ranked in memory from one read of the table (affiliate/leaderboard.py); no query sorts or
  filters by a counter.
- `ix_wager_snapshots_uid_taken_at`: the race totals and the downsampling select by `taken_at`
  (its own index stays); nothing looks snapshots up by uid.
- PostgreSQL: `fillfactor = 50` on affiliate_players. Every sync updates every listed player
  (counters or `last_seen_at`); with room on its page for a second version of every row, the new
  version stays on the page and no index entry is written (a heap-only tuple update), and
  autovacuum frees the old versions before the next sync.

Revision ID: 0004_affiliate_sync_indexes
Revises: 0003_notifications_delivery
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_affiliate_sync_indexes"
down_revision: str | Sequence[str] | None = "0003_notifications_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTERS = ("today", "this_week", "this_month", "all_time")
FILLFACTOR = 50


def upgrade() -> None:
    for counter in COUNTERS:
        op.drop_index(
            f"ix_affiliate_players_wagered_{counter}_desc", table_name="affiliate_players"
        )
    op.drop_index("ix_wager_snapshots_uid_taken_at", table_name="wager_snapshots")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE affiliate_players SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE affiliate_players RESET (fillfactor)")
    op.create_index(
        "ix_wager_snapshots_uid_taken_at", "wager_snapshots", ["uid", "taken_at"], unique=False
    )
    for counter in reversed(COUNTERS):
        op.create_index(
            f"ix_affiliate_players_wagered_{counter}_desc",
            "affiliate_players",
            [sa.text(f"wagered_{counter} DESC")],
            unique=False,
        )
