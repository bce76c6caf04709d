"""HTML routes of the support desk: the players' pages and the staff pages under /admin/support."""

from __future__ import annotations

from fastapi import APIRouter

from goatedvips.support import player_pages, staff_pages

router = APIRouter(include_in_schema=False)
router.include_router(player_pages.router)
router.include_router(staff_pages.router)
