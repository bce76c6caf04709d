"""Initial schema: the spec's tables plus the platform's own (sessions, outbox, audit, feed).

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26 02:52:59.428963
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "affiliate_players",
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("name_lower", sa.String(length=128), nullable=False),
        sa.Column(
            "wagered_today", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False
        ),
        sa.Column(
            "wagered_this_week",
            sa.Numeric(precision=18, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "wagered_this_month",
            sa.Numeric(precision=18, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "wagered_all_time",
            sa.Numeric(precision=18, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "first_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("uid", name=op.f("pk_affiliate_players")),
    )
    op.create_index(
        op.f("ix_affiliate_players_name_lower"), "affiliate_players", ["name_lower"], unique=False
    )
    op.create_index(
        "ix_affiliate_players_wagered_all_time_desc",
        "affiliate_players",
        [sa.text("wagered_all_time DESC")],
        unique=False,
    )
    op.create_index(
        "ix_affiliate_players_wagered_this_month_desc",
        "affiliate_players",
        [sa.text("wagered_this_month DESC")],
        unique=False,
    )
    op.create_index(
        "ix_affiliate_players_wagered_this_week_desc",
        "affiliate_players",
        [sa.text("wagered_this_week DESC")],
        unique=False,
    )
    op.create_index(
        "ix_affiliate_players_wagered_today_desc",
        "affiliate_players",
        [sa.text("wagered_today DESC")],
        unique=False,
    )

    op.create_table(
        "app_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column(
            "value", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_settings")),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="running", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("players", sa.Integer(), nullable=True),
        sa.Column("changed", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'success', 'failed')", name=op.f("ck_sync_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    op.create_index(op.f("ix_sync_runs_started_at"), "sync_runs", ["started_at"], unique=False)
    op.create_index(op.f("ix_sync_runs_status"), "sync_runs", ["status"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password", sa.String(length=255), nullable=False),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("email_verified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("email_verification_token", sa.String(length=128), nullable=True),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("hide_name", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_ip", sa.String(length=45), nullable=True),
        sa.Column("registration_ip", sa.String(length=45), nullable=True),
        sa.Column(
            "ip_history",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column(
            "login_history",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("country", sa.String(length=64), nullable=True),
        sa.Column("city", sa.String(length=128), nullable=True),
        sa.Column("last_active", sa.DateTime(timezone=True), nullable=True),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("telegram_verified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("telegram_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("goated_username", sa.String(length=64), nullable=True),
        sa.Column("goated_uid", sa.String(length=64), nullable=True),
        sa.Column("goated_verified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("goated_uid", name=op.f("uq_users_goated_uid")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_users_telegram_id")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_goated_username"), "users", ["goated_username"], unique=False)
    op.create_index(op.f("ix_users_is_admin"), "users", ["is_admin"], unique=False)
    op.create_index(op.f("ix_users_last_active"), "users", ["last_active"], unique=False)
    # Case-insensitive uniqueness. Autogenerate can't compare expression indexes: keep by hand.
    op.create_index("uq_users_lower_email", "users", [sa.text("lower(email)")], unique=True)
    op.create_index("uq_users_lower_username", "users", [sa.text("lower(username)")], unique=True)

    op.create_table(
        "wager_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("today", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("this_week", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("this_month", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("all_time", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wager_snapshots")),
    )
    op.create_index(
        op.f("ix_wager_snapshots_taken_at"), "wager_snapshots", ["taken_at"], unique=False
    )
    op.create_index(
        "ix_wager_snapshots_uid_taken_at", "wager_snapshots", ["uid", "taken_at"], unique=False
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column(
            "before", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("after", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_audit_log_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"], unique=False)
    op.create_index(
        op.f("ix_audit_log_actor_user_id"), "audit_log", ["actor_user_id"], unique=False
    )
    op.create_index(op.f("ix_audit_log_created_at"), "audit_log", ["created_at"], unique=False)

    op.create_table(
        "bonus_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("value", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("expired", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint("value >= 0", name=op.f("ck_bonus_codes_value")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_bonus_codes_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_bonus_codes_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bonus_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_bonus_codes_code")),
    )
    op.create_index(op.f("ix_bonus_codes_created_by"), "bonus_codes", ["created_by"], unique=False)
    op.create_index(op.f("ix_bonus_codes_expired"), "bonus_codes", ["expired"], unique=False)
    op.create_index(op.f("ix_bonus_codes_expires_at"), "bonus_codes", ["expires_at"], unique=False)
    op.create_index(op.f("ix_bonus_codes_user_id"), "bonus_codes", ["user_id"], unique=False)

    op.create_table(
        "challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("game", sa.String(length=64), nullable=False),
        sa.Column("multiplier", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("min_bet", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("prize_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("max_winners", sa.Integer(), server_default="1", nullable=False),
        sa.Column("timeframe", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'completed', 'cancelled')",
            name=op.f("ck_challenges_status"),
        ),
        sa.CheckConstraint("max_winners > 0", name=op.f("ck_challenges_max_winners")),
        sa.CheckConstraint("multiplier > 0", name=op.f("ck_challenges_multiplier")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_challenges_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenges")),
    )
    op.create_index(op.f("ix_challenges_created_by"), "challenges", ["created_by"], unique=False)
    op.create_index(op.f("ix_challenges_ends_at"), "challenges", ["ends_at"], unique=False)
    op.create_index(op.f("ix_challenges_starts_at"), "challenges", ["starts_at"], unique=False)
    op.create_index(op.f("ix_challenges_status"), "challenges", ["status"], unique=False)

    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "channel IN ('email', 'telegram')", name=op.f("ck_notification_outbox_channel")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')",
            name=op.f("ck_notification_outbox_status"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_outbox_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_outbox_dedupe_key")),
    )
    op.create_index(
        op.f("ix_notification_outbox_kind"), "notification_outbox", ["kind"], unique=False
    )
    op.create_index(
        op.f("ix_notification_outbox_next_attempt_at"),
        "notification_outbox",
        ["next_attempt_at"],
        unique=False,
    )
    op.create_index(
        "ix_notification_outbox_status_next_attempt_at",
        "notification_outbox",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notification_outbox_user_id"), "notification_outbox", ["user_id"], unique=False
    )

    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("wager_race_updates", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("vip_status_changes", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("promotional_offers", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("monthly_statements", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("email_notifications", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("push_notifications", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint("user_id", name=op.f("uq_notification_preferences_user_id")),
    )
    op.create_table(
        "race_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("prize_pool", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column(
            "prize_distribution",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "min_wager", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False
        ),
        sa.Column("rules", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint("type IN ('monthly', 'weekly')", name=op.f("ck_race_templates_type")),
        sa.CheckConstraint("prize_pool >= 0", name=op.f("ck_race_templates_prize_pool")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_race_templates_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_race_templates")),
    )
    op.create_index(op.f("ix_race_templates_active"), "race_templates", ["active"], unique=False)
    op.create_index(
        op.f("ix_race_templates_created_by"), "race_templates", ["created_by"], unique=False
    )

    op.create_table(
        "support_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("priority", sa.String(length=16), server_default="medium", nullable=False),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("user_last_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("staff_last_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'medium', 'high')", name=op.f("ck_support_tickets_priority")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'closed')", name=op.f("ck_support_tickets_status")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to"],
            ["users.id"],
            name=op.f("fk_support_tickets_assigned_to_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_support_tickets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_tickets")),
    )
    op.create_index(
        op.f("ix_support_tickets_assigned_to"), "support_tickets", ["assigned_to"], unique=False
    )
    op.create_index(
        op.f("ix_support_tickets_priority"), "support_tickets", ["priority"], unique=False
    )
    op.create_index(op.f("ix_support_tickets_status"), "support_tickets", ["status"], unique=False)
    op.create_index(
        op.f("ix_support_tickets_user_id"), "support_tickets", ["user_id"], unique=False
    )

    op.create_table(
        "telegram_link_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_telegram_link_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telegram_link_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_telegram_link_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_telegram_link_tokens_user_id"), "telegram_link_tokens", ["user_id"], unique=False
    )

    op.create_table(
        "telegram_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("telegram_username", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("is_verified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.String(length=64), nullable=True),
        sa.Column("notifications_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("blocked_bot_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_telegram_users_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telegram_users")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_telegram_users_telegram_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_telegram_users_user_id")),
    )
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "last_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
    )
    op.create_index(
        op.f("ix_user_sessions_expires_at"), "user_sessions", ["expires_at"], unique=False
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"], unique=False)

    op.create_table(
        "verification_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column(
            "requested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.String(length=64), nullable=True),
        sa.Column("telegram_username", sa.String(length=64), nullable=True),
        sa.Column("goated_username", sa.String(length=64), nullable=False),
        sa.Column("goated_uid", sa.String(length=64), nullable=False),
        sa.Column("admin_notes", sa.Text(), nullable=True),
        sa.Column("unique_request", sa.String(length=128), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_verification_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_verification_requests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_requests")),
        sa.UniqueConstraint("unique_request", name=op.f("uq_verification_requests_unique_request")),
    )
    op.create_index(
        op.f("ix_verification_requests_goated_uid"),
        "verification_requests",
        ["goated_uid"],
        unique=False,
    )
    op.create_index(
        op.f("ix_verification_requests_requested_at"),
        "verification_requests",
        ["requested_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_verification_requests_status"), "verification_requests", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_verification_requests_telegram_id"),
        "verification_requests",
        ["telegram_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_verification_requests_user_id"), "verification_requests", ["user_id"], unique=False
    )
    op.create_index(
        "uq_verification_requests_pending_user",
        "verification_requests",
        ["user_id"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )

    op.create_table(
        "wager_races",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="upcoming", nullable=False),
        sa.Column("prize_pool", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column(
            "prize_distribution",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "min_wager", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False
        ),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rules", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("finalized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('upcoming', 'live', 'completed', 'cancelled')",
            name=op.f("ck_wager_races_status"),
        ),
        sa.CheckConstraint(
            "type IN ('monthly', 'weekly', 'custom')", name=op.f("ck_wager_races_type")
        ),
        sa.CheckConstraint("end_date > start_date", name=op.f("ck_wager_races_window")),
        sa.CheckConstraint("min_wager >= 0", name=op.f("ck_wager_races_min_wager")),
        sa.CheckConstraint("prize_pool >= 0", name=op.f("ck_wager_races_prize_pool")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_wager_races_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wager_races")),
    )
    op.create_index(op.f("ix_wager_races_created_by"), "wager_races", ["created_by"], unique=False)
    op.create_index(op.f("ix_wager_races_end_date"), "wager_races", ["end_date"], unique=False)
    op.create_index(op.f("ix_wager_races_start_date"), "wager_races", ["start_date"], unique=False)
    op.create_index(op.f("ix_wager_races_status"), "wager_races", ["status"], unique=False)

    op.create_table(
        "challenge_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("bet_link", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("bonus_code", sa.String(length=64), nullable=True),
        sa.Column(
            "submitted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_challenge_entries_status"),
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenges.id"],
            name=op.f("fk_challenge_entries_challenge_id_challenges"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_challenge_entries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_entries")),
        sa.UniqueConstraint("bet_link", name=op.f("uq_challenge_entries_bet_link")),
        sa.UniqueConstraint(
            "challenge_id", "user_id", name=op.f("uq_challenge_entries_challenge_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_challenge_entries_status"), "challenge_entries", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_challenge_entries_submitted_at"),
        "challenge_entries",
        ["submitted_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_challenge_entries_user_id"), "challenge_entries", ["user_id"], unique=False
    )

    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("is_staff_reply", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name=op.f("fk_ticket_messages_ticket_id_support_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_ticket_messages_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_messages")),
    )
    op.create_index(
        op.f("ix_ticket_messages_created_at"), "ticket_messages", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_ticket_messages_ticket_id"), "ticket_messages", ["ticket_id"], unique=False
    )
    op.create_index(
        op.f("ix_ticket_messages_user_id"), "ticket_messages", ["user_id"], unique=False
    )

    op.create_table(
        "verification_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("goated_username", sa.String(length=64), nullable=True),
        sa.Column("goated_uid", sa.String(length=64), nullable=True),
        sa.Column("verified_by", sa.String(length=64), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("admin_notes", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_verification_history_status"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["verification_requests.id"],
            name=op.f("fk_verification_history_request_id_verification_requests"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_verification_history_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_history")),
    )
    op.create_index(
        op.f("ix_verification_history_archived_at"),
        "verification_history",
        ["archived_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_verification_history_created_at"),
        "verification_history",
        ["created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_verification_history_request_id"),
        "verification_history",
        ["request_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_verification_history_user_id"), "verification_history", ["user_id"], unique=False
    )

    op.create_table(
        "wager_race_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("race_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("goated_uid", sa.String(length=64), nullable=False),
        sa.Column("goated_name", sa.String(length=64), nullable=False),
        sa.Column(
            "total_wager", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False
        ),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("prize", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("eligible", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "joined_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "wager_history",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["race_id"],
            ["wager_races.id"],
            name=op.f("fk_wager_race_participants_race_id_wager_races"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_wager_race_participants_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wager_race_participants")),
        sa.UniqueConstraint(
            "race_id", "goated_uid", name=op.f("uq_wager_race_participants_race_id_goated_uid")
        ),
    )
    op.create_index(
        op.f("ix_wager_race_participants_goated_uid"),
        "wager_race_participants",
        ["goated_uid"],
        unique=False,
    )
    op.create_index(
        "ix_wager_race_participants_race_id_rank",
        "wager_race_participants",
        ["race_id", "rank"],
        unique=False,
    )
    op.create_index(
        op.f("ix_wager_race_participants_user_id"),
        "wager_race_participants",
        ["user_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_wager_race_participants_user_id"), table_name="wager_race_participants")
    op.drop_index("ix_wager_race_participants_race_id_rank", table_name="wager_race_participants")
    op.drop_index(
        op.f("ix_wager_race_participants_goated_uid"), table_name="wager_race_participants"
    )

    op.drop_table("wager_race_participants")
    op.drop_index(op.f("ix_verification_history_user_id"), table_name="verification_history")
    op.drop_index(op.f("ix_verification_history_request_id"), table_name="verification_history")
    op.drop_index(op.f("ix_verification_history_created_at"), table_name="verification_history")
    op.drop_index(op.f("ix_verification_history_archived_at"), table_name="verification_history")

    op.drop_table("verification_history")
    op.drop_index(op.f("ix_ticket_messages_user_id"), table_name="ticket_messages")
    op.drop_index(op.f("ix_ticket_messages_ticket_id"), table_name="ticket_messages")
    op.drop_index(op.f("ix_ticket_messages_created_at"), table_name="ticket_messages")

    op.drop_table("ticket_messages")
    op.drop_index(op.f("ix_challenge_entries_user_id"), table_name="challenge_entries")
    op.drop_index(op.f("ix_challenge_entries_submitted_at"), table_name="challenge_entries")
    op.drop_index(op.f("ix_challenge_entries_status"), table_name="challenge_entries")

    op.drop_table("challenge_entries")
    op.drop_index(op.f("ix_wager_races_status"), table_name="wager_races")
    op.drop_index(op.f("ix_wager_races_start_date"), table_name="wager_races")
    op.drop_index(op.f("ix_wager_races_end_date"), table_name="wager_races")
    op.drop_index(op.f("ix_wager_races_created_by"), table_name="wager_races")

    op.drop_table("wager_races")
    op.drop_index(
        "uq_verification_requests_pending_user",
        table_name="verification_requests",
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(op.f("ix_verification_requests_user_id"), table_name="verification_requests")
    op.drop_index(op.f("ix_verification_requests_telegram_id"), table_name="verification_requests")
    op.drop_index(op.f("ix_verification_requests_status"), table_name="verification_requests")
    op.drop_index(op.f("ix_verification_requests_requested_at"), table_name="verification_requests")
    op.drop_index(op.f("ix_verification_requests_goated_uid"), table_name="verification_requests")

    op.drop_table("verification_requests")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_index(op.f("ix_user_sessions_expires_at"), table_name="user_sessions")

    op.drop_table("user_sessions")
    op.drop_table("telegram_users")
    op.drop_index(op.f("ix_telegram_link_tokens_user_id"), table_name="telegram_link_tokens")

    op.drop_table("telegram_link_tokens")
    op.drop_index(op.f("ix_support_tickets_user_id"), table_name="support_tickets")
    op.drop_index(op.f("ix_support_tickets_status"), table_name="support_tickets")
    op.drop_index(op.f("ix_support_tickets_priority"), table_name="support_tickets")
    op.drop_index(op.f("ix_support_tickets_assigned_to"), table_name="support_tickets")

    op.drop_table("support_tickets")
    op.drop_index(op.f("ix_race_templates_created_by"), table_name="race_templates")
    op.drop_index(op.f("ix_race_templates_active"), table_name="race_templates")

    op.drop_table("race_templates")
    op.drop_table("notification_preferences")
    op.drop_index(op.f("ix_notification_outbox_user_id"), table_name="notification_outbox")
    op.drop_index("ix_notification_outbox_status_next_attempt_at", table_name="notification_outbox")
    op.drop_index(op.f("ix_notification_outbox_next_attempt_at"), table_name="notification_outbox")
    op.drop_index(op.f("ix_notification_outbox_kind"), table_name="notification_outbox")

    op.drop_table("notification_outbox")
    op.drop_index(op.f("ix_challenges_status"), table_name="challenges")
    op.drop_index(op.f("ix_challenges_starts_at"), table_name="challenges")
    op.drop_index(op.f("ix_challenges_ends_at"), table_name="challenges")
    op.drop_index(op.f("ix_challenges_created_by"), table_name="challenges")

    op.drop_table("challenges")
    op.drop_index(op.f("ix_bonus_codes_user_id"), table_name="bonus_codes")
    op.drop_index(op.f("ix_bonus_codes_expires_at"), table_name="bonus_codes")
    op.drop_index(op.f("ix_bonus_codes_expired"), table_name="bonus_codes")
    op.drop_index(op.f("ix_bonus_codes_created_by"), table_name="bonus_codes")

    op.drop_table("bonus_codes")
    op.drop_index(op.f("ix_audit_log_created_at"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_actor_user_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_action"), table_name="audit_log")

    op.drop_table("audit_log")
    op.drop_index("ix_wager_snapshots_uid_taken_at", table_name="wager_snapshots")
    op.drop_index(op.f("ix_wager_snapshots_taken_at"), table_name="wager_snapshots")

    op.drop_table("wager_snapshots")
    op.drop_index(op.f("ix_users_last_active"), table_name="users")
    op.drop_index("uq_users_lower_username", table_name="users")
    op.drop_index("uq_users_lower_email", table_name="users")
    op.drop_index(op.f("ix_users_is_admin"), table_name="users")
    op.drop_index(op.f("ix_users_goated_username"), table_name="users")

    op.drop_table("users")
    op.drop_index(op.f("ix_sync_runs_status"), table_name="sync_runs")
    op.drop_index(op.f("ix_sync_runs_started_at"), table_name="sync_runs")

    op.drop_table("sync_runs")
    op.drop_table("app_settings")
    op.drop_index("ix_affiliate_players_wagered_today_desc", table_name="affiliate_players")
    op.drop_index("ix_affiliate_players_wagered_this_week_desc", table_name="affiliate_players")
    op.drop_index("ix_affiliate_players_wagered_this_month_desc", table_name="affiliate_players")
    op.drop_index("ix_affiliate_players_wagered_all_time_desc", table_name="affiliate_players")
    op.drop_index(op.f("ix_affiliate_players_name_lower"), table_name="affiliate_players")

    op.drop_table("affiliate_players")
