"""The figures on the admin dashboard, read straight from the tables of every domain."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.affiliate.models import AffiliatePlayer, SyncRun
from goatedvips.affiliate.token import TokenStatus, token_status
from goatedvips.config import Settings
from goatedvips.notifications.models import NotificationOutbox
from goatedvips.races.models import WagerRace, WagerRaceParticipant
from goatedvips.support.models import SupportTicket
from goatedvips.telegram.models import VerificationRequest


@dataclass(frozen=True)
class LiveRace:
    id: int
    title: str
    end_date: dt.datetime
    participants: int


@dataclass(frozen=True)
class SyncHealth:
    last_success_at: dt.datetime | None
    age_seconds: int | None
    stale: bool
    last_error: str | None
    last_error_at: dt.datetime | None
    token: TokenStatus


@dataclass(frozen=True)
class Dashboard:
    players: int
    users: int
    admins: int
    disabled_users: int
    telegram_linked: int
    goated_verified: int
    pending_verifications: int
    open_tickets: int
    outbox_pending: int
    outbox_failed: int
    live_race: LiveRace | None
    sync: SyncHealth


async def _count(session: AsyncSession, model: type, *where: object) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


async def _live_race(session: AsyncSession) -> LiveRace | None:
    race = await session.scalar(
        select(WagerRace).where(WagerRace.status == "live").order_by(WagerRace.end_date).limit(1)
    )
    if race is None:
        return None
    participants = await _count(
        session, WagerRaceParticipant, WagerRaceParticipant.race_id == race.id
    )
    return LiveRace(race.id, race.title, race.end_date, participants)


async def sync_health(session: AsyncSession, settings: Settings, now: dt.datetime) -> SyncHealth:
    last_success = await session.scalar(
        select(func.max(SyncRun.finished_at)).where(SyncRun.status == "success")
    )
    failure = (
        await session.execute(
            select(SyncRun.error, SyncRun.finished_at)
            .where(SyncRun.status == "failed")
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(1)
        )
    ).first()
    age = int((now - last_success).total_seconds()) if last_success else None
    stale_after = max(3 * settings.goated_sync_interval_seconds, 900)
    # An error older than the last success is history, not the current state.
    current_failure = (
        failure if failure and (not last_success or (failure[1] or now) > last_success) else None
    )
    return SyncHealth(
        last_success_at=last_success,
        age_seconds=age,
        stale=age is None or age > stale_after,
        last_error=current_failure[0] if current_failure else None,
        last_error_at=current_failure[1] if current_failure else None,
        token=token_status(settings.goated_api_token, now),
    )


async def load_dashboard(session: AsyncSession, settings: Settings, now: dt.datetime) -> Dashboard:
    return Dashboard(
        players=await _count(session, AffiliatePlayer),
        users=await _count(session, User),
        admins=await _count(session, User, User.is_admin.is_(True)),
        disabled_users=await _count(session, User, User.disabled.is_(True)),
        telegram_linked=await _count(session, User, User.telegram_id.is_not(None)),
        goated_verified=await _count(session, User, User.goated_verified.is_(True)),
        pending_verifications=await _count(
            session, VerificationRequest, VerificationRequest.status == "pending"
        ),
        open_tickets=await _count(session, SupportTicket, SupportTicket.status != "closed"),
        outbox_pending=await _count(
            session, NotificationOutbox, NotificationOutbox.status.in_(("pending", "sending"))
        ),
        outbox_failed=await _count(
            session, NotificationOutbox, NotificationOutbox.status == "failed"
        ),
        live_race=await _live_race(session),
        sync=await sync_health(session, settings, now),
    )
