"""Notifications: per-user preferences, the outbox and delivery (e-mail, Telegram)."""
