"""Telegram: linked Telegram users, link tokens, Goated verification requests and history."""
