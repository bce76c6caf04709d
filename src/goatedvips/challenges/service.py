"""Challenge rules: creating and editing challenges, entering them, reviewing entries.

Approvals and rejections start with an UPDATE of the challenge row. On PostgreSQL that row lock
queues concurrent reviewers of one challenge; on SQLite it takes the database write lock. Either
way the count of approved entries read afterwards is current, so approvals never pass
`max_winners`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor, record_audit
from goatedvips.bonuses.eligibility import require_verified_player
from goatedvips.bonuses.promotions import announce_to_opted_in
from goatedvips.bonuses.service import take_prize_code
from goatedvips.challenges.betlinks import canonical_bet_link
from goatedvips.challenges.models import Challenge, ChallengeEntry
from goatedvips.db import utcnow
from goatedvips.errors import Conflict, Gone, InvalidInput, NotFound
from goatedvips.notifications.outbox import enqueue
from goatedvips.schemas import Paging

EDITABLE = (
    "game", "multiplier", "min_bet", "prize_amount", "max_winners", "starts_at", "ends_at",
    "description", "timeframe",
)  # fmt: skip
CLOSED = ("completed", "cancelled")
PUBLIC_FILTERS = ("active", "upcoming", "completed", "all")
ENTRY_FILTERS = ("pending", "approved", "rejected", "all")


@dataclass(frozen=True)
class ChallengeView:
    """A challenge with what players need to know: winners so far, places left, open or not."""

    challenge: Challenge
    winners: int
    now: dt.datetime

    @property
    def places_left(self) -> int:
        return max(0, self.challenge.max_winners - self.winners)

    @property
    def is_open(self) -> bool:
        c = self.challenge
        return (
            c.status not in CLOSED
            and self.places_left > 0
            and (c.starts_at is None or c.starts_at <= self.now)
            and (c.ends_at is None or self.now < c.ends_at)
        )

    @property
    def time_left(self) -> int | None:
        ends = self.challenge.ends_at
        return None if ends is None else max(0, int((ends - self.now).total_seconds()))

    @property
    def starts_in(self) -> int | None:
        starts = self.challenge.starts_at
        return None if starts is None else max(0, int((starts - self.now).total_seconds()))

    def as_dict(self) -> dict[str, Any]:
        c = self.challenge
        values = {name: getattr(c, name) for name in (*EDITABLE, "id", "status", "created_by")}
        return values | {
            "created_at": c.created_at,
            "winners": self.winners,
            "places_left": self.places_left,
            "open": self.is_open,
            "time_left": self.time_left,
            "starts_in": self.starts_in,
        }


REQUIRED_NUMBERS = (
    ("multiplier", "multiplier"),
    ("minBet", "min_bet"),
    ("prizeAmount", "prize_amount"),
    ("maxWinners", "max_winners"),
)


def _validate(values: dict[str, Any], *, now: dt.datetime) -> None:
    """The rules for a challenge's settings, naming the JSON field at fault."""
    game = (values.get("game") or "").strip()
    if not game or len(game) > 64:
        raise InvalidInput("game is required (at most 64 characters)", field="game")
    for field, name in REQUIRED_NUMBERS:
        if values[name] is None:  # an explicit null in a PATCH
            raise InvalidInput(f"{field} can't be null", field=field)
    checks = [
        ("multiplier", values["multiplier"] >= Decimal("1.01"), "multiplier must be at least 1.01"),
        ("minBet", values["min_bet"] >= 0, "minBet can't be negative"),
        ("prizeAmount", values["prize_amount"] > 0, "prizeAmount must be more than 0"),
        ("maxWinners", 1 <= values["max_winners"] <= 1000, "maxWinners is between 1 and 1000"),
    ]
    for field, ok, message in checks:
        if not ok:
            raise InvalidInput(message, field=field)
    starts, ends = values["starts_at"], values["ends_at"]
    if ends is None:
        raise InvalidInput("endsAt is required", field="endsAt")
    if starts is not None and ends <= starts:
        raise InvalidInput("endsAt must be after startsAt", field="endsAt")
    if ends <= now:
        raise InvalidInput("endsAt must be in the future", field="endsAt")


