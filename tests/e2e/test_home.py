"""The first browser test: the home page renders with the brand, nav and working links."""

from __future__ import annotations

from typing import Any


async def test_home_page_renders_and_navigates(page: Any) -> None:
    response = await page.goto("/")
    assert response.status == 200
    assert await page.title() == "Home · GoatedVIPs"
    brand = page.locator(".brand")
    assert (await brand.inner_text()).replace("\n", "") == "GOATEDVIPs"
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(11, 12, 14)"
    assert await page.evaluate("typeof window.htmx") == "object"
    await page.click("nav >> text=Log in")
    assert page.url.endswith("/login")


async def test_home_page_is_usable_on_a_phone(page: Any) -> None:
    await page.set_viewport_size({"width": 390, "height": 800})
    await page.goto("/")
    nav = page.locator("nav.nav")
    assert not await nav.is_visible()
    await page.click(".nav-burger")
    assert await nav.is_visible()
