"""Notification JSON shapes (camelCase on the wire)."""

from __future__ import annotations

from goatedvips.schemas import CamelModel


class BroadcastIn(CamelModel):
    kind: str
    subject: str
    body: str


class BroadcastOut(CamelModel):
    id: str
    kind: str
    recipients: int
    messages: int


class AudienceOut(CamelModel):
    kind: str
    recipients: int


class OutboxCountsOut(CamelModel):
    pending: int
    sending: int
    sent: int
    failed: int
    cancelled: int