def _status_for(challenge: Challenge, now: dt.datetime) -> str:
    return "draft" if challenge.starts_at is not None and challenge.starts_at > now else "active"


def _audit_view(c: Challenge) -> dict[str, Any]:
    return {name: getattr(c, name) for name in (*EDITABLE, "status")}


async def _lock_challenge(
    session: AsyncSession, challenge_id: int, *, now: dt.datetime
) -> Challenge | None:
    """The challenge, re-read after a write to its row, so concurrent reviewers queue here."""
    await session.execute(
        update(Challenge).where(Challenge.id == challenge_id).values(updated_at=now)
    )
    return await session.get(Challenge, challenge_id, populate_existing=True)


async def _winners(session: AsyncSession, challenge_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(ChallengeEntry)
        .where(ChallengeEntry.challenge_id == challenge_id, ChallengeEntry.status == "approved")
    )
    return int(count or 0)


async def _winner_counts(session: AsyncSession, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = await session.execute(
        select(ChallengeEntry.challenge_id, func.count())
        .where(ChallengeEntry.challenge_id.in_(ids), ChallengeEntry.status == "approved")
        .group_by(ChallengeEntry.challenge_id)
    )
    return {cid: int(n) for cid, n in rows.all()}


async def view(
    session: AsyncSession, challenge_id: int, *, now: dt.datetime | None = None
) -> ChallengeView:
    challenge = await session.get(Challenge, challenge_id)
    if challenge is None:
        raise NotFound("challenge not found")
    return ChallengeView(challenge, await _winners(session, challenge_id), now or utcnow())


def describe(c: Challenge) -> str:
    multiplier = format(c.multiplier.normalize(), "f")  # 100.00 -> "100", 1.50 -> "1.5"
    return f"{multiplier}x on {c.game} with at least ${c.min_bet:,.2f}"


async def create_challenge(
    session: AsyncSession, *, actor: Actor, now: dt.datetime | None = None, **values: Any
) -> Challenge:
    """Create a challenge (open now, or `draft` until `starts_at`); announce it. Commits."""
    now = now or utcnow()
    values = {name: values.get(name) for name in EDITABLE}
    values["max_winners"] = values["max_winners"] or 1
    _validate(values, now=now)
    values["game"] = values["game"].strip()
    values["starts_at"] = values["starts_at"] or now
    challenge = Challenge(**values, created_by=actor.user_id)
    challenge.status = _status_for(challenge, now)
    session.add(challenge)
    await session.flush()
    record_audit(
        session, actor=actor, action="challenge.create", target_type="challenge",
        target_id=challenge.id, after=_audit_view(challenge),
    )  # fmt: skip
    await announce_to_opted_in(
        session,
        kind="new_challenge",
        subject=f"New challenge: {describe(challenge)}",
        text=f"New challenge on GoatedVIPs: hit {describe(challenge)}. The first "
        f"{challenge.max_winners} win ${challenge.prize_amount:,.2f} each. Enter on the "
        "Challenges page or with /enter in the bot.",
        dedupe_key=f"new_challenge:{challenge.id}",
        payload={"challengeId": challenge.id},
    )
    await session.commit()
    return challenge


async def update_challenge(
    session: AsyncSession,
    *,
    actor: Actor,
    challenge_id: int,
    changes: dict[str, Any],
    now: dt.datetime | None = None,
) -> Challenge:
    """Edit an open or scheduled challenge; never below the winners already approved. Commits."""
    now = now or utcnow()
    challenge = await _lock_challenge(session, challenge_id, now=now)
    if challenge is None:
        raise NotFound("challenge not found")
    if challenge.status in CLOSED:
        raise Conflict(
            f"this challenge is {challenge.status}; it can't be edited", code="challenge_closed"
        )
    before = _audit_view(challenge)
    values = _audit_view(challenge) | {k: v for k, v in changes.items() if k in EDITABLE}
    _validate(values, now=now)
    winners = await _winners(session, challenge_id)
    if values["max_winners"] < winners:
        raise InvalidInput(
            f"{winners} winners are already approved; maxWinners can't be lower", field="maxWinners"
        )
    for name in EDITABLE:
        setattr(challenge, name, values[name])
    challenge.game = challenge.game.strip()
    challenge.status = (
        "completed" if winners >= challenge.max_winners else _status_for(challenge, now)
    )
    record_audit(
        session, actor=actor, action="challenge.update", target_type="challenge",
        target_id=challenge.id, before=before, after=_audit_view(challenge),
    )  # fmt: skip
    await session.commit()
    return challenge


async def cancel_challenge(
    session: AsyncSession, *, actor: Actor, challenge_id: int, now: dt.datetime | None = None
) -> Challenge:
    """Cancel a challenge; its pending entries are rejected and their players told. Commits."""
    now = now or utcnow()
    challenge = await _lock_challenge(session, challenge_id, now=now)
    if challenge is None:
        raise NotFound("challenge not found")
    if challenge.status in CLOSED:
        raise Conflict(f"this challenge is already {challenge.status}", code="challenge_closed")
    before = _audit_view(challenge)
    challenge.status = "cancelled"
    await _reject_pending(
        session, challenge, actor=actor, now=now, reason="the challenge was cancelled"
    )
    record_audit(
        session, actor=actor, action="challenge.cancel", target_type="challenge",
        target_id=challenge.id, before=before, after=_audit_view(challenge),
    )  # fmt: skip
    await session.commit()
    return challenge


async def enter_challenge(
    session: AsyncSession,
    *,
    user: User,
    challenge_id: int,
    bet_link: str,
    now: dt.datetime | None = None,
) -> ChallengeEntry:
    """A verified player's entry with a bet link, refused with a reason of its own. Commits."""
    require_verified_player(user)
    now = now or utcnow()
    link = canonical_bet_link(bet_link)
    current = await view(session, challenge_id, now=now)
    challenge = current.challenge
    if challenge.status == "cancelled":
        raise Gone("this challenge was cancelled", code="challenge_closed")
    if current.places_left == 0:
        raise Gone("all winner places of this challenge are taken", code="challenge_full")
    if challenge.status == "completed" or (challenge.ends_at and now >= challenge.ends_at):
        raise Gone("this challenge has ended", code="challenge_ended")
    if challenge.starts_at and now < challenge.starts_at:
        raise Gone(
            f"this challenge opens at {challenge.starts_at:%Y-%m-%d %H:%M} UTC",
            code="challenge_not_open",
        )
    await _refuse_duplicates(session, challenge_id=challenge_id, user_id=user.id, link=link)
    entry = ChallengeEntry(
        challenge_id=challenge_id,
        user_id=user.id,
        telegram_id=user.telegram_id,
        bet_link=link,
        status="pending",
        submitted_at=now,
    )
    session.add(entry)
    try:
        await session.commit()
    except IntegrityError:  # the same entry or link committed by a concurrent request
        await session.rollback()
        await _refuse_duplicates(session, challenge_id=challenge_id, user_id=user.id, link=link)
        raise
    return entry


async def _refuse_duplicates(
    session: AsyncSession, *, challenge_id: int, user_id: int, link: str
) -> None:
    if await session.scalar(
        select(ChallengeEntry.id).where(
            ChallengeEntry.challenge_id == challenge_id, ChallengeEntry.user_id == user_id
        )
    ):
        raise Conflict("you already entered this challenge", code="already_entered")
    if await session.scalar(select(ChallengeEntry.id).where(ChallengeEntry.bet_link == link)):
        raise Conflict(
            "this bet link was already used for a challenge entry",
            code="bet_link_used",
            field="betLink",
        )


async def _locked_entry(
    session: AsyncSession, entry_id: int, now: dt.datetime
) -> tuple[ChallengeEntry, Challenge]:
    """The entry and its challenge, read after locking the challenge row (see the module doc)."""
    challenge_id = await session.scalar(
        select(ChallengeEntry.challenge_id).where(ChallengeEntry.id == entry_id)
    )
    if challenge_id is None:
        raise NotFound("entry not found")
    challenge = await _lock_challenge(session, challenge_id, now=now)
    entry = await session.get(ChallengeEntry, entry_id, populate_existing=True)
    if challenge is None or entry is None:
        raise NotFound("entry not found")
    if entry.status != "pending":
        raise Conflict(f"this entry is already {entry.status}", code="already_decided")
    return entry, challenge


async def _tell(session: AsyncSession, entry: ChallengeEntry, *, subject: str, text: str) -> None:
    player = await session.get(User, entry.user_id)
    if player is not None:
        await enqueue(
            session,
            user=player,
            kind="challenge_entry_decision",
            subject=subject,
            text=text,
            payload={
                "entryId": entry.id,
                "challengeId": entry.challenge_id,
                "status": entry.status,
            },
            dedupe_key=f"challenge_entry_decision:{entry.id}",
        )


def _decide(entry: ChallengeEntry, status: str, actor: Actor, now: dt.datetime) -> None:
    entry.status = status
    entry.verified_at = now
    entry.verified_by = actor.label[:64]


async def _reject_pending(
    session: AsyncSession, challenge: Challenge, *, actor: Actor, now: dt.datetime, reason: str
) -> None:
    pending = await session.scalars(
        select(ChallengeEntry).where(
            ChallengeEntry.challenge_id == challenge.id, ChallengeEntry.status == "pending"
        )
    )
    for entry in pending.all():
        _decide(entry, "rejected", actor, now)
        await _tell(
            session,
            entry,
            subject="Your challenge entry was not approved",
            text=f"Your entry for the challenge {describe(challenge)} was not approved: {reason}.",
        )


async def approve_entry(
    session: AsyncSession,
    *,
    actor: Actor,
    entry_id: int,
    bonus_code: str | None = None,
    now: dt.datetime | None = None,
) -> ChallengeEntry:
    """Approve a pending entry within the winner places and hand over a code. Commits.

    The code is the typed one or one from the prize pool (`take_prize_code`). The approval that
    fills the last place completes the challenge and rejects the entries still pending.
    """
    now = now or utcnow()
    entry, challenge = await _locked_entry(session, entry_id, now)
    if challenge.status == "cancelled":
        raise Gone("this challenge was cancelled", code="challenge_closed")
    winners = await _winners(session, challenge.id)
    if winners >= challenge.max_winners:
        raise Conflict(
            f"all {challenge.max_winners} winner places of this challenge are taken",
            code="no_places_left",
        )
    entry.bonus_code = await take_prize_code(
        session,
        winner_id=entry.user_id,
        value=challenge.prize_amount,
        typed_code=bonus_code,
        actor=actor,
        now=now,
    )
    _decide(entry, "approved", actor, now)
    await _tell(
        session,
        entry,
        subject="You won the challenge!",
        text=f"Your entry for {describe(challenge)} was approved. Your "
        f"${challenge.prize_amount:,.2f} bonus code: {entry.bonus_code}",
    )
    record_audit(
        session, actor=actor, action="challenge_entry.approve", target_type="challenge_entry",
        target_id=entry.id, before={"status": "pending"},
        after={"status": "approved", "bonusCode": entry.bonus_code},
    )  # fmt: skip
    if winners + 1 >= challenge.max_winners:
        challenge.status = "completed"
        await session.flush()
        await _reject_pending(
            session, challenge, actor=Actor.system("challenges"), now=now,
            reason="all winner places were taken",
        )  # fmt: skip
    await session.commit()
    return entry


async def reject_entry(
    session: AsyncSession,
    *,
    actor: Actor,
    entry_id: int,
    notes: str | None = None,
    now: dt.datetime | None = None,
) -> ChallengeEntry:
    """Reject a pending entry and tell the player why (the notes). Commits."""
    now = now or utcnow()
    entry, challenge = await _locked_entry(session, entry_id, now)
    notes = (notes or "").strip()[:500] or None
    _decide(entry, "rejected", actor, now)
    reason = notes or "the bet didn't meet the challenge's terms"
    await _tell(
        session,
        entry,
        subject="Your challenge entry was not approved",
        text=f"Your entry for the challenge {describe(challenge)} was not approved: {reason}.",
    )
    record_audit(
        session, actor=actor, action="challenge_entry.reject", target_type="challenge_entry",
        target_id=entry.id, before={"status": "pending"},
        after={"status": "rejected", "notes": notes},
    )  # fmt: skip
    await session.commit()
    return entry


async def advance_statuses(
    session: AsyncSession, *, now: dt.datetime | None = None
) -> dict[str, int]:
    """The job: open scheduled challenges whose start passed, complete those past their end."""
    now = now or utcnow()
    completed = await session.execute(
        update(Challenge)
        .where(Challenge.status.in_(("draft", "active")), Challenge.ends_at <= now)
        .values(status="completed", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    activated = await session.execute(
        update(Challenge)
        .where(Challenge.status == "draft", Challenge.starts_at <= now, Challenge.ends_at > now)
        .values(status="active", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return {
        "completed": int(completed.rowcount or 0),  # type: ignore[attr-defined]
        "activated": int(activated.rowcount or 0),  # type: ignore[attr-defined]
    }


async def list_challenges(
    session: AsyncSession,
    *,
    status: str = "active",
    paging: Paging,
    include_cancelled: bool = False,
    now: dt.datetime | None = None,
) -> tuple[int, list[ChallengeView]]:
    """`active`: open for entries now (or full and awaiting review); `upcoming`; `completed`; `all`."""
    now = now or utcnow()
    if status not in PUBLIC_FILTERS:
        raise InvalidInput(f"status is one of {', '.join(PUBLIC_FILTERS)}", field="status")
    where: list[Any] = []
    order: list[Any] = [Challenge.ends_at, Challenge.id]
    if status == "active":
        where += [
            Challenge.status.in_(("draft", "active")),
            Challenge.starts_at <= now,
            Challenge.ends_at > now,
        ]
    elif status == "upcoming":
        where += [Challenge.status.in_(("draft", "active")), Challenge.starts_at > now]
        order = [Challenge.starts_at, Challenge.id]
    elif status == "completed":
        where += [
            (Challenge.status == "completed")
            | (Challenge.status.in_(("draft", "active")) & (Challenge.ends_at <= now))
        ]
        order = [Challenge.ends_at.desc(), Challenge.id.desc()]
    else:
        order = [Challenge.id.desc()]
        if not include_cancelled:
            where.append(Challenge.status != "cancelled")
    total = await session.scalar(select(func.count()).select_from(Challenge).where(*where))
    rows = list(
        (
            await session.scalars(
                select(Challenge)
                .where(*where)
                .order_by(*order)
                .limit(paging.limit)
                .offset(paging.offset)
            )
        ).all()
    )
    counts = await _winner_counts(session, [c.id for c in rows])
    return int(total or 0), [ChallengeView(c, counts.get(c.id, 0), now) for c in rows]


async def entries_of(
    session: AsyncSession, *, user_id: int
) -> list[tuple[ChallengeEntry, Challenge]]:
    rows = await session.execute(
        select(ChallengeEntry, Challenge)
        .join(Challenge, Challenge.id == ChallengeEntry.challenge_id)
        .where(ChallengeEntry.user_id == user_id)
        .order_by(ChallengeEntry.submitted_at.desc(), ChallengeEntry.id.desc())
    )
    return [(e, c) for e, c in rows.all()]


async def review_queue(
    session: AsyncSession,
    *,
    status: str = "pending",
    challenge_id: int | None = None,
    paging: Paging,
) -> tuple[int, list[tuple[ChallengeEntry, User, Challenge]]]:
    """Entries for admins, oldest first for `pending` (first come, first reviewed)."""
    if status not in ENTRY_FILTERS:
        raise InvalidInput(f"status is one of {', '.join(ENTRY_FILTERS)}", field="status")
    where: list[Any] = []
    if status != "all":
        where.append(ChallengeEntry.status == status)
    if challenge_id is not None:
        where.append(ChallengeEntry.challenge_id == challenge_id)
    total = await session.scalar(select(func.count()).select_from(ChallengeEntry).where(*where))
    order = (
        ChallengeEntry.submitted_at if status == "pending" else ChallengeEntry.submitted_at.desc()
    )
    rows = await session.execute(
        select(ChallengeEntry, User, Challenge)
        .join(User, User.id == ChallengeEntry.user_id)
        .join(Challenge, Challenge.id == ChallengeEntry.challenge_id)
        .where(*where)
        .order_by(order, ChallengeEntry.id)
        .limit(paging.limit)
        .offset(paging.offset)
    )
    return int(total or 0), [(e, u, c) for e, u, c in rows.all()]
