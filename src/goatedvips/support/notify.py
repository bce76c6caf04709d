"""Telling the other side of a conversation: queued through the notifications outbox.

Called by the service inside the transaction that stores the message, so the notice exists exactly
when the message does. Texts are plain; whoever renders them to HTML escapes them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.notifications.outbox import enqueue
from goatedvips.support.models import SupportTicket, TicketMessage
from goatedvips.support.rules import MAX_STAFF_NOTIFIED

KIND = "support_reply"
EXCERPT_CHARS = 500


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def player_ticket_url(base_url: str, ticket_id: int) -> str:
    return f"{base_url.rstrip('/')}/support/tickets/{ticket_id}"


def staff_ticket_url(base_url: str, ticket_id: int) -> str:
    return f"{base_url.rstrip('/')}/admin/support/tickets/{ticket_id}"


async def player_of_staff_reply(
    session: AsyncSession, *, ticket: SupportTicket, message: TicketMessage, base_url: str
) -> None:
    player = await session.get(User, ticket.user_id)
    if player is None or player.disabled:
        return
    url = player_ticket_url(base_url, ticket.id)
    await enqueue(
        session,
        user=player,
        kind=KIND,
        subject=f"Support replied: {ticket.subject}",
        text=(
            f"Our support team answered your ticket #{ticket.id} “{ticket.subject}”:\n\n"
            f"{_excerpt(message.message)}\n\nRead and reply: {url}"
        ),
        payload={"ticketId": ticket.id, "messageId": message.id, "url": url},
        dedupe_key=f"support:message:{message.id}",
    )


async def _staff_to_tell(session: AsyncSession, ticket: SupportTicket) -> list[User]:
    if ticket.assigned_to is not None:
        assignee = await session.get(User, ticket.assigned_to)
        if assignee is not None and assignee.is_admin and not assignee.disabled:
            return [assignee]
    admins = await session.scalars(
        select(User)
        .where(User.is_admin.is_(True), User.disabled.is_(False), User.id != ticket.user_id)
        .order_by(User.id)
        .limit(MAX_STAFF_NOTIFIED)
    )
    return list(admins)


async def staff_of_player_reply(
    session: AsyncSession, *, ticket: SupportTicket, message: TicketMessage, base_url: str
) -> None:
    """The assignee, or (unassigned) the first few admins, hear about the player's reply."""
    url = staff_ticket_url(base_url, ticket.id)
    for staff in await _staff_to_tell(session, ticket):
        await enqueue(
            session,
            user=staff,
            kind=KIND,
            subject=f"Ticket #{ticket.id} has a new player message",
            text=(
                f"A player replied on ticket #{ticket.id} “{ticket.subject}”:\n\n"
                f"{_excerpt(message.message)}\n\nOpen the ticket: {url}"
            ),
            payload={"ticketId": ticket.id, "messageId": message.id, "url": url},
            dedupe_key=f"support:message:{message.id}:staff:{staff.id}",
        )
