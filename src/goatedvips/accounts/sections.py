"""The account page's extra sections, contributed by other domains.

A domain adds a section by providing `goatedvips.<domain>.account` with
`async def account_section(session, user) -> dict | None`; a dict names its `template` and
carries that template's context, None hides the section. A section that fails (its function
raises, or its template is missing or broken) is logged and left out: one domain's bug must not
take away the page where players change their password.
"""

from __future__ import annotations

import importlib
from typing import Any

from jinja2 import TemplateError
from sqlalchemy.ext.asyncio import AsyncSession

from goatedvips.accounts.models import User
from goatedvips.logging import get_logger
from goatedvips.web import templates

log = get_logger(__name__)


def _section_modules() -> list[Any]:
    from goatedvips.app import DOMAINS

    modules = []
    for domain in DOMAINS:
        name = f"goatedvips.{domain}.account"
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name not in (name, f"goatedvips.{domain}"):
                raise
    return modules


async def account_sections(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    """Each contributed section as {"template": ..., **context}, in DOMAINS order."""
    sections = []
    for module in _section_modules():
        try:
            section = await module.account_section(session, user)
            if section:
                templates.env.get_template(section["template"])  # fail here, not mid-page
                sections.append(section)
        except (Exception, TemplateError) as exc:
            log.error("account_section_failed", module=module.__name__, exc_info=exc)
    return sections
