"""Bonus code rules: creating and importing codes, claiming one, handing prizes out, expiring.

The claim is one conditional UPDATE (`... WHERE user_id IS NULL AND NOT expired AND expires_at >
now`), so however many players press the button at once, the database lets exactly one through.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.admin.audit import Actor, record_audit
from goatedvips.bonuses.codes import normalise_code
from goatedvips.bonuses.csv_import import ParsedCode, parse_csv
from goatedvips.bonuses.eligibility import require_verified_player
from goatedvips.bonuses.models import BonusCode
from goatedvips.bonuses.promotions import announce_to_opted_in
from goatedvips.db import utcnow
from goatedvips.errors import Conflict, Gone, InvalidInput, NotFound
from goatedvips.schemas import Paging

PURPOSES = ("drop", "prize")
ADMIN_FILTERS = ("all", "available", "claimed", "expired")


def _claimable(now: dt.datetime):  # type: ignore[no-untyped-def]
    return (
        BonusCode.user_id.is_(None),
        BonusCode.expired.is_(False),
        or_(BonusCode.expires_at.is_(None), BonusCode.expires_at > now),
    )


def _audit_view(code: BonusCode) -> dict[str, object]:
    return {
        "code": code.code,
        "value": code.value,
        "purpose": code.purpose,
        "expiresAt": code.expires_at,
        "claimedBy": code.user_id,
    }


async def _check_new(
    session: AsyncSession, item: ParsedCode, *, now: dt.datetime, field_prefix: str = ""
) -> None:
    if item.purpose not in PURPOSES:
        raise InvalidInput("purpose is 'drop' or 'prize'", field=f"{field_prefix}purpose")
    if item.value < 0:
        raise InvalidInput("value can't be negative", field=f"{field_prefix}value")
    if item.expires_at is not None and item.expires_at <= now:
        raise InvalidInput("the expiry must be in the future", field=f"{field_prefix}expiresAt")
    if await session.scalar(select(BonusCode.id).where(BonusCode.code == item.code)):
        raise Conflict(f"the code {item.code} already exists", code="duplicate_code", field="code")


async def _announce_drop(session: AsyncSession, *, count: int, value: Decimal, key: str) -> None:
    what = "A new bonus code" if count == 1 else f"{count} new bonus codes"
    await announce_to_opted_in(
        session,
        kind="new_bonus_code",
        subject=f"{what} just dropped",
        text=f"{what} worth ${value:,.2f} dropped on GoatedVIPs. First come, first served: "
        "claim it on the Bonus codes page.",
        dedupe_key=key,
    )


async def create_code(
    session: AsyncSession,
    *,
    actor: Actor,
    code: str,
    description: str | None,
    value: Decimal,
    expires_at: dt.datetime | None,
    purpose: str = "drop",
    now: dt.datetime | None = None,
) -> BonusCode:
    """Add one code (upper-cased); a public drop is announced to opted-in players. Commits."""
    now = now or utcnow()
    item = ParsedCode(
        code=normalise_code(code),
        description=(description or "").strip() or None,
        value=value,
        expires_at=expires_at,
        purpose=purpose,
    )
    await _check_new(session, item, now=now)
    row = BonusCode(**item.as_columns(), created_by=actor.user_id)
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent insert of the same code
        await session.rollback()
        raise Conflict(f"the code {item.code} already exists", code="duplicate_code") from exc
    record_audit(
        session, actor=actor, action="bonus_code.create", target_type="bonus_code",
        target_id=row.id, after=_audit_view(row),
    )  # fmt: skip
    if row.purpose == "drop":
        await _announce_drop(session, count=1, value=row.value, key=f"new_bonus_code:{row.id}")
    await session.commit()
    return row


@dataclass(frozen=True)
class ImportResult:
    created: int
    errors: list[tuple[int, str]]


async def import_csv(
    session: AsyncSession,
    *,
    actor: Actor,
    text: str,
    purpose: str = "drop",
    now: dt.datetime | None = None,
) -> ImportResult:
    """All or nothing: every line is checked first; one bad line and nothing is written."""
    now = now or utcnow()
    parsed, errors = parse_csv(text, purpose=purpose, now=now)
    if parsed:
        existing = set(
            (
                await session.scalars(
                    select(BonusCode.code).where(BonusCode.code.in_([p.code for _, p in parsed]))
                )
            ).all()
        )
        errors += [
            (n, f"the code {p.code} already exists") for n, p in parsed if p.code in existing
        ]
    if not parsed and not errors:
        errors = [(0, "the file has no codes")]
    if errors:
        return ImportResult(created=0, errors=sorted(errors))
    rows = [BonusCode(**p.as_columns(), created_by=actor.user_id) for _, p in parsed]
    session.add_all(rows)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        return ImportResult(created=0, errors=[(0, "a code was added meanwhile; import again")])
    record_audit(
        session, actor=actor, action="bonus_code.import", target_type="bonus_code",
        target_id=rows[0].id, after={"count": len(rows), "codes": [r.code for r in rows][:50]},
    )  # fmt: skip
    drops = [r for r in rows if r.purpose == "drop"]
    if drops:
        await _announce_drop(
            session,
            count=len(drops),
            value=max(r.value for r in drops),
            key=f"new_bonus_code:import:{drops[0].id}",
        )
    await session.commit()
    return ImportResult(created=len(rows), errors=[])


async def claim_code(
    session: AsyncSession, *, user: User, code_id: int, now: dt.datetime | None = None
) -> BonusCode:
    """Give a public drop to `user` if nobody has it yet and it hasn't expired. Commits."""
    require_verified_player(user)
    now = now or utcnow()
    result = await session.execute(
        update(BonusCode)
        .where(BonusCode.id == code_id, BonusCode.purpose == "drop", *_claimable(now))
        .values(user_id=user.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    won = result.rowcount == 1  # type: ignore[attr-defined]
    await session.commit()
    code = await session.get(BonusCode, code_id, populate_existing=True)
    if code is None or (code.purpose != "drop" and code.user_id != user.id):
        raise NotFound("bonus code not found")
    if won:
        return code
    if code.user_id == user.id:
        raise Conflict(
            "you already claimed this code; it is listed on your account page",
            code="already_claimed_by_you",
        )
    if code.user_id is not None:
        raise Conflict("too late: another player already claimed this code", code="already_claimed")
    raise Gone("this code has expired and can't be claimed any more", code="code_expired")


async def take_prize_code(
    session: AsyncSession,
    *,
    winner_id: int,
    value: Decimal,
    typed_code: str | None,
    actor: Actor,
    now: dt.datetime,
) -> str:
    """Hand a code to a challenge winner inside the caller's transaction (the caller commits).

    A typed code that exists must be unclaimed and unexpired; one that doesn't exist is recorded
    as a prize code already given to the winner. Without a typed code the oldest-expiring unclaimed
    `prize` code of exactly `value` is taken from the pool.
    """
    if typed_code:
        code = normalise_code(typed_code, field="bonusCode")
        existing = await session.scalar(select(BonusCode).where(BonusCode.code == code))
        if existing is None:
            session.add(
                BonusCode(
                    code=code, description="challenge prize", value=value, purpose="prize",
                    created_by=actor.user_id, user_id=winner_id, claimed_at=now,
                )
            )  # fmt: skip
            return code
        taken = await session.execute(
            update(BonusCode)
            .where(BonusCode.id == existing.id, *_claimable(now))
            .values(user_id=winner_id, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                f"the code {code} is already claimed or expired; pick another",
                code="code_unavailable",
                field="bonusCode",
            )
        return code
    for _attempt in range(5):  # another approval may take the same candidate first
        candidate = await session.scalar(
            select(BonusCode)
            .where(BonusCode.purpose == "prize", BonusCode.value == value, *_claimable(now))
            .order_by(BonusCode.expires_at.is_(None), BonusCode.expires_at, BonusCode.id)
            .limit(1)
        )
        if candidate is None:
            break
        taken = await session.execute(
            update(BonusCode)
            .where(BonusCode.id == candidate.id, *_claimable(now))
            .values(user_id=winner_id, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return candidate.code
    raise Conflict(
        f"the prize pool has no unclaimed ${value:,.2f} code; import prize codes or type one",
        code="prize_pool_empty",
        field="bonusCode",
    )


async def withdraw_code(
    session: AsyncSession, *, actor: Actor, code_id: int, now: dt.datetime | None = None
) -> BonusCode:
    """An admin ends an unclaimed code early (marks it expired). Commits."""
    now = now or utcnow()
    code = await session.get(BonusCode, code_id)
    if code is None:
        raise NotFound("bonus code not found")
    if code.user_id is not None:
        raise Conflict(
            "this code is already claimed; it can't be withdrawn", code="already_claimed"
        )
    if code.expired:
        raise Gone("this code has already expired", code="code_expired")
    before = _audit_view(code)
    code.expired = True
    if code.expires_at is None or code.expires_at > now:
        code.expires_at = now
    record_audit(
        session, actor=actor, action="bonus_code.withdraw", target_type="bonus_code",
        target_id=code.id, before=before, after=_audit_view(code),
    )  # fmt: skip
    await session.commit()
    return code


async def mark_expired(session: AsyncSession, *, now: dt.datetime | None = None) -> int:
    """The job: flag every code whose expiry has passed; returns how many. Commits."""
    now = now or utcnow()
    result = await session.execute(
        update(BonusCode)
        .where(BonusCode.expired.is_(False), BonusCode.expires_at <= now)
        .values(expired=True)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def active_drops(
    session: AsyncSession, *, paging: Paging, now: dt.datetime | None = None
) -> tuple[int, list[BonusCode]]:
    now = now or utcnow()
    where = (BonusCode.purpose == "drop", *_claimable(now))
    total = await session.scalar(select(func.count()).select_from(BonusCode).where(*where))
    rows = await session.scalars(
        select(BonusCode)
        .where(*where)
        .order_by(BonusCode.expires_at.is_(None), BonusCode.expires_at, BonusCode.id)
        .limit(paging.limit)
        .offset(paging.offset)
    )
    return int(total or 0), list(rows.all())


async def codes_of(session: AsyncSession, *, user_id: int) -> list[BonusCode]:
    rows = await session.scalars(
        select(BonusCode)
        .where(BonusCode.user_id == user_id)
        .order_by(BonusCode.claimed_at.desc(), BonusCode.id.desc())
    )
    return list(rows.all())


async def admin_list(
    session: AsyncSession,
    *,
    paging: Paging,
    status: str = "all",
    purpose: str | None = None,
    search: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[int, list[BonusCode]]:
    now = now or utcnow()
    if status not in ADMIN_FILTERS:
        raise InvalidInput(f"status is one of {', '.join(ADMIN_FILTERS)}", field="status")
    if purpose is not None and purpose not in PURPOSES:
        raise InvalidInput("purpose is 'drop' or 'prize'", field="purpose")
    where = []
    if status == "available":
        where += list(_claimable(now))
    elif status == "claimed":
        where.append(BonusCode.user_id.is_not(None))
    elif status == "expired":
        where.append(or_(BonusCode.expired.is_(True), BonusCode.expires_at <= now))
    if purpose:
        where.append(BonusCode.purpose == purpose)
    if search and search.strip():
        where.append(BonusCode.code.contains(search.strip().upper(), autoescape=True))
    total = await session.scalar(select(func.count()).select_from(BonusCode).where(*where))
    rows = await session.scalars(
        select(BonusCode)
        .where(*where)
        .order_by(BonusCode.id.desc())
        .limit(paging.limit)
        .offset(paging.offset)
    )
    return int(total or 0), list(rows.all())
