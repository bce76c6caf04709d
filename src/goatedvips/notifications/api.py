"""JSON routes: admin broadcasts, outbox health and retrying a failed message."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from goatedvips.accounts.deps import AdminUser
from goatedvips.admin.audit import Actor
from goatedvips.deps import DbSession, RowId, SettingsDep
from goatedvips.errors import InvalidInput
from goatedvips.notifications import service
from goatedvips.notifications.schemas import AudienceOut, BroadcastIn, BroadcastOut
from goatedvips.openapi import error_responses
from goatedvips.security import client_ip

router = APIRouter(prefix="/api/admin", tags=["notifications"])


@router.post("/broadcasts", response_model=BroadcastOut, status_code=201)
async def send_broadcast(
    body: BroadcastIn, request: Request, user: AdminUser, session: DbSession, settings: SettingsDep
) -> BroadcastOut:
    result = await service.queue_broadcast(
        session,
        actor=Actor.for_user(user, ip=client_ip(request, settings)),
        kind=body.kind,
        subject=body.subject,
        body=body.body,
    )
    return BroadcastOut(
        id=result.id, kind=result.kind, recipients=result.recipients, messages=result.messages
    )


@router.get("/broadcasts/audience", response_model=AudienceOut)
async def broadcast_audience(
    user: AdminUser, session: DbSession, kind: str = Query("promotional")
) -> AudienceOut:
    if kind not in service.BROADCAST_KINDS:
        raise InvalidInput('kind must be "promotional"', field="kind")
    return AudienceOut(kind=kind, recipients=await service.broadcast_audience(session))


@router.get("/notifications")
async def notifications_overview(
    user: AdminUser,
    session: DbSession,
    limit: int = Query(25, ge=1, le=500, description="recent failures to list"),
) -> dict[str, Any]:
    overview = await service.outbox_overview(session, failures=limit)
    return {
        "counts": overview.counts,
        "oldestPendingAt": overview.oldest_pending.isoformat() if overview.oldest_pending else None,
        "recentFailures": [service.outbox_row_json(row) for row in overview.failures],
    }


@router.post("/notifications/{outbox_id}/retry", responses=error_responses(409))
async def retry_notification(
    outbox_id: RowId, request: Request, user: AdminUser, session: DbSession, settings: SettingsDep
) -> dict[str, Any]:
    row = await service.retry_message(
        session, actor=Actor.for_user(user, ip=client_ip(request, settings)), outbox_id=outbox_id
    )
    return service.outbox_row_json(row)
