"""FastAPI dependencies shared by every domain: settings, the database session, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.config import Settings
from goatedvips.ids import MAX_ROW_ID
from goatedvips.schemas import Paging


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; services commit their own unit of work, anything else rolls back."""
    async with request.app.state.db.sessionmaker() as session:
        yield session


# Beyond any table we keep; a bigger OFFSET overflows PostgreSQL's bigint (a 500, not a 422).
MAX_OFFSET = 1_000_000_000


def get_paging(
    limit: int = Query(50, ge=1, le=500, description="page size (max 500)"),
    offset: int = Query(0, ge=0, le=MAX_OFFSET, description="rows to skip"),
) -> Paging:
    return Paging(limit=limit, offset=offset)


# Table keys are INTEGER: a bigger id names no row, and PostgreSQL would overflow on it (a 500).
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="row id")]

SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DbSession = Annotated[AsyncSession, Depends(get_db_session)]
PagingDep = Annotated[Paging, Depends(get_paging)]
