"""Accounts: users, server-side sessions, e-mail verification, IP/login history, geo."""
