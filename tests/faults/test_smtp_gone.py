"""SMTP gone: queued e-mails wait (with backoff) and go out exactly once when it comes back.

The SMTP sink runs on one fixed port, is stopped (the port then refuses connections, like a
stopped mail server) and started again on the same port. Delivery runs are called with explicit
moments, so the backoff schedule is exact.
"""

from __future__ import annotations

import datetime as dt

from goatedvips.db import Database
from goatedvips.notifications.delivery import deliver_due
from tests.conftest import make_settings
from tests.notifications.helpers import NOW, outbox, player, queue
from tests.support.smtp import free_port, smtp_sink

MINUTE = dt.timedelta(minutes=1)


async def test_mail_waits_for_smtp_and_is_delivered_once_when_it_returns(
    clean_db: Database, database_url: str
) -> None:
    port = free_port()
    settings = make_settings(database_url, smtp_url=f"smtp://127.0.0.1:{port}")
    users = [await player(clean_db, name) for name in ("ann", "ben", "cat")]
    await queue(clean_db, users[0], "race_result", text="first")

    with smtp_sink(port) as (sink, _url):
        assert (await deliver_due(clean_db, settings, now=NOW)).sent == 1
    assert len(sink.to("ann@example.com")) == 1

    # The server is down: two more results are queued and every due run fails softly.
    await queue(clean_db, users[1], "race_result", text="second")
    await queue(clean_db, users[2], "race_result", text="third")
    first = await deliver_due(clean_db, settings, now=NOW)
    assert (first.claimed, first.retrying, first.sent) == (2, 2, 0)
    assert (await deliver_due(clean_db, settings, now=NOW + dt.timedelta(seconds=30))).claimed == 0
    second = await deliver_due(clean_db, settings, now=NOW + MINUTE)
    assert (second.claimed, second.retrying) == (2, 2)
    waiting = await outbox(clean_db, status="pending")
    assert [(r.attempts, r.next_attempt_at) for r in waiting] == [(2, NOW + 3 * MINUTE)] * 2
    assert all("SMTP unavailable" in (r.last_error or "") for r in waiting)

    # Back on the same port: the next due run delivers each once; later runs send nothing.
    with smtp_sink(port) as (sink, _url):
        assert (await deliver_due(clean_db, settings, now=NOW + 2 * MINUTE)).claimed == 0
        back = await deliver_due(clean_db, settings, now=NOW + 3 * MINUTE)
        assert (back.claimed, back.sent) == (2, 2)
        for later in (4, 60, 600):
            assert (await deliver_due(clean_db, settings, now=NOW + later * MINUTE)).claimed == 0
        assert [len(sink.to(f"{u}@example.com")) for u in ("ann", "ben", "cat")] == [0, 1, 1]
        assert "second" in sink.text_of(sink.to("ben@example.com")[0])
    rows = await outbox(clean_db)
    assert [(r.status, r.attempts) for r in rows] == [("sent", 1), ("sent", 3), ("sent", 3)]
