"""Bonus codes: creation, claiming and expiry."""
