"""Admin actions on races, each audited in its own transaction (web pages and JSON share them).

- Create: the window, pool, distribution and minimum wager pass `rules` and `prizes`; a race whose
  window has already begun starts right away (and is announced), one that has ended is refused.
- Update: anything of an upcoming or live race; of a completed race only the title, rules and
  description (its window, pool, distribution and minimum are final: refused with 409, use a
  correction); nothing of a cancelled race.
- Cancel: upcoming or live races only.
- Correct: a completed race's results, from its frozen totals with the admin's changes (new totals
  for some uids, disqualified uids), never from the feed. Audited as `race.correct` with before
  and after.
- Templates: the settings a monthly/weekly race is created from by the lifecycle job.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips import live
from goatedvips.admin.audit import Actor, record_audit
from goatedvips.db import utcnow
from goatedvips.errors import Conflict, InvalidInput, NotFound
from goatedvips.races.lifecycle import refresh_standings, start_race, write_participants
from goatedvips.races.models import RaceTemplate, WagerRace, WagerRaceParticipant
from goatedvips.races.prizes import distribution_as_json, validate_distribution
from goatedvips.races.rules import check_amount, check_no_overlap, check_window
from goatedvips.races.schemas import CorrectionIn, RaceCreate, RaceUpdate, TemplateIn
from goatedvips.races.standings import PlayerTotal, compute_standings

FINAL_FIELDS = ("start_date", "end_date", "prize_pool", "prize_distribution", "min_wager")


def race_snapshot(race: WagerRace) -> dict[str, Any]:
    """The audited view of a race (before/after)."""
    return {
        "title": race.title,
        "type": race.type,
        "status": race.status,
        "startDate": race.start_date,
        "endDate": race.end_date,
        "prizePool": race.prize_pool,
        "prizeDistribution": race.prize_distribution,
        "minWager": race.min_wager,
        "rules": race.rules,
        "description": race.description,
    }


async def get_race(session: AsyncSession, race_id: int) -> WagerRace:
    race = await session.get(WagerRace, race_id)
    if race is None:
        raise NotFound(f"race {race_id} not found")
    return race


async def create_race(
    session: AsyncSession, *, actor: Actor, data: RaceCreate, now: dt.datetime | None = None
) -> WagerRace:
    now = now or utcnow()
    start, end = check_window(data.type, data.start_date, data.end_date)
    if end <= now:
        raise InvalidInput("endDate: this window has already ended", field="endDate")
    pool = check_amount(data.prize_pool, "prizePool")
    min_wager = check_amount(data.min_wager, "minWager")
    shares = validate_distribution(data.prize_distribution)
    await check_no_overlap(session, race_type=data.type, start=start, end=end)
    race = WagerRace(
        title=data.title.strip(),
        type=data.type,
        status="upcoming",
        start_date=start,
        end_date=end,
        prize_pool=pool,
        prize_distribution=distribution_as_json(shares),
        min_wager=min_wager,
        rules=data.rules,
        description=data.description,
        created_by=actor.user_id,
    )
    session.add(race)
    await session.flush()
    record_audit(
        session,
        actor=actor,
        action="race.create",
        target_type="wager_race",
        target_id=race.id,
        after=race_snapshot(race),
    )
    started = start <= now and await start_race(session, race, now=now)
    await session.commit()
    if started:
        await refresh_standings(session, race.id, now=now)
    return race


async def update_race(
    session: AsyncSession,
    *,
    actor: Actor,
    race_id: int,
    data: RaceUpdate,
    now: dt.datetime | None = None,
) -> WagerRace:
    now = now or utcnow()
    race = await get_race(session, race_id)
    changes = data.model_dump(exclude_unset=True)
    if race.status == "cancelled":
        raise Conflict("this race was cancelled and can't be edited")
    if race.status == "completed":
        final = [name for name in FINAL_FIELDS if name in changes]
        if final:
            field = RaceUpdate.model_fields[final[0]].alias or final[0]
            raise Conflict(
                f"{field}: a completed race's window and prizes are final; "
                "correct its results instead",
                field=field,
            )
    before = race_snapshot(race)
    if race.status in ("upcoming", "live"):
        end_given = changes.get("end_date")
        if race.type == "custom":
            end_given = end_given or race.end_date
        start, end = check_window(
            race.type, changes.get("start_date") or race.start_date, end_given
        )
        if (start, end) != (race.start_date, race.end_date):
            if end <= now:
                raise InvalidInput("endDate: the new end has already passed", field="endDate")
            if race.status == "live" and start > now:
                raise InvalidInput(
                    "startDate: a live race can't move its start into the future",
                    field="startDate",
                )
            await check_no_overlap(
                session, race_type=race.type, start=start, end=end, ignore_id=race.id
            )
            race.start_date, race.end_date = start, end
        if "prize_pool" in changes:
            race.prize_pool = check_amount(changes["prize_pool"], "prizePool")
        if "min_wager" in changes:
            race.min_wager = check_amount(changes["min_wager"], "minWager")
        if "prize_distribution" in changes:
            shares = validate_distribution(changes["prize_distribution"])
            race.prize_distribution = distribution_as_json(shares)
    if "title" in changes and changes["title"] is not None:
        race.title = changes["title"].strip()
    for name in ("rules", "description"):
        if name in changes:
            setattr(race, name, changes[name])
    record_audit(
        session,
        actor=actor,
        action="race.update",
        target_type="wager_race",
        target_id=race.id,
        before=before,
        after=race_snapshot(race),
    )
    await session.commit()
    if race.status == "live":
        await refresh_standings(session, race.id, now=now)
    return race


async def cancel_race(session: AsyncSession, *, actor: Actor, race_id: int) -> WagerRace:
    race = await get_race(session, race_id)
    if race.status not in ("upcoming", "live"):
        raise Conflict(f"a {race.status} race can't be cancelled")
    before = race_snapshot(race)
    race.status = "cancelled"
    record_audit(
        session,
        actor=actor,
        action="race.cancel",
        target_type="wager_race",
        target_id=race.id,
        before=before,
        after=race_snapshot(race),
    )
    await session.commit()
    await live.publish(f"race:{race.id}", {"type": "cancelled", "raceId": race.id})
    return race


async def correct_results(
    session: AsyncSession, *, actor: Actor, race_id: int, data: CorrectionIn
) -> WagerRace:
    race = await get_race(session, race_id)
    if race.status != "completed":
        raise Conflict("only a completed race's results can be corrected")
    rows = list(
        await session.scalars(
            select(WagerRaceParticipant).where(WagerRaceParticipant.race_id == race.id)
        )
    )
    known = {row.goated_uid: row for row in rows}
    unknown = [uid for uid in [*data.totals, *data.disqualified] if uid not in known]
    if unknown:
        raise InvalidInput(f"totals: {unknown[0]} did not take part in this race", field="totals")
    if not data.totals and not data.disqualified:
        raise InvalidInput("totals: give new totals or disqualified uids", field="totals")
    totals = {uid: check_amount(value, "totals") for uid, value in data.totals.items()}
    before = [_result_row(row) for row in sorted(rows, key=lambda r: (r.rank or 0, r.goated_uid))]
    disqualified = set(data.disqualified)
    result = compute_standings(
        [
            PlayerTotal(uid, row.goated_name, totals.get(uid, row.total_wager))
            for uid, row in known.items()
        ],
        pool=race.prize_pool,
        shares=validate_distribution(race.prize_distribution),
        min_wager=race.min_wager,
        ineligible=disqualified,
    )
    history = {uid: list(row.wager_history or []) for uid, row in known.items()}
    await write_participants(session, race, result, now=utcnow(), history=False)
    for row in await session.scalars(
        select(WagerRaceParticipant).where(WagerRaceParticipant.race_id == race.id)
    ):
        row.wager_history = history.get(
            row.goated_uid, []
        )  # the record of the race stays as it was
    after = [_result_row(s) for s in result.standings]
    record_audit(
        session,
        actor=actor,
        action="race.correct",
        target_type="wager_race",
        target_id=race.id,
        before={"results": before},
        after={"results": after, "reason": data.reason, "disqualified": sorted(disqualified)},
    )
    await session.commit()
    await live.publish(f"race:{race.id}", {"type": "corrected", "raceId": race.id})
    return race


def _result_row(row: Any) -> dict[str, Any]:
    uid = getattr(row, "goated_uid", None) or row.uid
    total = getattr(row, "total_wager", None)
    return {
        "uid": uid,
        "rank": row.rank,
        "total": total if total is not None else row.total,
        "prize": row.prize or Decimal(0),
    }


async def create_template(session: AsyncSession, *, actor: Actor, data: TemplateIn) -> RaceTemplate:
    shares = validate_distribution(data.prize_distribution)
    template = RaceTemplate(
        title=data.title.strip(),
        type=data.type,
        prize_pool=check_amount(data.prize_pool, "prizePool"),
        prize_distribution=distribution_as_json(shares),
        min_wager=check_amount(data.min_wager, "minWager"),
        rules=data.rules,
        description=data.description,
        active=data.active,
        created_by=actor.user_id,
    )
    session.add(template)
    await session.flush()
    record_audit(
        session,
        actor=actor,
        action="race_template.create",
        target_type="race_template",
        target_id=template.id,
        after={"title": template.title, "type": template.type, "prizePool": template.prize_pool},
    )
    await session.commit()
    return template


async def set_template_active(
    session: AsyncSession, *, actor: Actor, template_id: int, active: bool
) -> RaceTemplate:
    template = await session.get(RaceTemplate, template_id)
    if template is None:
        raise NotFound(f"race template {template_id} not found")
    before = {"active": template.active}
    template.active = active
    record_audit(
        session,
        actor=actor,
        action="race_template.update",
        target_type="race_template",
        target_id=template.id,
        before=before,
        after={"active": active},
    )
    await session.commit()
    return template
