"""Verifying a Goated account: requests, the admin decision, and the history of every decision.

A request names a player of the latest feed (by name, case-insensitive, or by exact uid when two
players share a name). `unique_request` is "pending:<uid>" while open, so one open request exists
per Goated uid; a partial unique index keeps one open request per user. The decision is a
conditional UPDATE on `status = 'pending'`: of two admins deciding at once exactly one wins.
Approval, history, the user's notification and the audit record share one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor, record_audit
from goatedvips.affiliate.models import AffiliatePlayer
from goatedvips.db import utcnow
from goatedvips.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from goatedvips.notifications.outbox import enqueue
from goatedvips.telegram.models import VerificationHistory, VerificationRequest

MAX_NAME_LENGTH = 64
MAX_NOTES_LENGTH = 1000
DECISIONS = {"approve": "approved", "reject": "rejected"}


async def find_feed_player(session: AsyncSession, goated_name: str) -> AffiliatePlayer:
    """The one feed player for a name (any case) or an exact uid; 404 / 409 otherwise."""
    name = goated_name.strip().lstrip("@")
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"Give your Goated username (1 to {MAX_NAME_LENGTH} characters).",
            field="goatedUsername",
        )
    by_uid = await session.get(AffiliatePlayer, name)
    if by_uid is not None:
        return by_uid
    players = list(
        await session.scalars(
            select(AffiliatePlayer).where(AffiliatePlayer.name_lower == name.lower()).limit(2)
        )
    )
    if not players:
        raise NotFound(
            f"No player named “{name}” is on our Goated referral list. Check the spelling, and "
            "make sure you signed up on Goated with our code (new players appear within minutes).",
            code="goated_name_unknown",
            field="goatedUsername",
        )
    if len(players) > 1:
        raise Conflict(
            f"More than one Goated player is called “{name}”. Send your Goated uid instead "
            "(Goated → Profile), or open a support ticket.",
            code="goated_name_ambiguous",
            field="goatedUsername",
        )
    return players[0]


async def request_verification(
    session: AsyncSession,
    *,
    user: User,
    goated_name: str,
    telegram_username: str | None = None,
) -> VerificationRequest:
    """Open a verification request for `user`; commits. Admins are told by `alerts`."""
    player = await find_feed_player(session, goated_name)
    if user.goated_verified and user.goated_uid == player.uid:
        raise Conflict(
            f"Your account is already verified as {player.name}.", code="already_verified"
        )
    if user.goated_verified:
        raise Conflict(
            f"Your account is already verified as {user.goated_username}. To change it, "
            "open a support ticket.",
            code="already_verified",
        )
    owner = await session.scalar(
        select(User.id).where(User.goated_uid == player.uid, User.goated_verified.is_(True))
    )
    if owner is not None and owner != user.id:
        raise Conflict(
            "That Goated account is already verified for another GoatedVIPs account. "
            "If it is yours, open a support ticket.",
            code="goated_uid_taken",
        )
    await _refuse_open_request(session, user=user, uid=player.uid)
    request = VerificationRequest(
        user_id=user.id,
        telegram_id=user.telegram_id,
        telegram_username=telegram_username,
        goated_username=player.name,
        goated_uid=player.uid,
        status="pending",
        unique_request=f"pending:{player.uid}",
    )
    session.add(request)
    try:
        await session.commit()
    except IntegrityError as exc:
        # Another request for this user or uid was opened at the same moment.
        await session.rollback()
        raise Conflict(
            "A verification request for this account is already waiting for an admin.",
            code="request_open",
        ) from exc
    return request


async def _refuse_open_request(session: AsyncSession, *, user: User, uid: str) -> None:
    open_request = await session.scalar(
        select(VerificationRequest).where(
            VerificationRequest.status == "pending",
            or_(
                VerificationRequest.user_id == user.id,
                VerificationRequest.unique_request == f"pending:{uid}",
            ),
        )
    )
    if open_request is None:
        return
    if open_request.user_id == user.id:
        raise Conflict(
            f"Your request #{open_request.id} ({open_request.goated_username}) is already waiting "
            "for an admin. You'll be told when it is decided.",
            code="request_open",
        )
    raise Conflict(
        "Someone already asked to verify that Goated account; an admin is looking at it. "
        "If it is yours, open a support ticket.",
        code="request_open",
    )


@dataclass(frozen=True)
class Decision:
    request: VerificationRequest
    user: User


async def decide(
    session: AsyncSession,
    *,
    request_id: int,
    approve: bool,
    actor: Actor,
    notes: str | None = None,
    now: dt.datetime | None = None,
) -> Decision:
    """Approve or reject a pending request; commits. Exactly one of concurrent deciders wins."""
    if not actor.is_admin:
        raise PermissionDenied("Only admins can decide verification requests.")
    notes = (notes or "").strip() or None
    if notes and len(notes) > MAX_NOTES_LENGTH:
        raise InvalidInput(f"Notes are limited to {MAX_NOTES_LENGTH} characters.", field="notes")
    now = now or utcnow()
    status = "approved" if approve else "rejected"
    request = await session.get(VerificationRequest, request_id)
    if request is None:
        raise NotFound(f"There is no verification request #{request_id}.")
    if approve:
        await _refuse_uid_taken(session, request)
    won = await session.execute(
        update(VerificationRequest)
        .where(VerificationRequest.id == request_id, VerificationRequest.status == "pending")
        .values(
            status=status,
            verified_at=now,
            verified_by=actor.label,
            admin_notes=notes,
            unique_request=f"{status}:{request_id}",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:
        await session.rollback()
        await _explain_decided(session, request_id)
    await session.refresh(request)
    user = await session.get(User, request.user_id, populate_existing=True)
    assert user is not None
    if approve:
        user.goated_username = request.goated_username
        user.goated_uid = request.goated_uid
        user.goated_verified = True
    session.add(
        VerificationHistory(
            telegram_id=request.telegram_id,
            user_id=request.user_id,
            request_id=request.id,
            status=status,
            goated_username=request.goated_username,
            goated_uid=request.goated_uid,
            verified_by=actor.label,
            verified_at=now,
            admin_notes=notes,
        )
    )
    record_audit(
        session,
        actor=actor,
        action=f"verification.{'approve' if approve else 'reject'}",
        target_type="verification_request",
        target_id=request.id,
        before={"status": "pending"},
        after={
            "status": status,
            "userId": request.user_id,
            "goatedUsername": request.goated_username,
            "goatedUid": request.goated_uid,
            "notes": notes,
        },
    )
    await enqueue(session, user=user, kind="verification_decision", **_decision_message(request))
    try:
        await session.commit()
    except IntegrityError as exc:
        # The uid was verified for another account between our check and the commit.
        await session.rollback()
        raise Conflict(
            "That Goated account was just verified for another user; reject this request.",
            code="goated_uid_taken",
        ) from exc
    return Decision(request=request, user=user)


async def _refuse_uid_taken(session: AsyncSession, request: VerificationRequest) -> None:
    owner = await session.scalar(
        select(User).where(
            User.goated_uid == request.goated_uid,
            User.goated_verified.is_(True),
            User.id != request.user_id,
        )
    )
    if owner is not None:
        raise Conflict(
            f"Goated account {request.goated_username} is already verified for user "
            f"{owner.username}; it can't be approved for another account. Reject this request.",
            code="goated_uid_taken",
        )


async def _explain_decided(session: AsyncSession, request_id: int) -> None:
    request = await session.get(VerificationRequest, request_id, populate_existing=True)
    assert request is not None
    when = request.verified_at.strftime("%Y-%m-%d %H:%M UTC") if request.verified_at else "earlier"
    raise Conflict(
        f"Request #{request_id} was already {request.status} by {request.verified_by} at {when}.",
        code="already_decided",
    )


def _decision_message(request: VerificationRequest) -> dict[str, object]:
    if request.status == "approved":
        text = (
            f"Your Goated account {request.goated_username} is verified. Races, challenges and "
            "bonus codes now count you in."
        )
    else:
        text = f"Your request to verify the Goated account {request.goated_username} was declined."
        if request.admin_notes:
            text += f" Note from the admin: {request.admin_notes}"
        text += " You can send a new request, or open a support ticket if you think this is wrong."
    return {
        "subject": f"Goated verification {request.status}",
        "text": text,
        "payload": {"requestId": request.id, "status": request.status},
        "dedupe_key": f"verification_decision:{request.id}",
    }


async def list_requests(
    session: AsyncSession, *, status: str | None, limit: int = 50, offset: int = 0
) -> tuple[list[VerificationRequest], int]:
    """Requests (oldest pending first; decided ones newest first) and the total count."""
    query = select(VerificationRequest)
    count = select(func.count()).select_from(VerificationRequest)
    if status:
        query = query.where(VerificationRequest.status == status)
        count = count.where(VerificationRequest.status == status)
    order = (
        VerificationRequest.requested_at.asc()
        if status == "pending"
        else VerificationRequest.requested_at.desc()
    )
    rows = await session.scalars(
        query.order_by(order, VerificationRequest.id).limit(limit).offset(offset)
    )
    return list(rows), int(await session.scalar(count) or 0)


async def open_request_for(session: AsyncSession, user_id: int) -> VerificationRequest | None:
    return await session.scalar(
        select(VerificationRequest).where(
            VerificationRequest.user_id == user_id, VerificationRequest.status == "pending"
        )
    )
