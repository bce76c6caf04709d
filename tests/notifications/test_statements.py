"""The monthly statement for a scripted October 2026: exact figures, once, on the 1st."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from goatedvips.accounts.models import User
from goatedvips.affiliate.models import WagerSnapshot
from goatedvips.bonuses.models import BonusCode
from goatedvips.config import Settings
from goatedvips.db import Database
from goatedvips.notifications.delivery import deliver_due
from goatedvips.notifications.jobs import next_statement_run
from goatedvips.notifications.statements import queue_due_statements
from goatedvips.races.models import WagerRace, WagerRaceParticipant
from tests.notifications.helpers import outbox, player
from tests.support.fake_telegram import FakeTelegram
from tests.support.smtp import SmtpSink


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


def D(value: str) -> Decimal:
    return Decimal(value)


def snapshot(uid: str, taken_at: dt.datetime, this_month: str, all_time: str) -> WagerSnapshot:
    return WagerSnapshot(
        uid=uid,
        name=uid.lower(),
        today=D("0"),
        this_week=D("0"),
        this_month=D(this_month),
        all_time=D(all_time),
        taken_at=taken_at,
    )


def race(title: str, status: str, start: dt.datetime, end: dt.datetime) -> WagerRace:
    return WagerRace(
        title=title,
        type="custom",
        status=status,
        prize_pool=D("1000"),
        prize_distribution={"1": "60", "2": "40"},
        start_date=start,
        end_date=end,
    )


async def _script_october(db: Database) -> tuple[User, User]:
    olga = await player(db, "olga", telegram_id=9001)
    quiet = await player(db, "quiet")
    await player(db, "optout", monthly_statements=False)
    other = await player(db, "other")
    async with db.sessionmaker() as session:
        for user, uid in ((olga, "U1"), (quiet, "U2"), (other, "U9")):
            row = await session.get(User, user.id)
            assert row is not None
            row.goated_uid = uid
            row.goated_verified = True
        optout = await session.get(User, olga.id + 2)
        assert optout is not None
        optout.goated_uid = "U3"
        session.add_all(
            [
                snapshot("U1", at(9, 30, 23, 50), "5000.00", "20000.00"),  # September's counter
                snapshot("U1", at(10, 5), "1000.50", "21000.50"),
                snapshot("U1", at(10, 31, 22), "12345.67", "32345.67"),
                snapshot("U1", at(11, 1, 0, 10), "10.00", "32355.67"),  # November's counter
                snapshot("U3", at(10, 10), "700.00", "900.00"),
            ]
        )
        monthly = race("October Monthly", "completed", at(10, 1), at(11, 1))
        weekly = race("Week 41", "completed", at(10, 5), at(10, 12))
        september = race("September Monthly", "completed", at(9, 1), at(10, 1))
        cancelled = race("Cancelled cup", "cancelled", at(10, 13), at(10, 20))
        session.add_all([monthly, weekly, september, cancelled])
        await session.flush()
        session.add_all(
            [
                WagerRaceParticipant(
                    race_id=monthly.id,
                    goated_uid="U1",
                    goated_name="olga",
                    total_wager=D("12345.67"),
                    rank=2,
                    prize=D("250.00"),
                ),
                WagerRaceParticipant(
                    race_id=weekly.id,
                    goated_uid="U1",
                    goated_name="olga",
                    user_id=olga.id,
                    total_wager=D("4000.00"),
                    rank=1,
                    prize=D("100.00"),
                ),
                WagerRaceParticipant(
                    race_id=september.id,
                    goated_uid="U1",
                    goated_name="olga",
                    total_wager=D("5000.00"),
                    rank=1,
                    prize=D("600.00"),
                ),
                WagerRaceParticipant(
                    race_id=cancelled.id,
                    goated_uid="U1",
                    goated_name="olga",
                    total_wager=D("1.00"),
                    rank=1,
                    prize=D("9.00"),
                ),
            ]
        )
        session.add_all(
            [
                BonusCode(code="GOAT25", value=D("25.00"), user_id=olga.id, claimed_at=at(10, 3)),
                BonusCode(code="OCT10", value=D("10.50"), user_id=olga.id, claimed_at=at(10, 20)),
                BonusCode(code="NOV5", value=D("5.00"), user_id=olga.id, claimed_at=at(11, 1)),
                BonusCode(code="THEIRS", value=D("99.00"), user_id=other.id, claimed_at=at(10, 9)),
            ]
        )
        await session.commit()
    return olga, quiet


async def test_october_statement_has_the_exact_figures_and_goes_out_once(
    clean_db: Database, settings: Settings, mail: SmtpSink, tg: FakeTelegram
) -> None:
    await _script_october(clean_db)

    run_at = at(11, 1, 0, 5)
    assert await queue_due_statements(clean_db, now=run_at) == 2  # olga and other (a code)
    assert await queue_due_statements(clean_db, now=run_at + dt.timedelta(hours=1)) == 0

    rows = await outbox(clean_db, kind="monthly_statement")
    olga_rows = [r for r in rows if r.recipient in ("olga@example.com", "9001")]
    assert {r.channel for r in olga_rows} == {"email", "telegram"}
    payload = olga_rows[0].payload
    assert payload is not None
    assert payload["month"] == "2026-10" and payload["wager"] == "12345.67"
    assert [(r["title"], r["rank"], r["prize"]) for r in payload["races"]] == [
        ("Week 41", 1, "100.00"),
        ("October Monthly", 2, "250.00"),
    ]
    assert payload["prizesTotal"] == "350.00"
    assert [c["code"] for c in payload["codes"]] == ["GOAT25", "OCT10"]
    assert payload["codesTotal"] == "35.50"
    assert not [r for r in rows if r.recipient.startswith(("quiet", "optout"))]

    await deliver_due(clean_db, settings)
    (message,) = mail.to("olga@example.com")
    assert message["Subject"] == "Your GoatedVIPs statement for October 2026"
    text = SmtpSink.text_of(message)
    for figure in (
        "Wagered: $12,345.67",
        "Week 41: rank 1, wagered $4,000.00, prize $100.00",
        "October Monthly: rank 2, wagered $12,345.67, prize $250.00",
        "Race prizes: $350.00",
        "GOAT25: $25.00",
        "OCT10: $10.50",
        "Bonus codes total: $35.50",
    ):
        assert figure in text, figure
    assert "September" not in text and "NOV5" not in text and "Cancelled" not in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "$12,345.67" in html and "$350.00" in html and "$35.50" in html
    assert "Unsubscribe from monthly statements" in html
    push = tg.last_message(9001).text
    assert "Wagered: $12,345.67" in push and "Race prizes: $350.00" in push

    # Running again the same month (a restart) queues and sends nothing more.
    from goatedvips.admin.models import AppSetting

    async with clean_db.sessionmaker() as session:
        await session.delete(await session.get(AppSetting, "notifications.statements_done_month"))
        await session.commit()
    assert await queue_due_statements(clean_db, now=run_at + dt.timedelta(hours=2)) == 0
    await deliver_due(clean_db, settings)
    assert len(mail.to("olga@example.com")) == 1


async def test_statements_only_in_the_first_days_of_a_month(clean_db: Database) -> None:
    await _script_october(clean_db)
    assert await queue_due_statements(clean_db, now=at(11, 20)) == 0
    assert await outbox(clean_db) == []


def test_the_job_runs_on_the_first_at_00_05_utc() -> None:
    assert next_statement_run(at(10, 17, 13)) == at(11, 1, 0, 5)
    assert next_statement_run(at(11, 1, 0, 1)) == at(11, 1, 0, 5)
    assert next_statement_run(at(11, 1, 0, 5)) == at(12, 1, 0, 5)
    december = dt.datetime(2026, 12, 31, 23, 59, tzinfo=dt.UTC)
    assert next_statement_run(december) == dt.datetime(2027, 1, 1, 0, 5, tzinfo=dt.UTC)
