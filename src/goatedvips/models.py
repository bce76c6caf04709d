"""Every table of the application: importing this module fills `Base.metadata` completely.

Alembic (`goatedvips.migrations`) and the tests import it; application code imports the domain
models modules directly.
"""

from __future__ import annotations

from goatedvips.accounts.models import User, UserSession
from goatedvips.admin.models import AppSetting, AuditLog
from goatedvips.affiliate.models import AffiliatePlayer, SyncRun, WagerSnapshot
from goatedvips.bonuses.models import BonusCode
from goatedvips.challenges.models import Challenge, ChallengeEntry
from goatedvips.db import Base
from goatedvips.notifications.models import NotificationOutbox, NotificationPreferences
from goatedvips.races.models import RaceTemplate, WagerRace, WagerRaceParticipant
from goatedvips.support.models import SupportTicket, TicketMessage
from goatedvips.telegram.models import (
    TelegramLinkToken,
    TelegramUser,
    VerificationHistory,
    VerificationRequest,
)

metadata = Base.metadata

__all__ = [
    "AffiliatePlayer",
    "AppSetting",
    "AuditLog",
    "Base",
    "BonusCode",
    "Challenge",
    "ChallengeEntry",
    "NotificationOutbox",
    "NotificationPreferences",
    "RaceTemplate",
    "SupportTicket",
    "SyncRun",
    "TelegramLinkToken",
    "TelegramUser",
    "TicketMessage",
    "User",
    "UserSession",
    "VerificationHistory",
    "VerificationRequest",
    "WagerRace",
    "WagerRaceParticipant",
    "WagerSnapshot",
    "metadata",
]
